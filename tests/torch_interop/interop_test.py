#!/usr/bin/python3
"""PyTorch interop through tools/ctnn_torch.py, both directions (issue 5).

    /usr/bin/python3 tests/torch_interop/interop_test.py BUILD/tests/torch_interop/interop_tool

(a) PyTorch -> ctnn: each network is trained in PyTorch (300 Adam steps), saved with
    ctnn_torch.save (with a test vector, which ctnn's loader checks), loaded and run by ctnn
    (interop_tool load-and-run) on a test set, and compared with PyTorch's eval-mode outputs.
(b) ctnn -> PyTorch: interop_tool trains the same network with ctnn (300 Adam steps), saves it
    and runs it on the test set; ctnn_torch.load reads the file from the layer description
    (checking the test vector ctnn wrote) and PyTorch runs it on the same inputs; the parameters
    PyTorch then holds (its state_dict, in its own order) must be the file's, bit for bit.
Outputs must agree within 1e-5 of max(1, |PyTorch's output|). Before that, the Python topology
hash and cpp_type() are checked against what the C++ compiler made of the same networks, and
after it, every refusal the bridge promises. Exits 77 (Meson: SKIP) when torch is missing.
"""
import os
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

try:
    import numpy as np
    import torch
    from torch import nn
except ImportError as missing:
    # Under CI (the CI variable set) the install step provides torch: a skip there is a failure.
    print(f"{'FAIL' if os.environ.get('CI') else 'SKIP'}: {missing} (Debian: apt-get install python3-torch python3-numpy)")
    sys.exit(1 if os.environ.get("CI") else 77)

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import ctnn_torch  # noqa: E402
from ctnn_torch import Residual  # noqa: E402

TOLERANCE = 1e-5
STEPS, BATCH = 300, 32

# name -> (layer description, the PyTorch twin); the C++ types are in interop_tool.cpp.
TRAINED = {
    "regression": ("5>dense16:tanh>dense16:sigmoid>dense3",
                   lambda: nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 16), nn.Sigmoid(),
                                         nn.Linear(16, 3))),
    "batch_norm": ("6>dense12>batch_norm>relu>dense8:tanh>batch_norm(1/1000,1/5)>dense2",
                   lambda: nn.Sequential(nn.Linear(6, 12), nn.BatchNorm1d(12), nn.ReLU(), nn.Linear(12, 8), nn.Tanh(),
                                         nn.BatchNorm1d(8, eps=1e-3, momentum=0.2), nn.Linear(8, 2))),
    "classifier": ("4>dense10:leaky_relu(1/10)>dense10:leaky_relu>dense3>softmax",
                   lambda: nn.Sequential(nn.Linear(4, 10), nn.LeakyReLU(0.1), nn.Linear(10, 10), nn.LeakyReLU(),
                                         nn.Linear(10, 3), nn.Softmax(dim=-1))),
    "residual": ("5>dense12:tanh>dropout(1/10)>residual(dense12:relu>dropout(1/4)>dense12)>relu"
                 ">projected_residual(dense8:tanh>residual(dense8:sigmoid>dense8))>dense3",
                 lambda: nn.Sequential(nn.Linear(5, 12), nn.Tanh(), nn.Dropout(0.1),
                                       Residual(nn.Linear(12, 12), nn.ReLU(), nn.Dropout(0.25), nn.Linear(12, 12)),
                                       nn.ReLU(),
                                       Residual(nn.Linear(12, 8), nn.Tanh(),
                                                Residual(nn.Linear(8, 8), nn.Sigmoid(), nn.Linear(8, 8)),
                                                projection=nn.Linear(12, 8)),
                                       nn.Linear(8, 3))),
}
HASH_ONLY = {
    "activation_first": ("3>tanh>dense4>identity>relu>dense2",
                         lambda: nn.Sequential(nn.Tanh(), nn.Linear(3, 4), nn.Identity(), nn.ReLU(), nn.Linear(4, 2))),
    "unfused": ("5>dense7>tanh>relu>dense3:sigmoid>softmax>leaky_relu",
                lambda: nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.ReLU(), nn.Linear(7, 3), nn.Sigmoid(),
                                      nn.Softmax(dim=1), nn.LeakyReLU())),
    "batch_norm_first": ("4>batch_norm>dense4:leaky_relu(0.3)>batch_norm(0.01,0)>sigmoid",
                         lambda: nn.Sequential(nn.BatchNorm1d(4), nn.Linear(4, 4), nn.LeakyReLU(0.3),
                                               nn.BatchNorm1d(4, eps=0.01, momentum=0.0), nn.Sigmoid())),
    "blocks": ("4>residual(relu>dense4>tanh)>relu>dropout>projected_residual(batch_norm>dense6>dropout(1/3)"
               ">projected_residual(dense2)>leaky_relu)>residual(sigmoid)>dense3",
               lambda: nn.Sequential(Residual(nn.ReLU(), nn.Linear(4, 4), nn.Tanh()), nn.ReLU(), nn.Dropout(),
                                     Residual(nn.BatchNorm1d(4), nn.Linear(4, 6), nn.Dropout(1 / 3),
                                              Residual(nn.Linear(6, 2), projection=nn.Linear(6, 2)), nn.LeakyReLU(),
                                              projection=nn.Linear(4, 2)),
                                     Residual(nn.Sigmoid()), nn.Linear(2, 3))),
}


