/* Loads libraries in the order CudaBackend does (libcublas.so.13, the bridge, then JCublas2's native) and checks
   that JCublas2's imports resolve against the bridge and that forwarded and stubbed calls behave. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

typedef int (*version_fn)(void*, int*);
typedef int (*sgemm_fn)(void*, int, int, int, int, int, const float*, const float*, int, const float*, int,
                        const float*, float*, int);
typedef int (*stub_fn)(void);

int main(int argc, char** argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s libcublas.so.13 bridge/libcublas.so.12 libJCublas2.so\n", argv[0]);
        return 2;
    }
    for (int i = 1; i <= 3; i++) {
        /* RTLD_NOW for JCublas2: every import must bind now, not at first call. */
        if (dlopen(argv[i], i == 3 ? RTLD_NOW : RTLD_LAZY) == NULL) {
            printf("FAIL dlopen %s: %s\n", argv[i], dlerror());
            return 1;
        }
    }
    void* bridge = dlopen("libcublas.so.12", RTLD_NOW | RTLD_NOLOAD);
    version_fn gv = (version_fn)dlvsym(bridge, "cublasGetVersion_v2", "libcublas.so.12");
    sgemm_fn sg = (sgemm_fn)dlvsym(bridge, "cublasSgemm_v2", "libcublas.so.12");
    stub_fn dg = (stub_fn)dlvsym(bridge, "cublasDgemm_v2", "libcublas.so.12");
    if (gv == NULL || sg == NULL || dg == NULL) {
        printf("FAIL versioned lookup in the bridge\n");
        return 1;
    }
    int version = 0;
    int status = gv(NULL, &version);
    float alpha = 2, beta = 0.5f;
    int sgemmStatus = sg(NULL, 1, 0, 3, 4, 5, &alpha, NULL, 7, NULL, 8, &beta, NULL, 9);
    int stubStatus = dg();
    printf("version status %d value %d; sgemm status %d; stub status %d\n", status, version, sgemmStatus, stubStatus);
    return (status == 0 && version == 130001 && sgemmStatus == 0 && stubStatus == 15) ? 0 : 1;
}
