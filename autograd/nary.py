"""Ops with many inputs, each ONE node whose edges carry their local derivatives.

A neuron's  w1*x1 + w2*x2 + ... + b  built from binary ops is 2n nodes; as one `dot` node it is
one node with 2n+1 edges: faster, smaller, and a picture a learner can read.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from operator import mul

from autograd.value import Value, _constant, _node, _number, derivative


def _values(items: Sequence[Value | float], what: str) -> tuple[Value, ...]:
    """The items as Values (plain numbers become constant leaves); anything else is a TypeError."""
    out = []
    for item in items:
        if type(item) is not Value:
            value = _constant(item)
            if value is NotImplemented:
                raise TypeError(f"{what} takes Values or numbers, got {type(item).__name__}")
            item = value
        out.append(item)
    return tuple(out)


@derivative("sum", "d(x1 + x2 + ... + xn)/dxi = 1")
def vsum(values: Sequence[Value | float]) -> Value:
    """x1 + x2 + ... + xn as one node;  d/dxi = 1 for every i."""
    parents = _values(values, "vsum")
    if not parents:
        raise ValueError("vsum needs at least one value")
    total = math.fsum(p.data for p in parents)
    return _node(total, "sum", parents, (1.0,) * len(parents))


def _split(items: Sequence[Value | float], what: str) -> tuple[list[Value], list[float]]:
    """The Values among `items`, and the number each item holds (a Value's data, or the number)."""
    values = [item for item in items if type(item) is Value]
    if len(values) == len(items):
        return values, [v.data for v in values]
    data = []
    for item in items:
        if type(item) is Value:
            data.append(item.data)
        else:
            c = _number(item)
            if c is None:
                raise TypeError(f"{what} takes Values or numbers, got {type(item).__name__}")
            data.append(c)
    return values, data


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
    ws, w_data = _split(weights, "dot")
    xs, x_data = _split(inputs, "dot")
    (bs, (b_data,)) = _split((bias,), "dot")
    out = sum(map(mul, w_data, x_data), b_data)
    if len(ws) == len(w_data) and len(xs) == len(x_data):  # all Values: the usual hidden layer
        parents, local_grads = (*ws, *xs, *bs), (*x_data, *w_data, *(1.0,) * len(bs))
    elif len(ws) == len(w_data) and not xs:  # Value weights, number inputs: a first layer
        parents, local_grads = (*ws, *bs), (*x_data, *(1.0,) * len(bs))
    else:  # any other mix: one edge for each Value, its partner as local derivative
        edges = [(w, x) for w, x in zip(weights, x_data) if type(w) is Value]
        edges += [(x, w) for x, w in zip(inputs, w_data) if type(x) is Value]
        edges += [(b, 1.0) for b in bs]
        parents, local_grads = tuple(e[0] for e in edges), tuple(e[1] for e in edges)
    return _node(out, "dot", tuple(parents), tuple(local_grads))


@derivative("logsumexp", "d logsumexp(x)/dxi = exp(xi) / sum_j exp(xj) = softmax(x)i")
def logsumexp(values: Sequence[Value | float]) -> Value:
    """log(e^x1 + ... + e^xn) as one node, computed as m + log(sum e^(xi - m)) with m = max xi,
    so logits of +-1000 neither overflow nor vanish;  d/dxi = softmax(x)i."""
    parents = _values(values, "logsumexp")
    if not parents:
        raise ValueError("logsumexp needs at least one value")
    m = max(p.data for p in parents)
    exps = [math.exp(p.data - m) for p in parents]
    total = math.fsum(exps)
    return _node(m + math.log(total), "logsumexp", parents, tuple(e / total for e in exps))


def log_softmax(values: Sequence[Value | float]) -> list[Value]:
    """log softmax(x)i = xi - logsumexp(x): one subtraction per input from one shared node."""
    xs = _values(values, "log_softmax")
    lse = logsumexp(xs)
    return [x - lse for x in xs]


def softmax(values: Sequence[Value | float]) -> list[Value]:
    """softmax(x)i = e^xi / sum_j e^xj = exp(log_softmax(x)i): never exp of a large number."""
    return [v.exp() for v in log_softmax(values)]
