"""micrograd 0.1.0 with a `tanh`, written exactly the way micrograd writes its own ops.

micrograd's published `Value` has +, *, **, relu, but no tanh. Karpathy's lecture ("The
spelled-out intro to neural networks and backpropagation") adds one to `Value` like this, in the
style of every other micrograd op: the forward number, an output node that remembers its children
and op name, and a `_backward` closure that applies the local derivative  1 - tanh(x)^2.
The benchmark adds it to micrograd's own class, so the nodes that micrograd's operators create
(always plain `micrograd.engine.Value`) have it too.

It uses `math.tanh`, the same function chainrule's `Value.tanh` calls, so the comparison is one
of graph machinery, not of two tanh formulas.
"""

from __future__ import annotations

import math

from micrograd.engine import Value


def tanh(self: Value) -> Value:
    """tanh as a micrograd op (as in karpathy's lecture): d tanh(x)/dx = 1 - tanh(x)^2."""
    x = self.data
    t = math.tanh(x)
    out = Value(t, (self,), "tanh")

    def _backward() -> None:
        self.grad += (1 - t**2) * out.grad

    out._backward = _backward

    return out


def micrograd_value() -> type[Value]:
    """micrograd's `Value` class, with `tanh` added (once)."""
    if not hasattr(Value, "tanh"):
        Value.tanh = tanh
    return Value
