#!/usr/bin/env bash
# Ravine's GPU proof: one command, run from the unpacked bundle on a GPU host that has nothing but an NVIDIA driver,
# CUDA and (for step 6) PyTorch, that proves every CUDA path and brings back every number the project needs.
#
#   bash gpu-proof.sh [--quick] [--dry-run] OUTDIR
#
#   1. environment: nvidia-smi, driver and CUDA versions, the cuBLAS library and version Ravine actually loaded
#   2. ravine selftest --device cuda --require-cublas, once (fails when GEMM is not cuBLAS)
#   3. every GPU-tagged JUnit test, once (the two whose checks are selftest's own rows are covered by step 2)
#   4. ravine train --device cuda on the embedded data (test accuracy >= 0.83) with the same run on the CPU beside
#      it, and on synthetic data of Fashion-MNIST's shape for speed
#   5. KernelBench: fused Adam over 100M parameters against a device-to-device copy, every kernel family as a share
#      of copy bandwidth, cuBLAS GFLOP/s
#   6. Ravine against PyTorch eager and torch.compile(mode="reduce-overhead") on 784-1024-1024-10 Adam at
#      B = 128, 1024, 8192 (bench/gpu-bench.sh), with the per-step breakdown against the floors
#
# --quick runs steps 1-4 (about 3 minutes on an H200; the whole proof about 7). --dry-run skips every part that
# needs a GPU with one line each and runs the rest, so the script itself is checked on a machine without one.
# OUTDIR receives at most 8 files, each under 16 MB: summary.md (the short summary, the targets and every table),
# environment.txt, selftest.txt, junit-gpu.txt, train.txt, kernelbench.md, torch-bench.md and proof.log
# (everything printed). Exit status: 0 when every step that ran passed, 1 otherwise, 2 for bad arguments.
set -uo pipefail

usage() {
    echo "usage: gpu-proof.sh [--quick] [--dry-run] OUTDIR" >&2
    exit 2
}
quick=0
dry=0
out=
for arg in "$@"; do
    case "$arg" in
        --quick) quick=1 ;;
        --dry-run) dry=1 ;;
        -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
        -*) echo "gpu-proof.sh: unknown option '$arg'" >&2; usage ;;
        *) [[ -z "$out" ]] || { echo "gpu-proof.sh: one OUTDIR only, got '$out' and '$arg'" >&2; usage; }
           out="$arg" ;;
    esac
done
[[ -n "$out" ]] || usage

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$out" || { echo "gpu-proof.sh: cannot create OUTDIR '$out'" >&2; exit 2; }
out="$(cd "$out" && pwd)"
if [[ -n "$(ls -A "$out")" ]]; then
    echo "gpu-proof.sh: OUTDIR '$out' is not empty (the proof writes exactly its own files there)" >&2
    exit 2
fi
cd "$here"
for f in ravine.jar ravine-tests.jar junit-platform-console-standalone.jar; do
    [[ -f "$f" ]] || { echo "gpu-proof.sh: $here/$f missing: run this from an unpacked bundle (docker/build-bundle.sh)" >&2; exit 2; }
done
if [[ ! -x runtime/bin/java ]]; then
    [[ -f runtime.tar.gz ]] || { echo "gpu-proof.sh: neither runtime/ nor runtime.tar.gz in $here" >&2; exit 2; }
    tar -xzf runtime.tar.gz || { echo "gpu-proof.sh: cannot unpack runtime.tar.gz" >&2; exit 2; }
fi
java="$here/runtime/bin/java"
# The bundle's runtime is a Java 25: native access must be granted where the jar's manifest does not (-cp, the JUnit
# launcher), or every native library load prints four warning lines.
jvm_flags=(--enable-native-access=ALL-UNNAMED -Djava.awt.headless=true)
work="$(mktemp -d "${TMPDIR:-/tmp}/ravine-proof.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Everything printed goes to proof.log as well (waited for at the end, so the log is whole).
exec > >(tee -a "$out/proof.log") 2>&1
tee_pid=$!

