"""The PyTorch twin of a chainrule model: the same network as a `torch.nn.Sequential`, and back.

    twin = nn.to_torch(model)      # Linear (float64) and activation modules, the same weights
    model = nn.from_torch(twin)    # the MLP back, every weight the same to the last bit

A layer of n neurons reading m inputs is one `torch.nn.Linear(m, n)`: neuron j's weights are
row j of its `weight` (an n x m matrix, W[j][i] = w_i of neuron j) and its bias is `bias[j]`,
because Linear computes y = x W^T + b, one row of W dotted with x per output, as each neuron
computes w . x + b. Each layer's activation follows as a module of its own (ReLU, Tanh, Sigmoid,
LeakyReLU(0.01)); a linear layer has none. Both sides compute in float64, so the same loss
gives the same gradients up to the order in which sums are rounded (~1e-16 relative per sum).

A Layer or a lone Neuron is converted too, as the one-layer MLP it is: they compute the same
function and differ only in what they return (a Layer a list, a Neuron one Value), which a
Linear does not distinguish: it always returns a tensor. `from_torch` gives back an MLP.

PyTorch is an optional extra (`pip install 'chainrule[torch]'`): it is imported inside the
functions that need it, so `import nn` never imports it. `twin_script`, which writes the twin as
a Python script's text, needs no PyTorch at all.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nn.layers import ACTIVATIONS, MLP, Layer, Neuron
from nn.module import Module

if TYPE_CHECKING:
    import torch

INSTALL = "pip install 'chainrule[torch]'"

# The slope of chainrule's leaky_relu inside an MLP (Value.leaky_relu's default): the twin's
# LeakyReLU must use this one and no other.
LEAKY_SLOPE = 0.01

# chainrule activation -> the torch.nn module that computes it (None: no module, linear).
TORCH_MODULES = {
    "relu": "ReLU",
    "tanh": "Tanh",
    "sigmoid": "Sigmoid",
    "leaky_relu": "LeakyReLU",
    "linear": None,
}


@dataclass(frozen=True)
class Affine:
    """One layer as plain numbers: act(W x + b), W one row of weights per neuron."""

    weight: list[list[float]]
    bias: list[float]
    activation: str

    @property
    def nin(self) -> int:
        return len(self.weight[0])

    @property
    def nout(self) -> int:
        return len(self.weight)


def import_torch():  # noqa: ANN201 - torch is optional, so its module type is too
    """`torch`, or an ImportError that says how to install it."""
    try:
        import torch
    except ImportError:
        raise ImportError(f"the PyTorch twin needs PyTorch, which is not installed: {INSTALL}"
                          ) from None
    return torch


# --- chainrule -> numbers -> torch ------------------------------------------------------------

def affine_layers(model: Module) -> list[Affine]:
    """The model's layers as numbers, first to last: an MLP's layers, or a Layer or a Neuron as
    one layer. Refuses, with the reason, what a Sequential of Linear and activation modules
    cannot compute: another kind of model, a subclass with a forward pass of its own, an
    activation PyTorch has no module for."""
    if isinstance(model, MLP):
        kind, layers = MLP, [(layer.neurons, layer.activation) for layer in model.layers]
    elif isinstance(model, Layer):
        kind, layers = Layer, [(model.neurons, model.activation)]
    elif isinstance(model, Neuron):
        kind, layers = Neuron, [((model,), model.activation)]
    else:
        raise TypeError(f"to_torch converts an nn.MLP, Layer or Neuron, got a "
                        f"{type(model).__name__}: PyTorch's twin is built from the model's "
                        "layers, and this one has none that to_torch knows")
    if type(model).__call__ is not kind.__call__:
        raise TypeError(f"to_torch cannot convert {type(model).__name__}: it overrides the "
                        f"forward pass (__call__) of {kind.__name__}, which the twin would "
                        "not compute; convert the plain model instead")
    affines = []
    for k, (neurons, activation) in enumerate(layers):
        if activation not in TORCH_MODULES or activation not in ACTIVATIONS:
            raise ValueError(f"to_torch: layer {k} uses the activation {activation!r}, which "
                             f"has no twin in PyTorch here (the twin knows "
                             f"{', '.join(sorted(TORCH_MODULES))})")
        where = f"layer {k}, neuron"
        affines.append(Affine(
            [[_number(w.data, f"{where} {j}, weight {i}") for i, w in enumerate(n.w)]
             for j, n in enumerate(neurons)],
            [_number(n.b.data, f"{where} {j}, bias") for j, n in enumerate(neurons)],
            activation))
    return affines


def _number(value: object, where: str) -> float:
    """A parameter's `.data` as a float, or a ValueError saying where it is none. `.data` is
    assignable, so a diverged or hand-edited model may hold a nan (its twin would compute nan,
    and the printed script would not run: `nan` is no Python name) or something not a number."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:  # an int beyond the largest float
            number = math.inf
        if math.isfinite(number):
            return number
        what = "an int too large for a float" if math.isinf(number) and isinstance(
            value, numbers.Integral) else repr(number)
    else:
        what = f"a {type(value).__name__}"
    raise ValueError(f"to_torch: {where} is {what}, not a finite number, which a float64 "
                     "tensor cannot hold as a weight (was its training diverging?); set it "
                     "to a number, or load the model again")


