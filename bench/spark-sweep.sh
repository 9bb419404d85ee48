#!/usr/bin/env bash
# A 16-run learning-rate sweep (8 rates × 2 seeds, 784-64-10 on the embedded subset, Adam, $STEPS steps, default
# 2000: runs of several seconds, so that the job's start and each task's setup are not the measurement) three ways on
# this machine, each into a fresh directory, timed end to end (JVM start and, for Spark, the SparkContext included):
#   1. the local command, one run after another, --threads 1
#   2. the local command, one run after another, --threads 0 (every core for each run's BLAS and loops)
#   3. Spark local[2] (two task slots), --threads 1 per task
# then checks that the Spark sweep's results are the same bits as the first's (sweep.csv but for the directory, and
# every final checkpoint), says whether the second's are too, and prints for each its wall time, its CPU time (user +
# sys, of all its threads and processes) and their ratio (the cores it kept busy on average), and the speedups of 3
# over 1 and over 2 in wall time.
#
#   bench/spark-sweep.sh            # builds target/ravine.jar and spark/target/ravine-spark.jar when missing
#   STEPS=300 bench/spark-sweep.sh  # the short runs first measured (2026-12-01): start-up bound
#   URI=1 bench/spark-sweep.sh      # the Spark sweep into a file: URI (through Hadoop's FileSystem API: each task
#                                   # copies its run and publishes it) instead of a path (written directly)
#
# Spark comes from $SPARK_HOME/bin/spark-submit when SPARK_HOME is set, else from Maven: the class that
# bin/spark-submit launches, org.apache.spark.deploy.SparkSubmit, on Spark's class path alone
# (spark/target/spark-classpath.txt: spark-core and its dependencies, written by the module's `mvn package`), with
# the jar as the application jar, which SparkSubmit loads in a class loader of its own after Spark's jars, as
# spark-submit does (and with spark-submit's default driver heap, 1 GB). Offline Maven (-o) is used to build; pass
# MVN_FLAGS to change that.
set -euo pipefail
cd "$(dirname "$0")/.."
MVN_FLAGS=${MVN_FLAGS:--o -q}
[[ -f target/ravine.jar ]] || mvn $MVN_FLAGS -DskipTests -DskipITs -Dinvoker.skip=true package
[[ -f spark/target/ravine-spark.jar && -f spark/target/spark-classpath.txt ]] \
  || (cd spark && mvn $MVN_FLAGS -DskipTests package)
out=$(mktemp -d /tmp/ravine-spark-bench.XXXXXX)
STEPS=${STEPS:-2000}
args=(--lr 1,0.3,0.1,0.03,0.01,0.003,0.001,3e-4 --restarts 2 --hidden 64 --steps "$STEPS" --device cpu --progress off -q)

seconds() { # seconds COMMAND...: runs it, prints its wall seconds and its CPU seconds (user + sys, its processes')
  local TIMEFORMAT='%R %U %S' wall user sys
  { time "$@" >"$out/last.log" 2>&1; } 2>"$out/last.time" || { cat "$out/last.log" >&2; exit 1; }
  read -r wall user sys <"$out/last.time"
  echo "$wall $(echo "$user + $sys" | bc -l)"
}

opens=(--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
  --add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED)
submit=(--master 'local[2]' --class io.ravine.spark.SparkMain --conf spark.ui.enabled=false
  spark/target/ravine-spark.jar sweep lr "${args[@]}" --threads 1)
spark_sweep() { # spark_sweep OUT
  if [[ -n "${SPARK_HOME-}" ]]; then
    "$SPARK_HOME/bin/spark-submit" "${submit[@]}" --run-dir "${URI:+file://}$1"
  else
    java -Xmx1g "${opens[@]}" -cp "$(cat spark/target/spark-classpath.txt)" org.apache.spark.deploy.SparkSubmit \
      "${submit[@]}" --run-dir "${URI:+file://}$1"
  fi
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
r=$(seconds java -jar target/ravine.jar sweep lr "${args[@]}" --threads 1 --run-dir "$out/local-1"); read -r t1 c1 <<<"$r"
r=$(seconds java -jar target/ravine.jar sweep lr "${args[@]}" --threads 0 --run-dir "$out/local-all"); read -r t2 c2 <<<"$r"
r=$(seconds spark_sweep "$out/spark"); read -r t3 c3 <<<"$r"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

same() { # same DIR: whether DIR's sweep.csv (but for the directory) and final checkpoints are local-1's bits
  # The Spark sweep names its directory as given: a path or a file: URI.
  diff <(sed "s#$out/local-1#DIR#" "$out/local-1/sweep.csv") <(sed "s#file://$out/$1#DIR#; s#$out/$1#DIR#" \
    "$out/$1/sweep.csv") \
    >/dev/null || return 1
  for f in "$out"/local-1/lr-*/checkpoints/final.safetensors; do
    cmp -s "$f" "${f/local-1/$1}" || return 1
  done
}
same spark || { echo "the Spark sweep's results differ from the local sweep's (--threads 1)" >&2; exit 1; }
printf '%-26s %8s %8s %9s\n' '' 'wall s' 'CPU s' 'CPU/wall'
row() { printf '%-26s %8.1f %8.1f %9.2f\n' "$1" "$2" "$3" "$(echo "$3 / $2" | bc -l)"; }
row 'sequential, --threads 1:' "$t1" "$c1"
row 'sequential, --threads 0:' "$t2" "$c2"
row 'Spark local[2], 1 thread:' "$t3" "$c3"
printf 'speedup over --threads 1:  %6.2f x (wall)\n' "$(echo "$t1 / $t3" | bc -l)"
printf 'speedup over --threads 0:  %6.2f x (wall)\n' "$(echo "$t2 / $t3" | bc -l)"
echo "Spark's sweep.csv and final checkpoints are the local --threads 1 sweep's bits"
same local-all && echo "and the local --threads 0 sweep's too" \
  || echo "(the local --threads 0 sweep's results differ from --threads 1's in bits)"
echo "directories in $out"
