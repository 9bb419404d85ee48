// Batch normalization (Ioffe & Szegedy 2015), fused with the activation: per-column statistics over the rows of a
// row-major [rows, cols] matrix, then an elementwise pass. The CPU twins are CpuBackend.batchNorm*; the formulas are
// in io.ravine.backend.Backend#batchNormTrainingForward and #batchNormBackward.
//
// Determinism: the per-column reductions run one block per 32 adjacent columns (a warp reads 128 contiguous bytes of
// a row) with BN_LANES row lanes; lane l adds rows l, l + BN_LANES, ... in double, and lane 0 adds the lanes in lane
// order. No float atomics and a grid fixed by cols alone, so the same inputs give the same bits on every run and GPU.
#include "common.cuh"

#define BN_COLS 32
#define BN_LANES 16

// Sum over the block's lanes of one double per thread, valid in lane 0 (threadIdx.y == 0); every thread must call it.
__device__ __forceinline__ double bn_lane_sum(double v, double (*lanes)[BN_COLS]) {
    lanes[threadIdx.y][threadIdx.x] = v;
    __syncthreads();
    double total = 0.0;
    if (threadIdx.y == 0) {
#pragma unroll
        for (int l = 0; l < BN_LANES; l++) {
            total += lanes[l][threadIdx.x];
        }
    }
    __syncthreads();
    return total;
}

// Training-mode statistics of 32 columns: mean[c] = (1/rows) sum_r z[r, c], the biased variance by a second centred
// pass, invStd[c] = 1/sqrt(var + eps); with runningMean != NULL also PyTorch's running update (momentum m, the
// unbiased variance var * rows / (rows - 1)). Grid: ceil(cols / 32) blocks of (32, BN_LANES). rows >= 2.
extern "C" __global__ void __launch_bounds__(BN_COLS * BN_LANES)
    ravine_bn_stats(const float* __restrict__ z, int rows, int cols, float eps, float momentum,
                    float* __restrict__ saveMean, float* __restrict__ saveInvStd, float* __restrict__ runningMean,
                    float* __restrict__ runningVar) {
    __shared__ double lanes[BN_LANES][BN_COLS];
    __shared__ double colMean[BN_COLS];
    unsigned int c = blockIdx.x * BN_COLS + threadIdx.x;
    bool inside = c < (unsigned int)cols;
    size_t pitch = (size_t)cols;
    double acc = 0.0;
    if (inside) {
        for (unsigned int r = threadIdx.y; r < (unsigned int)rows; r += BN_LANES) {
            acc += (double)z[r * pitch + c];
        }
    }
    double total = bn_lane_sum(acc, lanes);
    if (threadIdx.y == 0) {
        colMean[threadIdx.x] = total / rows;
    }
    __syncthreads();
    double mean = colMean[threadIdx.x];
    acc = 0.0;
    if (inside) {
        for (unsigned int r = threadIdx.y; r < (unsigned int)rows; r += BN_LANES) {
            double d = (double)z[r * pitch + c] - mean;
            acc += d * d;
        }
    }
    double squares = bn_lane_sum(acc, lanes);
    if (threadIdx.y == 0 && inside) {
        double var = squares / rows;
        saveMean[c] = (float)mean;
        saveInvStd[c] = (float)(1.0 / sqrt(var + (double)eps));
        if (runningMean != nullptr) {
            double m = (double)momentum;
            runningMean[c] = (float)((1.0 - m) * (double)runningMean[c] + m * mean);
            runningVar[c] = (float)((1.0 - m) * (double)runningVar[c] + m * (squares / (rows - 1)));
        }
    }
}

