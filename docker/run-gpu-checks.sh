#!/usr/bin/env bash
# Ravine's checks on a GPU host: environment report, selftest (every op vs the CPU), the JUnit GPU tests, and with
# --bench the kernel bench. Needs only an NVIDIA driver; Java comes from runtime.tar.gz. Exit status: non-zero if
# the selftest or the tests fail.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
if [[ ! -x runtime/bin/java ]]; then
    tar -xzf runtime.tar.gz
fi
java=runtime/bin/java
status=0

echo "== nvidia-smi"
nvidia-smi || echo "nvidia-smi not found"
echo "== driver and Java"
nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total --format=csv 2>/dev/null || true
cat /proc/driver/nvidia/version 2>/dev/null | head -1
"$java" -version 2>&1
echo "== cuBLAS libraries"
ldconfig -p | grep -i cublas || echo "(none in ld.so.cache)"
ls -l /usr/local/cuda*/lib64/libcublas* 2>/dev/null || echo "(none under /usr/local/cuda*/lib64)"

echo "== ravine selftest --device cuda"
"$java" -jar ravine.jar selftest --device cuda || status=1

echo "== JUnit GPU tests (every package)"
"$java" -jar junit-platform-console-standalone.jar execute --class-path ravine.jar:ravine-tests.jar \
    --select-package io.ravine --include-tag gpu --details=tree --disable-banner || status=1
echo "== train --device cuda"
# Fashion-MNIST when a directory with its IDX files is given (RAVINE_FASHION_MNIST_DIR), else the embedded subset.
data=embedded
if [[ -n "${RAVINE_FASHION_MNIST_DIR:-}" && -d "${RAVINE_FASHION_MNIST_DIR}" ]]; then
    data=fashion-mnist
fi
"$java" -jar ravine.jar train --data "$data" --hidden 256 --activation relu --optimizer adam --lr 1e-3 \
    --batch-size 128 --epochs 2 --device cuda --progress off --run-dir /tmp/ravine-gpu-train || status=1
echo "== JUnit CUDA tests that need no GPU (bridge against this host's loader)"
"$java" -jar junit-platform-console-standalone.jar execute --class-path ravine.jar:ravine-tests.jar \
    --select-package io.ravine.backend.cuda --exclude-tag gpu --details=summary --disable-banner || status=1

if [[ "${1:-}" == "--bench" ]]; then
    echo "== KernelBench"
    "$java" -cp ravine.jar io.ravine.backend.cuda.bench.KernelBench || status=1
fi
echo "== done: $([[ $status -eq 0 ]] && echo all passed || echo FAILURES above)"
exit $status
