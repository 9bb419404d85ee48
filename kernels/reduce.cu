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

// sums[c] = sum_r x[r, c] (bias gradients); block (32, L): 32 adjacent columns (coalesced rows), L row lanes
extern "C" __global__ void ravine_column_sum(const float* __restrict__ x, float* __restrict__ sums, int rows,
                                             int cols) {
    __shared__ double lanes[32][33];  // [row lane][column]; 33 avoids bank conflicts on the final column walk
    int c = blockIdx.x * 32 + threadIdx.x;
    double acc = 0.0;
    if (c < cols) {
        for (int r = threadIdx.y; r < rows; r += blockDim.y) {
            acc += (double)x[(size_t)r * cols + c];
        }
    }
    lanes[threadIdx.y][threadIdx.x] = acc;
    __syncthreads();
    if (threadIdx.y == 0 && c < cols) {
        double total = 0.0;
        for (int l = 0; l < blockDim.y; l++) {
            total += lanes[l][threadIdx.x];
        }
        sums[c] = (float)total;
    }
}