def sample(name, n, rng):
    """The tasks of interop_tool.cpp (see there), as float32 arrays (inputs, targets)."""
    if name in ("regression", "residual"):
        x = rng.uniform(-1, 1, (n, 5)).astype(np.float32)
        y = np.stack([np.sin(2 * x[:, 0]) * x[:, 1], x[:, 2] * x[:, 3] + 0.5 * x[:, 4],
                      np.tanh(x[:, 0] + x[:, 1] - x[:, 2])], axis=1)
    elif name == "batch_norm":
        u = rng.uniform(-1, 1, (n, 6)).astype(np.float32)
        x = 3 * u + np.arange(6, dtype=np.float32)
        y = np.stack([u[:, 0] * u[:, 1] + u[:, 2], np.cos(u[:, 3] + u[:, 4]) * u[:, 5]], axis=1)
    else:
        x = rng.uniform(-1, 1, (n, 4)).astype(np.float32)
        scores = np.stack([x[:, 0] + x[:, 1], x[:, 2] - x[:, 3], 0.5 * x[:, 2] - x[:, 0]], axis=1)
        y = np.eye(3)[np.argmax(scores, axis=1)]
    return x, y.astype(np.float32)


failures = []


def check(condition, what):
    print(("ok      " if condition else "FAILED  ") + what)
    if not condition:
        failures.append(what)


def tool(*args):
    return subprocess.run([TOOL, *map(str, args)], capture_output=True, text=True)


def max_error(ctnn_out, torch_out):
    return float(np.max(np.abs(ctnn_out.astype(np.float64) - torch_out) / np.maximum(1.0, np.abs(torch_out))))


def torch_outputs(model, x):
    with torch.no_grad():
        return model.eval()(torch.from_numpy(x)).numpy().astype(np.float64)


def check_topologies():
    """Python's hash and C++ type against the compiler's, for every network of the tool."""
    for name, (description, build) in {**TRAINED, **HASH_ONLY}.items():
        cpp_hash = int(tool("hash", name).stdout, 16)
        check(ctnn_torch.topology_hash(build()) == cpp_hash == ctnn_torch.topology_hash(description),
              f"{name}: topology hash {cpp_hash:#018x} from C++, the Sequential and {description!r}")
    for name, (description, build) in TRAINED.items():
        cpp = tool("type", name).stdout
        check("".join(ctnn_torch.cpp_type(build()).split()) == "".join(cpp.split()),
              f"{name}: cpp_type() is the C++ type {cpp.strip()}")
    for name in ("batch_norm", "residual"):
        cli = subprocess.run([sys.executable, ctnn_torch.__file__, "hash", TRAINED[name][0]],
                             capture_output=True, text=True)
        check(cli.returncode == 0 and cli.stdout == tool("hash", name).stdout,
              f"{name}: ctnn_torch.py hash prints the C++ hash ({cli.stdout.strip()})")


