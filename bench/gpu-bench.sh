#!/usr/bin/env bash
# GPU table for docs/gpu-results.md, in one command on a CUDA host: Ravine (`ravine bench --device cuda`, the
# step replayed as a CUDA graph) against PyTorch with CUDA, eager and torch.compile(mode="reduce-overhead"), with
# Adam; by default 784-256-10 and 784-1024-1024-10 at B = 128, 1024 and 8192 (--hidden WIDTHS, once per model, and
# --batch-size LIST to choose: every model at every batch size). Fashion-MNIST
# where installed (RAVINE_FASHION_MNIST_DIR or /usr/share/datasets/fashion-mnist), else synthetic data of the same
# shapes. Besides samples/s and ratios it prints each step against its floors (the step's GEMMs timed alone, the
# other bytes at copy bandwidth, the batch at the host-to-device rate).
#
# Usage: bench/gpu-bench.sh [ravine bench flags, e.g. --hidden 1024,1024 --batch-size 128 --rounds 5 --tf32 --out F]
# Environment:
#   RAVINE_JAVA   java to run (default: the bundle's runtime/bin/java; GPU hosts have no system Java, so there is
#                 no fall-back to one: set RAVINE_JAVA=java to use the one on PATH)
#   RAVINE_JAR    the Ravine jar (default: ravine.jar next to this folder's parent, else target/ravine.jar)
#   PYTHON        a Python with torch built for CUDA, torch >= 2.0 for compile mode (default python3)
# Output: the tables on stdout, and in the --out file (default gpu-results-raw.md in the current directory, replaced
# by each run; a --out of your own is not replaced unless you add --overwrite).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
java_bin=${RAVINE_JAVA:-}
if [ -z "$java_bin" ]; then
  if [ -x "$root/runtime/bin/java" ]; then
    java_bin="$root/runtime/bin/java"
  elif [ -f "$root/runtime.tar.gz" ]; then
    tar -C "$root" -xzf "$root/runtime.tar.gz"
    java_bin="$root/runtime/bin/java"
  else
    echo "gpu-bench.sh: no Java: $root/runtime/bin/java is missing (run from an unpacked bundle, or set RAVINE_JAVA)" >&2
    exit 2
  fi
fi
jar=${RAVINE_JAR:-}
if [ -z "$jar" ]; then
  if [ -f "$root/ravine.jar" ]; then jar="$root/ravine.jar"; else jar="$root/target/ravine.jar"; fi
fi
[ -f "$jar" ] || { echo "gpu-bench.sh: Ravine jar $jar not found (set RAVINE_JAR)" >&2; exit 2; }
python_bin=${PYTHON:-python3}
"$python_bin" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else "torch sees no CUDA GPU")'
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
"$python_bin" -c 'import torch; print("torch", torch.__version__, "CUDA", torch.version.cuda)'
out_flag=(--out gpu-results-raw.md --overwrite)
for a in "$@"; do
  case "$a" in --out|--out=*) out_flag=() ;; esac
done
exec "$java_bin" -jar "$jar" bench --device cuda --python "$python_bin" \
  --torch-script "$here/torch_bench.py" "${out_flag[@]}" "$@"
