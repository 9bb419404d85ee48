#!/usr/bin/env bash
# CPU table of docs/benchmarks.md: Ravine against Debian's python3-torch, both at 1 and at 2 threads, on the two
# CPU targets (784-256-10 Adam B=128 and 784-1024-1024-10 Adam B=1024), Fashion-MNIST where installed.
# Usage: bench/cpu-bench.sh [extra ravine bench flags]     (needs target/ravine.jar: mvn -q -o package -DskipTests)
set -euo pipefail
cd "$(dirname "$0")/.."
exec java -jar target/ravine.jar bench --device cpu --threads 1,2 --rounds 5 \
  --python /usr/bin/python3 --torch-script bench/torch_bench.py "$@"
