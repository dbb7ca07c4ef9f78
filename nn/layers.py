"""Neurons, layers and multi-layer perceptrons built from autograd Values.

A neuron computes  act(w . x + b)  as ONE `dot` node plus one activation node, so its picture and
its backward pass stay small: d(w.x + b)/dwi = xi, d/dxi = wi, d/db = 1.

A model's structure (its layers, their neurons, each neuron's weights) is fixed when it is
built; training changes only numbers, each parameter's `.data`. So a model checks its input once
and then trusts its own parts.

Weights start random, biases at zero: with equal weights every neuron of a layer would compute
the same output and receive the same gradient, so they would stay copies of each other forever.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from itertools import chain

from autograd import Value, affine, dot
from autograd.nary import dot_rows, operands, weighted_sums
from autograd.value import leaky_relu_of, relu_of, sigmoid_of, tanh_of
from nn.module import Module

# name -> how a neuron's pre-activation z becomes its output
ACTIVATIONS = {
    "relu": Value.relu,
    "leaky_relu": Value.leaky_relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "linear": None,  # the output is z itself
}

# The same activations on plain floats, for `predict` (no graph): the very functions the Value
# methods above compute their forward value with, so predict(x) == model(x).data to the bit.
FLOAT_ACTIVATIONS = {
    "relu": relu_of,
    "leaky_relu": lambda x: leaky_relu_of(x, 0.01),  # Value.leaky_relu's default slope
    "tanh": tanh_of,
    "sigmoid": sigmoid_of,
    "linear": None,
}

# A layer frozen for a forward pass on floats: each neuron's weights and bias as numbers, and the
# activation on floats (None: linear). Read once, then used for as many inputs as needed.
FrozenLayer = tuple[list[list[float]], list[float], object]


def predict_columns(
    layers: Sequence[FrozenLayer], X: Sequence[Sequence[float]]
) -> list[list[list[float]]]:
    """The forward pass on floats of frozen `layers` for every input row of X (already numbers):
    every layer's outputs, as columns, `[layer][neuron][row]`. Builds no Value.

    Neuron by neuron over all the rows (a column of numbers per neuron), which keeps the
    Python overhead per number small; each number is still `weighted_sum` of its own row, as
    in the dot node, then the same activation function.
    """
    every_layer = []
    rows: Sequence[Sequence[float]] = X
    for li, (weights, biases, act) in enumerate(layers):
        columns = [weighted_sums(w, rows, b) for w, b in zip(weights, biases)]
        if act is not None:
            columns = [list(map(act, column)) for column in columns]
        every_layer.append(columns)
        if li < len(layers) - 1:  # the next layer reads rows
            rows = list(zip(*columns))
    return every_layer


def predict_rows(layers: Sequence[FrozenLayer], X: Sequence[Sequence[float]]) -> list[list[float]]:
    """The outputs of the last of `layers` for every row of X, one list per row (see
    `predict_columns`, which computes them)."""
    if not X:
        return []
    return [list(row) for row in zip(*predict_columns(layers, X)[-1])]


def _plain_numbers(x: Sequence[Value | float], nin: int, what: str) -> Sequence[float]:
    """An input row as the numbers a forward pass computes with, checked as `model(x)` checks
    it (`nin` of them; a Value stands for its .data). A list of floats, the usual case, is
    taken as it is, tested in C."""
    if (type(x) is list and len(x) == nin and _ONLY_FLOATS.issuperset(map(type, x))
            and all(map(math.isfinite, x))):
        return x
    _check_input_count(x, nin, what)
    return operands(x, what)[1]


_ONLY_FLOATS = frozenset({float})


def _plain_rows(X: Sequence[Sequence[Value | float]], nin: int, what: str) -> Sequence[
        Sequence[float]]:
    """Every row of X as `_plain_numbers` gives it. A list of lists of `nin` finite floats, the
    usual batch (a boundary grid), is checked as a whole in C and taken as it is; anything else
    row by row, with the same errors."""
    if (type(X) is list and set(map(type, X)) == _ONLY_LISTS and set(map(len, X)) == {nin}
            and _ONLY_FLOATS.issuperset(map(type, chain.from_iterable(X)))
            and all(map(math.isfinite, chain.from_iterable(X)))):
        return X
    return [_plain_numbers(x, nin, what) for x in X]


_ONLY_LISTS = {list}


# Initialisation schemes, each a spread chosen so signals neither blow up nor die out:
#   uniform: uniform between -1 and 1, micrograd's choice;
#   xavier (Glorot): uniform between -a and a, a = sqrt(6 / (fan_in + fan_out)), so the
#     variance is a^2 / 3 = 2 / (fan_in + fan_out); for tanh/sigmoid;
#   he (Kaiming): normal with mean 0 and standard deviation sqrt(2 / fan_in) (variance
#     2 / fan_in); for relu, whose zeroing of negative inputs halves the variance it passes on.
DEFAULT_INIT = {"relu": "he", "leaky_relu": "he", "tanh": "xavier", "sigmoid": "xavier",
                "linear": "xavier"}
INITS = ("uniform", "xavier", "he")


def _check_activation(activation: str) -> str:
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)}")
    return activation


def _check_count(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what} must be a positive int, got {value!r}")
    return value


def _check_input_count(x: Sequence[Value | float], nin: int, what: str) -> None:
    """A model's input is an ordered list of `nin` numbers or Values (a set or dict has no order
    the model could rely on)."""
    if isinstance(x, (set, frozenset, dict)):
        raise TypeError(f"{what} takes a list of inputs, got a {type(x).__name__} (no order)")
    if len(x) != nin:
        raise ValueError(f"{what} takes {nin} inputs, got {len(x)}")


def _rng(seed: int | None | random.Random) -> random.Random:
    if isinstance(seed, random.Random):
        return seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise TypeError(f"seed must be an int or None, got {type(seed).__name__}")
    return random.Random(seed)


def initial_weight(rng: random.Random, init: str, fan_in: int, fan_out: int) -> float:
    """One random starting weight under the scheme `init` (see INITS)."""
    if init == "uniform":
        return rng.uniform(-1.0, 1.0)
    if init == "xavier":
        a = math.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-a, a)
    if init == "he":
        return rng.gauss(0.0, math.sqrt(2.0 / fan_in))  # gauss(mean, standard deviation)
    raise ValueError(f"unknown init {init!r}; choose one of {INITS}")


class Neuron(Module):
    """act(w1*x1 + ... + wn*xn + b): `nin` weights and a bias, one output Value."""

    def __init__(
        self,
        nin: int,
        activation: str = "relu",
        seed: int | None | random.Random = None,
        init: str | None = None,
        fan_out: int = 1,
        name: str = "",
    ) -> None:
        self.nin = _check_count(nin, "nin")
        self.activation = _check_activation(activation)
        self.init = DEFAULT_INIT[activation] if init is None else init
        rng = _rng(seed)
        self._w = tuple(
            Value(initial_weight(rng, self.init, nin, fan_out), f"{name}w{i}") for i in range(nin)
        )
        self._b = Value(0.0, f"{name}b")
        self._act = ACTIVATIONS[activation]

    # The weights and the bias are fixed when the neuron is made (a tuple and read-only
    # attributes): training changes their `.data`, never the Values themselves. So a Layer can
    # trust them to be Values without testing every one on every call.
    @property
    def w(self) -> tuple[Value, ...]:
        """The weights, one per input (change a weight through its `.data`)."""
        return self._w

    @property
    def b(self) -> Value:
        """The bias (change it through its `.data`)."""
        return self._b

    def __call__(self, x: Sequence[Value | float]) -> Value:
        _check_input_count(x, self.nin, "this neuron")
        operands(x, "this neuron")  # a bad input is named as this neuron's, not dot's
        z = dot(self._w, x, self._b)
        return z if self._act is None else self._act(z)

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def predict(self, x: Sequence[float]) -> float:
        """The forward pass on plain numbers, building no graph: equal to the bit to
        `self(x).data` (it shares that arithmetic)."""
        _check_input_count(x, self.nin, "this neuron")
        (out,) = predict_rows([self._frozen()], [_plain_numbers(x, self.nin, "this neuron")])[0]
        return out

    def _frozen(self) -> FrozenLayer:
        return [[w.data for w in self._w]], [self._b.data], FLOAT_ACTIVATIONS[self.activation]

    def config(self) -> dict[str, object]:
        return {"type": "Neuron", "nin": self.nin, "activation": self.activation,
                "init": self.init}

    def __repr__(self) -> str:
        return f"Neuron({self.nin}, activation={self.activation!r})"


class Layer(Module):
    """`nout` neurons reading the same inputs; always returns a list of `nout` Values."""

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "relu",
        seed: int | None | random.Random = None,
        init: str | None = None,
        name: str = "",
    ) -> None:
        self.nin = _check_count(nin, "nin")
        self.nout = _check_count(nout, "nout")
        self.activation = _check_activation(activation)
        self.init = DEFAULT_INIT[activation] if init is None else init
        self._act = ACTIVATIONS[activation]  # the function every neuron holds as its _act
        rng = _rng(seed)
        self._neurons = tuple(
            Neuron(nin, activation, rng, self.init, fan_out=nout, name=f"{name}n{j}.")
            for j in range(nout)
        )
        # W and b as dot_rows reads them: the structure never changes, so gathered once
        self._rows = tuple(n.w for n in self._neurons)
        self._biases = tuple(n.b for n in self._neurons)

    @property
    def neurons(self) -> tuple[Neuron, ...]:
        """The neurons, fixed when the layer is made (as their weights are)."""
        return self._neurons

    def __call__(self, x: Sequence[Value | float]) -> list[Value]:
        _check_input_count(x, self.nin, "this layer")
        return self._forward(x, *operands(x, "this layer"))

    def _forward(
        self, x: Sequence[Value | float], xs: Sequence[Value], x_data: Sequence[float]
    ) -> list[Value]:
        """act(W.x + b) for inputs already checked: `xs` the Values among x, `x_data` its numbers.

        The same nodes as [neuron(x) for neuron in self.neurons], one `dot` node per neuron.
        """
        if len(x_data) != self.nin:
            raise ValueError(f"this layer takes {self.nin} inputs, got {len(x_data)}")
        if 0 < len(xs) < len(x_data):  # a mix of Values and numbers: affine's general path
            zs = affine(self._rows, x, self._biases)
        else:  # NOTE: no checks needed by dot_rows: a model's structure is fixed when it is
            # built (tuples behind read-only attributes), so every neuron has nin weights, and
            # they and its bias are the Values it made (training changes only their .data)
            zs = dot_rows(self._rows, self._biases, xs, x_data)
        act = self._act
        return zs if act is None else list(map(act, zs))

    def parameters(self) -> list[Value]:
        return [p for neuron in self.neurons for p in neuron.parameters()]

    def predict(self, x: Sequence[float]) -> list[float]:
        """The forward pass on plain numbers, building no graph: one float per neuron, equal to
        the bit to the `.data` of `self(x)` (it shares that arithmetic)."""
        return predict_rows([self._frozen()], [_plain_numbers(x, self.nin, "this layer")])[0]

    def _frozen(self) -> FrozenLayer:
        return ([[w.data for w in row] for row in self._rows], [b.data for b in self._biases],
                FLOAT_ACTIVATIONS[self.activation])

    def config(self) -> dict[str, object]:
        return {"type": "Layer", "nin": self.nin, "nout": self.nout,
                "activation": self.activation, "init": self.init}

    def __repr__(self) -> str:
        return f"Layer({self.nin} -> {self.nout}, activation={self.activation!r})"


class MLP(Module):
    """Layers in sequence: nin inputs -> nouts[0] -> ... -> nouts[-1] outputs.

    Hidden layers use `activation`, the last one `output_activation`. Returns a Value when the
    last layer has one output, else a list of Values.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        output_activation: str = "linear",
        seed: int | None = None,
        init: str | None = None,
    ) -> None:
        self.nin = _check_count(nin, "nin")
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence) or not nouts:
            raise ValueError(f"nouts must be a non-empty list of layer widths, got {nouts!r}")
        self.nouts = [_check_count(n, "each layer width") for n in nouts]
        self.activation = _check_activation(activation)
        self.output_activation = _check_activation(output_activation)
        self.init = init  # checked by initial_weight as the first layer draws its weights
        self.seed = seed
        rng = _rng(seed)
        sizes = [nin, *self.nouts]
        self._layers = tuple(
            Layer(
                sizes[i], sizes[i + 1],
                activation if i < len(self.nouts) - 1 else output_activation,
                rng, init, name=f"L{i}.",
            )
            for i in range(len(self.nouts))
        )

    @property
    def layers(self) -> tuple[Layer, ...]:
        """The layers, first to last, fixed when the MLP is made."""
        return self._layers

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        _check_input_count(x, self.nin, "this MLP")
        xs, x_data = operands(x, "this MLP")  # checked once, here: each layer then makes Values
        for layer in self._layers:
            x = layer._forward(x, xs, x_data)
            xs, x_data = x, [v.data for v in x]
        return x[0] if len(x) == 1 else x

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def predict(self, x: Sequence[float]) -> float | list[float]:
        """The forward pass on plain numbers, building no graph: a float for one output, else a
        list of floats, equal to the bit to the `.data` of `self(x)` (it shares that
        arithmetic). The fast path for decision boundaries and evaluation."""
        (out,) = self.predict_batch([x])
        return out

    def predict_batch(self, X: Sequence[Sequence[float]]) -> list[float] | list[list[float]]:
        """`[self.predict(x) for x in X]`, reading the weights once for all the rows."""
        rows = _plain_rows(X, self.nin, "this MLP")
        outputs = predict_rows([layer._frozen() for layer in self._layers], rows)
        return [out[0] for out in outputs] if self.nouts[-1] == 1 else outputs

    def predict_layers(self, X: Sequence[Sequence[float]]) -> list[list[list[float]]]:
        """Every layer's outputs on plain numbers for the rows of X, building no graph:
        `[layer][neuron]` is that neuron's output for each row, the very bits of the `.data`
        the graph's nodes hold (the arithmetic of `predict_batch`, whose outputs are the last
        layer's). What a picture of each neuron over the plane needs (the live lab's heatmaps).
        """
        rows = _plain_rows(X, self.nin, "this MLP")
        return predict_columns([layer._frozen() for layer in self._layers], rows)

    def config(self) -> dict[str, object]:
        return {"type": "MLP", "nin": self.nin, "nouts": list(self.nouts),
                "activation": self.activation, "output_activation": self.output_activation,
                "init": self.init}

    def __repr__(self) -> str:
        widths = " -> ".join(str(n) for n in [self.nin, *self.nouts])
        return (f"MLP({widths}, activation={self.activation!r}, "
                f"output_activation={self.output_activation!r}; "
                f"{len(self.parameters()):,} parameters)")
