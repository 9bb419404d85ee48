// Fused optimizer updates over the whole flat parameter vector theta: one launch per step, each element read and
// written once. The step's scalars are NOT kernel arguments: they live in a StepParamsBlock in device memory, so a
// CUDA graph that captured these launches replays with new scalars after one host-to-device copy of the block.
// Before each update, ravine_guard turns the gradient's sum of squares (partials from ravine_reduce_partial, earlier
// in the same stream) into GuardState.gradSumSq and refuses a non-finite step; the update kernels then read the
// clipping norm and the refusal from device memory (no host round trip, capturable in a graph).
// Formulas: io.ravine.backend.UpdateRule; g = s * grad + lambda * theta (coupled decay, all but AdamW).
#include "common.cuh"

// Layout shared with CudaBackend.writeParams (16 floats then the step as a u64: 72 bytes). The derived entries
// (stepSize onwards) are computed on the host in double when the block is written, so every thread does not redo
// them.
struct StepParamsBlock {
    float lr, momentum, beta1, beta2, eps, gamma, weightDecay, clipNorm;
    float c1, c2;            // bias corrections 1 - beta1^t, 1 - beta2^t
    float stepSize;          // lr / c1
    float sqrtC2;            // sqrt(c2)
    float adamwDecay;        // 1 - lr * weightDecay (AdamW's decoupled shrink)
    float oneMinusBeta1, oneMinusBeta2, oneMinusGamma;
    unsigned long long step; // t, latched by the guard when it refuses this update
};

// guard->gradSumSq = sum of partials[0..count) (one block, the order of ravine_reduce_final: the same bits); then,
// if no update is refused yet and the loss or the gradient of this step is not finite, refuse this one (latch t
// and the cause); the pending loss flag is consumed either way. A double sum of squares of finite floats cannot
// overflow (n * 2^256 << 2^1024), so gradSumSq is finite exactly when every gradient element is.
extern "C" __global__ void ravine_guard(const double* __restrict__ partials, int count,
                                        GuardState* __restrict__ guard, const StepParamsBlock* __restrict__ p) {
    double acc = 0.0;
    for (int b = threadIdx.x; b < count; b += blockDim.x) {
        acc += partials[b];
    }
    double total = block_sum(acc);
    if (threadIdx.x == 0) {
        guard->gradSumSq = total;
        if (guard->refusedStep == 0ull) {
            unsigned int cause = guard->lossNonFinite != 0u ? 1u : (isfinite(total) ? 0u : 2u);
            if (cause != 0u) {
                guard->refusedCause = cause;
                guard->refusedStep = p->step;
            }
        }
        guard->lossNonFinite = 0u;
    }
}

// s = min(1, c / (||grad|| + 1e-6)) when c > 0, else 1 (PyTorch's clip_grad_norm_)
__device__ __forceinline__ float clip_scale(const StepParamsBlock* p, const GuardState* guard) {
    float c = p->clipNorm;
    if (c <= 0.0f) {
        return 1.0f;
    }
    return (float)fmin(1.0, (double)c / (sqrt(guard->gradSumSq) + 1e-6));
}

// SGD: theta = theta - lr * g
extern "C" __global__ void ravine_sgd_step(float* __restrict__ theta, const float* __restrict__ grad,
                                           const StepParamsBlock* __restrict__ p,
                                           const GuardState* __restrict__ guard, int n) {
    if (update_refused(guard)) {
        return;
    }
    float s = clip_scale(p, guard);
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
                                                const GuardState* __restrict__ guard, int n, int nesterov) {
    if (update_refused(guard)) {
        return;
    }
    float s = clip_scale(p, guard);
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
                                               const GuardState* __restrict__ guard, int n) {
    if (update_refused(guard)) {
        return;
    }
    float s = clip_scale(p, guard);
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
                                            const GuardState* __restrict__ guard, int n, int adamw) {
    if (update_refused(guard)) {
        return;
    }
    float s = clip_scale(p, guard);
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
