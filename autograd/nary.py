"""Ops with many inputs, each ONE node whose edges carry their local derivatives.

A neuron's  w1*x1 + w2*x2 + ... + b  built from binary ops is 2n nodes; as one `dot` node it is
one node with 2n+1 edges: faster, smaller, and a picture a learner can read.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from operator import mul

from autograd.value import Value, _constant, _node, derivative


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


@derivative("dot", "d(w.x + b)/dwi = xi,  d/dxi = wi,  d/db = 1")
def dot(
    weights: Sequence[Value | float], inputs: Sequence[Value | float], bias: Value | float = 0.0
) -> Value:
    """w1*x1 + ... + wn*xn + b as one node.

    Parents are (w1..wn, x1..xn, b); their local derivatives (x1..xn, w1..wn, 1).
    """
    ws = _values(weights, "dot")
    xs = _values(inputs, "dot")
    if len(ws) != len(xs):
        raise ValueError(f"dot needs as many weights as inputs, got {len(ws)} and {len(xs)}")
    (b,) = _values((bias,), "dot")
    w_data = [w.data for w in ws]
    x_data = [x.data for x in xs]
    out = sum(map(mul, w_data, x_data), b.data)
    return _node(out, "dot", (*ws, *xs, b), (*x_data, *w_data, 1.0))


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
