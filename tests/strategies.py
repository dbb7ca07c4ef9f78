"""One table of every op, shared by the finite-difference tests and the PyTorch cross-check.

Each `Op` states the same function twice, once on `Value`s and once on float64 torch tensors,
with one `Domain` per input: where its inputs are drawn from, kept away from kinks (relu, abs at
0), poles (1/x at 0) and overflow (exp of a big number), so that both central differences and
PyTorch are valid oracles there.

`dags()` draws random expression graphs that reuse nodes. A `Dag` is a recipe: leaf numbers,
then steps (op name, indices of earlier pool entries); `replay` runs the same recipe on Values or
on torch tensors, so both engines build the very same graph.

Every tolerance used by the tests lives at the top of this file.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from hypothesis import strategies as st

from autograd import Value, dot, log_softmax, logsumexp, no_grad, softmax, vsum

# ---------------------------------------------------------------------------------------------
# Tolerances: the only place they are set.

# Central differences: the step for input x is FD_STEP * max(1, |x|). The truncation error is
# O(step^2) (about 1e-12 relative here) and the rounding error about 1e-16 * |L| / step, i.e.
# 1e-10 * |L|; FD_ATOL is scaled by (1 + |L|) for that reason and leaves a 100x margin.
FD_STEP = 1e-6
FD_RTOL = 1e-6
FD_ATOL = 1e-8

# PyTorch in float64 evaluates the same formulas in the same IEEE arithmetic. The two differ only
# by rounding: a few ulps per op (libm vs torch's own exp/tanh/..., a different summation
# order), times the condition number of the expression, which the domains keep below ~1e4.
# So agreement is expected to ~1e-12 relative; 1e-9 leaves a wide margin for that while any
# wrong derivative formula (an error of 1e-3 or more in practice) still fails by 6 orders of
# magnitude. TORCH_ATOL (scaled by the size of the numbers being compared, see `torch_close`)
# covers gradients that cancel to nearly 0, where only an absolute bound makes sense.
TORCH_RTOL = 1e-9
TORCH_ATOL = 1e-12

# Known closed-form answers (a few ops deep): a few hundred ulps. The loosest case is softmax
# of logits near +-1000, computed as exp(x - logsumexp(x)): the subtraction of two numbers near
# 1000 leaves an absolute error of about 1000 * 2^-53 = 1e-13, a relative one in the result.
KNOWN_RTOL = 1e-12
# A chain of 10^6 multiplications: each rounds by at most 2^-53, so 1e6 * 1.1e-16 ~ 1e-10.
CHAIN_RTOL = 1e-9


def fd_close(backprop: float, numeric: float, loss: float) -> bool:
    """Backprop agrees with a central difference of a loss of size |loss|."""
    return abs(backprop - numeric) <= FD_RTOL * abs(numeric) + FD_ATOL * (1.0 + abs(loss))


def torch_close(ours: float, theirs: float, scale: float = 1.0) -> bool:
    """Our number agrees with PyTorch's; `scale` is the size of the terms that made it."""
    return abs(ours - theirs) <= TORCH_RTOL * abs(theirs) + TORCH_ATOL * max(1.0, scale)


# ---------------------------------------------------------------------------------------------
# The loss put on top of every output, so backward never starts from a bare 1.0: its upstream
# gradient dL/dout = 2 * 0.7 * (out + 1.5) differs from 1, so a dropped upstream factor, or `=`
# instead of `+=`, shows. It is the same expression for Values and for torch tensors.


def loss(out: Any) -> Any:
    """L = 0.7 * (out + 1.5)^2."""
    return (out + 1.5) ** 2 * 0.7


# ---------------------------------------------------------------------------------------------
# Input domains.


