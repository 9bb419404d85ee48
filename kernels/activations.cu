// Fused bias + activation forward, and the activation derivative from stored outputs.
// No __restrict__ on z/out and dOut/dz: the Backend contract lets them alias (in-place layers).
#include "common.cuh"

__device__ __forceinline__ float activate(float z, int act) {
    switch (act) {
        case ACT_LOGISTIC: return logistic(z);
        case ACT_TANH: return tanhf(z);
        case ACT_RELU: return z > 0.0f ? z : 0.0f;
        default: return z;
    }
}

__device__ __forceinline__ float derivative_from_output(float y, int act) {
    switch (act) {
        case ACT_LOGISTIC: return y * (1.0f - y);
        case ACT_TANH: return 1.0f - y * y;
        case ACT_RELU: return y > 0.0f ? 1.0f : 0.0f;
        default: return 1.0f;
    }
}

// out[r, c] = phi(z[r, c] + bias[c]), row-major [rows, cols], phi chosen by the Activation ordinal act
extern "C" __global__ void ravine_bias_act_forward(const float* z, const float* __restrict__ bias, float* out,
                                                   int rows, int cols, int act) {
    size_t n = (size_t)rows * cols;
    GRID_STRIDE(i, n) {
        int c = (int)(i % (size_t)cols);
        out[i] = activate(z[i] + bias[c], act);
    }
}

// dz[i] = dOut[i] * phi'(out[i]), phi' written in terms of the output y = phi(z)
extern "C" __global__ void ravine_act_backward(const float* __restrict__ out, const float* dOut, float* dz, int n,
                                               int act) {
    GRID_STRIDE(i, n) { dz[i] = dOut[i] * derivative_from_output(out[i], act); }
}
