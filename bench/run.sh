#!/bin/sh
# Builds and runs the benchmarks pinned to one core, then prints the table of bench/RESULTS.md.
#   bench/run.sh [build-dir] [repetitions] [extra ctnn_bench flags...]
# Writes <build-dir>/bench.json and <build-dir>/roofline.json.
set -eu
cd "$(dirname "$0")/.."
build=${1:-build-bench}
reps=${2:-9}
[ $# -ge 2 ] && shift 2 || shift $#
cpu=${CTNN_BENCH_CPU:-1}

[ -d "$build" ] || meson setup "$build" -Dtests=false -Dexamples=false -Dbench=enabled
ninja -C "$build" -j2 bench/ctnn_bench bench/roofline

taskset -c "$cpu" "$build/bench/roofline" --json > "$build/roofline.json"
# Repetitions of all rows in a random order: on a shared host a slow minute then lands on
# ctnn and eigen rows alike instead of on whichever row ran in it.
taskset -c "$cpu" "$build/bench/ctnn_bench" --benchmark_repetitions="$reps" \
  --benchmark_enable_random_interleaving=true \
  --benchmark_out="$build/bench.json" --benchmark_out_format=json "$@"
/usr/bin/python3 bench/report.py "$build/bench.json" "$build/roofline.json"
