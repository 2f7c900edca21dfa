#!/usr/bin/env bash
# Runs every benchmark at a small size (a few minutes on two cores) and keeps each one's output.
# Usage, from the repository root after `./mvnw -B -q package -DskipTests`:
#   bench/run-all.sh [OUT [DOC]]    (default OUT: bench/target/results, DOC: docs/benchmarks.md)
# Each output is kept in OUT; the figures are written into DOC's generated section, the tables
# at the end of docs/benchmarks.md. The full-size commands are in docs/benchmarks.md.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
jar="$root/bench/target/distilflux-bench.jar"
out="${1:-$root/bench/target/results}"
doc="${2:-$root/docs/benchmarks.md}"
if [[ ! -f "$jar" ]]; then
  echo "distilflux: $jar is missing; build it with ./mvnw -B -q package -DskipTests" >&2
  exit 2
fi
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export OMP_NUM_THREADS=1

run() {
  local name="$1"
  shift
  echo "== $name"
  java -Xmx3g -cp "$jar" "$@" 2>&1 | tee "$out/$name.txt"
}

# JMH micro-benchmarks: one fork, short warm-up and measurement
run jmh org.openjdk.jmh.Main -f 1 -wi 2 -w 1s -i 3 -r 1s -rf json -rff "$out/jmh.json" \
  'StudentStepJmh|EventCodecJmh|ForecastFitJmh'

run student-step io.distilflux.trainer.distill.StudentStepBenchmark --warmup 5 --repeats 10
run conv-step io.distilflux.trainer.speed.ConvStepBenchmark --only "nativeops NHWC,planar" \
  --warmup 2 --steps 3 --rounds 2
run bus io.distilflux.pipeline.kafka.BusBenchmark startups=1 roundTrips=100 events=5000
run meta-optimizer io.distilflux.pipeline.meta.MetaOptimizerBenchmark --repeats 2 --runs 10 \
  --steps 100 --updates 100000
run monitor io.distilflux.monitor.MonitorBenchmark 20000 2
run loopback io.distilflux.monitor.LoopbackBenchmark --repeats 1 --updates 5000 --steps 10000 \
  --runs 10
run replay io.distilflux.monitor.replay.ReplayBenchmark 5000 2
run transport io.distilflux.trainer.cli.TransportBenchmark --warmup 1 --repeats 2 \
  --dataset synthetic --iterations 200 --teacher-steps 100 --modes forecast --seeds 1 \
  --metrics-port 0 --output "$work/transport"
run checkpoint io.distilflux.trainer.cli.CheckpointBenchmark --warmup 1 --repeats 2 \
  --checkpoint-every 50 --transport direct --iterations 200 --modes hypergradient --seeds 1 \
  --teacher-steps 100 --metrics-port 0 --output "$work/checkpoint"
run job-cost io.distilflux.trainer.cli.JobCostBenchmark --iterations 1000 --seeds 1 \
  --teacher-steps 100 --metrics-port 0 --output "$work/job-cost"

# the figures into docs/benchmarks.md's generated section (the rest of the page is left alone)
java -cp "$jar" io.distilflux.bench.BenchmarkTables "$out" "$doc" \
  student-step conv-step bus meta-optimizer monitor loopback replay transport checkpoint \
  job-cost
echo "outputs in $out; figures written into $doc"
