#!/usr/bin/env bash
# docs/second-order.md: loss against passes over the data and against wall-clock seconds for Adam, L-BFGS and
# Newton-CG on 784-256-10 (the first LIMIT Fashion-MNIST training examples, SECONDS of training each) and on the
# lectures' badly-scaled regression (float64), in one process so the ratios share the machine's load; plus the
# measured cost of a loss, an expansion forward and a Gauss-Newton product against a gradient (the weights of the
# passes column). Writes OUTDIR/{mnist,regression}/{loss-vs-passes,loss-vs-seconds}.png, one run directory per
# optimizer, and OUTDIR/second-order.json.
# Usage: bench/second-order.sh OUTDIR [SECONDS=40] [LIMIT=10000] [THREADS=1]   (needs target/ravine.jar)
set -euo pipefail
out="${1:?usage: bench/second-order.sh OUTDIR [SECONDS] [LIMIT] [THREADS]}"
jar="$(cd "$(dirname "$0")/.." && pwd)/target/ravine.jar"
exec java -cp "$jar" io.ravine.bench.SecondOrderBench "$out" "${2:-40}" "${3:-10000}" "${4:-1}"
