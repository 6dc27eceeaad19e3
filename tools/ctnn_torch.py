#!/usr/bin/python3
"""ctnn_torch: torch.nn.Sequential <-> ctnn weight files (include/ctnn/io/weight_file.hpp).

Train in PyTorch and deploy with ctnn, or train with ctnn and inspect in PyTorch:

    import ctnn_torch                                   # tools/ on sys.path, or a copy of this file
    ctnn_torch.save(model, "model.ctnn", test_input=x[0])
    print(ctnn_torch.cpp_type(model))                   # the ctnn::network type that loads it
    model = ctnn_torch.load("model.ctnn", "5>dense16:tanh>dense3")   # or load(path, a_template_sequential)

    /usr/bin/python3 tools/ctnn_torch.py describe model.ctnn
    /usr/bin/python3 tools/ctnn_torch.py hash '5>dense16:tanh>dense3'
    /usr/bin/python3 tools/ctnn_torch.py cpp-type '5>dense16:tanh>dense3'

Supported modules: Linear (with bias), ReLU, LeakyReLU (positive slope), Sigmoid, Tanh, Identity,
BatchNorm1d (affine, tracking running statistics, eps > 0) and Softmax(dim=-1 or 1). Anything
else is refused with a ValueError naming the module, because a file ctnn cannot load is worse
than no file.

A weight file stores a hash of its topology, not the layer list, so `load` needs the network's
shape: a Sequential of the right shape, or a layer description, which spells the parameters of
ctnn::network<...> with `>` between them (quote it in a shell):

    description  := INPUT_WIDTH ('>' layer)+
    layer        := 'dense' WIDTH [':' activation]        ctnn::dense<WIDTH, activation>
                  | activation                             ctnn::relu, ctnn::tanh, ...
                  | 'batch_norm' ['(' EPS [',' MOMENTUM] ')']   defaults 1e-5, 0.1 (PyTorch's)
                  | 'softmax'
    activation   := 'identity' | 'relu' | 'sigmoid' | 'tanh' | 'leaky_relu' ['(' SLOPE ')']   slope 0.01
    numbers      := a decimal (0.1, 1e-3) or a ratio (1/10) as in ctnn's template arguments

As in ctnn::network, a dense layer without activation absorbs the activation after it:
'5>dense16>tanh>dense3' and '5>dense16:tanh>dense3' are the same network, file and hash.
"""
import argparse
import copy
import os
import re
import struct
import sys
import zlib
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import torch
from torch import nn

MAGIC = b"CTNNWGT\0"
FORMAT_VERSION = 1
HEADER_SIZE = 48
FLAG_TEST_VECTOR = 1
# Little-endian: magic, version, header size, topology hash, parameter count, CRC-32, flags, layers, bytes per value.
HEADER = struct.Struct("<8sIIQQIIII")

# include/ctnn/layers/layer_kind.hpp and activations.hpp: recorded in every file's hash.
KIND_DENSE, KIND_ACTIVATION, KIND_SOFTMAX, KIND_BATCH_NORM = 1, 2, 3, 4
ACTIVATION_KINDS = {"identity": 0, "relu": 1, "leaky_relu": 2, "sigmoid": 3, "tanh": 4}
# Exact types, not isinstance: a subclass may override forward() and would be exported wrongly.
TORCH_ACTIVATIONS = {nn.Identity: "identity", nn.ReLU: "relu", nn.LeakyReLU: "leaky_relu",
                     nn.Sigmoid: "sigmoid", nn.Tanh: "tanh"}
DEFAULT_SLOPE, DEFAULT_EPS, DEFAULT_MOMENTUM = 0.01, 1e-5, 0.1
SUPPORTED = ("Linear (with bias), ReLU, LeakyReLU, Sigmoid, Tanh, Identity, BatchNorm1d "
             "(affine, track_running_stats) and Softmax(dim=-1)")
# weight_file.hpp's test-vector tolerance, so both sides accept the same files.
TEST_VECTOR_TOLERANCE = 1e-4


