#!/usr/bin/python3
"""Prints ctnn_bench's results as one table, relative to the `eigen` row and to the roofline.

    /usr/bin/python3 bench/report.py bench.json [roofline.json] [--time cpu|real]

bench.json is ctnn_bench's --benchmark_out (JSON; several --benchmark_repetitions make the
medians meaningful); roofline.json is `roofline --json`. Columns:
  median     median over repetitions of the time per iteration (one inference or one step),
             CPU time by default: on a shared machine it leaves out the time the benchmark's
             thread spent descheduled (real time is printed with --time real)
  spread     (max - min) / median over the repetitions: how noisy the row was
  items/s    inferences or training samples per second, from the median
  eigen/x    median of the row's `eigen` implementation / this row's median: > 1 is faster
             than Eigen; on a ctnn row it is the figure issue 8 sets a target for
  target     issue 8's target for eigen/ctnn, and whether this run meets it
  bound      the roofline model's bound for the task (roofline.cpp says how it is derived)
  of bound   bound / median: the fraction of what the model allows; above 100% (marked *) the
             row beat the model's memory term (several streams at once, data in a nearer cache)
Repetitions that ended in an error (a refused or diverging training step) are counted and
reported; any makes the exit status 1.
"""
import json
import statistics
import sys
from collections import OrderedDict

TARGETS = {
    "infer/S": 2.5, "infer/M": 1.8, "infer/L": 1.1, "infer/W": 1.4,
    "train/T1_b1": 2.0, "train/T1_b32": 2.0, "train/T1_b128": 2.0, "train/T2": 5.0,
}
UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def fmt_time(ns):
    if ns < 1e3:
        return f"{ns:.1f} ns"
    if ns < 1e6:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns / 1e6:.2f} ms"


def fmt_rate(per_s):
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if per_s >= div:
            return f"{per_s / div:.2f}{suffix}"
    return f"{per_s:.0f}"


def load_runs(path, key):
    with open(path) as f:
        data = json.load(f)
    runs = OrderedDict()
    items = {}
    errors = OrderedDict()
    for b in data["benchmarks"]:
        if b.get("run_type") == "aggregate":
            continue
        if b.get("error_occurred"):
            name = b.get("run_name", b["name"])
            errors.setdefault(name, []).append(b.get("error_message", "error"))
            continue
        name = b.get("run_name", b["name"])
        runs.setdefault(name, []).append(b[key] * UNIT_NS[b.get("time_unit", "ns")])
        if "items_per_second" in b and b[key] > 0:
            # Google Benchmark divides items by CPU time: items per iteration = items/s x cpu_time.
            items[name] = b["items_per_second"] * b["cpu_time"] * UNIT_NS[b.get("time_unit", "ns")] / 1e9
    return data.get("context", {}), runs, items, errors


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    key = "real_time" if "--time" in argv and argv[argv.index("--time") + 1] == "real" else "cpu_time"
    args = [a for a in args if a not in ("cpu", "real")]
    if not args:
        print(__doc__)
        return 2
    context, runs, items, errors = load_runs(args[0], key)
    bounds = {}
    machine = None
    if len(args) > 1:
        with open(args[1]) as f:
            roof = json.load(f)
        bounds, machine = roof["bounds"], roof["machine"]

    # With --benchmark_enable_random_interleaving the JSON lists repetitions in a random order:
    # rows follow the order of TARGETS, then ctnn, eigen, naive, libtorch, then the rest.
    tasks = list(TARGETS)
    impls = ["ctnn", "eigen", "naive", "libtorch"]

    def row_order(name):
        task, impl = name.rsplit("/", 1)
        return (tasks.index(task) if task in tasks else len(tasks), task,
                impls.index(impl) if impl in impls else len(impls), impl)

    runs = OrderedDict(sorted(runs.items(), key=lambda kv: row_order(kv[0])))
    medians = {name: statistics.median(t) for name, t in runs.items()}
    print(f"ctnn_bench, {context.get('date', '')}, {context.get('host_name', '')}: "
          f"median {key.replace('_', ' ')} per iteration over "
          f"{max(len(t) for t in runs.values())} repetitions")
    for k in ("ctnn kernels", "eigen", "libtorch"):
        if k in context:
            print(f"  {k}: {context[k]}")
    if machine:
        print(f"  roofline: {machine['peak_gflops']:.0f} GFLOP/s fp32 FMA peak, read bandwidth "
              f"L1 {machine['l1_gbps']:.0f} / L2 {machine['l2_gbps']:.0f} / L3 {machine['l3_gbps']:.0f} GB/s")
    print()
    header = ["benchmark", "median", "spread", "items/s", "eigen/x", "target", "bound", "of bound"]
    rows = []
    for name, t in runs.items():
        task = name.rsplit("/", 1)[0]
        impl = name.rsplit("/", 1)[1]
        med = medians[name]
        spread = (max(t) - min(t)) / med if len(t) > 1 else 0.0
        per_iter = items.get(name, 1.0)
        rate = per_iter * 1e9 / med
        eigen = medians.get(task + "/eigen")
        ratio = (f"{eigen / med:.2f}x" if eigen / med >= 0.1 else f"{eigen / med:.3f}x") if eigen else ""
        target = ""
        if impl == "ctnn" and task in TARGETS and eigen:
            met = eigen / med >= TARGETS[task]
            target = f"≥ {TARGETS[task]:g}x {'met' if met else 'NOT met'}"
        bound = bounds.get(task)
        bound_s = f"{fmt_time(bound['ns'])} ({bound['limit'].split()[0]})" if bound else ""
        frac = (f"{bound['ns'] / med:.0%}" + (" *" if bound["ns"] > med else "")) if bound else ""
        rows.append([name, fmt_time(med), f"{spread:.0%}", fmt_rate(rate), ratio, target, bound_s, frac])
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |")
    if any(r[-1].endswith("*") for r in rows):
        print("\n* faster than the roofline model's memory term (see roofline.cpp)")
    for name, messages in errors.items():
        print(f"ERROR {name}: {len(messages)} of {len(messages) + len(runs.get(name, []))} repetitions failed: "
              f"{messages[0]}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