def to_torch(model: Module) -> torch.nn.Sequential:
    """A `torch.nn.Sequential` of float64 Linear layers and activation modules that computes
    the same function as `model` (an MLP, a Layer or a Neuron) with the same weights, copied
    exactly. The twin is independent: training one leaves the other as it was."""
    torch = import_torch()
    modules = []
    for layer in affine_layers(model):
        linear = torch.nn.Linear(layer.nin, layer.nout, dtype=torch.float64)
        with torch.no_grad():  # a Python float is a float64: the copy is exact
            linear.weight.copy_(torch.tensor(layer.weight, dtype=torch.float64))
            linear.bias.copy_(torch.tensor(layer.bias, dtype=torch.float64))
        modules.append(linear)
        activation = _torch_activation(torch, layer.activation)
        if activation is not None:
            modules.append(activation)
    return torch.nn.Sequential(*modules)


def _torch_activation(torch, activation: str):  # noqa: ANN001, ANN202 - torch is optional
    name = TORCH_MODULES[activation]
    if name is None:
        return None
    if name == "LeakyReLU":
        return torch.nn.LeakyReLU(LEAKY_SLOPE)
    return getattr(torch.nn, name)()


# --- torch -> numbers -> chainrule ------------------------------------------------------------

def from_torch(sequential: torch.nn.Sequential) -> MLP:
    """The `nn.MLP` that computes what `sequential` computes, with the same weights to the bit.

    `sequential` holds Linear layers (with a bias), each followed by at most one of ReLU, Tanh,
    Sigmoid or LeakyReLU(0.01); the hidden layers share one activation (an MLP has one), the
    last may have its own. Anything else is refused with a ValueError or a TypeError that says
    what and where.

    NOTE: float32 (PyTorch's default) is converted, exactly, with a warning: every float32 is
    also a float64, so each weight keeps its value to the bit; but the MLP then computes in
    float64, so its outputs differ from the float32 network's in the 7th or 8th digit.
    Call `.double()` on the network first to convert it yourself, silently.
    """
    layers = torch_layers(sequential)
    narrow = _narrow_dtypes(sequential)
    if narrow:
        warnings.warn(f"from_torch: the network holds {narrow} weights, each converted exactly "
                      "to float64, in which the MLP computes: its outputs differ from the "
                      f"network's in the last digits of {narrow} (call .double() on the network "
                      "first to say that this is what you want)", stacklevel=2)
    hidden = {layer.activation for layer in layers[:-1]}
    if len(hidden) > 1:
        raise ValueError(f"from_torch: the hidden layers use different activations "
                         f"({', '.join(layer.activation for layer in layers[:-1])}), and an "
                         "nn.MLP uses one activation for all of its hidden layers")
    model = MLP(layers[0].nin, [layer.nout for layer in layers],
                activation=hidden.pop() if hidden else "relu",
                output_activation=layers[-1].activation, seed=0)
    for mine, theirs in zip(model.layers, layers):
        for neuron, row, b in zip(mine.neurons, theirs.weight, theirs.bias):
            for w, value in zip(neuron.w, row):
                w.data = value
            neuron.b.data = b
    return model