@dataclass(frozen=True)
class Activation:
    name: str
    slope: "np.float32 | None" = None  # leaky_relu only, as float32 arithmetic uses it

    def module(self):
        if self.name == "leaky_relu":
            return nn.LeakyReLU(float(self.slope))
        return {"identity": nn.Identity, "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}[self.name]()

    def cpp(self):
        if self.name != "leaky_relu":
            return f"ctnn::{self.name}"
        # ctnn::leaky_relu<Num, Den> computes its slope as float(Num) / float(Den).
        r = _ratio(float(self.slope), lambda n, d: np.float32(n) / np.float32(d) == self.slope)
        return f"ctnn::leaky_relu<{r.numerator}, {r.denominator}>"


IDENTITY = Activation("identity")


# Layer specs: the parameters of ctnn::network<...>, one per Sequential module.
@dataclass(frozen=True)
class Dense:
    width: int
    activation: Activation = IDENTITY


@dataclass(frozen=True)
class ActivationLayer:
    activation: Activation


@dataclass(frozen=True)
class Softmax:
    pass


@dataclass(frozen=True)
class BatchNorm:
    eps: float
    momentum: float = DEFAULT_MOMENTUM  # not in the file: only cpp_type and rebuilt modules use it


@dataclass(frozen=True)
class Layer:
    """A resolved layer, after fusion: what the topology hash and the layer count see."""
    kind: int
    in_size: int
    out_size: int
    spec: object


@dataclass(frozen=True)
class Topology:
    input_size: int
    specs: tuple

    def layers(self):
        """ctnn::network's resolution: widths threaded left to right, and a dense layer whose
        activation is identity absorbs the element-wise activation after it (network.hpp's fusion)."""
        layers, width = [], self.input_size
        for spec in self.specs:
            if isinstance(spec, Dense):
                layers.append(Layer(KIND_DENSE, width, spec.width, spec))
                width = spec.width
            elif isinstance(spec, ActivationLayer):
                last = layers[-1] if layers else None
                if last and last.kind == KIND_DENSE and last.spec.activation == IDENTITY:
                    layers[-1] = Layer(KIND_DENSE, last.in_size, width, Dense(width, spec.activation))
                else:
                    layers.append(Layer(KIND_ACTIVATION, width, width, spec))
            elif isinstance(spec, Softmax):
                layers.append(Layer(KIND_SOFTMAX, width, width, spec))
            else:
                layers.append(Layer(KIND_BATCH_NORM, width, width, spec))
        return layers

    @property
    def output_size(self):
        return self.layers()[-1].out_size

    @property
    def parameter_count(self):
        return sum(l.in_size * l.out_size + l.out_size if l.kind == KIND_DENSE else
                   4 * l.out_size if l.kind == KIND_BATCH_NORM else 0 for l in self.layers())

    def hash(self):
        """ctnn::topology_hash (io/topology.hpp): FNV-1a 64 over 32-bit little-endian words."""
        h = 0xCBF29CE484222325

        def word(w):
            nonlocal h
            for byte in struct.pack("<I", w):
                h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF

        for layer in self.layers():
            word(layer.kind), word(layer.in_size), word(layer.out_size)
            if layer.kind in (KIND_DENSE, KIND_ACTIVATION):
                act = layer.spec.activation
                word(ACTIVATION_KINDS[act.name])
                if act.name == "leaky_relu":
                    word(_float_bits(act.slope))
            elif layer.kind == KIND_BATCH_NORM:
                word(_float_bits(layer.spec.eps))
        return h

    def cpp_type(self):
        parts = [f"ctnn::input<{self.input_size}>"]
        for layer in self.layers():
            spec = layer.spec
            if layer.kind == KIND_DENSE:
                act = "" if spec.activation == IDENTITY else ", " + spec.activation.cpp()
                parts.append(f"ctnn::dense<{spec.width}{act}>")
            elif layer.kind == KIND_ACTIVATION:
                parts.append(spec.activation.cpp())
            elif layer.kind == KIND_SOFTMAX:
                parts.append("ctnn::softmax")
            else:
                parts.append(_cpp_batch_norm(spec))
        return f"ctnn::network<{', '.join(parts)}>"

    def sequential(self):
        """An untrained Sequential of this shape (PyTorch's initialization), one module per spec."""
        modules, width = [], self.input_size
        for spec in self.specs:
            if isinstance(spec, Dense):
                modules.append(nn.Linear(width, spec.width))
                width = spec.width
                if spec.activation != IDENTITY:
                    modules.append(spec.activation.module())
            elif isinstance(spec, ActivationLayer):
                modules.append(spec.activation.module())
            elif isinstance(spec, Softmax):
                modules.append(nn.Softmax(dim=-1))
            else:
                modules.append(nn.BatchNorm1d(width, eps=spec.eps, momentum=spec.momentum))
        return nn.Sequential(*modules)


def _float_bits(x):
    return struct.unpack("<I", struct.pack("<f", float(x)))[0]


def _ratio(value, matches):
    """The simplest Num/Den (both below 2^24, so exact as float) for which matches(Num, Den) holds."""
    for bound in (10 ** k for k in range(8)):
        r = Fraction(value).limit_denominator(bound)
        if r.numerator < 2 ** 24 and matches(r.numerator, r.denominator):
            return r
    raise ValueError(f"{value!r} has no ratio Num/Den with Num and Den below 2^24 that rounds to it in float32")


def _cpp_batch_norm(spec):
    if spec.momentum is None:
        raise ValueError("BatchNorm1d(momentum=None): ctnn's running statistics are exponential moving "
                         "averages; set a momentum in [0, 1] to name a ctnn type")
    if not 0 <= spec.momentum <= 1:
        raise ValueError(f"BatchNorm1d(momentum={spec.momentum}): ctnn::basic_batch_norm needs a momentum in [0, 1]")
    if spec.eps == DEFAULT_EPS and spec.momentum == DEFAULT_MOMENTUM:
        return "ctnn::batch_norm"
    # basic_batch_norm keeps both as the double Num/Den and computes in float(Num/Den).
    eps = _ratio(spec.eps, lambda n, d: np.float32(n / d) == np.float32(spec.eps))
    momentum = _ratio(spec.momentum, lambda n, d: np.float32(n / d) == np.float32(spec.momentum))
    return f"ctnn::basic_batch_norm<{eps.numerator}, {eps.denominator}, {momentum.numerator}, {momentum.denominator}>"


# ---- Sequential -> topology ------------------------------------------------------------------

def _refuse(index, module, why):
    raise ValueError(f"module {index} ({module}) of the Sequential: {why}")


def _module_spec(index, module, width):
    """The layer spec of one module, its parameter tensors in canonical order, and its output
    width (None while the width is still unknown: activations before the first Linear)."""
    kind = type(module)
    if kind is nn.Linear:
        if module.bias is None:
            _refuse(index, module, "ctnn's dense layers always have a bias; use bias=True "
                                   "(and keep it at zero if you want none)")
        if width is not None and module.in_features != width:
            _refuse(index, module, f"takes {module.in_features} inputs but the layer before gives {width}")
        return Dense(module.out_features), [module.weight, module.bias], module.out_features
    if kind in TORCH_ACTIVATIONS:
        name = TORCH_ACTIVATIONS[kind]
        if name != "leaky_relu":
            return ActivationLayer(Activation(name)), [], width
        slope = np.float32(module.negative_slope)
        if not slope > 0:
            _refuse(index, module, "ctnn::leaky_relu needs a positive slope (ctnn tells the branch from the "
                                   "output's sign); use ReLU for a zero slope")
        return ActivationLayer(Activation(name, slope)), [], width
    if kind is nn.Softmax:
        if module.dim not in (-1, 1):
            _refuse(index, module, "ctnn's softmax runs over each sample's features: use dim=-1 (or 1)")
        return Softmax(), [], width
    if kind is nn.BatchNorm1d:
        if not module.affine:
            _refuse(index, module, "ctnn's batch norm has gamma and beta; use affine=True "
                                   "(gamma 1 and beta 0 are the identity)")
        if not module.track_running_stats:
            _refuse(index, module, "ctnn's inference uses running statistics; use track_running_stats=True")
        if width is not None and module.num_features != width:
            _refuse(index, module, f"normalizes {module.num_features} features but the layer before gives {width}")
        if not module.eps > 0:
            _refuse(index, module, "ctnn::basic_batch_norm needs eps > 0")
        tensors = [module.weight, module.bias, module.running_mean, module.running_var]
        return BatchNorm(module.eps, module.momentum), tensors, module.num_features
    _refuse(index, module, f"ctnn cannot represent {kind.__name__}; a Sequential for ctnn holds only {SUPPORTED}")


def _parse_sequential(sequential):
    """(Topology, parameter tensors in canonical order) of a Sequential ctnn can represent."""
    if type(sequential) is not nn.Sequential:
        raise TypeError(f"expected a torch.nn.Sequential, got {type(sequential).__name__}")
    if len(sequential) == 0:
        raise ValueError("the Sequential is empty: ctnn needs at least one layer")
    specs, tensors, width, input_size = [], [], None, None
    for index, module in enumerate(sequential):
        spec, own, out = _module_spec(index, module, width)
        if input_size is None and isinstance(spec, (Dense, BatchNorm)):
            input_size = module.in_features if isinstance(spec, Dense) else module.num_features
        specs.append(spec)
        tensors += own
        width = out
    if input_size is None:
        raise ValueError("the Sequential has no Linear or BatchNorm1d, so nothing gives its input width")
    return Topology(input_size, tuple(specs)), tensors


# ---- layer descriptions -----------------------------------------------------------------------

def _number(text, where):
    """A decimal or a ratio: (value as double, value as float32 arithmetic computes a ratio)."""
    try:
        if "/" in text:
            n, d = (int(t) for t in text.split("/"))
            if d == 0:
                raise ValueError
            return n / d, np.float32(n) / np.float32(d)
        return float(text), np.float32(float(text))  # as torch rounds a Python float
    except ValueError:
        raise ValueError(f"{where}: {text!r} is not a number (write 0.1, 1e-5 or 1/10)") from None


def _call(text, where):
    """'name(a,b)' -> ('name', ['a', 'b']); 'name' -> ('name', [])."""
    m = re.fullmatch(r"([a-z_]+)(?:\(([^()]*)\))?", text)
    if not m:
        raise ValueError(f"{where}: cannot read {text!r}")
    return m.group(1), (m.group(2).split(",") if m.group(2) is not None else [])


def _parse_activation(text, where):
    name, args = _call(text, where)
    if name not in ACTIVATION_KINDS:
        raise ValueError(f"{where}: unknown activation {name!r} (one of {', '.join(ACTIVATION_KINDS)})")
    if name != "leaky_relu":
        if args:
            raise ValueError(f"{where}: {name} takes no arguments")
        return Activation(name)
    if len(args) > 1:
        raise ValueError(f"{where}: leaky_relu takes one argument, the slope")
    slope = _number(args[0], where)[1] if args else np.float32(DEFAULT_SLOPE)
    if not slope > 0:
        raise ValueError(f"{where}: ctnn::leaky_relu needs a positive slope")
    return Activation(name, slope)


def parse_description(description):
    """The Topology of a layer description such as '5>dense16:tanh>batch_norm>relu>dense3'."""
    items = "".join(description.split()).split(">")
    if not items[0].isdigit() or int(items[0]) == 0:
        raise ValueError(f"layer description {description!r}: it starts with the input width, "
                         f"a positive integer, not {items[0]!r}")
    if len(items) < 2:
        raise ValueError(f"layer description {description!r}: a network needs at least one layer after its input")
    specs = []
    for i, item in enumerate(items[1:], 1):
        where = f"layer description {description!r}, item {i} {item!r}"
        dense = re.fullmatch(r"dense(\d+)(?::(.+))?", item)
        if dense:
            if int(dense.group(1)) == 0:
                raise ValueError(f"{where}: a layer needs at least one output")
            act = _parse_activation(dense.group(2), where) if dense.group(2) else IDENTITY
            specs.append(Dense(int(dense.group(1)), act))
            continue
        name, args = _call(item, where)
        if name == "softmax" and not args:
            specs.append(Softmax())
        elif name == "batch_norm":
            if len(args) > 2:
                raise ValueError(f"{where}: batch_norm takes at most two arguments, eps and momentum")
            eps = _number(args[0], where)[0] if args else DEFAULT_EPS
            momentum = _number(args[1], where)[0] if len(args) > 1 else DEFAULT_MOMENTUM
            if not eps > 0:
                raise ValueError(f"{where}: eps must be positive")
            specs.append(BatchNorm(eps, momentum))
        else:
            specs.append(ActivationLayer(_parse_activation(item, where)))
    return Topology(int(items[0]), tuple(specs))


def _topology(network):
    if isinstance(network, str):
        return parse_description(network)
    return _parse_sequential(network)[0]


def topology_hash(network):
    """ctnn::topology_hash<Net>() of a Sequential or a layer description."""
    return _topology(network).hash()


def cpp_type(network):
    """The ctnn::network type (fused form) that loads the weights of a Sequential or description."""
    return _topology(network).cpp_type()


def from_description(description):
    """An untrained Sequential (PyTorch's initialization) of the shape a layer description names."""
    return parse_description(description).sequential()


# ---- files ------------------------------------------------------------------------------------

def save(sequential, path, test_input=None):
    """Writes the Sequential's parameters as a ctnn weight file. With test_input (input_size
    values), the file also carries the Sequential's eval-mode output for it, which ctnn::load
    checks. The file is written next to path and renamed over it, as ctnn::save does."""
    topology, tensors = _parse_sequential(sequential)
    values = np.concatenate([t.detach().cpu().reshape(-1).numpy().astype(np.float32) for t in tensors])
    if not np.all(np.isfinite(values)):
        raise ValueError(f"parameter {int(np.argmin(np.isfinite(values)))} (canonical order) is not finite "
                         "in float32: ctnn refuses such files")
    payload = values.astype("<f4").tobytes()
    flags = 0
    if test_input is not None:
        reference = tensors[0]
        x = torch.as_tensor(test_input, dtype=reference.dtype, device=reference.device).reshape(-1)
        if x.numel() != topology.input_size:
            raise ValueError(f"test_input has {x.numel()} values, the network takes {topology.input_size}")
        was_training = sequential.training
        sequential.eval()
        try:
            with torch.no_grad():
                y = sequential(x.reshape(1, -1)).reshape(-1)
        finally:
            sequential.train(was_training)
        vector = np.concatenate([x.cpu().numpy(), y.cpu().numpy()]).astype("<f4")
        payload += vector.tobytes()
        flags |= FLAG_TEST_VECTOR
    header = HEADER.pack(MAGIC, FORMAT_VERSION, HEADER_SIZE, topology.hash(), topology.parameter_count,
                         zlib.crc32(payload), flags, len(topology.layers()), 4)
    temporary = f"{path}.tmp"
    with open(temporary, "wb") as f:
        f.write(header + payload)
    os.replace(temporary, path)


def read_header(data):
    """The header fields of a weight file's bytes, as a dict (no checks beyond the size)."""
    if len(data) < HEADER_SIZE:
        raise ValueError(f"truncated: {len(data)} bytes, shorter than the {HEADER_SIZE}-byte header")
    names = ("magic", "version", "header_size", "topology_hash", "parameter_count", "crc32", "flags",
             "layer_count", "value_size")
    return dict(zip(names, HEADER.unpack_from(data)))


def load(path, template):
    """Reads a ctnn weight file into a new Sequential in eval mode. template is a Sequential of
    the network's shape (deep-copied, not changed) or a layer description. Every header field,
    the size, the CRC, the parameters' finiteness and the test vector (if present) are checked;
    any failure raises ValueError naming the field, expected versus found."""
    if isinstance(template, str):
        # The initial values are overwritten: leave the caller's random stream where it was.
        with torch.random.fork_rng(devices=[]):
            model = parse_description(template).sequential()
        network = repr(template)
    elif isinstance(template, nn.Module):
        model = copy.deepcopy(template)
        network = "the template"
    else:
        raise TypeError("load(path, template): a weight file stores only a hash of its topology; pass a "
                        "Sequential of the network's shape or a layer description such as '5>dense16:tanh>dense3'")
    topology, tensors = _parse_sequential(model)
    with open(path, "rb") as f:
        data = f.read()

    def fail(why):
        raise ValueError(f"ctnn weight file {path}: {why}")

    try:
        h = read_header(data)
    except ValueError as e:
        fail(e)
    if h["magic"] != MAGIC:
        fail("bad magic: not a ctnn weight file")
    if h["version"] != FORMAT_VERSION:
        fail(f"format version {h['version']}, this tool reads version {FORMAT_VERSION}")
    if h["header_size"] != HEADER_SIZE:
        fail(f"header size {h['header_size']}, expected {HEADER_SIZE}")
    if h["topology_hash"] != topology.hash():
        fail(f"topology hash {h['topology_hash']:#018x}, {network} has "
             f"{topology.hash():#018x}: the file was made for a different network")
    if h["parameter_count"] != topology.parameter_count:
        fail(f"{h['parameter_count']} parameters, this network has {topology.parameter_count}")
    if h["flags"] & ~FLAG_TEST_VECTOR:
        fail(f"unknown flags {h['flags']:#x}")
    if h["layer_count"] != len(topology.layers()):
        fail(f"{h['layer_count']} layers, this network has {len(topology.layers())}")
    if h["value_size"] != 4:
        fail(f"{h['value_size']}-byte values, expected 4 (float32)")
    with_test_vector = bool(h["flags"] & FLAG_TEST_VECTOR)
    count = topology.parameter_count + (topology.input_size + topology.output_size if with_test_vector else 0)
    expected = HEADER_SIZE + 4 * count
    if len(data) < expected:
        fail(f"truncated: a file for this network is {expected} bytes, this one {len(data)}")
    if len(data) > expected:
        fail(f"{len(data) - expected} trailing bytes after the {expected} bytes of a file for this network")
    crc = zlib.crc32(data[HEADER_SIZE:])
    if h["crc32"] != crc:
        fail(f"payload CRC-32 {h['crc32']:#010x} in the header, {crc:#010x} computed: the file is corrupt")
    values = np.frombuffer(data, dtype="<f4", offset=HEADER_SIZE).astype(np.float32)
    params = values[:topology.parameter_count]
    if not np.all(np.isfinite(params)):
        fail(f"parameter {int(np.argmin(np.isfinite(params)))} is not finite")

    with torch.no_grad():
        offset = 0
        for t in tensors:
            t.copy_(torch.from_numpy(params[offset:offset + t.numel()].copy()).reshape(t.shape))
            offset += t.numel()
    model.eval()
    if with_test_vector:
        x = values[topology.parameter_count:topology.parameter_count + topology.input_size]
        y = values[topology.parameter_count + topology.input_size:].astype(np.float64)
        # Evaluated in double, as the C++ loader does, so both accept the same files.
        with torch.no_grad():
            computed = copy.deepcopy(model).double()(torch.from_numpy(x.astype(np.float64)).reshape(1, -1))
        computed = computed.reshape(-1).numpy()
        for o in range(len(y)):
            if not abs(computed[o] - y[o]) <= TEST_VECTOR_TOLERANCE * (1 + abs(y[o])):
                fail(f"test vector output {o} is {y[o]!r} but the file's parameters give {computed[o]!r}")
    return model


def describe(path):
    """The header fields of a weight file, and the findings a file alone allows (no topology)."""
    with open(path, "rb") as f:
        data = f.read()
    h = read_header(data)
    problems = []
    if h["magic"] != MAGIC:
        problems.append("bad magic: not a ctnn weight file")
    if h["version"] != FORMAT_VERSION:
        problems.append(f"format version {h['version']}, this tool reads {FORMAT_VERSION}")
    if h["header_size"] != HEADER_SIZE:
        problems.append(f"header size {h['header_size']}, expected {HEADER_SIZE}")
    if h["value_size"] != 4:
        problems.append(f"{h['value_size']}-byte values, expected 4")
    if h["flags"] & ~FLAG_TEST_VECTOR:
        problems.append(f"unknown flags {h['flags']:#x}")
    crc = zlib.crc32(data[HEADER_SIZE:])
    if crc != h["crc32"]:
        problems.append(f"payload CRC-32 computed {crc:#010x}: the file is corrupt")
    extra = (len(data) - HEADER_SIZE) // 4 - h["parameter_count"]
    if (len(data) - HEADER_SIZE) % 4 or extra < 0 or (extra > 0) != bool(h["flags"] & FLAG_TEST_VECTOR):
        problems.append(f"{len(data)} bytes do not fit {h['parameter_count']} parameters"
                        + (" and a test vector" if h["flags"] & FLAG_TEST_VECTOR else ""))
    h["file_size"] = len(data)
    h["test_vector_values"] = max(extra, 0)
    h["problems"] = problems
    return h


def _main(argv):
    parser = argparse.ArgumentParser(description="PyTorch bridge for ctnn weight files.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("describe", help="print a weight file's header").add_argument("file")
    commands.add_parser("hash", help="print the topology hash of a layer description").add_argument("description")
    commands.add_parser("cpp-type", help="print the ctnn::network type of a layer description").add_argument(
        "description")
    args = parser.parse_args(argv)
    try:
        if args.command == "hash":
            print(f"{topology_hash(args.description):#018x}")
        elif args.command == "cpp-type":
            print(cpp_type(args.description))
        else:
            h = describe(args.file)
            print(f"file             {args.file} ({h['file_size']} bytes)")
            print(f"magic            {h['magic']!r}")
            print(f"format version   {h['version']}")
            print(f"header size      {h['header_size']}")
            print(f"topology hash    {h['topology_hash']:#018x}")
            print(f"parameters       {h['parameter_count']}")
            print(f"payload CRC-32   {h['crc32']:#010x}")
            tv = f" (test vector: {h['test_vector_values']} values, inputs then outputs)" if h["flags"] & 1 else ""
            print(f"flags            {h['flags']:#x}{tv}")
            print(f"layers           {h['layer_count']}")
            print(f"bytes per value  {h['value_size']}")
            for p in h["problems"]:
                print(f"problem: {p}")
            return 1 if h["problems"] else 0
    except (OSError, ValueError) as e:
        print(f"ctnn_torch {args.command}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
