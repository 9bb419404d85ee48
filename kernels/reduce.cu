// Deterministic reductions. Sums accumulate in double (as the CPU reference does) and combine in a fixed order:
// pass 1 writes one partial per block, pass 2 (one block) adds the partials. The launcher fixes the grid from n
// alone, and no float atomics are used, so the same inputs give the same bits on every run and every GPU.
#include "common.cuh"

#define REDUCE_SUM 0
#define REDUCE_SUM_OF_SQUARES 1
#define REDUCE_DOT 2

// partials[b] = sum over this block's grid-stride share of x[i] (mode 0), x[i]^2 (mode 1) or x[i]*y[i] (mode 2)
extern "C" __global__ void ravine_reduce_partial(const float* __restrict__ x, const float* __restrict__ y, int n,
                                                 int mode, double* __restrict__ partials) {
    double acc = 0.0;
    GRID_STRIDE(i, n) {
        double a = (double)x[i];
        acc += mode == REDUCE_SUM ? a : (mode == REDUCE_SUM_OF_SQUARES ? a * a : a * (double)y[i]);
    }
    double total = block_sum(acc);
    if (threadIdx.x == 0) {
        partials[blockIdx.x] = total;
    }
}

// out[0] = sum_{b < count} partials[b]   (launched as one block)
extern "C" __global__ void ravine_reduce_final(const double* __restrict__ partials, int count,
                                               double* __restrict__ out) {
    double acc = 0.0;
    for (int b = threadIdx.x; b < count; b += blockDim.x) {
        acc += partials[b];
    }
    double total = block_sum(acc);
    if (threadIdx.x == 0) {
        out[0] = total;
    }
}

// NaN-propagating max (fmax drops NaN; L-BFGS's tolerance tests must see it, as torch's abs().max() does).
__device__ __forceinline__ double nan_max(double a, double b) {
    return (a != a || a > b) ? a : b;
}

// Max of one double per thread over the block, in a fixed pattern; valid in thread 0 (blockDim as block_sum).
__device__ __forceinline__ double block_nan_max(double v) {
    __shared__ double warpMaxes[32];
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;
    for (int o = 16; o > 0; o >>= 1) {
        v = nan_max(v, __shfl_xor_sync(0xffffffffu, v, o));
    }
    if (lane == 0) {
        warpMaxes[warp] = v;
    }
    __syncthreads();
    int warps = blockDim.x >> 5;
    v = (threadIdx.x < warps) ? warpMaxes[threadIdx.x] : 0.0;
    if (warp == 0) {
        for (int o = 16; o > 0; o >>= 1) {
            v = nan_max(v, __shfl_xor_sync(0xffffffffu, v, o));
        }
    }
    return v;
}

#define REDUCE_ABS_SUM 0
#define REDUCE_ABS_MAX 1

// partials[b] = this block's grid-stride share of sum |x[i]| (mode 0) or max |x[i]| (mode 1, NaN if any is NaN)
extern "C" __global__ void ravine_reduce_abs_partial(const float* __restrict__ x, int n, int mode,
                                                     double* __restrict__ partials) {
    double acc = 0.0;
    GRID_STRIDE(i, n) {
        double a = fabs((double)x[i]);
        acc = mode == REDUCE_ABS_SUM ? acc + a : nan_max(a, acc);
    }
    double total = mode == REDUCE_ABS_SUM ? block_sum(acc) : block_nan_max(acc);
    if (threadIdx.x == 0) {
        partials[blockIdx.x] = total;
    }
}

// out[0] = sum (mode 0) or NaN-propagating max (mode 1) of partials[0 .. count)   (launched as one block)
extern "C" __global__ void ravine_reduce_abs_final(const double* __restrict__ partials, int count, int mode,
                                                   double* __restrict__ out) {
    double acc = 0.0;
    for (int b = threadIdx.x; b < count; b += blockDim.x) {
        acc = mode == REDUCE_ABS_SUM ? acc + partials[b] : nan_max(partials[b], acc);
    }
    double total = mode == REDUCE_ABS_SUM ? block_sum(acc) : block_nan_max(acc);
    if (threadIdx.x == 0) {
        out[0] = total;
    }
}

// Column sums (bias gradients) in two deterministic passes. The launcher (LaunchGeometry.columnSum) fixes, from rows
// and cols alone, a grid of ceil(cols / 32) column blocks by `splits` row ranges of rowsPerSplit rows; block (32, 8):
// 32 adjacent columns (a warp reads 128 contiguous bytes of a row) and 8 row lanes. Every thread sums its rows in
// double into 4 independent accumulators (4 loads in flight), the lanes are added in lane order, and pass 2 adds
// the splits in split order: the same bits on every run and GPU, whatever the launch block size elsewhere.
#define COLSUM_LANES 8
#define COLSUM_UNROLL 4

// Pass 1: for split s = blockIdx.y, rows [s * rowsPerSplit, min(rows, (s + 1) * rowsPerSplit)) of 32 columns:
// partials[s * cols + c] = their sum (double) when partials != NULL, else sums[c] = (float) sum (one split)
extern "C" __global__ void __launch_bounds__(32 * COLSUM_LANES)
    ravine_column_sum(const float* __restrict__ x, double* __restrict__ partials, float* __restrict__ sums, int rows,
                      int cols, int rowsPerSplit) {
    __shared__ double lanes[COLSUM_LANES][32];
    unsigned int c = blockIdx.x * 32u + threadIdx.x;
    // Unsigned: r0 + rowsPerSplit and r + 32 stay below 2^32 for any int rows.
    unsigned int r0 = blockIdx.y * (unsigned int)rowsPerSplit;
    unsigned int r1 = min((unsigned int)rows, r0 + (unsigned int)rowsPerSplit);
    double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
    if (c < (unsigned int)cols) {
        const float* col = x + c;
        size_t pitch = (size_t)cols;
        unsigned int r = r0 + threadIdx.y;
        for (; r + (COLSUM_UNROLL - 1) * COLSUM_LANES < r1; r += COLSUM_UNROLL * COLSUM_LANES) {
            float v0 = col[r * pitch];
            float v1 = col[(r + COLSUM_LANES) * pitch];
            float v2 = col[(r + 2 * COLSUM_LANES) * pitch];
            float v3 = col[(r + 3 * COLSUM_LANES) * pitch];
            a0 += (double)v0;
            a1 += (double)v1;
            a2 += (double)v2;
            a3 += (double)v3;
        }
        for (; r < r1; r += COLSUM_LANES) {
            a0 += (double)col[r * pitch];
        }
    }
    lanes[threadIdx.y][threadIdx.x] = (a0 + a1) + (a2 + a3);
    __syncthreads();
    if (threadIdx.y == 0 && c < (unsigned int)cols) {
        double total = 0.0;
#pragma unroll
        for (int l = 0; l < COLSUM_LANES; l++) {
            total += lanes[l][threadIdx.x];
        }
        if (partials != nullptr) {
            partials[(size_t)blockIdx.y * cols + c] = total;
        } else {
            sums[c] = (float)total;
        }
    }
}

// Pass 2: sums[c] = (float) sum_{s < splits} partials[s * cols + c], splits added in order 0, 1, ...
extern "C" __global__ void ravine_column_sum_final(const double* __restrict__ partials, int splits,
                                                   float* __restrict__ sums, int cols) {
    GRID_STRIDE(c, cols) {
        double total = 0.0;
#pragma unroll 8
        for (int s = 0; s < splits; s++) {
            total += partials[(size_t)s * cols + c];
        }
        sums[c] = (float)total;
    }
}
