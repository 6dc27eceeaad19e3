#!/bin/sh
# Time to 88 % validation accuracy on Fashion-MNIST, ctnn against PyTorch, in one run.
#
# Both train 784 -> 128 relu -> 64 relu -> 10 with softmax cross-entropy and Adam (lr 1e-3),
# batch 128, standardized pixels, He/Xavier uniform initialization, on one core (taskset -c 0
# when available; PyTorch with torch.set_num_threads(1)); both hold the training file's last
# 10,000 images out as a validation split, evaluate it every half epoch outside the timed
# training, stop at the target, and then evaluate the test set once. ctnn is
# examples/fashion_mnist, PyTorch is tools/torch_fashion_mnist.py (Debian's python3-torch,
# whose BLAS is printed: the reference BLAS unless OpenBLAS is installed).
#
#   bench/time_to_accuracy.sh [--seeds "1 2 3"] [--torch-seeds "1"] [--target 0.88]
#
# Each framework runs once per seed; the table shows medians over the runs that reached the
# target, and the fastest run (contention on a shared machine only adds time).
# Logs and CSVs go to build-demo/time_to_accuracy/. Builds build-demo/ if needed.
set -eu
cd "$(dirname "$0")/.."

seeds="1 2 3 4 5"
torch_seeds="1"
target=0.88
while [ $# -gt 0 ]; do
  case $1 in
    --seeds) seeds=$2; shift 2 ;;
    --torch-seeds) torch_seeds=$2; shift 2 ;;
    --target) target=$2; shift 2 ;;
    *) echo "usage: $0 [--seeds \"1 2 3\"] [--torch-seeds \"1\"] [--target 0.88]" >&2; exit 2 ;;
  esac
done

[ -f build-demo/build.ninja ] || meson setup build-demo -Dtests=false -Dbench=disabled >/dev/null
ninja -C build-demo -j2 examples/fashion_mnist/fashion_mnist >/dev/null
out=build-demo/time_to_accuracy
mkdir -p "$out"
pin=""
command -v taskset >/dev/null 2>&1 && pin="taskset -c 0"

# run NAME SEED COMMAND...: one training run; appends "time epochs accuracy samples/s latency_ns"
# to $out/NAME.runs (time "-" when the target was not reached).
run() {
  name=$1 seed=$2
  shift 2
  log="$out/$name.seed$seed.log"
  $pin "$@" --seed "$seed" --target-accuracy "$target" --csv "$out/$name.seed$seed.csv" >"$log" 2>&1 || true
  awk '
    /^time to .*accuracy: [0-9]/ {
      time = $0; sub(/.*accuracy: /, "", time); sub(/ s of.*/, "", time)
      epochs = $0; sub(/.*\(epoch /, "", epochs); sub(/,.*/, "", epochs)
    }
    /^time to .*not reached/   { time = "-"; epochs = "-" }
    /^final test accuracy/     { accuracy = $4 }
    /^training throughput/     { rate = $3 }
    /^inference latency/       { latency = $3 }
    END {
      if (accuracy == "") { print "no summary in " FILENAME > "/dev/stderr"; exit 1 }
      print time, epochs, accuracy, rate, latency
    }' "$log" >>"$out/$name.runs"
  echo "  $name seed $seed: $(tail -1 "$out/$name.runs")  (time epochs accuracy samples/s latency_ns)"
}

rm -f "$out"/*.runs
echo "ctnn, seeds $seeds"
for s in $seeds; do run ctnn "$s" build-demo/examples/fashion_mnist/fashion_mnist; done
echo "PyTorch, seeds $torch_seeds (about a minute each with the reference BLAS)"
for s in $torch_seeds; do run torch "$s" /usr/bin/python3 tools/torch_fashion_mnist.py; done

# median COLUMN FILE: the median of a column over the runs that reached the target.
median() {
  awk -v c="$1" '$1 != "-" { print $c }' "$2" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

# row NAME LABEL: one table row from $out/NAME.runs, its time relative to ctnn's.
row() {
  runs="$out/$1.runs"
  total=$(wc -l <"$runs")
  reached=$(awk '$1 != "-"' "$runs" | wc -l)
  if [ "$reached" -eq 0 ]; then
    printf "| %-40s | not reached in %d runs | | | | | | |\n" "$2" "$total"
    return
  fi
  time=$(median 1 "$runs")
  fastest=$(awk '$1 != "-" { print $1 }' "$runs" | sort -g | head -1)
  printf "| %-40s | %7.3f s | %2d/%-2d | %7.3f s | %6.2f | %7.2f %% | %9.0f | %9.0f ns | %6.1fx |\n" "$2" "$time" \
    "$reached" "$total" "$fastest" "$(median 2 "$runs")" "$(median 3 "$runs")" "$(median 4 "$runs")" \
    "$(median 5 "$runs")" "$(echo "$time ${ctnn_time:-$time}" | awk '{ print $1 / $2 }')"
}

first() { echo "$1"; }
# shellcheck disable=SC2086  # the first of a list of seeds
kernels=$(sed -n 's/.*; kernels \(.*\)$/\1/p' "$out/ctnn.seed$(first $seeds).log")
# shellcheck disable=SC2086
torch=$(sed -n 's/^PyTorch \([^,]*\), 1 thread, \([^(]*\) (.*/\1, \2/p' "$out/torch.seed$(first $torch_seeds).log")
ctnn_time=$(median 1 "$out/ctnn.runs")

echo
echo "Fashion-MNIST to $(echo "$target" | awk '{ print 100 * $1 }') % validation accuracy, then the test set once; one core, batch 128, Adam lr 1e-3; medians over the runs that reached it"
echo "| framework                                | time to target | reached | fastest | epochs | test accuracy | samples/s | inference latency | time ratio |"
echo "|------------------------------------------|----------:|------:|----------:|-------:|----------:|----------:|-------------:|---------:|"
row ctnn "ctnn ($kernels)"
row torch "PyTorch $torch"
echo "Logs and learning curves: $out/"