def train_in_torch(name, model, rng):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    model.train()
    for _ in range(STEPS):
        x, y = (torch.from_numpy(a) for a in sample(name, BATCH, rng))
        out = model(x)
        if name == "classifier":  # probabilities out: negative log-likelihood of the label
            loss = nn.functional.nll_loss(torch.log(out.clamp_min(1e-12)), y.argmax(dim=1))
        else:
            loss = nn.functional.mse_loss(out, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    print(f"        {name}: PyTorch trained {STEPS} steps: mean loss {np.mean(losses[:50]):.4g} over the first 50, "
          f"{np.mean(losses[-50:]):.4g} over the last 50")
    return model.eval()


def torch_to_ctnn(work, errors):
    for name, (description, build) in TRAINED.items():
        torch.manual_seed(0)
        model = train_in_torch(name, build(), np.random.default_rng(0))
        x_test = sample(name, 256, np.random.default_rng(1))[0]
        path, inputs, outputs = work / f"{name}.torch.ctnn", work / f"{name}.in", work / f"{name}.torch.out"
        ctnn_torch.save(model, path, test_input=x_test[0])
        x_test.astype("<f4").tofile(inputs)
        run = tool("load-and-run", name, path, inputs, outputs)
        check(run.returncode == 0, f"{name}: ctnn loads the PyTorch file, checking its test vector {run.stderr}".strip())
        if run.returncode != 0:
            continue
        ctnn_out = np.fromfile(outputs, dtype="<f4").reshape(len(x_test), -1)
        errors[("PyTorch -> ctnn", name)] = e = max_error(ctnn_out, torch_outputs(model, x_test))
        check(e <= TOLERANCE, f"{name}: ctnn's outputs match PyTorch's on 256 test inputs ({e:.2e})")
        back = ctnn_torch.load(path, model)
        same = all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), back.state_dict().values())
                   if a.is_floating_point())
        check(same, f"{name}: save then load in Python is bit-exact")


def ctnn_to_torch(work, errors):
    for name, (description, _) in TRAINED.items():
        x_test = sample(name, 256, np.random.default_rng(1))[0]
        path, inputs, outputs = work / f"{name}.ctnn", work / f"{name}.in", work / f"{name}.ctnn.out"
        x_test.astype("<f4").tofile(inputs)
        run = tool("train-and-save", name, path, inputs, outputs)
        print(f"        {name}: ctnn {run.stdout.strip()}")
        check(run.returncode == 0, f"{name}: ctnn trains and saves {run.stderr}".strip())
        if run.returncode != 0:
            continue
        model = ctnn_torch.load(path, description)  # checks the test vector ctnn wrote
        count = ctnn_torch.read_header(path.read_bytes())["parameter_count"]
        in_file = np.fromfile(path, dtype="<f4", count=count, offset=ctnn_torch.HEADER_SIZE)
        held = np.concatenate([t.numpy().reshape(-1) for t in model.state_dict().values() if t.is_floating_point()])
        check(held.tobytes() == in_file.tobytes(),
              f"{name}: PyTorch's state_dict holds the file's {count} parameters in order, bit for bit")
        ctnn_out = np.fromfile(outputs, dtype="<f4").reshape(len(x_test), -1)
        errors[("ctnn -> PyTorch", name)] = e = max_error(ctnn_out, torch_outputs(model, x_test))
        check(e <= TOLERANCE, f"{name}: PyTorch's outputs match ctnn's on 256 test inputs ({e:.2e})")
        check(ctnn_torch.cpp_type(model) == ctnn_torch.cpp_type(description),
              f"{name}: the loaded Sequential has the description's type")


def expect_error(what, expected, call):
    try:
        call()
    except (ValueError, TypeError) as e:
        check(expected in str(e), f"{what}: refused: {e}")
        return
    check(False, f"{what}: accepted, expected an error containing {expected!r}")