// out[r, c] = phi((z[r, c] - mean[c]) * scale[c] + beta[c]), with scale = gamma * invStd (training: invStdOrVar is
// the batch's 1/sigma) or gamma / sqrt(var + eps) (evaluation: mean and invStdOrVar are the running statistics).
// out may be z.
extern "C" __global__ void ravine_bn_apply(const float* z, const float* __restrict__ gamma,
                                           const float* __restrict__ beta, const float* __restrict__ mean,
                                           const float* __restrict__ invStdOrVar, float eps, int evaluation,
                                           float* out, int rows, int cols, int act) {
    if (cols <= 0) {
        return;
    }
    size_t n = (size_t)rows * cols;
    size_t first = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    size_t stride = (size_t)blockDim.x * gridDim.x;
    // The column advanced by stride mod cols per element, as ravine_bias_act_forward does.
    unsigned int ucols = (unsigned int)cols;
    unsigned int c = (unsigned int)(first % ucols);
    unsigned int step = (unsigned int)(stride % ucols);
    for (size_t i = first; i < n; i += stride) {
        float s = evaluation ? gamma[c] / sqrtf(invStdOrVar[c] + eps) : gamma[c] * invStdOrVar[c];
        out[i] = activate((z[i] - mean[c]) * s + beta[c], act);
        c += step;
        if (c >= ucols) {
            c -= ucols;
        }
    }
}

// Backward reductions of 32 columns: dBeta[c] = sum_r dy[r, c], dGamma[c] = sum_r dy[r, c] * xhat[r, c] with
// xhat = (z - mean) * invStd. Grid as ravine_bn_stats.
extern "C" __global__ void __launch_bounds__(BN_COLS * BN_LANES)
    ravine_bn_backward_reduce(const float* __restrict__ z, const float* __restrict__ dy, int rows, int cols,
                              const float* __restrict__ saveMean, const float* __restrict__ saveInvStd,
                              float* __restrict__ dGamma, float* __restrict__ dBeta) {
    __shared__ double lanes[BN_LANES][BN_COLS];
    unsigned int c = blockIdx.x * BN_COLS + threadIdx.x;
    bool inside = c < (unsigned int)cols;
    size_t pitch = (size_t)cols;
    double sumDy = 0.0;
    double sumDyXhat = 0.0;
    if (inside) {
        double mean = (double)saveMean[c];
        double r = (double)saveInvStd[c];
        for (unsigned int row = threadIdx.y; row < (unsigned int)rows; row += BN_LANES) {
            double d = (double)dy[row * pitch + c];
            sumDy += d;
            sumDyXhat += d * (((double)z[row * pitch + c] - mean) * r);
        }
    }
    double beta = bn_lane_sum(sumDy, lanes);
    double gamma = bn_lane_sum(sumDyXhat, lanes);
    if (threadIdx.y == 0 && inside) {
        dBeta[c] = (float)beta;
        dGamma[c] = (float)gamma;
    }
}

// dz[r, c] = gamma[c] invStd[c] (dy - dBeta[c] / rows - xhat dGamma[c] / rows), xhat = (z - mean) invStd.
// dz may be dy.
extern "C" __global__ void ravine_bn_backward_apply(const float* __restrict__ z, const float* dy,
                                                    const float* __restrict__ gamma,
                                                    const float* __restrict__ saveMean,
                                                    const float* __restrict__ saveInvStd,
                                                    const float* __restrict__ dGamma,
                                                    const float* __restrict__ dBeta, float* dz, int rows, int cols) {
    if (cols <= 0) {
        return;
    }
    size_t n = (size_t)rows * cols;
    size_t first = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    size_t stride = (size_t)blockDim.x * gridDim.x;
    unsigned int ucols = (unsigned int)cols;
    unsigned int c = (unsigned int)(first % ucols);
    unsigned int step = (unsigned int)(stride % ucols);
    float invRows = 1.0f / (float)rows;
    for (size_t i = first; i < n; i += stride) {
        float r = saveInvStd[c];
        float xhat = (z[i] - saveMean[c]) * r;
        dz[i] = gamma[c] * r * (dy[i] - dBeta[c] * invRows - xhat * (dGamma[c] * invRows));
        c += step;
        if (c >= ucols) {
            c -= ucols;
        }
    }
}
