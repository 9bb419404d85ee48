#!/usr/bin/env bash
# Compiles every kernels/*.cu into OUTDIR/<name>.fatbin (SASS for sm_80 and sm_90, plus compute_90 PTX that the
# driver JIT-compiles on newer GPUs). Called by Maven in generate-resources, so the fatbins land in the jar; the
# CUDA backend loads them with cuModuleLoadData. Without nvcc the build still succeeds (one line says so) and the
# backend reports "kernels not built" at run time. Any kernel that fails to compile fails the build.
# Also writes the -Xptxas -v register/spill report to target/kernel-resources.txt.
set -euo pipefail

out="${1:?usage: kernels/build.sh OUTDIR}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

nvcc="${NVCC:-/usr/local/cuda/bin/nvcc}"
if [[ ! -x "$nvcc" ]]; then
    nvcc="$(command -v nvcc || true)"
fi
if [[ -z "$nvcc" ]]; then
    echo "nvcc not found: CUDA kernels not built"
    exit 0
fi

mkdir -p "$out"
# OUTDIR is target/classes/io/ravine/kernels: three levels up is target/.
report_dir="$(cd "$out/../../../.." 2>/dev/null && pwd || echo "$out")"
report="$report_dir/kernel-resources.txt"
: > "$report"

arch=(-gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90)
status=0
for src in "$here"/*.cu; do
    name="$(basename "$src" .cu)"
    log="$(mktemp)"
    if "$nvcc" -fatbin -O3 -std=c++17 "${arch[@]}" -Xptxas -v -o "$out/$name.fatbin" "$src" > "$log" 2>&1; then
        { echo "== $name.cu"; grep -E "Compiling entry|Used [0-9]+ registers|spill" "$log" || true; } >> "$report"
    else
        echo "kernel $name.cu failed to compile:" >&2
        cat "$log" >&2
        rm -f "$out/$name.fatbin"
        status=1
    fi
    rm -f "$log"
done
if [[ $status -ne 0 ]]; then
    exit $status
fi
echo "CUDA kernels built into $out ($("$nvcc" --version | tail -1)); registers/spills: $report"
