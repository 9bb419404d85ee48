#!/usr/bin/env bash
# The lectures' claim that batch normalization "often speeds up training by 1.5-2x" (seed 000), measured with a
# learning rate chosen per arm: the same run with and without --batch-norm on full Fashion-MNIST, in three variants:
# 784-256-10 with logistic hidden units (not centred: the lecture's case), a deep 784-128x5-10 ReLU net, and
# 784-256-10 ReLU on raw pixels (--normalize none: poorly scaled inputs). SGD with momentum 0.9, B = 128, one epoch
# (469 steps), the monitoring loss (eval mode) logged every 10 steps.
#
# Stage 1 (selection, seed 1): each arm at every rate of the grid LRS (factors of about 3). Each arm's rate is the one
# with the fewest steps to the variant's target (ties: the lower final loss; none reaching it: the lowest final loss).
# Stage 2: seeds 2 and 3 at each arm's chosen rate. bench/batchnorm_summary.py reads metrics.csv and prints both
# tables. Usage: bench/batchnorm-experiment.sh OUTDIR [THREADS]   (42 runs; about 10 minutes on the shared 2-core build machine at 1 thread)
set -euo pipefail
out="${1:?usage: bench/batchnorm-experiment.sh OUTDIR [THREADS]}"
threads="${2:-1}"
here="$(cd "$(dirname "$0")" && pwd)"
jar="${RAVINE_JAR:-$here/../target/ravine.jar}"
LRS="${LRS:-0.003 0.01 0.03 0.1 0.3}"
mkdir -p "$out"
common=(--data fashion-mnist --optimizer momentum --momentum 0.9 --batch-size 128 --steps 469
        --log-every 10 --eval-every 469 --device cpu --threads "$threads")
flags() { # variant -> its flags
    case "$1" in
        logistic) echo --hidden 256 --activation logistic ;;
        deep) echo --hidden 128,128,128,128,128 --activation relu ;;
        raw) echo --hidden 256 --activation relu --normalize none ;;
    esac
}
run() { # variant arm lr seed
    local variant="$1" arm="$2" lr="$3" seed="$4" dir="$out/$1-$2-lr$3-s$4"
    [ -f "$dir/metrics.csv" ] && grep -q "^469," "$dir/metrics.csv" && return 0 # finished earlier: kept
    local bn=(); [ "$arm" = bn ] && bn=(--batch-norm)
    # shellcheck disable=SC2046
    java -jar "$jar" train "${common[@]}" $(flags "$variant") "${bn[@]}" --lr "$lr" --seed "$seed" \
        --run-dir "$dir" --overwrite > "$dir.log" 2>&1 || true # a diverged run is a result, not an error
}
for variant in logistic deep raw; do
    for arm in plain bn; do
        for lr in $LRS; do run "$variant" "$arm" "$lr" 1; done
    done
done
python3 "$here/batchnorm_summary.py" "$out" select > "$out/chosen.txt"
while read -r variant arm lr; do
    for seed in 2 3; do run "$variant" "$arm" "$lr" "$seed"; done
done < "$out/chosen.txt"
python3 "$here/batchnorm_summary.py" "$out" report
