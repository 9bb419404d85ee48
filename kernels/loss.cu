// Losses fused with their gradient, one warp per example (row). Row sums accumulate in double, as the CPU does, so
// that a confident softmax (loss = log(1 + tiny)) keeps its relative accuracy.
// A class index outside [0, cols) cannot throw on the device: the row's loss and gradient become NaN instead.
// When the gradient is wanted (training), a non-finite loss raises guard->lossNonFinite, so the next optimizer
// update is refused (io.ravine.backend.Backend#optimizerStep).
#include "common.cuh"

// lossPerRow[r] = l(z[r, :], t[r]); if dOut != NULL, dOut[r, :] = gradScale * dl/dz, with
//   SOFTMAX_CE: l = logsumexp(z) - z[t], dl/dz = softmax(z) - onehot(t)   (t = class index stored as float)
//   LOGISTIC_CE: l = sum_k max(z,0) + log1p(exp(-|z|)) - t z, dl/dz = sigma(z) - t
//   MSE: l = 1/2 |z - t|^2, dl/dz = z - t
extern "C" __global__ void ravine_loss_forward_backward(const float* __restrict__ z, const float* __restrict__ target,
                                                        float* __restrict__ lossPerRow, float* __restrict__ dOut,
                                                        int rows, int cols, int kind, float gradScale,
                                                        GuardState* __restrict__ guard) {
    int lane = threadIdx.x & 31;
    int warpsPerBlock = blockDim.x >> 5;
    for (int r = blockIdx.x * warpsPerBlock + (threadIdx.x >> 5); r < rows; r += gridDim.x * warpsPerBlock) {
        const float* zr = z + (size_t)r * cols;
        float* dr = dOut == nullptr ? nullptr : dOut + (size_t)r * cols;
        double rowLoss = 0.0;
        if (kind == LOSS_SOFTMAX_CE) {
            float tf = target[r];
            int label = (int)tf;
            bool valid = tf >= 0.0f && label < cols;
            float mx = -INFINITY;
            for (int c = lane; c < cols; c += 32) {
                mx = fmaxf(mx, zr[c]);
            }
            mx = warp_max(mx);
            double sumExp = 0.0;
            for (int c = lane; c < cols; c += 32) {
                sumExp += (double)expf(zr[c] - mx);
            }
            sumExp = warp_sum(sumExp);
            // lse - z[t] as (max - z[t]) + log(sumExp): the first term is exact, so no cancellation.
            double logSum = log(sumExp);
            rowLoss = valid ? ((double)mx - (double)zr[label]) + logSum : (double)NAN;
            if (dr != nullptr) {
                double lse = (double)mx + logSum;
                for (int c = lane; c < cols; c += 32) {
                    float p = expf((float)((double)zr[c] - lse));
                    dr[c] = valid ? gradScale * (p - (c == label ? 1.0f : 0.0f)) : NAN;
                }
            }
        } else {
            const float* tr = target + (size_t)r * cols;
            double acc = 0.0;
            for (int c = lane; c < cols; c += 32) {
                float zc = zr[c];
                float tc = tr[c];
                if (kind == LOSS_LOGISTIC_CE) {
                    // log(1 + e^z) without overflow: max(z, 0) + log1p(e^{-|z|}).
                    acc += (double)fmaxf(zc, 0.0f) + (double)log1pf(expf(-fabsf(zc))) - (double)tc * (double)zc;
                    if (dr != nullptr) {
                        dr[c] = gradScale * (logistic(zc) - tc);
                    }
                } else {
                    float d = zc - tc;
                    acc += 0.5 * (double)d * (double)d;
                    if (dr != nullptr) {
                        dr[c] = gradScale * d;
                    }
                }
            }
            rowLoss = warp_sum(acc);
        }
        if (lane == 0) {
            float stored = (float)rowLoss;
            lossPerRow[r] = stored;
            // Every writer stores the same 1: a benign race, and the flag does not depend on which row wins.
            if (dr != nullptr && !isfinite(stored)) {
                guard->lossNonFinite = 1u;
            }
        }
    }
}
