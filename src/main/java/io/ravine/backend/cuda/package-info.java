/**
 * The CUDA backend: {@link io.ravine.backend.cuda.CudaBackend} implements the {@link io.ravine.backend.Backend}
 * contract on the JCuda driver API with Ravine's own kernels (compiled from {@code kernels/} into the jar and loaded
 * with {@code cuModuleLoadData}) and cuBLAS through JCublas2 (directly, through the bundled cuBLAS 12&rarr;13 bridge,
 * or replaced by Ravine's tiled GEMM kernel when no cuBLAS is present). {@link io.ravine.backend.cuda.SelfTest}
 * compares every operation with the CPU reference. Nothing outside this package imports JCuda.
 */
package io.ravine.backend.cuda;