def torch_layers(sequential: torch.nn.Sequential) -> list[Affine]:
    """The Linear layers of `sequential` as numbers, each with the activation that follows it;
    a ValueError or TypeError for anything an nn.MLP cannot represent."""
    torch = import_torch()
    if not isinstance(sequential, torch.nn.Sequential):
        raise TypeError(f"from_torch takes a torch.nn.Sequential of Linear layers and "
                        f"activations, got a {type(sequential).__name__}")
    names = {cls: name for name, cls in _activation_classes(torch).items()}
    layers: list[Affine] = []
    pending = None  # the last Linear's numbers, until we know its activation
    for index, module in enumerate(sequential):
        where = f"from_torch: module {index} ({type(module).__name__})"
        if isinstance(module, torch.nn.Linear):
            if type(module).forward is not torch.nn.Linear.forward:
                raise TypeError(f"{where} overrides the forward pass of Linear, which the "
                                "nn.MLP would not compute; use a plain torch.nn.Linear")
            if pending is not None:
                layers.append(Affine(*pending, "linear"))
            pending = _linear_numbers(module, where)
            previous = layers[-1].nout if layers else None
            if previous is not None and previous != module.in_features:
                raise ValueError(f"{where} reads {module.in_features} inputs, but the layer "
                                 f"before it has {previous} outputs")
            continue
        name = names.get(type(module))
        if name is None:
            raise TypeError(f"{where} is not a layer an nn.MLP has: from_torch reads Linear "
                            "layers, each followed by at most one of ReLU, Tanh, Sigmoid or "
                            f"LeakyReLU({LEAKY_SLOPE})")
        if pending is None:
            raise ValueError(f"{where} does not follow a Linear layer: in an nn.MLP every "
                             "activation acts on a layer's weighted sums, once")
        if name == "leaky_relu" and module.negative_slope != LEAKY_SLOPE:
            raise ValueError(f"{where} has negative_slope {module.negative_slope!r}, and an "
                             f"nn.MLP's leaky_relu has slope {LEAKY_SLOPE}")
        layers.append(Affine(*pending, name))
        pending = None
    if pending is not None:
        layers.append(Affine(*pending, "linear"))
    if not layers:
        raise ValueError("from_torch: the Sequential has no Linear layer, so there is no "
                         "network to convert")
    return layers


def _narrow_dtypes(sequential: torch.nn.Sequential) -> str:
    """The dtypes other than float64 of the Linear layers' tensors ("" if none), e.g.
    "torch.float32"."""
    torch = import_torch()
    dtypes = {str(t.dtype) for m in sequential if isinstance(m, torch.nn.Linear)
              for t in (m.weight, m.bias) if t.dtype != torch.float64}
    return ", ".join(sorted(dtypes))


def _activation_classes(torch) -> dict[str, type]:  # noqa: ANN001 - torch is optional
    return {act: getattr(torch.nn, name) for act, name in TORCH_MODULES.items() if name}


def _linear_numbers(linear: torch.nn.Linear, where: str) -> tuple[list[list[float]], list[float]]:
    """(weight rows, biases) of a Linear as Python floats, exactly; refuses what has no exact
    float64 value or no bias."""
    torch = import_torch()
    if any(isinstance(t, torch.nn.parameter.UninitializedParameter) or t.is_meta
           for t in (linear.weight, linear.bias) if t is not None):
        raise ValueError(f"{where} has no weights yet (a lazy or a meta-device layer): run "
                         "it once on an input, or build it on the CPU, before converting it")
    if linear.out_features < 1 or linear.in_features < 1:
        side = "outputs" if linear.out_features < 1 else "inputs"
        raise ValueError(f"{where} has 0 {side}, and every layer of an nn.MLP has at least one "
                         "neuron, each reading at least one input")
    if linear.bias is None:
        raise ValueError(f"{where} has no bias, and every neuron of an nn.MLP has one: build "
                         "it with bias=True")
    weight, bias = linear.weight.detach(), linear.bias.detach()
    for tensor in (weight, bias):
        if not tensor.dtype.is_floating_point or tensor.dtype.is_complex:
            raise TypeError(f"{where} holds {tensor.dtype} numbers, and an nn.MLP holds real "
                            "floats")
    rows = weight.cpu().to(torch.float64).tolist()
    biases = bias.cpu().to(torch.float64).tolist()
    for row in [*rows, biases]:
        if not all(map(math.isfinite, row)):
            raise ValueError(f"{where} holds a weight that is nan or inf, which no Value can "
                             "hold (was its training diverging?)")
    return rows, biases


