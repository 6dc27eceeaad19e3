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
BatchNorm1d (affine, tracking running statistics, eps > 0), Softmax(dim=-1 or 1), Dropout (p < 1;
the identity in eval mode, as in ctnn's inference) and ctnn_torch.Residual, the skip connection
torch lacks: Residual(*layers) computes body(x) + x (ctnn::residual<...>), and
Residual(*layers, projection=nn.Linear(n, m)) computes body(x) + projection(x)
(ctnn::projected_residual<...>); a body holds any supported module, blocks included. Anything
else is refused with a ValueError naming the module, because a file ctnn cannot load is worse
than no file.

A weight file stores a hash of its topology, not the layer list, so `load` needs the network's
shape: a Sequential of the right shape, or a layer description, which spells the parameters of
ctnn::network<...> with `>` between them (quote it in a shell):

    description  := INPUT_WIDTH '>' chain
    chain        := layer ('>' layer)*
    layer        := 'dense' WIDTH [':' activation]        ctnn::dense<WIDTH, activation>
                  | activation                             ctnn::relu, ctnn::tanh, ...
                  | 'batch_norm' ['(' EPS [',' MOMENTUM] ')']   defaults 1e-5, 0.1 (PyTorch's)
                  | 'dropout' ['(' P ')']                  ctnn::dropout<Num, Den>, P in [0, 1), default 1/2
                  | 'softmax'
                  | 'residual(' chain ')'                  ctnn::residual<...>: f(x) + x
                  | 'projected_residual(' chain ')'        ctnn::projected_residual<...>: f(x) + P x + c
    activation   := 'identity' | 'relu' | 'sigmoid' | 'tanh' | 'leaky_relu' ['(' SLOPE ')']   slope 0.01
    numbers      := a decimal (0.1, 1e-3) or a ratio (1/10) as in ctnn's template arguments

For example '8>dense8:tanh>residual(dense8:relu>dense8)>relu>projected_residual(dense6:tanh)>dense3'.
As in ctnn::network, a dense layer without activation absorbs the activation after it:
'5>dense16>tanh>dense3' and '5>dense16:tanh>dense3' are the same network, file and hash. Inside a
residual block's chain too, but a block does not absorb the activation after it (which applies to
f(x) + x): in '8>residual(dense8>relu)>tanh' the block's dense has relu, and tanh stays a layer.
A file's hash does not record dropout's P (inference is the identity); cpp_type prints it.
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
KIND_DENSE, KIND_ACTIVATION, KIND_SOFTMAX, KIND_BATCH_NORM, KIND_DROPOUT, KIND_RESIDUAL = 1, 2, 3, 4, 5, 6
ACTIVATION_KINDS = {"identity": 0, "relu": 1, "leaky_relu": 2, "sigmoid": 3, "tanh": 4}
# Exact types, not isinstance: a subclass may override forward() and would be exported wrongly.
TORCH_ACTIVATIONS = {nn.Identity: "identity", nn.ReLU: "relu", nn.LeakyReLU: "leaky_relu",
                     nn.Sigmoid: "sigmoid", nn.Tanh: "tanh"}
DEFAULT_SLOPE, DEFAULT_EPS, DEFAULT_MOMENTUM, DEFAULT_DROPOUT = 0.01, 1e-5, 0.1, 0.5
SUPPORTED = ("Linear (with bias), ReLU, LeakyReLU, Sigmoid, Tanh, Identity, BatchNorm1d "
             "(affine, track_running_stats), Softmax(dim=-1), Dropout and ctnn_torch.Residual")
# io/topology.hpp: FNV-1a 64, and the words that bracket a residual block's sub-chain ('(' and ')').
FNV_OFFSET, FNV_PRIME = 0xCBF29CE484222325, 0x100000001B3
BLOCK_OPEN, BLOCK_CLOSE = 0x28, 0x29
# weight_file.hpp's test-vector tolerance, so both sides accept the same files.
TEST_VECTOR_TOLERANCE = 1e-4


class Residual(nn.Module):
    """A residual block, which torch lacks: body(x) + x (ctnn::residual<...>) or, with a
    projection (an nn.Linear with bias), body(x) + projection(x) (ctnn::projected_residual<...>).
    body is registered before projection, so parameters() and state_dict() list them in ctnn's
    canonical order."""

    def __init__(self, *layers, projection=None):
        super().__init__()
        self.body = nn.Sequential(*layers)
        self.projection = projection

    def forward(self, x):
        return self.body(x) + (x if self.projection is None else self.projection(x))


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
class Dropout:
    probability: float  # not in the file either: inference is the identity


@dataclass(frozen=True)
class ResidualBlock:
    specs: tuple     # f, the sub-chain
    projected: bool  # a dense layer P x + c on the skip path instead of x


# The layers whose output width is their input width and whose kind says all the hash records.
WIDTH_KEEPING_KINDS = {Softmax: KIND_SOFTMAX, BatchNorm: KIND_BATCH_NORM, Dropout: KIND_DROPOUT}


@dataclass(frozen=True)
class Layer:
    """A resolved layer, after fusion: what the topology hash and the layer count see."""
    kind: int
    in_size: int
    out_size: int
    spec: object
    body: tuple = ()  # a residual block's resolved sub-chain


@dataclass(frozen=True)
class Topology:
    input_size: int
    specs: tuple

    def layers(self):
        return _resolve(self.input_size, self.specs)

    @property
    def output_size(self):
        return self.layers()[-1].out_size

    @property
    def parameter_count(self):
        return _parameter_count(self.layers())

    def hash(self):
        """ctnn::topology_hash (io/topology.hpp): FNV-1a 64 over 32-bit little-endian words."""
        return _hash_layers(FNV_OFFSET, self.layers())

    def cpp_type(self):
        return f"ctnn::network<{', '.join([f'ctnn::input<{self.input_size}>', *_cpp_layers(self.layers())])}>"

    def sequential(self):
        """An untrained Sequential of this shape (PyTorch's initialization), one module per spec."""
        return nn.Sequential(*_modules(self.input_size, self.specs)[0])


def _resolve(width, specs):
    """ctnn::network's resolution of specs on inputs of `width` values: widths threaded left to
    right, and a dense layer whose activation is identity absorbs the element-wise activation
    after it (network.hpp's fusion). A residual block's body is a network of its own, resolved
    (and fused) inside the block."""
    layers = []
    for spec in specs:
        if isinstance(spec, Dense):
            layers.append(Layer(KIND_DENSE, width, spec.width, spec))
        elif isinstance(spec, ActivationLayer):
            last = layers[-1] if layers else None
            if last and last.kind == KIND_DENSE and last.spec.activation == IDENTITY:
                layers[-1] = Layer(KIND_DENSE, last.in_size, width, Dense(width, spec.activation))
            else:
                layers.append(Layer(KIND_ACTIVATION, width, width, spec))
        elif isinstance(spec, ResidualBlock):
            body = tuple(_resolve(width, spec.specs))
            if not spec.projected and body[-1].out_size != width:
                raise ValueError(f"a residual block on {width} values ends at width {body[-1].out_size}, so "
                                 f"f(x) + x is undefined; end it at width {width} or use projected_residual")
            layers.append(Layer(KIND_RESIDUAL, width, body[-1].out_size, spec, body))
        else:
            layers.append(Layer(WIDTH_KEEPING_KINDS[type(spec)], width, width, spec))
        width = layers[-1].out_size
    return layers


def _dense_parameter_count(in_size, out_size):
    return in_size * out_size + out_size


def _parameter_count(layers):
    """As the weight file counts them: a block's count is its body's plus its projection's."""
    count = 0
    for layer in layers:
        if layer.kind == KIND_DENSE:
            count += _dense_parameter_count(layer.in_size, layer.out_size)
        elif layer.kind == KIND_BATCH_NORM:
            count += 4 * layer.out_size  # gamma, beta, running mean, running variance
        elif layer.kind == KIND_RESIDUAL:
            count += _parameter_count(layer.body)
            if layer.spec.projected:
                count += _dense_parameter_count(layer.in_size, layer.out_size)
    return count


def _fnv1a(h, word):
    for byte in struct.pack("<I", word):
        h = ((h ^ byte) * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return h


def _hash_layers(h, layers):
    """topology.hpp's hash_layers: each layer's kind and widths, then what else defines it."""
    for layer in layers:
        for word in (layer.kind, layer.in_size, layer.out_size):
            h = _fnv1a(h, word)
        if layer.kind in (KIND_DENSE, KIND_ACTIVATION):
            act = layer.spec.activation
            h = _fnv1a(h, ACTIVATION_KINDS[act.name])
            if act.name == "leaky_relu":
                h = _fnv1a(h, _float_bits(act.slope))
        elif layer.kind == KIND_BATCH_NORM:
            h = _fnv1a(h, _float_bits(layer.spec.eps))
        elif layer.kind == KIND_RESIDUAL:  # the body's layers, bracketed, then the skip path
            h = _hash_layers(_fnv1a(h, BLOCK_OPEN), layer.body)
            h = _fnv1a(_fnv1a(h, int(layer.spec.projected)), BLOCK_CLOSE)
    return h


def _cpp_layers(layers):
    """The ctnn layer specs of resolved layers, one per layer (the fused form)."""
    parts = []
    for layer in layers:
        spec = layer.spec
        if layer.kind == KIND_DENSE:
            act = "" if spec.activation == IDENTITY else ", " + spec.activation.cpp()
            parts.append(f"ctnn::dense<{spec.width}{act}>")
        elif layer.kind == KIND_ACTIVATION:
            parts.append(spec.activation.cpp())
        elif layer.kind == KIND_SOFTMAX:
            parts.append("ctnn::softmax")
        elif layer.kind == KIND_BATCH_NORM:
            parts.append(_cpp_batch_norm(spec))
        elif layer.kind == KIND_DROPOUT:
            parts.append(_cpp_dropout(spec))
        else:
            block = "projected_residual" if spec.projected else "residual"
            parts.append(f"ctnn::{block}<{', '.join(_cpp_layers(layer.body))}>")
    return parts


def _modules(width, specs):
    """Untrained modules for specs on inputs of `width` values (a dense layer's activation as a
    module of its own), and their output width."""
    modules = []
    for spec in specs:
        if isinstance(spec, Dense):
            modules.append(nn.Linear(width, spec.width))
            width = spec.width
            if spec.activation != IDENTITY:
                modules.append(spec.activation.module())
        elif isinstance(spec, ActivationLayer):
            modules.append(spec.activation.module())
        elif isinstance(spec, Softmax):
            modules.append(nn.Softmax(dim=-1))
        elif isinstance(spec, BatchNorm):
            modules.append(nn.BatchNorm1d(width, eps=spec.eps, momentum=spec.momentum))
        elif isinstance(spec, Dropout):
            modules.append(nn.Dropout(spec.probability))
        else:
            body, out = _modules(width, spec.specs)
            modules.append(Residual(*body, projection=nn.Linear(width, out) if spec.projected else None))
            width = out
    return modules, width


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


def _cpp_dropout(spec):
    # ctnn::dropout keeps the double Num/Den and draws against float(Num/Den).
    p = _ratio(spec.probability, lambda n, d: np.float32(n / d) == np.float32(spec.probability))
    return f"ctnn::dropout<{p.numerator}, {p.denominator}>"


# ---- Sequential -> topology ------------------------------------------------------------------

def _refuse(path, module, why):
    # One line even for a Residual, whose repr spans several.
    raise ValueError(f"module {path} ({' '.join(repr(module).split())}) of the Sequential: {why}")


def _check_linear(path, module, width):
    if module.bias is None:
        _refuse(path, module, "ctnn's dense layers always have a bias; use bias=True "
                              "(and keep it at zero if you want none)")
    if width is not None and module.in_features != width:
        _refuse(path, module, f"takes {module.in_features} inputs but the layer before gives {width}")


def _module_spec(path, module, width):
    """The layer spec of one module, its parameter tensors in canonical order, and its input
    and output widths (None while the width is still unknown: activations before the first Linear)."""
    kind = type(module)
    if kind is nn.Linear:
        _check_linear(path, module, width)
        return Dense(module.out_features), [module.weight, module.bias], module.in_features, module.out_features
    if kind in TORCH_ACTIVATIONS:
        name = TORCH_ACTIVATIONS[kind]
        if name != "leaky_relu":
            return ActivationLayer(Activation(name)), [], width, width
        slope = np.float32(module.negative_slope)
        if not slope > 0:
            _refuse(path, module, "ctnn::leaky_relu needs a positive slope (ctnn tells the branch from the "
                                  "output's sign); use ReLU for a zero slope")
        return ActivationLayer(Activation(name, slope)), [], width, width
    if kind is nn.Softmax:
        if module.dim not in (-1, 1):
            _refuse(path, module, "ctnn's softmax runs over each sample's features: use dim=-1 (or 1)")
        return Softmax(), [], width, width
    if kind is nn.Dropout:
        if not np.float32(module.p) < 1:  # torch itself refuses p outside [0, 1]
            _refuse(path, module, "ctnn::dropout<Num, Den> needs a probability below 1")
        return Dropout(module.p), [], width, width
    if kind is nn.BatchNorm1d:
        if not module.affine:
            _refuse(path, module, "ctnn's batch norm has gamma and beta; use affine=True "
                                  "(gamma 1 and beta 0 are the identity)")
        if not module.track_running_stats:
            _refuse(path, module, "ctnn's inference uses running statistics; use track_running_stats=True")
        if width is not None and module.num_features != width:
            _refuse(path, module, f"normalizes {module.num_features} features but the layer before gives {width}")
        if not module.eps > 0:
            _refuse(path, module, "ctnn::basic_batch_norm needs eps > 0")
        tensors = [module.weight, module.bias, module.running_mean, module.running_var]
        return BatchNorm(module.eps, module.momentum), tensors, module.num_features, module.num_features
    if kind is Residual:
        return _residual_spec(path, module, width)
    _refuse(path, module, f"ctnn cannot represent {kind.__name__}; a Sequential for ctnn holds only {SUPPORTED}")


def _residual_spec(path, block, width):
    """_module_spec of a Residual: the body's tensors come first, then the projection's."""
    projection = block.projection
    if projection is not None:
        if type(projection) is not nn.Linear:
            _refuse(f"{path}.projection", projection, "ctnn::projected_residual's skip path is a dense layer: "
                                                      "use an nn.Linear")
        _check_linear(f"{path}.projection", projection, width)
        width = projection.in_features
    if len(block.body) == 0:
        _refuse(path, block, "a residual block needs at least one layer in its body")
    specs, tensors, in_width, out_width = _parse_chain(block.body, width, f"{path}.body.")
    if projection is None:
        if out_width != in_width:
            _refuse(path, block, f"its body takes {in_width} values and gives {out_width}, so body(x) + x is "
                                 f"undefined; add projection=nn.Linear({in_width}, {out_width})")
        return ResidualBlock(tuple(specs), False), tensors, in_width, out_width
    if projection.out_features != out_width:
        _refuse(f"{path}.projection", projection,
                f"gives {projection.out_features} values but the block's body gives {out_width}")
    return ResidualBlock(tuple(specs), True), tensors + [projection.weight, projection.bias], in_width, out_width


def _parse_chain(modules, width, prefix):
    """(specs, parameter tensors in canonical order, input width, output width) of modules run one
    after the other on inputs of `width` values (None: unknown until a module fixes it). prefix
    names where the modules are in messages: '' at the top, '2.body.' in the block at index 2."""
    specs, tensors, input_size = [], [], width
    for index, module in enumerate(modules):
        spec, own, in_width, width = _module_spec(f"{prefix}{index}", module, width)
        if input_size is None:
            input_size = in_width
        specs.append(spec)
        tensors += own
    return specs, tensors, input_size, width


def _parse_sequential(sequential):
    """(Topology, parameter tensors in canonical order) of a Sequential ctnn can represent."""
    if type(sequential) is not nn.Sequential:
        raise TypeError(f"expected a torch.nn.Sequential, got {type(sequential).__name__}")
    if len(sequential) == 0:
        raise ValueError("the Sequential is empty: ctnn needs at least one layer")
    specs, tensors, input_size, _ = _parse_chain(sequential, None, "")
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


def _split_chain(text, where):
    """text's items between the '>' outside parentheses (a residual block's chain stays one item)."""
    items, depth, start = [], 0, 0
    for i, c in enumerate(text):
        depth += {"(": 1, ")": -1}.get(c, 0)
        if depth < 0:
            raise ValueError(f"{where}: a ')' without its '('")
        if c == ">" and depth == 0:
            items.append(text[start:i])
            start = i + 1
    if depth > 0:
        raise ValueError(f"{where}: a '(' without its ')'")
    return items + [text[start:]]


def _parse_layers(items, description, prefix):
    """The specs of a chain's items; prefix numbers the items of a block ('3.' inside item 3)."""
    specs = []
    for i, item in enumerate(items, 1):
        where = f"layer description {description!r}, item {prefix}{i} {item!r}"
        block = re.fullmatch(r"(residual|projected_residual)\((.*)\)", item)
        if block:
            if not block.group(2):
                raise ValueError(f"{where}: a residual block needs at least one layer")
            body = _parse_layers(_split_chain(block.group(2), where), description, f"{prefix}{i}.")
            specs.append(ResidualBlock(tuple(body), block.group(1) == "projected_residual"))
            continue
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
        elif name == "dropout":
            if len(args) > 1:
                raise ValueError(f"{where}: dropout takes one argument, the probability")
            probability = _number(args[0], where)[0] if args else DEFAULT_DROPOUT
            if not 0 <= np.float32(probability) < 1:
                raise ValueError(f"{where}: ctnn::dropout<Num, Den> needs a probability in [0, 1)")
            specs.append(Dropout(probability))
        else:
            specs.append(ActivationLayer(_parse_activation(item, where)))
    return specs


def parse_description(description):
    """The Topology of a layer description such as '5>dense16:tanh>batch_norm>relu>dense3'."""
    where = f"layer description {description!r}"
    items = _split_chain("".join(description.split()), where)
    if not items[0].isdigit() or int(items[0]) == 0:
        raise ValueError(f"{where}: it starts with the input width, a positive integer, not {items[0]!r}")
    if len(items) < 2:
        raise ValueError(f"{where}: a network needs at least one layer after its input")
    topology = Topology(int(items[0]), tuple(_parse_layers(items[1:], description, "")))
    try:
        topology.layers()  # resolving checks the widths of residual blocks
    except ValueError as e:
        raise ValueError(f"{where}: {e}") from None
    return topology


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
        # As ctnn::save: a non-finite test vector could never be reproduced, so load refuses it.
        for what, part in (("test input", vector[:topology.input_size]), ("output", vector[topology.input_size:])):
            if not np.all(np.isfinite(part)):
                raise ValueError(f"{what} {int(np.argmin(np.isfinite(part)))} of the test vector is not finite "
                                 "in float32: ctnn refuses such files")
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
