#!/usr/bin/python3
"""Writes schedules.txt: torch.optim.lr_scheduler's learning rates for ctnn's schedule tests.

Run with Debian's python3-torch:  /usr/bin/python3 tests/golden/make_schedule_golden.py

Each schedule drives torch.optim.SGD on a dummy parameter for 100 epochs of the usual loop
(optimizer.step(), then scheduler.step()); the record holds the learning rate in force during
epochs 0..99, read from scheduler.get_last_lr()[0]. That is PyTorch's own sequence, including
its recursive (chainable) forms, which tests/schedules_test.cpp holds ctnn's closed forms to.
ReduceLROnPlateau records the learning rate after each of 100 step(metric) calls, fed with the
metric sequences recorded here too. Hyper-parameters are float32-rounded: ctnn stores them as
float. The variants here and in tests/schedules_test.cpp must stay in step.

Format: one record per line, `name count v1 ... vcount`.
"""
import math
import random
import warnings
from pathlib import Path

import torch
from torch.optim import lr_scheduler as sched

# SequentialLR itself calls step(0) on the second schedule at the milestone (the closed form):
# torch's deprecation warning for that call is about user code, not this script.
warnings.filterwarnings("ignore", message="The epoch parameter")
OUT = Path(__file__).with_name("schedules.txt")
EPOCHS = 100
records = []


def put(name, values):
    records.append(f"{name} {len(values)} " + " ".join(repr(float(v)) for v in values))


def f32(value):
    """ctnn's hyper-parameters are float: give torch the same float32-rounded values."""
    return torch.tensor(value, dtype=torch.float32).item()


def optimizer(base_lr):
    return torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=f32(base_lr))


def run(opt, scheduler, epochs=EPOCHS):
    """The learning rate of each epoch of the canonical loop."""
    lrs = []
    for _ in range(epochs):
        lr = scheduler.get_last_lr()[0]
        assert lr == opt.param_groups[0]["lr"]
        lrs.append(lr)
        opt.zero_grad()
        opt.param_groups[0]["params"][0].sum().backward()
        opt.step()
        scheduler.step()
    return lrs


def constant(base_lr):
    opt = optimizer(base_lr)
    return run(opt, sched.LambdaLR(opt, lambda epoch: 1.0))


def step(base_lr, step_size, gamma):
    opt = optimizer(base_lr)
    return run(opt, sched.StepLR(opt, step_size, f32(gamma)))


def multi_step(base_lr, milestones, gamma):
    opt = optimizer(base_lr)
    return run(opt, sched.MultiStepLR(opt, milestones, f32(gamma)))


def exponential(base_lr, gamma):
    opt = optimizer(base_lr)
    return run(opt, sched.ExponentialLR(opt, f32(gamma)))


def cosine(base_lr, t_max, eta_min):
    opt = optimizer(base_lr)
    return run(opt, sched.CosineAnnealingLR(opt, t_max, f32(eta_min)))


def linear(base_lr, start_factor, end_factor, total_iters):
    opt = optimizer(base_lr)
    return run(opt, sched.LinearLR(opt, f32(start_factor), f32(end_factor), total_iters))


def warmup_then(base_lr, start_factor, total_iters, milestone, make_second):
    """SequentialLR([LinearLR(start_factor -> 1 over total_iters), second], [milestone])."""
    opt = optimizer(base_lr)
    warmup = sched.LinearLR(opt, f32(start_factor), 1.0, total_iters)
    return run(opt, sched.SequentialLR(opt, [warmup, make_second(opt)], [milestone]))


