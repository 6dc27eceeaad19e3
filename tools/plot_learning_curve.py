#!/usr/bin/python3
"""Plots learning curves written by examples/fashion_mnist (--csv) or tools/torch_fashion_mnist.py.

    /usr/bin/python3 tools/plot_learning_curve.py curve.csv [more.csv ...] -o curve.png [--target 0.88]

Two panels, against training time or epochs (--x): validation accuracy, with the target as a
dashed line, and training loss. Each CSV (epoch,step,train_loss,validation_accuracy,
train_time_s) is one line, labelled with --labels or its file name. Uses Debian's python3-matplotlib, no display needed.
"""
import argparse
import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the back end must be chosen first)


def read_curve(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit(f"{path}: no data rows")
    keys = ("epoch", "train_loss", "validation_accuracy", "train_time_s")
    missing = [key for key in keys if key not in rows[0]]
    if missing:
        sys.exit(f"{path}: no column {', '.join(missing)} (a curve written before the validation split?)")
    return {key: [float(row[key]) for row in rows] for key in keys}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("csv", nargs="+")
    p.add_argument("-o", "--output", required=True, help="PNG file")
    p.add_argument("--labels", help="comma-separated, one per CSV (default: file names)")
    p.add_argument("--target", type=float, default=0.88, help="accuracy line; 0 for none")
    p.add_argument("--x", choices=("time", "epoch"), default="time", help="horizontal axis")
    p.add_argument("--title", default="Fashion-MNIST, 784-128-64-10 MLP, Adam, one core")
    args = p.parse_args()
    labels = args.labels.split(",") if args.labels else [os.path.splitext(os.path.basename(c))[0] for c in args.csv]
    if len(labels) != len(args.csv):
        sys.exit("--labels needs one label per CSV file")

    x_key, x_label = ("train_time_s", "training time (s), evaluation excluded") if args.x == "time" else ("epoch", "epoch")
    fig, (acc_ax, loss_ax) = plt.subplots(1, 2, figsize=(11, 4.2))
    for path, label in zip(args.csv, labels):
        c = read_curve(path)
        final = (f"{label}: {100 * c['validation_accuracy'][-1]:.2f} % after {c['train_time_s'][-1]:.2f} s "
                 f"(epoch {c['epoch'][-1]:.1f})")
        acc_ax.plot(c[x_key], [100 * a for a in c["validation_accuracy"]], marker="o", markersize=3, label=final)
        loss_ax.plot(c[x_key], c["train_loss"], marker="o", markersize=3, label=label)
    if args.target > 0:
        acc_ax.axhline(100 * args.target, color="grey", linestyle="--", linewidth=1)
        acc_ax.set_ylim(top=max(acc_ax.get_ylim()[1], 100 * args.target + 0.5))
        acc_ax.text(0, 100 * args.target + 0.1, f" target {100 * args.target:g} %", color="grey", fontsize=8)
    acc_ax.set(xlabel=x_label, ylabel="validation accuracy (%)", title="validation accuracy")
    loss_ax.set(xlabel=x_label, ylabel="mean training loss since the last point", title="training loss (softmax cross-entropy)")
    acc_ax.legend(loc="lower right", fontsize=8)
    if len(args.csv) > 1:
        loss_ax.legend()
    for ax in (acc_ax, loss_ax):
        ax.set_xlim(left=0)
        ax.grid(alpha=0.3)
    fig.suptitle(args.title)
    fig.tight_layout()
    fig.savefig(args.output, dpi=110)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
