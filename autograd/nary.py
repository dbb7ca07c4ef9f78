"""Ops with many inputs, each ONE node whose edges carry their local derivatives.

A neuron's  w1*x1 + w2*x2 + ... + b  built from binary ops is 2n nodes; as one `dot` node it is
one node with 2n+1 edges: faster, smaller, and a picture a learner can read.

Plain numbers among the operands are constants, exactly as in the binary ops: they shape the
forward value and the local derivatives, but they are not parents (nothing would use their grad).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import chain
from operator import attrgetter, mul

from autograd.value import Value, _node, _number, derivative

_data = attrgetter("data")
_ONLY_VALUES = frozenset({Value})

# An operand list split in two: (its Values, in order; the number every item holds).
Split = tuple[Sequence[Value], list[float]]


def _operands(items: Sequence[Value | float], what: str) -> Split:
    """The Values among `items`, and the number each item holds (a Value's data, or the number).

    Anything that is neither a Value nor an int/float is a TypeError naming the op.
    """
    if _ONLY_VALUES.issuperset(map(type, items)):  # the usual case, kept fast
        return items, list(map(_data, items))
    values, data = [], []
    for item in items:
        if type(item) is Value:
            values.append(item)
            data.append(item.data)
        else:
            c = _number(item)
            if c is None:
                raise TypeError(f"{what} takes Values or numbers, got {type(item).__name__}")
            data.append(c)
    return values, data


@derivative("sum", "d(x1 + x2 + ... + xn)/dxi = 1")
def vsum(values: Sequence[Value | float]) -> Value:
    """x1 + x2 + ... + xn as one node;  d/dxi = 1 for every Value xi (numbers are constants)."""
    if not values:
        raise ValueError("vsum needs at least one value")
    parents, data = _operands(values, "vsum")
    return _node(math.fsum(data), "sum", tuple(parents), (1.0,) * len(parents))


def _bias(bias: Value | float, what: str) -> Split:
    """`_operands((bias,))`, with the usual case (a Value) kept fast."""
    return ((bias,), [bias.data]) if type(bias) is Value else _operands((bias,), what)


def _dot(weights: Sequence, w: Split, inputs: Sequence, x: Split, b: Split) -> Value:
    """The `dot` node w.x + b from its operands, already split by `_operands`."""
    (ws, w_data), (xs, x_data), (bs, (b_data,)) = w, x, b
    out = sum(map(mul, w_data, x_data), b_data)
    if len(ws) == len(w_data) and len(xs) == len(x_data):  # all Values: the usual hidden layer
        parents, local_grads = (*ws, *xs, *bs), (*x_data, *w_data, *(1.0,) * len(bs))
    elif len(ws) == len(w_data) and not xs:  # Value weights, number inputs: a first layer
        parents, local_grads = (*ws, *bs), (*x_data, *(1.0,) * len(bs))
    else:  # any other mix: one edge for each Value, its partner as local derivative
        edges = [(wi, xd) for wi, xd in zip(weights, x_data) if type(wi) is Value]
        edges += [(xi, wd) for xi, wd in zip(inputs, w_data) if type(xi) is Value]
        edges += [(bi, 1.0) for bi in bs]
        parents, local_grads = tuple(e[0] for e in edges), tuple(e[1] for e in edges)
    return _node(out, "dot", parents, local_grads)


@derivative("dot", "d(w.x + b)/dwi = xi,  d/dxi = wi,  d/db = 1")
def dot(
    weights: Sequence[Value | float], inputs: Sequence[Value | float], bias: Value | float = 0.0
) -> Value:
    """w1*x1 + ... + wn*xn + b as one node.

    Every Value among the operands is a parent; its local derivative is its partner in the
    product (d/dwi = xi, d/dxi = wi, d/db = 1). Plain numbers are constants, as in binary ops:
    a neuron fed a list of floats has the weights and the bias as its parents.
    """
    if len(weights) != len(inputs):
        raise ValueError(
            f"dot needs as many weights as inputs, got {len(weights)} and {len(inputs)}"
        )
    w, x, b = _operands(weights, "dot"), _operands(inputs, "dot"), _bias(bias, "dot")
    return _dot(weights, w, inputs, x, b)


def affine(
    rows: Sequence[Sequence[Value | float]],
    inputs: Sequence[Value | float],
    biases: Sequence[Value | float],
) -> list[Value]:
    """[dot(w, inputs, b) for w, b in zip(rows, biases)]: a layer's neurons, W.x + b.

    The same nodes as calling `dot` per row, made faster: the inputs are checked and read once,
    not once per row, and a row of Value weights with a Value bias (every layer of an MLP) takes
    a short path. Most of a network's forward time is spent here.
    """
    if len(rows) != len(biases):
        raise ValueError(f"affine needs one bias per row, got {len(rows)} rows and {len(biases)}")
    x = xs, x_data = _operands(inputs, "affine")
    n = len(x_data)
    if any(len(weights) != n for weights in rows):
        raise ValueError(f"affine: every row needs {n} weights, one per input")
    all_values, no_values = len(xs) == n, not xs
    # Every weight and bias a Value (always so in an MLP): checked once for the whole layer.
    if _ONLY_VALUES.issuperset(map(type, biases)) and _ONLY_VALUES.issuperset(
        map(type, chain.from_iterable(rows))
    ):
        if all_values:  # hidden layer: d/dwi = xi, d/dxi = wi, d/db = 1
            out = []
            for weights, bias in zip(rows, biases):
                w_data = list(map(_data, weights))
                z = sum(map(mul, w_data, x_data), bias.data)
                out.append(_node(z, "dot", (*weights, *xs, bias), (*x_data, *w_data, 1.0)))
            return out
        if no_values:  # first layer, inputs are numbers: d/dwi = xi, d/db = 1
            return [
                _node(sum(map(mul, map(_data, weights), x_data), bias.data), "dot",
                      (*weights, bias), (*x_data, 1.0))
                for weights, bias in zip(rows, biases)
            ]
    return [  # any other mix of Values and numbers
        _dot(weights, _operands(weights, "affine"), inputs, x, _bias(bias, "affine"))
        for weights, bias in zip(rows, biases)
    ]


@derivative("logsumexp", "d logsumexp(x)/dxi = exp(xi) / sum_j exp(xj) = softmax(x)i")
def logsumexp(values: Sequence[Value | float]) -> Value:
    """log(e^x1 + ... + e^xn) as one node, computed as m + log(sum e^(xi - m)) with m = max xi,
    so logits of +-1000 neither overflow nor vanish;  d/dxi = softmax(x)i."""
    if not values:
        raise ValueError("logsumexp needs at least one value")
    parents, data = _operands(values, "logsumexp")
    m = max(data)
    exps = [math.exp(d - m) for d in data]
    total = math.fsum(exps)
    local_grads = tuple(e / total for item, e in zip(values, exps) if type(item) is Value)
    return _node(m + math.log(total), "logsumexp", tuple(parents), local_grads)


def log_softmax(values: Sequence[Value | float]) -> list[Value]:
    """log softmax(x)i = xi - logsumexp(x): one subtraction per input from one shared node."""
    lse = logsumexp(values)
    return [x - lse for x in values]


def softmax(values: Sequence[Value | float]) -> list[Value]:
    """softmax(x)i = e^xi / sum_j e^xj = exp(log_softmax(x)i): never exp of a large number."""
    return [v.exp() for v in log_softmax(values)]