def check_refusals(work):
    refused = [
        ("Linear without bias", "module 1 (Linear(in_features=4, out_features=2, bias=False))",
         nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2, bias=False))),
        ("BatchNorm1d(affine=False)", "affine=True", nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4, affine=False))),
        ("BatchNorm1d without running statistics", "track_running_stats=True",
         nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4, track_running_stats=False))),
        ("mismatched widths", "takes 5 inputs but the layer before gives 4",
         nn.Sequential(nn.Linear(3, 4), nn.Linear(5, 2))),
        ("BatchNorm1d of the wrong width", "normalizes 3 features but the layer before gives 4",
         nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(3))),
        ("GELU", "module 1 (GELU(approximate='none')) of the Sequential: ctnn cannot represent GELU",
         nn.Sequential(nn.Linear(3, 4), nn.GELU())),
        ("GELU in a residual block", "module 1.body.1 (GELU(approximate='none')) of the Sequential: ctnn cannot "
                                     "represent GELU",
         nn.Sequential(nn.Linear(3, 4), Residual(nn.Linear(4, 4), nn.GELU()))),
        ("Dropout2d", "cannot represent Dropout2d", nn.Sequential(nn.Linear(3, 4), nn.Dropout2d())),
        ("Dropout(p=1)", "needs a probability below 1", nn.Sequential(nn.Linear(3, 4), nn.Dropout(1.0))),
        ("a residual block that changes the width", "add projection=nn.Linear(4, 5)",
         nn.Sequential(nn.Linear(3, 4), Residual(nn.Linear(4, 5)))),
        ("a projection of the wrong width", "module 1.projection (Linear(in_features=4, out_features=6, bias=True)) "
                                            "of the Sequential: gives 6 values but the block's body gives 5",
         nn.Sequential(nn.Linear(3, 4), Residual(nn.Linear(4, 5), projection=nn.Linear(4, 6)))),
        ("a projection without bias", "module 0.projection (Linear(in_features=3, out_features=2, bias=False))",
         nn.Sequential(Residual(nn.Linear(3, 2), projection=nn.Linear(3, 2, bias=False)))),
        ("a residual block with an empty body", "needs at least one layer in its body",
         nn.Sequential(nn.Linear(3, 4), Residual())),
        ("a mismatched width in a residual block", "module 1.body.1 (Linear(in_features=5, out_features=4, bias=True)) "
                                                   "of the Sequential: takes 5 inputs but the layer before gives 4",
         nn.Sequential(nn.Linear(3, 4), Residual(nn.Linear(4, 4), nn.Linear(5, 4)))),
        ("subclass of ReLU", "cannot represent ScaledReLU",  # it may override forward()
         nn.Sequential(nn.Linear(3, 4), type("ScaledReLU", (nn.ReLU,), {})())),
        ("softmax over the batch", "dim=-1", nn.Sequential(nn.Linear(3, 4), nn.Softmax(dim=0))),
        ("zero LeakyReLU slope", "positive slope", nn.Sequential(nn.Linear(3, 4), nn.LeakyReLU(0.0))),
        ("no width", "nothing gives its input width", nn.Sequential(nn.ReLU())),
        ("empty Sequential", "empty", nn.Sequential()),
    ]
    for what, expected, model in refused:
        expect_error(f"save {what}", expected, lambda: ctnn_torch.save(model, work / "refused.ctnn"))
    expect_error("save a test input of the wrong length", "test_input has 4 values, the network takes 3",
                 lambda: ctnn_torch.save(nn.Sequential(nn.Linear(3, 2)), work / "refused.ctnn", np.zeros(4)))
    nan_model = nn.Sequential(nn.Linear(1, 1))
    with torch.no_grad():
        nan_model[0].weight.fill_(float("nan"))
    expect_error("save a non-finite parameter", "parameter 0 (canonical order) is not finite",
                 lambda: ctnn_torch.save(nan_model, work / "refused.ctnn"))
    expect_error("save a non-finite test input", "test input 0 of the test vector is not finite",
                 lambda: ctnn_torch.save(nn.Sequential(nn.Linear(2, 2)), work / "refused.ctnn", [float("inf"), 1.0]))
    expect_error("load without a topology", "stores only a hash", lambda: ctnn_torch.load(work / "x", None))
    for description, expected in [
            ("4>dense3>gelu", "item 2 'gelu': unknown activation 'gelu'"),
            ("4>residual(dense4>gelu)", "item 1.2 'gelu': unknown activation 'gelu'"),
            ("4>residual(dense3)", "a residual block on 4 values ends at width 3"),
            ("4>residual()", "a residual block needs at least one layer"),
            ("4>residual(dense4", "a '(' without its ')'"),
            ("4>dropout(1)", "needs a probability in [0, 1)")]:
        expect_error(f"the description {description!r}", expected, lambda: ctnn_torch.topology_hash(description))

    # Files: a good one, changed one field at a time (with the CRC made right again where the
    # payload changes, so the intended check is the one that fires).
    description = TRAINED["regression"][0]
    good = work / "regression.torch.ctnn"
    data = good.read_bytes()

    def with_payload(payload):
        return data[:32] + zlib.crc32(payload).to_bytes(4, "little") + data[36:48] + payload

    def patched(offset, raw):
        return data[:offset] + raw + data[offset + len(raw):]

    payload = data[48:]
    tampered_output = payload[:-4] + np.float32(np.frombuffer(payload[-4:], "<f4")[0] + 0.5).tobytes()
    nan_parameter = np.float32(np.nan).tobytes() + payload[4:]
    bad_files = [
        ("a truncated header", data[:47], "shorter than the 48-byte header"),
        ("a bad magic", patched(0, b"CTNNWGX"), "bad magic"),
        ("format version 2", patched(8, (2).to_bytes(4, "little")), "format version 2"),
        ("header size 64", patched(12, (64).to_bytes(4, "little")), "header size 64"),
        ("another topology's hash", patched(16, (12345).to_bytes(8, "little")), "topology hash 0x0000000000003039"),
        ("a wrong parameter count", patched(24, (7).to_bytes(8, "little")), "7 parameters, this network has"),
        ("an unknown flag", patched(36, (3).to_bytes(4, "little")), "unknown flags 0x3"),
        ("a wrong layer count", patched(40, (9).to_bytes(4, "little")), "9 layers, this network has 3"),
        ("8-byte values", patched(44, (8).to_bytes(4, "little")), "8-byte values"),
        ("a truncated payload", data[:-1], "truncated"),
        ("a trailing byte", data + b"\0", "1 trailing bytes"),
        ("a flipped payload bit", patched(100, bytes([data[100] ^ 0x10])), "the file is corrupt"),
        ("a non-finite parameter", with_payload(nan_parameter), "parameter 0 is not finite"),
        ("a tampered test vector", with_payload(tampered_output), "test vector output 2"),
    ]
    for what, content, expected in bad_files:
        path = work / "bad.ctnn"
        path.write_bytes(content)
        expect_error(f"load a file with {what}", expected, lambda: ctnn_torch.load(path, description))
    expect_error("load with another description", "the file was made for a different network",
                 lambda: ctnn_torch.load(good, "5>dense16:tanh>dense16:tanh>dense3"))

    # The C++ loader refuses what Python refuses: another network, a test vector that lies.
    (work / "bad.ctnn").write_bytes(with_payload(tampered_output))
    for what, path, name, expected in [("a file for another network", good, "classifier", "topology hash"),
                                       ("a tampered test vector", work / "bad.ctnn", "regression", "test vector")]:
        run = tool("load-and-run", name, path, work / "regression.in", work / "refused.out")
        check(run.returncode != 0 and expected in run.stderr, f"ctnn refuses {what}: {run.stderr.strip()}")

    cli = subprocess.run([sys.executable, ctnn_torch.__file__, "describe", good], capture_output=True, text=True)
    check(cli.returncode == 0 and f"{ctnn_torch.topology_hash(description):#018x}" in cli.stdout
          and "test vector: 8 values" in cli.stdout, "ctnn_torch.py describe prints the header")
    (work / "bad.ctnn").write_bytes(patched(100, bytes([data[100] ^ 0x10])))
    cli = subprocess.run([sys.executable, ctnn_torch.__file__, "describe", work / "bad.ctnn"],
                         capture_output=True, text=True)
    check(cli.returncode == 1 and "problem: payload CRC-32" in cli.stdout, "ctnn_torch.py describe reports a bad CRC")


if __name__ == "__main__":
    TOOL = sys.argv[1]
    torch.set_num_threads(1)
    errors = {}
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        check_topologies()
        torch_to_ctnn(work, errors)
        ctnn_to_torch(work, errors)
        check_refusals(work)
    print(f"\n{'direction':<17}{'network':<12}max |ctnn - torch| / max(1, |torch|), 256 inputs")
    for (direction, name), e in errors.items():
        print(f"{direction:<17}{name:<12}{e:.2e}")
    print(f"\n{len(failures)} failed" + "".join(f"\n  {f}" for f in failures))
    sys.exit(1 if failures else 0)
