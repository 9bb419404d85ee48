/**
 * The reference backend: plain loops over off-heap buffers for elementwise work and OpenBLAS (JavaCPP) for matrix
 * products, in float32 for training and float64 for finite-difference checks. Every CUDA op is tested against this.
 */
package io.ravine.backend.cpu;