@dataclass(frozen=True)
class Domain:
    """Valid inputs: lo <= x <= hi and |x| >= gap (gap > 0 cuts out a kink or pole at 0).

    Drawn from the part of it inside [-span, span]. In random DAGs an op is applied only to
    operands inside its domains.
    """

    lo: float = -math.inf
    hi: float = math.inf
    gap: float = 0.0
    span: float = 3.0

    def contains(self, x: float) -> bool:
        return self.lo <= x <= self.hi and abs(x) >= self.gap

    def strategy(self) -> st.SearchStrategy[float]:
        lo, hi = max(self.lo, -self.span), min(self.hi, self.span)
        pieces = []
        if lo <= -self.gap:
            pieces.append(st.floats(lo, -self.gap))
        if hi >= self.gap:
            pieces.append(st.floats(max(lo, self.gap), hi))
        return st.one_of(pieces)


REAL = Domain()  # smooth everywhere
EXP_ARG = Domain(-5.0, 5.0, span=5.0)  # exp, 2**x: bounded, so nothing overflows or explodes
NONZERO = Domain(-3.0, 3.0, gap=0.25)  # a denominator or a negative integer power: pole at 0
KINKED = Domain(-3.0, 3.0, gap=0.1)  # relu, abs, leaky_relu: kink at 0
POSITIVE = Domain(0.1, 10.0, span=10.0)  # log, sqrt, fractional powers
BASE = Domain(0.1, 4.0, span=4.0)  # x ** y with y a Value: base > 0
EXPONENT = Domain(-2.0, 2.0, span=2.0)


# ---------------------------------------------------------------------------------------------
# The table.


@dataclass(frozen=True)
class Op:
    """One function, on Values (`value_fn`) and on float64 tensors (`torch_fn`)."""

    name: str
    value_fn: Callable[..., Value]
    torch_fn: Callable[..., torch.Tensor]
    domains: tuple[Domain, ...]

    @property
    def arity(self) -> int:
        return len(self.domains)

    def inputs(self) -> st.SearchStrategy[tuple[float, ...]]:
        """One valid input tuple."""
        return st.tuples(*(d.strategy() for d in self.domains))

    def __repr__(self) -> str:  # shown by hypothesis and as the pytest id
        return self.name


def _stack(xs: Sequence[torch.Tensor]) -> torch.Tensor:
    return torch.stack(list(xs))


# Fixed coefficients for the n-ary ops, chosen unequal so no two inputs are interchangeable.
WEIGHTS = (0.3, -1.2, 2.0, 0.7)


def _weighted(components: Sequence[Any]) -> Any:
    """sum_i WEIGHTS[i] * component_i, for Values and tensors alike."""
    total = components[0] * WEIGHTS[0]
    for w, c in zip(WEIGHTS[1:], components[1:]):
        total = total + c * w
    return total


def _unary(name: str, value_fn: Callable, torch_fn: Callable, domain: Domain = REAL) -> Op:
    return Op(name, value_fn, torch_fn, (domain,))


def _power(n: float, domain: Domain) -> Op:
    return _unary(f"x**{n}", lambda a: a**n, lambda a: a**n, domain)


def _leaky(slope: float | None) -> Op:
    if slope is None:  # the default slope, 0.01
        return _unary("leaky_relu", lambda a: a.leaky_relu(),
                      lambda a: torch.nn.functional.leaky_relu(a, 0.01), KINKED)
    return _unary(f"leaky_relu({slope})", lambda a: a.leaky_relu(slope),
                  lambda a: torch.nn.functional.leaky_relu(a, slope), KINKED)


