#!/bin/sh
# Fuzzes ctnn's weight-file loader with libFuzzer (clang-14, ASan + UBSan).
#   tools/fuzz.sh [--runs N | --seconds S] [BUILD_DIR]
# The test suite runs a bounded number of executions; run it longer by hand, e.g.
#   tools/fuzz.sh --seconds 600
set -eu
cd "$(dirname "$0")/.."
limit="-runs=200000"
case "${1:-}" in
  --runs) limit="-runs=$2"; shift 2 ;;
  --seconds) limit="-max_total_time=$2"; shift 2 ;;
esac
out=${1:-build-fuzz}
mkdir -p "$out/corpus" "$out/seeds"
flags="-std=c++20 -O1 -g -Iinclude -march=native -DHWY_WANT_AVX3_DL -Wno-unused-command-line-argument"
clang++-14 $flags -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  tests/fuzz/weight_file_fuzz.cpp -o "$out/weight_file_fuzz"
clang++-14 $flags tests/fuzz/make_seeds.cpp -o "$out/make_seeds"
"$out/make_seeds" "$out/seeds"
# A failing input from an earlier run would fail this one too: each run judges its own.
rm -f "$out"/crash-* "$out"/leak-* "$out"/oom-* "$out"/timeout-*
# -max_len covers the largest seed; libFuzzer prints "Done N runs" at the end. Its output goes
# to a log first, so that its exit status is kept (a pipe would hide it).
status=0
"$out/weight_file_fuzz" $limit -max_len=4096 -print_final_stats=1 -artifact_prefix="$out/" "$out/corpus" "$out/seeds" \
  > "$out/fuzz.log" 2>&1 || status=$?
grep -E "^#[0-9]+.*(DONE|pulse|INITED)|Done [0-9]+ runs|stat::number_of_executed_units|ERROR|SUMMARY|==[0-9]+==" "$out/fuzz.log" || true
if [ "$status" -ne 0 ] || ! grep -q "^Done [0-9]* runs" "$out/fuzz.log"; then
  echo "fuzz: the fuzzer exited with status $status$(grep -q '^Done' "$out/fuzz.log" || echo ', without finishing its runs')"
  ls "$out"/crash-* "$out"/leak-* "$out"/oom-* "$out"/timeout-* 2>/dev/null || tail -20 "$out/fuzz.log"
  exit 1
fi
