#!/usr/bin/python3
"""Plots examples/init_study's CSV: gradient norm against depth, one panel per activation,
one line per initializer, solid without and dashed with batch normalization; or, given
init_study_residual.csv, the plain and the residual 32-layer networks side by side.

usage: plot_init_study.py init_study_gradients.csv output.png
       plot_init_study.py init_study_residual.csv output.png
"""
import csv
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


ACTIVATIONS = ["sigmoid", "tanh", "relu"]


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    with open(sys.argv[1], newline="") as f:
        rows = list(csv.DictReader(f))
    if rows and "network" in rows[0]:
        return plot_residual(rows, sys.argv[2])
    series = defaultdict(list)
    for row in rows:
        key = (row["activation"], row["init"], row["batch_norm"] == "1")
        series[key].append((int(row["layer"]), float(row["gradient_norm"])))
    colors = {"uniform": "tab:red", "xavier": "tab:blue", "he": "tab:green", "orthogonal": "tab:purple"}

    def draw(ax, activation):
        for (act, init, bn), points in sorted(series.items()):
            if act != activation:
                continue
            points.sort()
            ax.semilogy([p[0] for p in points], [max(p[1], 1e-20) for p in points], color=colors[init],
                        linestyle="--" if bn else "-", label=f"{init}{' + batch norm' if bn else ''}")
        return f"{activation}, 20 hidden layers of 64"

    return plot_panels(draw, sys.argv[2])


def plot_residual(rows, output) -> int:
    series = defaultdict(list)
    for row in rows:
        series[(row["activation"], row["network"])].append((int(row["layer"]), float(row["gradient_norm"])))
    depth = max(layer for points in series.values() for layer, _ in points) - 1

    def draw(ax, activation):
        for network, color in (("plain", "tab:red"), ("residual", "tab:blue")):
            points = sorted(series[(activation, network)])
            ax.semilogy([p[0] for p in points], [max(p[1], 1e-30) for p in points], color=color,
                        marker=".", label=network if network == "plain" else "residual (x + act(Wx + b))")
        return f"{activation}, {depth} layers of 64, uniform init"

    return plot_panels(draw, output)


def plot_panels(draw, output) -> int:
    """One panel per activation; draw(ax, activation) plots its lines and returns the title."""
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.8), sharey=True)
    for ax, activation in zip(axes, ACTIVATIONS):
        ax.set_title(draw(ax, activation))
        ax.set_xlabel("layer (1 = nearest the input)")
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel("gradient L2 norm at initialization")
    axes[2].legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(output, dpi=110)
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
