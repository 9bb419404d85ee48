#!/usr/bin/env bash
# GPU table for docs/gpu-results.md, in one command on a CUDA host: Ravine (`ravine bench --device cuda`, the
# step replayed as a CUDA graph) against PyTorch with CUDA, eager and torch.compile(mode="reduce-overhead"), on
# 784-256-10 and 784-1024-1024-10 with Adam at B = 128, 1024 and 8192. Fashion-MNIST where installed
# (RAVINE_FASHION_MNIST_DIR or /usr/share/datasets/fashion-mnist), else synthetic data of the same shapes.
#
# Usage: bench/gpu-bench.sh [extra ravine bench flags, e.g. --repeats 5 --tf32]
# Environment:
#   RAVINE_JAVA   java to run (default: the bundle's runtime/bin/java if present, else java)
#   RAVINE_JAR    the Ravine jar (default: ravine.jar next to this folder's parent, else target/ravine.jar)
#   PYTHON        a Python with torch built for CUDA, torch >= 2.0 for compile mode (default python3)
# Output: the table on stdout and in gpu-results-raw.md (date, device, load; paste into docs/gpu-results.md
# with the commit).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
java_bin=${RAVINE_JAVA:-}
if [ -z "$java_bin" ]; then
  if [ -x "$root/runtime/bin/java" ]; then java_bin="$root/runtime/bin/java"; else java_bin=java; fi
fi
jar=${RAVINE_JAR:-}
if [ -z "$jar" ]; then
  if [ -f "$root/ravine.jar" ]; then jar="$root/ravine.jar"; else jar="$root/target/ravine.jar"; fi
fi
python_bin=${PYTHON:-python3}
"$python_bin" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else "torch sees no CUDA GPU")'
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
"$python_bin" -c 'import torch; print("torch", torch.__version__, "CUDA", torch.version.cuda)'
exec "$java_bin" -jar "$jar" bench --device cuda --python "$python_bin" \
  --torch-script "$here/torch_bench.py" --out gpu-results-raw.md "$@"
