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
# -max_len covers the largest seed; libFuzzer prints "Done N runs" at the end.
"$out/weight_file_fuzz" $limit -max_len=4096 -print_final_stats=1 -artifact_prefix="$out/" "$out/corpus" "$out/seeds" 2>&1 |
  grep -E "^#[0-9]+.*(DONE|pulse|INITED)|Done [0-9]+ runs|stat::number_of_executed_units|ERROR|SUMMARY|==[0-9]+==" || true
# libFuzzer exits non-zero on a crash; the pipe hides it, so re-check the artifact files.
if ls "$out"/crash-* "$out"/leak-* "$out"/oom-* "$out"/timeout-* >/dev/null 2>&1; then
  echo "fuzz: found a failing input:"; ls "$out"/crash-* "$out"/leak-* "$out"/oom-* "$out"/timeout-* 2>/dev/null
  exit 1
fi
