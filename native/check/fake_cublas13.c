/* A stand-in libcublas.so.13 for checking the bridge on hosts without CUDA 13: records what it is called with. */
#include <stdio.h>
int cublasGetVersion_v2(void* h, int* v) { (void)h; *v = 130001; return 0; }
int cublasSgemm_v2(void* h, int ta, int tb, int m, int n, int k, const float* al, const float* A, int lda, const float* B, int ldb, const float* be, float* C, int ldc) {
  (void)h;(void)A;(void)B;(void)C; printf("fake13 sgemm ta=%d tb=%d m=%d n=%d k=%d alpha=%g lda=%d ldb=%d beta=%g ldc=%d\n", ta,tb,m,n,k,*al,lda,ldb,*be,ldc); return 0; }
