// Tiled shared-memory SGEMM, the fallback for hosts where cuBLAS cannot be loaded. Row-major, like the Backend:
// C[M,N] = alpha op(A)[M,K] op(B)[K,N] + beta C, op(X) = X^T when the flag is set; lda/ldb/ldc are the stored row
// widths. Correct for any M, N, K (edge tiles are zero-padded). Each 64x64 C tile is computed by 256 threads, each
// owning a 4x4 block of outputs, so every shared-memory value loaded is reused 4 times from registers.
#include "common.cuh"

#define TILE 64
#define TILE_K 16
#define MICRO 4

__device__ __forceinline__ float load_op(const float* __restrict__ x, int ld, bool trans, unsigned int r,
                                         unsigned int c, int rows, int cols) {
    // Element (r, c) of op(X), which is rows x cols; zero outside. Unsigned: a tile's last row or column index can
    // pass INT_MAX when rows or cols is within 63 of it.
    if (r >= (unsigned int)rows || c >= (unsigned int)cols) {
        return 0.0f;
    }
    return trans ? x[(size_t)c * ld + r] : x[(size_t)r * ld + c];
}

// C = alpha op(A) op(B) + beta C (beta == 0 never reads C, so C may hold NaN); block 16x16, grid (ceil(N/64), any
// y): blocks walk the ceil(M/64) tile rows blockIdx.y, blockIdx.y + gridDim.y, ..., so M is not limited by the
// 65535 blocks gridDim.y allows (CudaBackend caps it there, LaunchGeometry.tiledGemm)
extern "C" __global__ void __launch_bounds__(256) ravine_sgemm_tiled(int transA, int transB, int M, int N, int K,
                                                                     float alpha, const float* __restrict__ A,
                                                                     int lda, const float* __restrict__ B, int ldb,
                                                                     float beta, float* __restrict__ C, int ldc) {
    __shared__ float As[TILE_K][TILE + 1];  // As[k][m]; +1 pads away bank conflicts of the transposed stores
    __shared__ float Bs[TILE_K][TILE + 1];  // Bs[k][n]
    int tx = threadIdx.x;                   // 0..15 -> columns tx, tx+16, tx+32, tx+48 of the tile
    int ty = threadIdx.y;                   // 0..15 -> rows ty, ty+16, ...
    int tid = ty * 16 + tx;
    unsigned int tileRows = (unsigned int)(M - 1) / TILE + 1;  // M >= 1: the launcher skips empty products
    unsigned int colBase = blockIdx.x * TILE;
    for (unsigned int tileRow = blockIdx.y; tileRow < tileRows; tileRow += gridDim.y) {
        unsigned int rowBase = tileRow * TILE;
        float acc[MICRO][MICRO] = {};
        for (int k0 = 0; k0 < K; k0 += TILE_K) {
            // 64x16 elements of each operand per step, 4 per thread.
            for (int e = tid; e < TILE * TILE_K; e += 256) {
                int kk = e % TILE_K;
                int mm = e / TILE_K;
                As[kk][mm] = load_op(A, lda, transA, rowBase + mm, k0 + kk, M, K);
                int nn = e % TILE;
                int kb = e / TILE;
                Bs[kb][nn] = load_op(B, ldb, transB, k0 + kb, colBase + nn, K, N);
            }
            __syncthreads();
#pragma unroll
            for (int kk = 0; kk < TILE_K; kk++) {
                float a[MICRO], b[MICRO];
#pragma unroll
                for (int u = 0; u < MICRO; u++) {
                    a[u] = As[kk][ty + 16 * u];
                    b[u] = Bs[kk][tx + 16 * u];
                }
#pragma unroll
                for (int u = 0; u < MICRO; u++) {
#pragma unroll
                    for (int w = 0; w < MICRO; w++) {
                        acc[u][w] = fmaf(a[u], b[w], acc[u][w]);
                    }
                }
            }
            __syncthreads();
        }
#pragma unroll
        for (int u = 0; u < MICRO; u++) {
            unsigned int r = rowBase + ty + 16 * u;
            if (r >= (unsigned int)M) {
                continue;
            }
#pragma unroll
            for (int w = 0; w < MICRO; w++) {
                unsigned int c = colBase + tx + 16 * w;
                if (c < (unsigned int)N) {
                    float* out = C + (size_t)r * ldc + c;
                    *out = beta == 0.0f ? alpha * acc[u][w] : fmaf(beta, *out, alpha * acc[u][w]);
                }
            }
        }
    }
}