# --- the twin as a script ---------------------------------------------------------------------

def twin_script(model: Module, source: str = "the model") -> str:
    """A runnable Python script that builds `to_torch(model)`: the Sequential, then every weight
    and bias written as the exact repr of its float (repr round-trips a float to the bit), and
    a short note on how to train it. Needs no PyTorch to write (only to run)."""
    layers = affine_layers(model)
    widths = " -> ".join(str(n) for n in [layers[0].nin, *(layer.nout for layer in layers)])
    acts = ", ".join(dict.fromkeys(layer.activation for layer in layers))
    lines = [
        f'"""The PyTorch twin of {_safe(source)}: a {widths} network ({acts}), in float64,',
        "with chainrule's weights to the last bit. Written by `chainrule twin`.",
        "",
        "Neuron j of a layer is row j of its Linear's weight, and its bias is bias[j].",
        '"""',
        "",
        "import torch",
        "",
        "model = torch.nn.Sequential(",
    ]
    index, linears = 0, []
    for layer in layers:
        lines.append(f"    torch.nn.Linear({layer.nin}, {layer.nout}, dtype=torch.float64),"
                     f"  # [{index}]")
        linears.append(index)
        index += 1
        name = TORCH_MODULES[layer.activation]
        if name is not None:
            arg = repr(LEAKY_SLOPE) if name == "LeakyReLU" else ""
            lines.append(f"    torch.nn.{name}({arg}),  # [{index}]")
            index += 1
    lines += [")", "", "with torch.no_grad():  # the saved weights, exactly"]
    for k, (layer, at) in enumerate(zip(layers, linears)):
        lines.append(f"    # layer {k}: {layer.nin} -> {layer.nout}, {layer.activation}")
        lines.append(f"    model[{at}].weight.copy_(torch.tensor([")
        lines += [f"        {_floats(row)}," for row in layer.weight]
        lines.append("    ], dtype=torch.float64))")
        lines.append(f"    model[{at}].bias.copy_(torch.tensor({_floats(layer.bias)}, "
                     "dtype=torch.float64))")
    nin, nout = layers[0].nin, layers[-1].nout
    loss, targets = _suggested_loss(nout)  # (lines, what Y is)
    lines += [
        "",
        "# To train it, the loop is chainrule's, in PyTorch's words (X: an n x "
        f"{nin} float64 tensor,",
        f"# Y: {targets}):",
        "#     optimizer = torch.optim.SGD(model.parameters(), lr=0.05)",
        "#     for epoch in range(100):",
        "#         optimizer.zero_grad()",
        *(f"#         {line}" for line in loss),
        "#         loss.backward()",
        "#         optimizer.step()",
        "# and nn.from_torch(model) brings the trained weights back into chainrule.",
        "",
        'if __name__ == "__main__":',
        "    print(model)",
        f"    x = torch.zeros(1, {nin}, dtype=torch.float64)  # one input: {nin} zeros",
        "    print('model(zeros) =', model(x).tolist())",
        "",
    ]
    return "\n".join(lines)


def _suggested_loss(nout: int) -> tuple[list[str], str]:
    """The training note's loss lines and what its targets Y are: the mean squared error for
    one output (or, for 0/1 labels, binary cross-entropy on the logit), cross-entropy for
    several."""
    if nout == 1:
        return (["loss = torch.nn.functional.mse_loss(model(X)[:, 0], Y)",
                 "# for 0/1 labels: binary_cross_entropy_with_logits(model(X)[:, 0], Y)"],
                "n float64 targets")
    return (["loss = torch.nn.functional.cross_entropy(model(X), Y)"],
            f"n class indices in 0..{nout - 1}, an int64 tensor")


def _floats(numbers: Sequence[float]) -> str:
    """[a, b, ...] with each float's exact repr (float('0.1') is the very float repr(0.1))."""
    return "[" + ", ".join(map(repr, numbers)) + "]"


def _safe(text: str) -> str:
    """A file name fit for the script's docstring: no quotes, backslashes or line breaks."""
    return "".join(c if c.isprintable() and c not in '"\\' else "?" for c in text)