summary="$work/summary.txt"
: > "$summary"
status=0
started=$(date +%s)
# One time budget for the whole proof, so a hung step cannot eat a short GPU lease: each step's own limit is cut
# to what is left of it. RAVINE_PROOF_BUDGET (seconds) overrides.
budget=${RAVINE_PROOF_BUDGET:-$(( quick ? 200 : 480 ))}
deadline=$(( started + budget ))

note() { echo "$*" | tee -a "$summary"; }
# step NAME SECONDS FILE COMMAND...: runs COMMAND with a time limit, output to the terminal and to FILE (appended).
step() {
    local name="$1" limit="$2" file="$3"
    shift 3
    local t0=$(date +%s) rc
    local left=$(( deadline - t0 ))
    echo
    echo "== $name"
    if (( left < 15 )); then
        note "FAIL  $name: not started, the proof's ${budget} s budget is spent"
        status=1
        return 1
    fi
    (( limit > left )) && limit=$left
    timeout --kill-after=10 "$limit" "$@" 2>&1 | tee -a "$file"
    rc=${PIPESTATUS[0]}
    local secs=$(( $(date +%s) - t0 ))
    if [[ $rc -eq 0 ]]; then
        note "PASS  $name (${secs} s)"
    else
        [[ $rc -eq 124 || $rc -eq 137 ]] && note "FAIL  $name: over its ${limit} s limit" \
            || note "FAIL  $name (exit $rc, ${secs} s)"
        status=1
    fi
    return $rc
}
skip() { note "SKIP  $1 (dry run: needs a GPU)"; }

mode=full
(( quick )) && mode=quick
(( dry )) && mode="$mode, dry run"
note "Ravine GPU proof ($mode), $(date -u '+%Y-%m-%d %H:%M UTC'), bundle $(basename "$here")"

# ---- 1. environment ----
env_file="$out/environment.txt"
{
    echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "host: $(uname -srm); $(ldd --version 2>/dev/null | head -1)"
    echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "java: $("$java" -version 2>&1 | head -1)"
    if command -v nvidia-smi > /dev/null 2>&1; then
        nvidia-smi
        nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total,clocks.max.sm,clocks.max.mem --format=csv
    else
        echo "nvidia-smi: not found"
    fi
    command -v nvcc > /dev/null 2>&1 && nvcc --version | tail -2
    python3 -c 'import torch, sys; print("python", sys.version.split()[0], "torch", torch.__version__, "CUDA", torch.version.cuda, "GPU", torch.cuda.is_available())' 2>&1 | tail -1
    python3 -c 'import nvidia.cublas, os; print("nvidia-cublas wheel:", os.path.dirname(nvidia.cublas.__file__))' 2>&1 | tail -1
    ldconfig -p 2>/dev/null | grep -i 'libcublas\.so' || echo "ld.so.cache: no libcublas"
} > "$env_file" 2>&1
echo "== environment"
cat "$env_file"
gpu_line="$(nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total --format=csv,noheader 2>/dev/null | head -1)"
cuda_version="$(nvidia-smi 2>/dev/null | grep -o 'CUDA Version: [0-9.]*' | head -1)"
if [[ -n "$gpu_line" ]]; then
    note "GPU   $gpu_line; driver's $cuda_version"
elif (( dry )); then
    skip "nvidia-smi"
else
    note "FAIL  no GPU: nvidia-smi is missing or sees no device; nothing else was run (--dry-run checks the script on a machine without one)"
    status=1
    no_gpu=1
fi

