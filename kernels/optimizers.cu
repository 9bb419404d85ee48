// Fused optimizer updates over the whole flat parameter vector theta: one launch per step, each element read and
// written once. The step's scalars are NOT kernel arguments: they live in a StepParamsBlock in device memory, so a
// CUDA graph that captured these launches replays with new scalars after one host-to-device copy of the block.
// The global-norm clipping factor is computed here from a sum of squares that ravine_reduce_* wrote to device
// memory earlier in the same stream (no host round trip).
// Formulas: io.ravine.backend.UpdateRule; g = s * grad + lambda * theta (coupled decay, all but AdamW).
#include "common.cuh"

// Layout shared with CudaBackend.StepParamsBlock (16 floats, 64 bytes). The derived entries (stepSize onwards)
// are computed on the host in double when the block is written, so every thread does not redo them.
struct StepParamsBlock {
    float lr, momentum, beta1, beta2, eps, gamma, weightDecay, clipNorm;
    float c1, c2;            // bias corrections 1 - beta1^t, 1 - beta2^t
    float stepSize;          // lr / c1
    float sqrtC2;            // sqrt(c2)
    float adamwDecay;        // 1 - lr * weightDecay (AdamW's decoupled shrink)
    float oneMinusBeta1, oneMinusBeta2, oneMinusGamma;
};

// s = min(1, c / (||grad|| + 1e-6)) when c > 0, else 1 (PyTorch's clip_grad_norm_)
__device__ __forceinline__ float clip_scale(const StepParamsBlock* p, const double* gradSumSq) {
    float c = p->clipNorm;
    if (c <= 0.0f) {
        return 1.0f;
    }
    return (float)fmin(1.0, (double)c / (sqrt(*gradSumSq) + 1e-6));
}

// SGD: theta = theta - lr * g
extern "C" __global__ void ravine_sgd_step(float* __restrict__ theta, const float* __restrict__ grad,
                                           const StepParamsBlock* __restrict__ p,
                                           const double* __restrict__ gradSumSq, int n) {
    float s = clip_scale(p, gradSumSq);
    float lr = p->lr, wd = p->weightDecay;
    GRID_STRIDE(i, n) {
        float t = theta[i];
        float g = s * grad[i] + wd * t;
        theta[i] = t - lr * g;
    }
}

// Momentum: v = mu v - lr g; theta += v.  Nesterov (nesterov != 0): same v; theta += mu v - lr g
extern "C" __global__ void ravine_momentum_step(float* __restrict__ theta, const float* __restrict__ grad,
                                                float* __restrict__ velocity, const StepParamsBlock* __restrict__ p,
                                                const double* __restrict__ gradSumSq, int n, int nesterov) {
    float s = clip_scale(p, gradSumSq);
    float lr = p->lr, wd = p->weightDecay, mu = p->momentum;
    GRID_STRIDE(i, n) {
        float t = theta[i];
        float g = s * grad[i] + wd * t;
        float v = mu * velocity[i] - lr * g;
        velocity[i] = v;
        theta[i] = nesterov ? t + mu * v - lr * g : t + v;
    }
}

// RMSprop: sq = (1 - gamma) sq + gamma g^2; theta -= lr g / (sqrt(sq) + eps)
extern "C" __global__ void ravine_rmsprop_step(float* __restrict__ theta, const float* __restrict__ grad,
                                               float* __restrict__ squareAvg, const StepParamsBlock* __restrict__ p,
                                               const double* __restrict__ gradSumSq, int n) {
    float s = clip_scale(p, gradSumSq);
    float lr = p->lr, wd = p->weightDecay, gamma = p->gamma, keep = p->oneMinusGamma, eps = p->eps;
    GRID_STRIDE(i, n) {
        float t = theta[i];
        float g = s * grad[i] + wd * t;
        float sq = keep * squareAvg[i] + gamma * g * g;
        squareAvg[i] = sq;
        theta[i] = t - lr * g / (sqrtf(sq) + eps);
    }
}

// Adam: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; theta -= (lr/c1) m / (sqrt(v)/sqrt(c2) + eps).
// AdamW (adamw != 0): theta first shrinks by (1 - lr lambda) and g = s grad (no coupled decay)
extern "C" __global__ void ravine_adam_step(float* __restrict__ theta, const float* __restrict__ grad,
                                            float* __restrict__ m, float* __restrict__ v,
                                            const StepParamsBlock* __restrict__ p,
                                            const double* __restrict__ gradSumSq, int n, int adamw) {
    float s = clip_scale(p, gradSumSq);
    float coupled = adamw ? 0.0f : p->weightDecay;
    float shrink = adamw ? p->adamwDecay : 1.0f;
    float b1 = p->beta1, b2 = p->beta2, ob1 = p->oneMinusBeta1, ob2 = p->oneMinusBeta2;
    float stepSize = p->stepSize, sqrtC2 = p->sqrtC2, eps = p->eps;
    GRID_STRIDE(i, n) {
        float t0 = theta[i];
        float g = s * grad[i] + coupled * t0;
        float mi = b1 * m[i] + ob1 * g;
        float vi = b2 * v[i] + ob2 * g * g;
        m[i] = mi;
        v[i] = vi;
        theta[i] = t0 * shrink - stepSize * mi / (sqrtf(vi) / sqrtC2 + eps);
    }
}
