#!/usr/bin/env bash
# Full-batch Ravine runs from a saved initial θ compared with PyTorch float64 doing the same updates
# (Adam and the lectures' momentum). Needs target/ravine.jar and Debian's python3-torch.
# Usage: bench/torch-fullbatch-check.sh [DATA_DIR]   (default: the embedded Fashion-MNIST subset)
set -euo pipefail
cd "$(dirname "$0")/.."
data_dir=${1:-src/main/resources/io/ravine/data/embedded}
data_flag=${1:-embedded}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0
for opt in adam momentum; do
  lr=$([ "$opt" = adam ] && echo 1e-3 || echo 0.05)
  java -jar target/ravine.jar train --data "$data_flag" --limit 1000 --batch-size full --steps 25 \
    --hidden 32 --activation tanh --optimizer "$opt" --lr "$lr" --momentum 0.9 --device cpu \
    --save-initial --run-dir "$out/$opt" --progress off >/dev/null
  /usr/bin/python3 bench/torch_fullbatch_check.py --run-dir "$out/$opt" --data-dir "$data_dir" --limit 1000 \
    --optimizer "$opt" --lr "$lr" --momentum 0.9 --steps 25 --activation tanh || status=1
done
exit $status
