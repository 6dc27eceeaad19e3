#!/usr/bin/python3
"""Writes residual.txt: PyTorch reference values for ctnn's residual blocks.

Run with Debian's python3-torch:  /usr/bin/python3 tests/golden/make_residual_golden.py
float64 throughout. The network (tests/residual_test.cpp spells the same one in ctnn):

    input<5> > dense<8, tanh>
             > residual<dense<8, relu>, dense<8>> > relu
             > projected_residual<dense<6, tanh>, residual<dense<6, sigmoid>, dense<6>>>
             > dense<3>

Parameters and gradients are in ctnn's canonical order: a block's sub-chain first, then its
projection (weight[out][in], bias), which is the registration order of the modules below.
Records: init, input, target, output (forward), loss (MSE), grad (dL/dparameters), and an Adam
trajectory: train/losses over 30 steps and train/params after them.
"""
from pathlib import Path

import torch
from torch import nn

torch.set_default_dtype(torch.float64)
OUT = Path(__file__).with_name("residual.txt")
records = []


def put(name, values):
    flat = torch.as_tensor(values).detach().reshape(-1).tolist()
    records.append(f"{name} {len(flat)} " + " ".join(repr(float(v)) for v in flat))


class Residual(nn.Module):
    def __init__(self, *layers, projection=None):
        super().__init__()
        self.body = nn.Sequential(*layers)
        self.projection = projection

    def forward(self, x):
        skip = x if self.projection is None else self.projection(x)
        return self.body(x) + skip


def model():
    return nn.Sequential(
        nn.Linear(5, 8), nn.Tanh(),
        Residual(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8)), nn.ReLU(),
        Residual(nn.Linear(8, 6), nn.Tanh(), Residual(nn.Linear(6, 6), nn.Sigmoid(), nn.Linear(6, 6)),
                 projection=nn.Linear(8, 6)),
        nn.Linear(6, 3))


def f32(v):
    return torch.tensor(v, dtype=torch.float32).item()


def flat(tensors):
    return torch.cat([t.detach().reshape(-1) for t in tensors])


torch.manual_seed(21)
net = model()
# Away from zero: non-trivial biases and a ReLU block whose units are partly active.
with torch.no_grad():
    for p in net.parameters():
        p.add_(0.1 * torch.randn_like(p))
put("init", flat(net.parameters()))
batch = 4
x = torch.randn(batch, 5)
target = torch.randn(batch, 3)
put("input", x)
put("target", target)

y = net(x)
loss = nn.functional.mse_loss(y, target)
loss.backward()
put("output", y)
put("loss", [loss.item()])
put("grad", flat(p.grad for p in net.parameters()))

# Adam, 30 steps on 4 rotating batches.
net.zero_grad()
data_x = torch.randn(4 * batch, 5)
data_y = torch.randn(4 * batch, 3)
put("train/inputs", data_x)
put("train/targets", data_y)
# ctnn's optimizer options are floats: the same float-rounded hyper-parameters here.
opt = torch.optim.Adam(net.parameters(), lr=f32(0.01), betas=(f32(0.9), f32(0.999)), eps=f32(1e-8))
losses = []
for step in range(30):
    k = step % 4
    opt.zero_grad()
    l = nn.functional.mse_loss(net(data_x[k * batch:(k + 1) * batch]), data_y[k * batch:(k + 1) * batch])
    l.backward()
    opt.step()
    losses.append(l.item())
put("train/losses", losses)
put("train/params", flat(net.parameters()))

OUT.write_text("# written by make_residual_golden.py (PyTorch " + torch.__version__ + ", float64)\n" +
               "\n".join(records) + "\n")
print(f"wrote {OUT} ({len(records)} records)")