OPS: list[Op] = [
    # --- binary operators, Value with Value and with a number on either side (reflected ops)
    Op("a+b", lambda a, b: a + b, lambda a, b: a + b, (REAL, REAL)),
    _unary("x+2.5", lambda a: a + 2.5, lambda a: a + 2.5),
    _unary("2.5+x", lambda a: 2.5 + a, lambda a: 2.5 + a),
    Op("a-b", lambda a, b: a - b, lambda a, b: a - b, (REAL, REAL)),
    _unary("x-2.5", lambda a: a - 2.5, lambda a: a - 2.5),
    _unary("2-x", lambda a: 2 - a, lambda a: 2 - a),
    Op("a*b", lambda a, b: a * b, lambda a, b: a * b, (REAL, REAL)),
    _unary("x*-1.5", lambda a: a * -1.5, lambda a: a * -1.5),
    _unary("-1.5*x", lambda a: -1.5 * a, lambda a: -1.5 * a),
    Op("a/b", lambda a, b: a / b, lambda a, b: a / b, (REAL, NONZERO)),
    _unary("x/2.5", lambda a: a / 2.5, lambda a: a / 2.5),
    _unary("3/x", lambda a: 3 / a, lambda a: 3 / a, NONZERO),
    _unary("-x", lambda a: -a, lambda a: -a),
    # --- x ** number: integer exponents (negative ones away from the pole at 0) and
    # fractional ones on a positive base
    _power(0, REAL),
    _power(1, REAL),
    _power(2, REAL),
    _power(3, REAL),
    _power(-1, NONZERO),
    _power(-2, NONZERO),
    _power(-3, NONZERO),
    _power(2.0, REAL),
    _power(0.5, POSITIVE),
    _power(1.5, POSITIVE),
    _power(-0.5, POSITIVE),
    _power(2.5, POSITIVE),
    # --- x ** y with y a Value, and a number ** Value
    Op("a**b", lambda a, b: a**b, lambda a, b: a**b, (BASE, EXPONENT)),
    _unary("2**x", lambda a: 2**a, lambda a: 2**a, EXP_ARG),
    _unary("0.5**x", lambda a: 0.5**a, lambda a: 0.5**a, EXP_ARG),
    # --- functions of one Value
    _unary("exp", lambda a: a.exp(), torch.exp, EXP_ARG),
    _unary("log", lambda a: a.log(), torch.log, POSITIVE),
    _unary("tanh", lambda a: a.tanh(), torch.tanh),
    _unary("relu", lambda a: a.relu(), torch.relu, KINKED),
    _leaky(None),
    _leaky(0.2),
    _unary("sigmoid", lambda a: a.sigmoid(), torch.sigmoid, Domain(span=6.0)),
    _unary("sqrt", lambda a: a.sqrt(), torch.sqrt, POSITIVE),
    _unary("abs", abs, torch.abs, KINKED),
    _unary("sin", lambda a: a.sin(), torch.sin, Domain(span=5.0)),
    _unary("cos", lambda a: a.cos(), torch.cos, Domain(span=5.0)),
    # --- n-ary ops, each one node
    Op("vsum", lambda *xs: vsum(xs), lambda *xs: _stack(xs).sum(), (REAL,) * 4),
    Op(
        "dot",  # w1*x1 + w2*x2 + w3*x3 + b, parents (w1, w2, w3, x1, x2, x3, b)
        lambda *p: dot(p[0:3], p[3:6], p[6]),
        lambda *p: torch.dot(_stack(p[0:3]), _stack(p[3:6])) + p[6],
        (REAL,) * 7,
    ),
    Op("logsumexp", lambda *xs: logsumexp(xs),
       lambda *xs: torch.logsumexp(_stack(xs), 0), (REAL,) * 4),
    Op("softmax[1]", lambda *xs: softmax(xs)[1],
       lambda *xs: torch.softmax(_stack(xs), 0)[1], (REAL,) * 4),
    Op("softmax.w", lambda *xs: _weighted(softmax(xs)),
       lambda *xs: _weighted(torch.softmax(_stack(xs), 0)), (REAL,) * 4),
    Op("log_softmax[2]", lambda *xs: log_softmax(xs)[2],
       lambda *xs: torch.log_softmax(_stack(xs), 0)[2], (REAL,) * 4),
    Op("log_softmax.w", lambda *xs: _weighted(log_softmax(xs)),
       lambda *xs: _weighted(torch.log_softmax(_stack(xs), 0)), (REAL,) * 4),
]

OPS_BY_NAME: dict[str, Op] = {op.name: op for op in OPS}
assert len(OPS_BY_NAME) == len(OPS), "op names must be unique"


# ---------------------------------------------------------------------------------------------
# Leaves and evaluation helpers.


