/* A stand-in libcublas.so.13 for checking the bridge on hosts without CUDA 13: records what it is called with.
   -DFAKE_PATCH=N changes the version it reports (13.0.N), so tests can tell two copies apart. */
#include <stdio.h>
#ifndef FAKE_PATCH
#define FAKE_PATCH 1
#endif
int cublasGetVersion_v2(void* h, int* v) { (void)h; *v = 130000 + FAKE_PATCH; return 0; }
/* libraryPropertyType: 0 major, 1 minor, 2 patch level. */
int cublasGetProperty(int type, int* value) { *value = type == 0 ? 13 : type == 1 ? 0 : FAKE_PATCH; return 0; }
int cublasSgemm_v2(void* h, int ta, int tb, int m, int n, int k, const float* al, const float* A, int lda, const float* B, int ldb, const float* be, float* C, int ldc) {
  (void)h;(void)A;(void)B;(void)C; printf("fake13 sgemm ta=%d tb=%d m=%d n=%d k=%d alpha=%g lda=%d ldb=%d beta=%g ldc=%d\n", ta,tb,m,n,k,*al,lda,ldb,*be,ldc); return 0; }
