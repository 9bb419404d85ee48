#!/usr/bin/env bash
# Compiles every kernels/*.cu into OUTDIR/<name>.fatbin (by default SASS for sm_80 and sm_90, plus compute_90 PTX that
# the driver JIT-compiles on newer GPUs; see NVCC_ARCH below). Called by Maven in generate-resources, so the fatbins land in the jar; the
# CUDA backend loads them with cuModuleLoadData. Without nvcc the build still succeeds (one line says so) and the
# backend reports "kernels not built" at run time. Any kernel that fails to compile fails the build.
# Also writes the -Xptxas -v register/spill report to target/kernel-resources.txt.
#
# NVCC_ARCH picks the GPUs: compute capabilities without the dot, separated by spaces or commas (default "80 90").
# Each gets SASS (sm_XX), and the highest also gets PTX (compute_XX) for GPUs newer than all of them. For a GPU the
# default does not cover, e.g. an A10 or RTX 3090 (8.6):  NVCC_ARCH=86 mvn -DskipTests package
# (or NVCC_ARCH="80 86 90" for several). nvcc 13 builds for 75 (Turing) and newer.
set -euo pipefail

out="${1:?usage: kernels/build.sh OUTDIR}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# The targets first: a malformed NVCC_ARCH fails before anything is written.
arch=()
highest=0
targets=""
IFS=', ' read -r -a ccs <<< "${NVCC_ARCH:-80 90}"
for cc in "${ccs[@]}"; do
    [[ -z "$cc" ]] && continue
    if [[ ! "$cc" =~ ^[1-9][0-9]{1,2}$ ]]; then
        echo "NVCC_ARCH: '$cc' is not a compute capability without the dot (e.g. 80, 86, 90)" >&2
        exit 2
    fi
    arch+=(-gencode "arch=compute_$cc,code=sm_$cc")
    targets+="sm_$cc "
    if (( cc > highest )); then
        highest=$cc
    fi
done
if (( highest == 0 )); then
    echo "NVCC_ARCH names no compute capability" >&2
    exit 2
fi
arch+=(-gencode "arch=compute_$highest,code=compute_$highest")
targets+="compute_$highest (PTX)"

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
echo "CUDA kernels built into $out for $targets ($("$nvcc" --version | tail -1)); registers/spills: $report"
