// Fused bias + activation forward, and the activation derivative from stored outputs.
// No __restrict__ on z/out and dOut/dz: the Backend contract lets them alias (in-place layers).
// NaN and ±Inf come out where the CPU twins (io.ravine.backend.cpu.F32Kernels) put them, so a diverging run is seen
// by the guard on both backends: ReLU keeps a NaN (Java's Math.max(NaN, 0) is NaN), and every backward pass is the
// CPU's float expression operation for operation (bit-identical results, NaN payloads aside).
#include "common.cuh"

// dOut * phi'(y), written exactly as F32Kernels.activationBackward writes it (same operations, same order, no FMA
// contraction), so NaN/Inf propagate the same way: ReLU multiplies by min(y * 2^100 * 2^49, 1), which is 1 for every
// y > 0 (the smallest positive float is 2^-149), 0 for y = 0 (so an infinite dOut gives NaN there, as on the CPU) and
// NaN for a NaN y (Java's Math.min keeps NaN; fminf would not).
__device__ __forceinline__ float backward(float y, float d, int act) {
    switch (act) {
        case ACT_LOGISTIC: return d * (y * (1.0f - y));
        case ACT_TANH: return d * (1.0f - __fmul_rn(y, y));  // y*y rounded first, as Java does
        case ACT_RELU: {
            float k = __fmul_rn(__fmul_rn(y, 0x1p100f), 0x1p49f);  // two steps: 2^149 is not a float
            return d * (isnan(k) ? k : fminf(k, 1.0f));
        }
        default: return d;
    }
}

// out[r, c] = phi(z[r, c] + bias[c]), row-major [rows, cols], phi chosen by the Activation ordinal act
extern "C" __global__ void ravine_bias_act_forward(const float* z, const float* __restrict__ bias, float* out,
                                                   int rows, int cols, int act) {
    if (cols <= 0) {
        return;
    }
    size_t n = (size_t)rows * cols;
    size_t first = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    size_t stride = (size_t)blockDim.x * gridDim.x;
    // The column of element i, i mod cols, is found once per thread and then advanced by stride mod cols: one
    // 32-bit add and compare per element instead of a 64-bit division. c, step < cols <= 2^31 - 1, so c + step
    // < 2^32 cannot wrap.
    unsigned int ucols = (unsigned int)cols;
    unsigned int c = (unsigned int)(first % ucols);
    unsigned int step = (unsigned int)(stride % ucols);
    for (size_t i = first; i < n; i += stride) {
        out[i] = activate(z[i] + bias[c], act);
        c += step;
        if (c >= ucols) {
            c -= ucols;
        }
    }
}

// dz[i] = dOut[i] * phi'(out[i]), phi' written in terms of the output y = phi(z) (F32Kernels' expressions)
extern "C" __global__ void ravine_act_backward(const float* __restrict__ out, const float* dOut, float* dz, int n,
                                               int act) {
    GRID_STRIDE(i, n) { dz[i] = backward(out[i], dOut[i], act); }
}
