#!/bin/sh
# Wall time and peak memory of compiling bench/compile_time_L.cpp (L inference + trainer with
# softmax cross-entropy and Adam at batch 32) at -O2 with the project's native flags, the median
# of N runs (default 3), against issue 8's targets (<= 4 s, <= 500 MB). Also times the same TU
# with its headers only, and <hwy/highway.h> alone, to show where the time goes.
#   bench/compile_time.sh [N]
set -eu
cd "$(dirname "$0")/.."
runs=${1:-3}
cxx=${CXX:-c++}
flags="-std=c++20 -O2 -march=native -DHWY_WANT_AVX3_DL -Iinclude -Itests/support"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# measure LABEL EXTRA-FLAGS SOURCE: prints "LABEL  median wall s  median peak MB  median CPU s
# (user + system: what the compiler itself used, less sensitive to a busy machine)  (each run)"
measure() {
  label=$1 extra=$2 src=$3
  i=0
  : > "$out/runs"
  while [ $i -lt "$runs" ]; do
    # shellcheck disable=SC2086
    /usr/bin/time -v $cxx $flags $extra -c "$src" -o "$out/tu.o" 2> "$out/time" || { cat "$out/time"; exit 1; }
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$out/time" | awk -F: '{ print ($1 * 60) + $2 }')
    kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$out/time")
    cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$out/time")
    echo "$wall $kb $cpu" >> "$out/runs"
    i=$((i + 1))
  done
  m=$(( (runs + 1) / 2 ))
  wall_med=$(cut -d' ' -f1 "$out/runs" | sort -n | sed -n "${m}p")
  kb_med=$(cut -d' ' -f2 "$out/runs" | sort -n | sed -n "${m}p")
  cpu_med=$(cut -d' ' -f3 "$out/runs" | sort -n | sed -n "${m}p")
  each=$(awk '{ printf " %.2fs/%.0fMB", $1, $2 / 1024 }' "$out/runs")
  awk -v l="$label" -v w="$wall_med" -v k="$kb_med" -v c="$cpu_med" -v e="$each" \
    'BEGIN { printf "%-34s %6.2f s %6.0f MB  cpu %5.2f s  (runs:%s)\n", l, w, k / 1024, c, e }'
}

echo "compile time, $($cxx --version | head -1), flags: $flags"
echo "$(nproc) cores; load average: $(cut -d' ' -f1-3 /proc/loadavg) (other compiles inflate wall time)"
echo "int main() {}" > "$out/hwy_only.cpp"
sed -i '1i #include <hwy/highway.h>' "$out/hwy_only.cpp"
measure "hwy/highway.h alone" "" "$out/hwy_only.cpp"
measure "ctnn headers only" "-DCTNN_HEADERS_ONLY" bench/compile_time_L.cpp
# Not through a pipe: in `measure ... | tee` a failed compile would exit the subshell only, and
# the empty figures below would compare as met.
measure "L inference + trainer<adam, 32>" "" bench/compile_time_L.cpp > "$out/full"
cat "$out/full"
wall=$(awk '{ for (i = 1; i <= NF; ++i) if ($i == "s") { print $(i - 1); exit } }' "$out/full")
mb=$(awk '{ for (i = 1; i <= NF; ++i) if ($i == "MB") { print $(i - 1); exit } }' "$out/full")
cpu=$(awk '{ for (i = 1; i <= NF; ++i) if ($i == "cpu") { print $(i + 1); exit } }' "$out/full")
awk -v w="$wall" -v m="$mb" -v c="$cpu" 'BEGIN {
  printf "target <= 4 s and <= 500 MB: wall %s (%.2f s), CPU %s (%.2f s), memory %s (%.0f MB)\n",
    w <= 4 ? "met" : "NOT met", w, c <= 4 ? "met" : "NOT met", c, m <= 500 ? "met" : "NOT met", m }'
# For comparison (no target): the opt-in dynamic dispatch, no -march and the kernels compiled for
# every x86 target (kernels/dispatch.hpp).
flags="-std=c++20 -O2 -DCTNN_DYNAMIC_DISPATCH -Iinclude -Itests/support"
measure "the same, dynamic dispatch" "" bench/compile_time_L.cpp
