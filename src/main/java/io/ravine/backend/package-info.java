/**
 * The boundary between the maths and the hardware: {@link io.ravine.backend.Backend} is a small closed set of
 * operations on {@link io.ravine.backend.Tensor}s (row-major matrices and flat vectors). The CPU backend is the
 * reference; the CUDA backend implements the same contract with kernels from {@code kernels/} and cuBLAS.
 * Nothing above this package knows which backend runs.
 */
package io.ravine.backend;
