#!/bin/sh
# The README's first command. On Debian 12: installs what is missing, builds the Fashion-MNIST
# example (release, -march=native) in build-demo/, trains it on one core until 88 % accuracy on
# a validation split held out of the training images, evaluates the test set once, and plots
# the learning curve.
#
#   tools/demo.sh [more fashion_mnist options, e.g. --seed 2 or --epochs 30]
#
# Writes build-demo/fashion_mnist_curve.csv and build-demo/fashion_mnist_curve.png. Exits with
# the example's status: 0 when the target was reached.
set -eu
cd "$(dirname "$0")/.."

./tools/install-deps.sh
[ -f build-demo/build.ninja ] || meson setup build-demo -Dtests=false -Dbench=disabled
ninja -C build-demo -j2 examples/fashion_mnist/fashion_mnist

# One core: the figures are single-thread figures, and pinning keeps them steady.
pin=""
command -v taskset >/dev/null 2>&1 && pin="taskset -c 0"
status=0
rm -f build-demo/fashion_mnist_curve.csv  # never plot an earlier run's curve
$pin build-demo/examples/fashion_mnist/fashion_mnist --target-accuracy 0.88 \
  --csv build-demo/fashion_mnist_curve.csv "$@" || status=$?
# Plot only what this run wrote (a header and at least one row); the example's status stands.
if [ "$(wc -l < build-demo/fashion_mnist_curve.csv 2>/dev/null || echo 0)" -ge 2 ]; then
  /usr/bin/python3 tools/plot_learning_curve.py build-demo/fashion_mnist_curve.csv --labels ctnn \
    -o build-demo/fashion_mnist_curve.png || echo "demo: the plot failed (the run's status is kept)"
fi
exit $status
