// Shared helpers for Ravine's kernels. Every kernel is extern "C" (stable names for cuModuleGetFunction) and walks
// its index space with a grid-stride loop, so any grid size is correct and launchers may cap the grid.
#pragma once

// Index type of the grid-stride loops: size_t, so i + stride cannot overflow near INT_MAX elements.
#define GRID_STRIDE(i, n) \
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < (size_t)(n); i += (size_t)blockDim.x * gridDim.x)

// Activation codes: the ordinals of io.ravine.backend.Activation (do not reorder either side).
#define ACT_IDENTITY 0
#define ACT_LOGISTIC 1
#define ACT_TANH 2
#define ACT_RELU 3

// Loss codes: the ordinals of io.ravine.backend.LossKind.
#define LOSS_SOFTMAX_CE 0
#define LOSS_LOGISTIC_CE 1
#define LOSS_MSE 2

__device__ __forceinline__ float logistic(float z) {
    // Two branches keep expf from overflowing for large |z| (same split as Activation.LOGISTIC).
    if (z >= 0.0f) {
        return 1.0f / (1.0f + expf(-z));
    }
    float e = expf(z);
    return e / (1.0f + e);
}

// Java's Math.max(z, 0f): NaN stays NaN, -0 and -Inf become +0, +Inf stays
__device__ __forceinline__ float relu(float z) {
    return z > 0.0f ? z : (isnan(z) ? z : 0.0f);
}

// phi(z) for the Activation ordinal act (io.ravine.backend.Activation), as the CPU twins compute it
__device__ __forceinline__ float activate(float z, int act) {
    switch (act) {
        case ACT_LOGISTIC: return logistic(z);
        case ACT_TANH: return tanhf(z);
        case ACT_RELU: return relu(z);
        default: return z;
    }
}

__device__ __forceinline__ double warp_sum(double v) {
    // Butterfly in a fixed pattern: the same inputs give the same bits on every run.
    for (int o = 16; o > 0; o >>= 1) {
        v += __shfl_xor_sync(0xffffffffu, v, o);
    }
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) {
        v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    }
    return v;
}

// Sum of one double per thread over the block, in a fixed order (warp butterflies, then warp 0 over the warp sums).
// Valid in thread 0. blockDim.x must be a multiple of 32 and at most 1024.
__device__ __forceinline__ double block_sum(double v) {
    __shared__ double warpSums[32];
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;
    v = warp_sum(v);
    if (lane == 0) {
        warpSums[warp] = v;
    }
    __syncthreads();
    int warps = blockDim.x >> 5;
    v = (threadIdx.x < warps) ? warpSums[threadIdx.x] : 0.0;
    if (warp == 0) {
        v = warp_sum(v);
    }
    return v;
}

// The optimizer guard's device state (layout shared with CudaBackend.GUARD_*; 24 bytes, zeroed at start and by
// Backend.clearRefusedUpdate). The loss kernel raises lossNonFinite for a non-finite training loss; ravine_guard
// reduces the gradient's sum of squares and, if the step is not finite, latches the step number; the update and EMA
// kernels do nothing while refusedStep != 0. See io.ravine.backend.Backend#optimizerStep.
struct GuardState {
    double gradSumSq;                // sum of grad^2 this step (also the clipping norm)
    unsigned int lossNonFinite;      // 1 if a training loss since the last update was NaN/Inf
    unsigned int refusedCause;       // 0 none, 1 loss, 2 gradient (io.ravine.backend.RefusedUpdate.Cause code)
    unsigned long long refusedStep;  // t of the first refused update, 0 if none
};

__device__ __forceinline__ bool update_refused(const GuardState* g) {
    return g->refusedStep != 0ull;
}
