// Elementwise BLAS-1 kernels over flat float vectors.
#include "common.cuh"

// x[i] = value
extern "C" __global__ void ravine_fill(float* __restrict__ x, float value, int n) {
    GRID_STRIDE(i, n) { x[i] = value; }
}

// dst[i] = src[i]
extern "C" __global__ void ravine_copy(const float* __restrict__ src, float* __restrict__ dst, int n) {
    GRID_STRIDE(i, n) { dst[i] = src[i]; }
}

// y[i] = y[i] + alpha * x[i]
extern "C" __global__ void ravine_axpy(float alpha, const float* __restrict__ x, float* __restrict__ y, int n) {
    GRID_STRIDE(i, n) { y[i] = fmaf(alpha, x[i], y[i]); }
}

// x[i] = alpha * x[i]
extern "C" __global__ void ravine_scale(float alpha, float* __restrict__ x, int n) {
    GRID_STRIDE(i, n) { x[i] = alpha * x[i]; }
}

// avg[i] = decay * avg[i] + (1 - decay) * theta[i]   (oneMinusDecay computed on the host in double); nothing while
// the guard refuses updates
extern "C" __global__ void ravine_ema(float* __restrict__ avg, const float* __restrict__ theta, float decay,
                                      float oneMinusDecay, int n, const GuardState* __restrict__ guard) {
    if (update_refused(guard)) {
        return;
    }
    GRID_STRIDE(i, n) { avg[i] = decay * avg[i] + oneMinusDecay * theta[i]; }
}