def value_leaves(xs: Sequence[float]) -> list[Value]:
    """Fresh leaf Values x0, x1, ... holding `xs`."""
    return [Value(x, f"x{i}") for i, x in enumerate(xs)]


def torch_leaves(xs: Sequence[float]) -> list[torch.Tensor]:
    """Fresh float64 leaf tensors holding `xs`, requiring grad."""
    return [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]


def central_differences(f: Callable[[list[float]], float], xs: Sequence[float]) -> list[float]:
    """(f(x + h e_i) - f(x - h e_i)) / 2h for every i, with h = FD_STEP * max(1, |x_i|)."""
    estimates = []
    for i, x in enumerate(xs):
        h = FD_STEP * max(1.0, abs(x))
        above, below = list(xs), list(xs)
        above[i], below[i] = x + h, x - h
        estimates.append((f(above) - f(below)) / ((x + h) - (x - h)))
    return estimates


def loss_of(build: Callable[[list[Value]], Value]) -> Callable[[list[float]], float]:
    """The float function xs -> loss(build(leaves)).data, evaluated under `no_grad()`."""

    def f(xs: list[float]) -> float:
        with no_grad():
            return loss(build(value_leaves(xs))).data

    return f


# ---------------------------------------------------------------------------------------------
# Random expression DAGs.

DAG_MAX_ABS = 100.0  # a step whose result is larger than this is skipped while drawing
ROOT_WEIGHTS = (1.0, -0.6, 0.45, 1.3)


@dataclass(frozen=True)
class Dag:
    """A recipe for a graph. The pool starts as the leaves; step (name, (i, j, ...)) appends
    OPS_BY_NAME[name] applied to pool entries i, j, ...; the root is
    sum_k ROOT_WEIGHTS[k] * pool[root[k]]."""

    leaves: tuple[float, ...]
    steps: tuple[tuple[str, tuple[int, ...]], ...]
    root: tuple[int, ...]


def replay(dag: Dag, leaves: Sequence[Any], on_torch: bool = False) -> tuple[list[Any], Any]:
    """Build the recipe from `leaves` (Values, or tensors with on_torch): (pool, root)."""
    pool = list(leaves)
    for name, args in dag.steps:
        op = OPS_BY_NAME[name]
        fn = op.torch_fn if on_torch else op.value_fn
        pool.append(fn(*(pool[i] for i in args)))
    root = pool[dag.root[0]] * ROOT_WEIGHTS[0]
    for w, i in zip(ROOT_WEIGHTS[1:], dag.root[1:]):
        root = root + pool[i] * w
    return pool, root


@st.composite
def dags(draw: Callable, max_leaves: int = 4, max_steps: int = 10) -> Dag:
    """A random DAG over 1..max_leaves leaves. Each step picks an op from the table and operands
    from the whole pool, so nodes get reused (a leaf can fill several slots of one op).
    A step is kept only when its operands lie in the op's domains and its result stays within
    DAG_MAX_ABS, so every drawn DAG is valid: no rejection, and it shrinks well."""
    leaves = draw(st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=max_leaves))
    with no_grad():
        pool = [Value(x) for x in leaves]
        steps = []
        for _ in range(draw(st.integers(1, max_steps))):
            op = draw(st.sampled_from(OPS))
            args = tuple(draw(st.integers(0, len(pool) - 1)) for _ in range(op.arity))
            if not all(d.contains(pool[i].data) for d, i in zip(op.domains, args)):
                continue
            try:
                out = op.value_fn(*(pool[i] for i in args))
            except (ValueError, ZeroDivisionError, OverflowError):
                continue
            if abs(out.data) > DAG_MAX_ABS:
                continue
            pool.append(out)
            steps.append((op.name, args))
    # the root always uses the newest node (the deepest), plus up to three others
    others = draw(st.lists(st.integers(0, len(pool) - 1), max_size=len(ROOT_WEIGHTS) - 1))
    return Dag(tuple(leaves), tuple(steps), (len(pool) - 1, *others))
