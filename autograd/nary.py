"""Ops with many inputs, each ONE node whose edges carry their local derivatives.

A neuron's  w1*x1 + w2*x2 + ... + b  built from binary ops is 2n nodes; as one `dot` node it is
one node with 2n+1 edges: faster, smaller, and a picture a learner can read.

Plain numbers among the operands are constants, exactly as in the binary ops: they shape the
forward value and the local derivatives, but they are not parents (nothing would use their grad).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from itertools import chain
from operator import mul

from autograd.value import Value, _node, _number, derivative

_ONLY_VALUES = frozenset({Value})


def _listed(items: Iterable[Value | float], what: str) -> Sequence[Value | float]:
    """`items` as a list or tuple (a generator is read once, here), never empty."""
    if not isinstance(items, (list, tuple)):
        if isinstance(items, (str, bytes, Value)) or not isinstance(items, Iterable):
            raise TypeError(f"{what} takes a list of Values or numbers, got {type(items).__name__}")
        items = list(items)
    if not items:
        raise ValueError(f"{what} needs at least one value")
    return items


def operands(items: Sequence[Value | float], what: str) -> tuple[Sequence[Value], list[float]]:
    """The Values among `items`, and the number each item holds (a Value's data, or the number).

    Anything that is neither a Value nor an int/float is a TypeError naming `what`. When every
    item is a Value, the Values returned are `items` itself, not a copy.
    """
    if _ONLY_VALUES.issuperset(map(type, items)):  # NOTE: the usual case, tested in C
        return items, [item.data for item in items]
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
def vsum(values: Iterable[Value | float]) -> Value:
    """x1 + x2 + ... + xn as one node;  d/dxi = 1 for every Value xi (numbers are constants)."""
    parents, data = operands(_listed(values, "vsum"), "vsum")
    return _node(math.fsum(data), "sum", tuple(parents), (1.0,) * len(parents))


@derivative("dot", "d(w.x + b)/dwi = xi,  d/dxi = wi,  d/db = 1")
def dot(
    weights: Sequence[Value | float], inputs: Sequence[Value | float], bias: Value | float = 0.0
) -> Value:
    """w1*x1 + ... + wn*xn + b as one node.

    Every Value among the operands is a parent; its local derivative is its partner in the
    product (d/dwi = xi, d/dxi = wi, d/db = 1). Plain numbers are constants, as in binary ops:
    a neuron fed a list of floats has the weights and the bias as its parents.
    """
    weights, inputs = _listed(weights, "dot"), _listed(inputs, "dot")
    if len(weights) != len(inputs):
        raise ValueError(
            f"dot needs as many weights as inputs, got {len(weights)} and {len(inputs)}"
        )
    return affine([weights], inputs, [bias])[0]


def affine(
    rows: Sequence[Sequence[Value | float]],
    inputs: Sequence[Value | float],
    biases: Sequence[Value | float],
) -> list[Value]:
    """[dot(w, inputs, b) for w, b in zip(rows, biases)]: a layer's neurons, W.x + b, each
    row one `dot` node. The inputs are checked and read once for all rows."""
    rows, biases = _listed(rows, "affine"), _listed(biases, "affine")
    inputs = _listed(inputs, "affine")
    if len(rows) != len(biases):
        raise ValueError(f"affine needs one bias per row, got {len(rows)} rows and {len(biases)}")
    n = len(inputs)
    if set(map(len, rows)) != {n}:
        raise ValueError(f"affine: every row needs {n} weights, one per input")
    # NOTE: the usual case gets a short path (most of a network's forward time is spent here):
    # every weight and bias a Value, as in an MLP, and inputs all Values (a hidden layer) or all
    # numbers (the first layer). The general path below makes exactly the same nodes. Types
    # are tested with map and a set, in C: a loop in Python would take as long as the layer.
    xs, x_data = operands(inputs, "affine")
    if len(xs) in (0, n) and _ONLY_VALUES.issuperset(map(type, chain(biases, *rows))):
        return dot_rows(rows, biases, xs, x_data)
    return [_dot_node(weights, inputs, x_data, bias) for weights, bias in zip(rows, biases)]


def weighted_sum(w_data: Sequence[float], x_data: Sequence[float], b: float) -> float:
    """w1*x1 + ... + wn*xn + b on plain numbers: the forward value of every `dot` node, computed
    here and only here, so a forward pass on floats (nn's `predict`) gives the very same bits.
    NOTE: the products are added in order, starting from b (as `sum(..., b)` does)."""
    return sum(map(mul, w_data, x_data), b)


def weighted_sums(
    w_data: Sequence[float], rows: Sequence[Sequence[float]], b: float
) -> list[float]:
    """`[weighted_sum(w_data, x, b) for x in rows]`, the same arithmetic written once more in
    line: one neuron over a whole batch without a Python call per row (a boundary grid of 2,500
    rows in the live lab, every frame). A test checks the two agree to the bit."""
    return [sum(map(mul, w_data, x), b) for x in rows]


def dot_rows(
    rows: Sequence[Sequence[Value]], biases: Sequence[Value], xs: Sequence[Value],
    x_data: Sequence[float],
) -> list[Value]:
    """One `dot` node per row, w.x + b, with no checks: the fast path of `affine`.

    The caller vouches that every weight and bias is a Value, and that the inputs are all
    Values (`xs`, whose numbers are `x_data`) or all numbers (`xs` empty, `x_data` the numbers).
    `affine` checks this first; nn's layers know it (their weights are Values made by their
    neurons, which cannot be replaced) and check only their inputs, once per model call.
    """
    out = []
    inputs_are_values = len(xs) > 0  # (len, not truth: xs may be a caller's numpy array)
    # inputs all constants: d/dwi = xi, d/db = 1 is the same tuple for every row
    constant_inputs_grads = () if inputs_are_values else (*x_data, 1.0)
    for weights, bias in zip(rows, biases):
        w_data = [w.data for w in weights]  # NOTE: faster than map(attrgetter('data'))
        z = weighted_sum(w_data, x_data, bias.data)
        if inputs_are_values:  # d/dwi = xi, d/dxi = wi, d/db = 1
            out.append(_node(z, "dot", (*weights, *xs, bias), (*x_data, *w_data, 1.0)))
        else:  # inputs are constants: one tuple of local derivatives serves every row
            out.append(_node(z, "dot", (*weights, bias), constant_inputs_grads))
    return out


def _dot_node(
    weights: Sequence[Value | float], inputs: Sequence[Value | float], x_data: list[float],
    bias: Value | float,
) -> Value:
    """One `dot` node for any mix of Values and numbers: an edge for each Value, whose local
    derivative is its partner in the product (or 1 for the bias)."""
    w_values, w_data = operands(weights, "affine")
    (b_values, (b_data,)) = operands((bias,), "affine")
    edges = [(w, x) for w, x in zip(weights, x_data) if type(w) is Value]
    edges += [(x, w) for x, w in zip(inputs, w_data) if type(x) is Value]
    edges += [(b, 1.0) for b in b_values]
    z = weighted_sum(w_data, x_data, b_data)
    return _node(z, "dot", tuple(e[0] for e in edges), tuple(e[1] for e in edges))


@derivative("logsumexp", "d logsumexp(x)/dxi = exp(xi) / sum_j exp(xj) = softmax(x)i")
def logsumexp(values: Iterable[Value | float]) -> Value:
    """log(e^x1 + ... + e^xn) as one node, computed as m + log(sum e^(xi - m)) with m = max xi,
    so logits of +-1000 neither overflow nor vanish;  d/dxi = softmax(x)i."""
    values = _listed(values, "logsumexp")
    parents, data = operands(values, "logsumexp")
    m = max(data)
    exps = [math.exp(d - m) for d in data]
    total = math.fsum(exps)
    local_grads = tuple(e / total for item, e in zip(values, exps) if type(item) is Value)
    return _node(m + math.log(total), "logsumexp", tuple(parents), local_grads)


def log_softmax(values: Iterable[Value | float]) -> list[Value]:
    """log softmax(x)i = xi - logsumexp(x): one subtraction per input from one shared node."""
    values = _listed(values, "log_softmax")
    lse = logsumexp(values)
    return [x - lse for x in values]


def softmax(values: Iterable[Value | float]) -> list[Value]:
    """softmax(x)i = e^xi / sum_j e^xj = exp(log_softmax(x)i): never exp of a large number."""
    return [v.exp() for v in log_softmax(values)]
