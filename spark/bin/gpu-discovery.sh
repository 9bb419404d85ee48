#!/usr/bin/env bash
# Spark GPU discovery script for Ravine's Spark module (spark.executor.resource.gpu.discoveryScript, and
# spark.worker.resource.gpu.discoveryScript on a standalone worker). Prints the resource as Spark reads it:
#   {"name": "gpu", "addresses": ["0", "1"]}
# Each address is a CUDA device ordinal as this process's CUDA driver numbers the GPUs it can see, so a task trains
# on the device TaskContext.resources().get("gpu") names (io.ravine.spark.TaskDevice). Where CUDA_VISIBLE_DEVICES
# restricts the visible GPUs (YARN and Kubernetes set it per container), the ordinals are 0 … n-1 of those, which is
# what the CUDA driver inside the executor sees too. No GPU, or no nvidia-smi: an empty list and exit status 0, so an
# executor without GPUs says so instead of failing to start; Spark then schedules no GPU task on it.
set -euo pipefail
count=0
if command -v nvidia-smi >/dev/null 2>&1; then
  count=$(nvidia-smi --query-gpu=index --format=csv,noheader 2>/dev/null | grep -c '^[0-9]' || true)
fi
if [[ -n "${CUDA_VISIBLE_DEVICES-}" ]]; then
  visible=$(tr ',' '\n' <<<"$CUDA_VISIBLE_DEVICES" | grep -c . || true)
  if (( visible < count )); then count=$visible; fi
fi
addresses=""
for ((i = 0; i < count; i++)); do
  addresses+="${addresses:+, }\"$i\""
done
printf '{"name": "gpu", "addresses": [%s]}\n' "$addresses"