# name: sequence (ctnn's equivalent in tests/schedules_test.cpp)
SCHEDULES = {
    "constant/a": constant(0.1),
    "step/a": step(0.1, 30, 0.1),
    "step/b": step(0.05, 7, 0.5),
    "multi_step/a": multi_step(0.1, [30, 60, 90], 0.1),
    "multi_step/b": multi_step(1.0, [10, 25, 25, 70], 0.5),  # 25 twice: gamma^2 there
    "exponential/a": exponential(0.1, 0.95),
    "exponential/b": exponential(1.0, 0.9),
    "cosine/a": cosine(0.1, 100, 0.0),
    "cosine/b": cosine(0.05, 30, 1e-3),  # past T_max the closed form rises again: so does torch
    "cosine/c": cosine(1.0, 7, 0.0),  # fourteen half periods, lr exactly 0 at odd multiples of 7
    "linear/a": linear(0.1, 1.0 / 3, 1.0, 5),  # torch's defaults
    "linear/b": linear(0.1, 1.0, 0.05, 60),  # a linear decay
    "linear/c": linear(0.01, 0.001, 1.0, 20),
    "sequential/a": warmup_then(0.1, 0.1, 10, 10, lambda opt: sched.CosineAnnealingLR(opt, 90, 0.0)),
    "sequential/b": warmup_then(0.2, 0.25, 5, 5, lambda opt: sched.ExponentialLR(opt, f32(0.97))),
    "sequential/c": warmup_then(0.1, 0.01, 10, 5, lambda opt: sched.StepLR(opt, 20, f32(0.5))),
}
for name, lrs in SCHEDULES.items():
    put(name, lrs)

# Metrics for ReduceLROnPlateau: a loss that falls, stalls on exact plateaus, creeps down by
# less than the thresholds, is noisy, and falls again; an accuracy for mode 'max'.
rng = random.Random(20261203)
loss = []
value = 1.0
for epoch in range(EPOCHS):
    phase = epoch // 10
    if phase in (0, 4, 7):
        value *= 0.9  # clear improvements
    elif phase in (1, 5):
        pass  # exact plateau: the same value again
    elif phase in (2, 8):
        value *= 1 - 2e-5  # improving by less than a relative threshold of 1e-4
    elif phase == 3:
        value -= 0.004  # improving by less than an absolute threshold of 0.01
    loss.append(value + (rng.uniform(-0.02, 0.02) if phase in (6, 9) else 0.0))
accuracy = [1.0 - 0.5 * math.exp(-3 * epoch / EPOCHS) + 0.004 * math.sin(epoch) for epoch in range(EPOCHS)]
accuracy[40:55] = [accuracy[40]] * 15  # an exact plateau in mode 'max'
put("plateau/loss", loss)
put("plateau/accuracy", accuracy)

PLATEAUS = {
    # name: (metric, base lr, ReduceLROnPlateau keyword arguments)
    "plateau/a": ("loss", 0.1, dict(mode="min", factor=0.5, patience=3)),
    "plateau/b": ("loss", 0.1, dict(mode="min", factor=0.1, patience=2, threshold=0.01, threshold_mode="abs",
                                    cooldown=2, min_lr=1e-4)),
    "plateau/c": ("accuracy", 0.05, dict(mode="max", factor=0.3, patience=1, threshold=1e-3, cooldown=1)),
    "plateau/d": ("accuracy", 0.1, dict(mode="max", factor=0.5, patience=4, threshold=0.005, threshold_mode="abs",
                                        min_lr=0.001)),
    "plateau/e": ("loss", 1e-6, dict(mode="min", factor=0.1, patience=0)),  # eps = 1e-8 stops the decay
}
metrics = {"loss": loss, "accuracy": accuracy}
for name, (metric, base_lr, kwargs) in PLATEAUS.items():
    opt = optimizer(base_lr)
    kwargs = {k: f32(v) if isinstance(v, float) else v for k, v in kwargs.items()}
    kwargs.setdefault("threshold", f32(1e-4))
    kwargs.setdefault("eps", f32(1e-8))
    scheduler = sched.ReduceLROnPlateau(opt, **kwargs)
    lrs = []
    for m in metrics[metric]:
        scheduler.step(m)
        lrs.append(opt.param_groups[0]["lr"])
    put(name, lrs)

OUT.write_text("# generated by tests/golden/make_schedule_golden.py (torch "
               f"{torch.__version__}); do not edit\n" + "\n".join(records) + "\n")
print(f"wrote {OUT} ({len(records)} records)")
