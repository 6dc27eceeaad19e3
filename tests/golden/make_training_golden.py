#!/usr/bin/python3
"""Writes training.txt: PyTorch reference values for ctnn's training tests.

Run with Debian's python3-torch:  /usr/bin/python3 tests/golden/make_training_golden.py
Everything is computed in float64 so that ctnn's double networks can be held to ~1e-10 and
its float networks to the issue's 1e-5 (outputs) / 1e-4 (gradients, trajectories).

Format: one record per line, `name count v1 ... vcount`; parameters are in state_dict order
(each Linear's weight [out][in] row by row, then its bias), which is ctnn's canonical order.
"""
from pathlib import Path

import torch
from torch import nn

torch.set_default_dtype(torch.float64)
OUT = Path(__file__).with_name("training.txt")
records = []


def put(name, values):
    flat = torch.as_tensor(values).detach().reshape(-1).tolist()
    records.append(f"{name} {len(flat)} " + " ".join(repr(float(v)) for v in flat))


def params(model):
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


def grads(model):
    return torch.cat([p.grad.detach().reshape(-1) for p in model.parameters()])


NETWORKS = {
    # name: layers (ctnn's equivalent in tests/training_golden_test.cpp)
    "A": lambda: nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 6), nn.ReLU(), nn.Linear(6, 3)),
    "B": lambda: nn.Sequential(nn.Linear(5, 7), nn.Sigmoid(), nn.Linear(7, 6), nn.LeakyReLU(0.1), nn.Linear(6, 3)),
    "C": lambda: nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3), nn.Softmax(dim=1)),
}

torch.manual_seed(20261129)
batch = 4
x = torch.randn(batch, 5)
mse_target = torch.randn(batch, 3)
labels = torch.tensor([2, 0, 1, 2])
bce_target = torch.rand(batch, 3)
put("input", x)
put("mse_target", mse_target)
put("labels", labels)
put("bce_target", bce_target)

LOSSES = {
    "mse": (nn.MSELoss(), mse_target),
    "ce": (nn.CrossEntropyLoss(), labels),
    "bce": (nn.BCEWithLogitsLoss(), bce_target),
}

for name, make in NETWORKS.items():
    model = make()
    put(f"{name}/init", params(model))
    put(f"{name}/output", model(x))
    for loss_name, (loss_fn, target) in LOSSES.items():
        if name == "C" and loss_name != "mse":
            continue  # C ends in softmax: only a loss that takes probabilities applies
        model.zero_grad()
        loss = loss_fn(model(x), target)
        loss.backward()
        put(f"{name}/{loss_name}/loss", loss)
        put(f"{name}/{loss_name}/grad", grads(model))

# Optimizer trajectories: network A, MSE, 8 batches of 4 cycled, 100 steps per variant.
steps, batches = 100, 8
data_x = torch.randn(batches * batch, 5)
data_y = torch.randn(batches * batch, 3)
put("opt/inputs", data_x)
put("opt/targets", data_y)
torch.manual_seed(7)
start = NETWORKS["A"]()
put("opt/init", params(start))

VARIANTS = {
    "sgd": (torch.optim.SGD, dict(lr=0.05)),
    "sgd_wd": (torch.optim.SGD, dict(lr=0.05, weight_decay=0.01)),
    "sgd_momentum": (torch.optim.SGD, dict(lr=0.05, momentum=0.9)),
    "sgd_dampening": (torch.optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0.3)),
    "sgd_nesterov": (torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    "rmsprop": (torch.optim.RMSprop, dict(lr=0.01)),
    "rmsprop_alpha_eps": (torch.optim.RMSprop, dict(lr=0.01, alpha=0.9, eps=1e-6)),
    "rmsprop_momentum": (torch.optim.RMSprop, dict(lr=0.005, momentum=0.5, weight_decay=0.01)),
    "rmsprop_centered": (torch.optim.RMSprop, dict(lr=0.005, centered=True)),
    "rmsprop_centered_momentum": (torch.optim.RMSprop, dict(lr=0.005, centered=True, momentum=0.5)),
    "adam": (torch.optim.Adam, dict(lr=0.01)),
    "adam_wd": (torch.optim.Adam, dict(lr=0.01, weight_decay=0.01, betas=(0.8, 0.99), eps=1e-6)),
    "adam_amsgrad": (torch.optim.Adam, dict(lr=0.01, amsgrad=True)),
    "adamw": (torch.optim.AdamW, dict(lr=0.01)),
    "adamw_amsgrad": (torch.optim.AdamW, dict(lr=0.01, weight_decay=0.05, amsgrad=True)),
}

def f32(value):
    """ctnn's hyper-parameters are float: give torch the same float32-rounded values."""
    if isinstance(value, tuple):
        return tuple(f32(v) for v in value)
    if isinstance(value, bool):
        return value
    return torch.tensor(value, dtype=torch.float32).item()


for variant, (optimizer_class, kwargs) in VARIANTS.items():
    defaults = {torch.optim.RMSprop: dict(alpha=0.99, eps=1e-8),
                torch.optim.Adam: dict(betas=(0.9, 0.999), eps=1e-8),
                torch.optim.AdamW: dict(betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)}.get(optimizer_class, {})
    kwargs = {k: f32(v) for k, v in {**defaults, **kwargs}.items()}
    model = NETWORKS["A"]()
    model.load_state_dict(start.state_dict())
    optimizer = optimizer_class(model.parameters(), **kwargs)
    losses = []
    for step in range(steps):
        k = step % batches
        xb, yb = data_x[k * batch:(k + 1) * batch], data_y[k * batch:(k + 1) * batch]
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(xb), yb)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    put(f"opt/{variant}/losses", losses)
    put(f"opt/{variant}/params", params(model))

OUT.write_text("# generated by tests/golden/make_training_golden.py (torch "
               f"{torch.__version__}, float64); do not edit\n" + "\n".join(records) + "\n")
print(f"wrote {OUT} ({len(records)} records)")
