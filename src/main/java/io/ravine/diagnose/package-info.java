/**
 * Optimization diagnostics from the lectures' table of problems, diagnostics and workarounds: finite-difference
 * gradient checks, curvature and Hessian spectra, unit statistics, the curve doctor, loss-surface pictures.
 * Everything works on flat θ through the {@link io.ravine.backend.Backend}, so one implementation serves CPU and CUDA.
 */
package io.ravine.diagnose;
