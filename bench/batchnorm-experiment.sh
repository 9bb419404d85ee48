#!/usr/bin/env bash
# The lectures' claim that batch normalization "often speeds up training by 1.5-2x" (seed 000), measured: the same
# run with and without --batch-norm, three seeds each, on full Fashion-MNIST, in three variants: 784-256-10 with
# logistic hidden units (not centred: the lecture's case), a deep 784-128x5-10 ReLU net, and 784-256-10 ReLU on raw
# pixels (--normalize none: poorly scaled inputs). SGD with momentum 0.9, lr 0.01, B = 128, one epoch (469 steps),
# the monitoring loss (eval mode) logged every 10 steps. Steps and wall time to a target monitoring loss are read from
# metrics.csv by bench/batchnorm_summary.py. Usage: bench/batchnorm-experiment.sh OUTDIR [THREADS]
set -euo pipefail
out="${1:?usage: bench/batchnorm-experiment.sh OUTDIR [THREADS]}"
threads="${2:-1}"
jar="$(cd "$(dirname "$0")/.." && pwd)/target/ravine.jar"
mkdir -p "$out"
common=(--data fashion-mnist --optimizer momentum --lr 0.01 --momentum 0.9 --batch-size 128 --steps 469
        --log-every 10 --eval-every 469 --device cpu --threads "$threads")
run() { # name seed flags...
    local name="$1" seed="$2"; shift 2
    java -jar "$jar" train "${common[@]}" --seed "$seed" --run-dir "$out/$name-s$seed" --overwrite "$@" \
        > "$out/$name-s$seed.log" 2>&1
}
for seed in 1 2 3; do
    run logistic "$seed" --hidden 256 --activation logistic
    run logistic-bn "$seed" --hidden 256 --activation logistic --batch-norm
    run deep "$seed" --hidden 128,128,128,128,128 --activation relu
    run deep-bn "$seed" --hidden 128,128,128,128,128 --activation relu --batch-norm
    run raw "$seed" --hidden 256 --activation relu --normalize none
    run raw-bn "$seed" --hidden 256 --activation relu --normalize none --batch-norm
done
python3 "$(dirname "$0")/batchnorm_summary.py" "$out"