no_gpu=${no_gpu:-0}
run_steps() {
# ---- 2. selftest ----
if (( dry )); then
    skip "selftest --device cuda"
else
    step "selftest --device cuda --require-cublas" 180 "$out/selftest.txt" \
        "$java" -jar ravine.jar selftest --device cuda --require-cublas
    # The GEMM row names the cuBLAS library and version actually loaded.
    gemm_line="$(grep -i -m1 -E 'cublas|tiled' "$out/selftest.txt" || true)"
    [[ -n "$gemm_line" ]] && { note "GEMM  $gemm_line"; echo "GEMM in use: $gemm_line" >> "$env_file"; }
fi

# ---- 3. GPU-tagged JUnit tests ----
if (( dry )); then
    skip "JUnit tests tagged gpu"
else
    step "JUnit tests tagged gpu (selftest's own rows excluded: step 2)" 240 "$out/junit-gpu.txt" \
        "$java" "${jvm_flags[@]}" -jar junit-platform-console-standalone.jar execute --class-path ravine.jar:ravine-tests.jar \
        --select-package io.ravine --include-tag gpu --exclude-tag selftest --details=tree --disable-banner \
        --fail-if-no-tests
fi

# ---- 4. training ----
train_file="$out/train.txt"
train_flags=(--data embedded --hidden 256 --activation relu --optimizer adam --lr 1e-3 --batch-size 128 --epochs 10
    --seed 1 --progress off)
# accuracy RUNDIR: the test accuracy in RUNDIR/summary.json (strict JSON; read without Python or jq).
accuracy() { grep -o '"test_accuracy": *[0-9.eE+-]*' "$1/summary.json" 2>/dev/null | head -1 | sed 's/.*: *//'; }
sps() { grep -o '"samples_per_second": *[0-9.eE+-]*' "$1/summary.json" 2>/dev/null | head -1 | sed 's/.*: *//'; }
check_accuracy() {
    local label="$1" dir="$2" acc
    acc="$(accuracy "$dir")"
    if [[ -n "$acc" ]] && awk -v a="$acc" 'BEGIN { exit !(a >= 0.83) }'; then
        note "PASS  $label test accuracy $acc >= 0.83"
    else
        note "FAIL  $label test accuracy ${acc:-missing} (needs >= 0.83)"
        status=1
    fi
}
if (( dry )); then
    skip "train --device cuda (embedded)"
else
    step "train --device cuda, embedded data" 150 "$train_file" \
        "$java" -jar ravine.jar train --device cuda --run-dir "$work/train-cuda" "${train_flags[@]}" \
        && check_accuracy "cuda" "$work/train-cuda"
fi
step "train --device cpu, the same run" 150 "$train_file" \
    "$java" -jar ravine.jar train --device cpu --run-dir "$work/train-cpu" "${train_flags[@]}" \
    && check_accuracy "cpu" "$work/train-cpu"
if [[ -f "$work/train-cuda/summary.json" && -f "$work/train-cpu/summary.json" ]]; then
    note "      same run: cuda $(accuracy "$work/train-cuda") at $(sps "$work/train-cuda") samples/s," \
        "cpu $(accuracy "$work/train-cpu") at $(sps "$work/train-cpu") samples/s"
fi
for d in "$work/train-cuda" "$work/train-cpu"; do
    [[ -f "$d/summary.json" ]] && { echo "-- $d/summary.json"; cat "$d/summary.json"; } >> "$train_file"
    [[ -d "$d/plots" ]] && echo "-- plots: $(ls "$d/plots" | tr '\n' ' ')" >> "$train_file"
done
if (( dry )); then
    skip "train --device cuda (synthetic, for speed)"
else
    step "train --device cuda, synthetic data of Fashion-MNIST's shape (784-1024-1024-10, B=1024, 5 epochs)" 150 \
        "$train_file" "$java" -jar ravine.jar train --device cuda --data synthetic --hidden 1024,1024 \
        --batch-size 1024 --epochs 5 --progress off --run-dir "$work/train-synthetic" \
        && note "      synthetic: $(sps "$work/train-synthetic") samples/s, test accuracy $(accuracy "$work/train-synthetic")"
    [[ -f "$work/train-synthetic/summary.json" ]] && { echo "-- synthetic summary.json"; cat "$work/train-synthetic/summary.json"; } >> "$train_file"
fi

# ---- 5 and 6: speed ----
if (( quick )); then
    note "SKIP  KernelBench and the PyTorch comparison (--quick)"
else
    if (( dry )); then
        skip "KernelBench --device cuda"
        skip "PyTorch comparison (bench/gpu-bench.sh)"
    else
        step "KernelBench --device cuda" 150 /dev/null \
            "$java" "${jvm_flags[@]}" -cp ravine.jar io.ravine.bench.KernelBench --device cuda --out "$out/kernelbench.md"
        # One configuration per run, the targets' batch sizes first: a run cut short by the time budget loses only
        # its own configuration, and a peer that fails costs only its own column (bench keeps Ravine's side).
        for b in 128 8192 1024; do
            step "Ravine against PyTorch eager and torch.compile (784-1024-1024-10, Adam, B = $b)" 150 /dev/null \
                env RAVINE_JAVA="$java" RAVINE_JAR="$here/ravine.jar" bash bench/gpu-bench.sh \
                --hidden 1024,1024 --batch-size "$b" --data synthetic --rounds 3 --out "$work/torch-$b.md"
            [[ -f "$work/torch-$b.md" ]] && { cat "$work/torch-$b.md"; echo; } >> "$out/torch-bench.md"
        done
    fi
fi

}
(( no_gpu )) || run_steps

# ---- targets (from the tables, where they were measured) ----
if [[ -f "$out/torch-bench.md" || -f "$out/kernelbench.md" ]]; then
    python3 - "$out/torch-bench.md" "$out/kernelbench.md" >> "$summary" 2>&1 <<'PY' || true
import re, sys
def rows(path):
    try:
        text = open(path, encoding="utf-8").read()
    except OSError:
        return []
    return [[c.strip() for c in l.strip().strip("|").split("|")] for l in text.splitlines() if l.startswith("| ")]
def num(s):
    m = re.match(r"[-+]?[0-9.]+(?:e[-+]?[0-9]+)?", s.replace(",", ""))
    return float(m.group(0)) if m else None
def target(label, value, op, bound):
    ok = value is not None and (value >= bound if op == ">=" else value <= bound)
    print(f"{'MET ' if ok else 'MISS'}  {label}: {'–' if value is None else f'{value:.2f}'} (target {op} {bound})")
bench = rows(sys.argv[1])
for r in bench:
    if len(r) >= 7 and r[0].startswith("784-1024-1024-10 B="):
        b, peer, ratio = r[0].split("B=")[1], r[3], num(r[6].rstrip("×"))
        if b == "128" and peer.endswith("eager"):
            target("Ravine / PyTorch eager, B=128", ratio, ">=", 2.0)
        if b == "128" and peer.endswith("compile"):
            target("Ravine / torch.compile reduce-overhead, B=128", ratio, ">=", 1.2)
        if b == "8192" and peer.endswith("eager"):
            target("Ravine / PyTorch eager, B=8192", ratio, ">=", 0.95)
    if len(r) == 11 and r[0].startswith("784-") and r[10].endswith("×"):
        target(f"step / floors, {r[0]}", num(r[10].rstrip("×")), "<=", 1.3)
for r in rows(sys.argv[2]):
    if r[0].startswith("optimizerStep adam") and r[1] == "256":
        target("fused Adam (block 256) share of copy bandwidth", num(r[4].rstrip("%")) / 100, ">=", 0.85)
PY
fi

elapsed=$(( $(date +%s) - started ))
note "$([[ $status -eq 0 ]] && echo "ALL PASSED" || echo "FAILURES above") in ${elapsed} s"

# ---- summary.md: the summary, then every table ----
{
    echo "# Ravine GPU proof"
    echo
    echo '```'
    cat "$summary"
    echo '```'
    echo
    echo "## Environment"
    echo
    echo '```'
    head -60 "$env_file"
    echo '```'
    for f in selftest.txt junit-gpu.txt train.txt; do
        [[ -f "$out/$f" ]] || continue
        echo
        echo "## $f"
        echo
        echo '```'
        # Everything but the timestamped log lines: selftest's table, the JUnit tree, the runs' results.
        grep -vE '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} ' "$out/$f" | head -400
        echo '```'
    done
    for f in kernelbench.md torch-bench.md; do
        [[ -f "$out/$f" ]] && { echo; cat "$out/$f"; }
    done
} > "$out/summary.md"

# The files that travel back: at most 8, each under 16 MB (a runaway log is cut, never dropped).
for f in "$out"/*; do
    if (( $(stat -c %s "$f") >= 16000000 )); then
        tail -c 15000000 "$f" > "$work/cut" && mv "$work/cut" "$f"
        echo "(cut to its last 15 MB)" >> "$f"
    fi
done
echo
echo "== summary"
cat "$summary"
echo "files in $out: $(ls "$out" | tr '\n' ' ')"
exec 1>&- 2>&-
wait "$tee_pid" 2>/dev/null
exit $status
