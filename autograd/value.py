"""The node of the computation graph: `Value`, and every elementary op with its local derivative.

Each op computes its forward number and, in the same breath, the local derivative of its output
with respect to each input: d(out)/d(input). The node keeps both, as data:

    out.parents     = (a, b)            the Values it was computed from, in argument order
    out.local_grads = (b.data, a.data)  for out = a * b:  d(a*b)/da = b,  d(a*b)/db = a

The chain rule itself is written once, in `Value.backward`: walking the graph from the output
back to the inputs, every edge adds  local_grad * (gradient of the output so far)  to its parent.
Because the local derivatives are plain numbers stored on the node, the trace (`backward_steps`)
and the pictures (`draw_dot`) can show every one of them.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from numbers import Real
from typing import TypeVar

from autograd.graph import topological_order

# ---------------------------------------------------------------------------------------------
# The rule book: op name -> the formula of its local derivative, shown by the trace and pictures.

RULES: dict[str, str] = {}

F = TypeVar("F", bound=Callable)


def derivative(op: str, formula: str) -> Callable[[F], F]:
    """Record `formula` as the local-derivative rule of `op`; the function itself is unchanged."""

    def register(function: F) -> F:
        RULES[op] = formula
        return function

    return register


# ---------------------------------------------------------------------------------------------
# Recording switch: inside `no_grad()` ops build plain leaves, with no parents and no derivatives.
#
# A block holds, while it is open, for the context that entered it: each thread has its own
# context, each asyncio task its own copy (taken when the task is created: a task started inside
# a block, like `asyncio.to_thread`'s function, is inside it too, until it ends). The state:
# - `_innermost` (a ContextVar): the innermost block this context entered, None outside any.
# - `_open_blocks`: every block open right now, in any thread or task; and `_none_open`, which is
#   `not _open_blocks` kept as a bool, for the hot path (`_node`, `Value.__init__`: every op) to
#   test first. With no block open anywhere, recording then costs one read of a global True, as
#   a single flag would. (True and False are the values Python tests without a call: testing
#   the set itself costs ~2% of an op.) Both change together, under a lock; a reentrant one,
#   since the garbage collector may close a block (a generator's) in a thread that holds it.


class _Block:
    """One entry into `no_grad()`; `outer` is the block this context was inside when it entered."""

    __slots__ = ("outer",)

    def __init__(self, outer: _Block | None) -> None:
        self.outer = outer


_innermost: ContextVar[_Block | None] = ContextVar("chainrule_no_grad", default=None)
_open_blocks: set[_Block] = set()
_none_open = True
_open_blocks_lock = threading.RLock()


def _opened(block: _Block) -> None:
    """`block` holds from now on (in the contexts that are inside it)."""
    global _none_open
    with _open_blocks_lock:
        _open_blocks.add(block)
        _none_open = False


def _closed(block: _Block) -> None:
    """`block` holds nowhere from now on (also if it never opened: an interrupt on entry)."""
    global _none_open
    with _open_blocks_lock:
        _open_blocks.discard(block)
        _none_open = not _open_blocks


@contextmanager
def no_grad() -> Iterator[None]:
    """Within this block, ops record no graph: their results are leaves (for evaluation).

    It holds for the thread or asyncio task that entered it (and tasks it starts inside it),
    until it ends; other threads and tasks keep recording.

    NOTE: a generator that yields inside the block leaves its caller inside the block while it
    is suspended (a generator has no context of its own; `decimal.localcontext` does the same).
    The block ends when the generator finishes or is closed, and also when it is never resumed
    but garbage collected: it then closes wherever the collector runs, and ends everywhere just
    the same, so no block is left open. (It resets `_innermost` only in the context that entered
    it, never in the one it happens to close in.) A generator kept alive forever, suspended
    inside, keeps its block open: correct, since it has not ended, but every op anywhere then
    takes the slower path (a lookup of its context's block).
    """
    block = _Block(_open_block_here())
    try:  # (entered before the block opens, so an interrupt cannot leave it open)
        _opened(block)
        _innermost.set(block)
        yield
    finally:
        _closed(block)  # first: from here on the block holds nowhere
        if _innermost.get() is block:  # the context that entered it (else leave that one alone)
            _innermost.set(block.outer)


def is_recording() -> bool:
    """True unless this thread or task is inside a `no_grad()` block."""
    return (_none_open or (block := _innermost.get()) is None
            or (block not in _open_blocks and _open_block_here() is None))


def _open_block_here() -> _Block | None:
    """The innermost block this context entered that is still open, or None if there is none.

    Usually `_innermost` itself, but a block this context entered may have ended in another
    context (a generator's, see `no_grad`): the walk looks past it, to the blocks outside it.
    (Entering starts from here too, so blocks that ended elsewhere never pile up.)
    """
    block = _innermost.get()
    while block is not None and block not in _open_blocks:
        block = block.outer
    return block


# ---------------------------------------------------------------------------------------------
# A result made inside no_grad() is a leaf, but not one a learner made on purpose: calling
# backward() on it would silently set its grad to 1 and differentiate nothing. Such results get
# this empty tuple as their `parents` instead of (): as falsy and as cheap (one shared object),
# so every loop over parents is unchanged, but `parents is NO_GRAPH` tells them apart.


class _NoGraph(tuple):
    """The type of NO_GRAPH: an empty tuple that says "computed inside no_grad()"."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NO_GRAPH"

    def __reduce__(self) -> str:  # copied or pickled, it stays the one NO_GRAPH
        return "NO_GRAPH"


NO_GRAPH = _NoGraph()


def check_has_graph(root: Value, what: str) -> None:
    """Refuse a root computed inside no_grad(): it has no graph, so nothing to differentiate."""
    if root.parents is NO_GRAPH:
        raise ValueError(
            f"{what}: this Value was computed inside a no_grad() block, which records no graph, "
            "so there is nothing to differentiate; compute it outside no_grad() to get gradients"
        )


# ---------------------------------------------------------------------------------------------

isfinite = math.isfinite  # NOTE: a global name is looked up faster than math.isfinite

# Local derivatives that do not depend on the inputs, shared rather than rebuilt for every node.
ONE_ONE = (1.0, 1.0)  # d(a+b)/da, d(a+b)/db
ONE_MINUS_ONE = (1.0, -1.0)  # d(a-b)/da, d(a-b)/db
ONE = (1.0,)
ZERO = (0.0,)
MINUS_ONE = (-1.0,)


def _is_number(x: object) -> bool:
    """An int or a float (or another real number), but not a bool."""
    kind = type(x)  # NOTE: the two usual types first; isinstance(x, Real) is several times slower
    return kind is float or kind is int or (kind is not bool and isinstance(x, Real))


def _as_float(data: object) -> float:
    """Turn an int or float (not a bool) into a float; anything else is a TypeError."""
    if not _is_number(data):
        raise TypeError(
            f"Value data must be an int or float, got {type(data).__name__} ({data!r:.60})"
        )
    return _to_float(data)


def _to_float(data: float) -> float:
    """A number known to be one (see _is_number) as a float; an int too large is a ValueError."""
    try:
        return float(data)
    except OverflowError:
        raise ValueError(f"Value data {data!r:.60} is too large for a float") from None


def _number(operand: object) -> float | None:
    """A plain int/float operand as a float; None for any other type, so the operator returns
    NotImplemented and Python raises TypeError (never a silent coercion of a list or a str)."""
    if type(operand) is float:
        c = operand
    elif _is_number(operand):
        c = _to_float(operand)
    else:
        return None
    if not isfinite(c):
        raise ValueError(f"a constant in an op must be finite, got {c}")
    return c


def _describe(parents: tuple[Value, ...]) -> str:
    shown = ", ".join(f"{p.data!r}" for p in parents[:4])
    return shown + (", ..." if len(parents) > 4 else "")


def _hand_made_edges(
    op: str, parents: object, local_grads: object
) -> tuple[tuple[Value, ...], tuple[float, ...]]:
    """The parents and local derivatives given to `Value(data, op=, parents=, local_grads=)`,
    checked: Values, and one finite real number (stored as a float) per parent."""
    name = op or "an op"
    edges = []
    for what, items in (("parents", parents), ("local_grads", local_grads)):
        if isinstance(items, (str, bytes, Value)) or not isinstance(items, Iterable):
            kind = "Values" if what == "parents" else "numbers"
            raise TypeError(f"{name}: {what} must be a tuple of {kind}, got {type(items).__name__}")
        edges.append(tuple(items))
    parents, grads = edges
    if len(parents) != len(grads):
        raise ValueError(f"{name}: one local derivative per parent, got "
                         f"{len(parents)} parents and {len(grads)} derivatives")
    for i, parent in enumerate(parents):
        if not isinstance(parent, Value):
            raise TypeError(f"{name}: parent {i} must be a Value, got {type(parent).__name__} "
                            "(a constant is no parent: fold it into the local derivative)")
    return parents, tuple(_local_grad(name, i, g) for i, g in enumerate(grads))


def _local_grad(name: str, i: int, g: object) -> float:
    """A hand-made op's local derivative number i, as a finite float."""
    if not _is_number(g):
        raise TypeError(f"{name}: local derivative {i} must be an int or float, "
                        f"got {type(g).__name__} ({g!r:.60})")
    try:
        number = float(g)
    except OverflowError:
        raise ValueError(f"{name}: local derivative {i} must be finite, got an int too large "
                         "for a float") from None
    if not isfinite(number):
        raise ValueError(f"{name}: local derivative {i} must be finite, got {number}")
    return number


def _check_local_grads(op: str, x: float, grads: tuple[float, ...]) -> tuple[float, ...]:
    """A local derivative that overflows would turn into inf/nan grads later: refuse it now."""
    for g in grads:
        if not math.isfinite(g):
            raise OverflowError(f"{op}: the local derivative at {x!r} is {g}, too steep")
    return grads


# ---------------------------------------------------------------------------------------------
# The activations' forward arithmetic on plain floats, written once: the Value methods below use
# it, and so does nn's `predict` (a forward pass that builds no graph), which therefore gives the
# very same bits as `model(x).data`.

tanh_of = math.tanh


def relu_of(x: float) -> float:
    """max(0, x)."""
    return x if x > 0.0 else 0.0


def leaky_relu_of(x: float, slope: float) -> float:
    """x if x > 0 else slope * x (as x times the local derivative, 1 or slope)."""
    return x * (1.0 if x > 0.0 else slope)


def sigmoid_of(x: float) -> float:
    """1 / (1 + e^-x), computed without overflow for large |x| (e^x / (1 + e^x) for x < 0)."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


class Value:
    """A scalar in a computation graph: its number, its gradient, and how it was computed.

    `Value(data, label="")`: data is an int or float (stored as float); label names it in traces
    and pictures. Values are hashed by identity, so they work as dict keys and set members.
    """

    __slots__ = {
        "data": "the number this node holds (a finite float)",
        "grad": "d(root)/d(this node) after a backward pass; 0.0 until one reaches it",
        "label": "a name for traces and pictures ('' if none)",
        "op": "the op that produced this node ('' for a leaf)",
        "parents": "the Values it was computed from, in argument order (one per operand)",
        "local_grads": "d(this node)/d(parent) for each parent, in the same order",
    }

    def __init__(
        self,
        data: float,
        label: str = "",
        op: str = "",
        parents: tuple[Value, ...] = (),
        local_grads: tuple[float, ...] = (),
    ) -> None:
        # `Value(data, label)` is a leaf. `op`, `parents` and `local_grads` let you define an op
        # of your own (demo 08 does); the built-in ops below make their results with `_node`.
        if type(data) is not float:
            data = _as_float(data)
        if not isfinite(data):
            raise ValueError(f"Value data must be finite, got {data}")
        if type(label) is not str:
            raise TypeError(f"label must be a str, got {type(label).__name__}")
        self.data = data
        self.grad = 0.0
        self.label = label
        if parents or local_grads:  # a hand-made op: checked even where it will not be recorded
            parents, local_grads = _hand_made_edges(op, parents, local_grads)
        if (_none_open or (block := _innermost.get()) is None  # is_recording(), inlined
                or (block not in _open_blocks and _open_block_here() is None)) and parents:
            self.op, self.parents, self.local_grads = op, parents, local_grads
        else:  # a leaf: no parents, no op (NO_GRAPH: an op's result made inside no_grad)
            self.op, self.parents, self.local_grads = "", NO_GRAPH if parents else (), ()

    def __repr__(self) -> str:
        label = f"label={self.label!r}, " if self.label else ""
        return f"Value({label}data={self.data!r}, grad={self.grad!r})"

    def __float__(self) -> float:
        """Refused: `math.tanh(v)`, `math.exp(v)`, `float(v)` would compute with the bare number
        and drop the graph, so no gradient could ever flow back through the result."""
        raise TypeError(
            f"a Value is not a plain number: use its own methods to stay in the graph "
            f"(v.tanh(), v.exp(), v.log(), ... instead of math.tanh(v)), or v.data for its "
            f"number ({self.data!r}) when no gradient should flow through it"
        )

    # --- the chain rule ---------------------------------------------------------------------

    def backward(self) -> None:
        """Fill in d(self)/d(node) as `.grad` on every node that `self` depends on.

        Reverse topological order guarantees a node's gradient is complete (every use of it has
        contributed) before it is passed on to its parents. Interior nodes show this pass's
        gradient; leaves accumulate across calls, as in PyTorch (zero them between steps).
        A pass that overflows raises OverflowError and leaves every grad as it was before it.
        A Value computed inside `no_grad()` has no graph: ValueError, rather than a silent 1.
        """
        check_has_graph(self, "backward()")
        order = topological_order(self)
        # Every grad starts from 0 (the root from 1). The grads from before are set aside: the
        # leaves' are added back at the end, so two passes give exactly twice one pass, and all
        # of them are put back if the pass fails (it overflows): a failed pass changes no grad.
        leaves, earlier, saved = start_pass(self, order)
        try:
            for node in reversed(order):  # (a leaf has no parents: it passes nothing on)
                upstream = node.grad
                if upstream == 0.0:  # adds 0 to every parent, which changes no sum: skip it
                    continue  # (in a trained net most nodes are here: dead relus, met margins)
                # the chain rule, one edge at a time:
                #   d(root)/d(parent) += d(node)/d(parent) * d(root)/d(node)
                parents = node.parents
                if len(parents) == 1:  # NOTE: the same rule without building a zip: 3x faster
                    parents[0].grad += node.local_grads[0] * upstream  # one-input ops (most)
                else:
                    for parent, local_grad in zip(parents, node.local_grads):
                        parent.grad += local_grad * upstream
            finish_pass(order, leaves, earlier)
        except BaseException:  # the overflow finish_pass raises, or an interrupt (Ctrl-C)
            restore_grads(order, saved)
            raise

    # --- binary operators: a Value or an int/float on either side ----------------------------
    # NOTE: `type(other) is Value` (not isinstance) is the fast test for the usual case, a
    # Value; subclasses of Value are not supported. Likewise + - * test for a finite float
    # constant before calling `_number`, which handles any other number (and raises for inf).
    # NOTE: a plain number is a constant, as in PyTorch: it shapes the local derivative but is
    # not a node of the graph (nothing would ever use its gradient). So `x * 3` has one parent,
    # x, with local derivative 3; `x * y` has two, x and y, with local derivatives y and x.

    @derivative("+", "d(a+b)/da = 1,  d(a+b)/db = 1")
    def __add__(self, other: Value | float) -> Value:  # self + other
        if type(other) is Value:
            return _node(self.data + other.data, "+", (self, other), ONE_ONE)
        c = other if type(other) is float and isfinite(other) else _number(other)
        return NotImplemented if c is None else _node(self.data + c, "+", (self,), ONE)

    def __radd__(self, other: float) -> Value:  # other + self, other a number
        c = other if type(other) is float and isfinite(other) else _number(other)
        return NotImplemented if c is None else _node(c + self.data, "+", (self,), ONE)

    @derivative("-", "d(a-b)/da = 1,  d(a-b)/db = -1")
    def __sub__(self, other: Value | float) -> Value:  # self - other
        if type(other) is Value:
            return _node(self.data - other.data, "-", (self, other), ONE_MINUS_ONE)
        c = other if type(other) is float and isfinite(other) else _number(other)
        return NotImplemented if c is None else _node(self.data - c, "-", (self,), ONE)

    def __rsub__(self, other: float) -> Value:  # other - self, other a number
        c = other if type(other) is float and isfinite(other) else _number(other)
        return NotImplemented if c is None else _node(c - self.data, "-", (self,), MINUS_ONE)

    @derivative("*", "d(a*b)/da = b,  d(a*b)/db = a")
    def __mul__(self, other: Value | float) -> Value:  # self * other
        if type(other) is Value:
            return _node(self.data * other.data, "*", (self, other), (other.data, self.data))
        c = other if type(other) is float and isfinite(other) else _number(other)
        return NotImplemented if c is None else _node(self.data * c, "*", (self,), (c,))

    def __rmul__(self, other: float) -> Value:  # other * self, other a number
        c = other if type(other) is float and isfinite(other) else _number(other)
        return NotImplemented if c is None else _node(c * self.data, "*", (self,), (c,))

    @derivative("/", "d(a/b)/da = 1/b,  d(a/b)/db = -a/b^2")
    def __truediv__(self, other: Value | float) -> Value:  # self / other
        if type(other) is Value:
            a, b = self.data, other.data
            parents = (self, other)
        else:
            b = _number(other)
            if b is None:
                return NotImplemented
            a, parents = self.data, (self,)
        if b == 0.0:
            raise ZeroDivisionError(f"division by zero: {a!r} / {b!r}")
        q = a / b
        # -a/b^2 computed as -(a/b)/b: b*b would underflow to 0 for |b| < 1e-162
        grads = _check_local_grads("/", b, (1.0 / b, -q / b)[: len(parents)])
        return _node(q, "/", parents, grads)

    def __rtruediv__(self, other: float) -> Value:  # other / self, other a number
        c = _number(other)
        if c is None:
            return NotImplemented
        b = self.data
        if b == 0.0:
            raise ZeroDivisionError(f"division by zero: {c!r} / {b!r}")
        q = c / b
        return _node(q, "/", (self,), _check_local_grads("/", b, (-q / b,)))

    @derivative("**", "d(x**n)/dx = n*x**(n-1),  d(x**y)/dy = x**y * log(x)")
    def __pow__(self, exponent: Value | float) -> Value:  # self ** exponent
        if type(exponent) is Value:
            return _power(self.data, exponent.data, (self, exponent))
        n = _number(exponent)
        if n is None:
            return NotImplemented
        x = self.data
        if x < 0.0 and not n.is_integer():
            raise ValueError(f"{x!r} ** {n!r}: a fractional power of a negative base is not real")
        if x == 0.0 and n < 1.0 and n != 0.0:
            error = ZeroDivisionError if n < 0.0 else ValueError
            raise error(f"0.0 ** {n!r}: the derivative n*x**(n-1) is infinite at x = 0")
        try:
            out = x**n
            local = n * x ** (n - 1.0) if n != 0.0 else 0.0
        except OverflowError:
            raise OverflowError(f"{x!r} ** {n!r} is too large for a float") from None
        return _node(out, "**", (self,), _check_local_grads("**", x, (local,)))

    def __rpow__(self, base: float) -> Value:  # base ** self, base a number
        c = _number(base)
        return NotImplemented if c is None else _power(c, self.data, (self,))

    @derivative("neg", "d(-x)/dx = -1")
    def __neg__(self) -> Value:  # -self
        return _node(-self.data, "neg", (self,), MINUS_ONE)

    # --- functions of one Value ---------------------------------------------------------------

    @derivative("exp", "d exp(x)/dx = exp(x)")
    def exp(self) -> Value:
        """e^x."""
        try:
            out = math.exp(self.data)
        except OverflowError:
            raise OverflowError(
                f"exp({self.data!r}) overflows a float (exp(x) is finite only for x < 709.78)"
            ) from None
        return _node(out, "exp", (self,), (out,))

    @derivative("log", "d log(x)/dx = 1/x")
    def log(self) -> Value:
        """The natural logarithm, for x > 0."""
        x = self.data
        if x <= 0.0:
            raise ValueError(f"log({x!r}): log is defined only for x > 0")
        return _node(math.log(x), "log", (self,), _check_local_grads("log", x, (1.0 / x,)))

    @derivative("tanh", "d tanh(x)/dx = 1 - tanh(x)^2")
    def tanh(self) -> Value:
        """(e^x - e^-x) / (e^x + e^-x)."""
        t = tanh_of(self.data)
        return _node(t, "tanh", (self,), (1.0 - t * t,))

    @derivative("relu", "d relu(x)/dx = 1 if x > 0 else 0")
    def relu(self) -> Value:
        """max(0, x).  NOTE: relu'(0) = 0, PyTorch's convention (the kink has no derivative)."""
        x = self.data
        # NOTE: relu_of(x), written out: a call per node costs ~1% of a training step, and a
        # comparison has no rounding to disagree about (tests/test_predict.py pins the bits)
        return _node(x if x > 0.0 else 0.0, "relu", (self,), ONE if x > 0.0 else ZERO)

    @derivative("leaky_relu", "d leaky_relu(x)/dx = 1 if x > 0 else slope")
    def leaky_relu(self, slope: float = 0.01) -> Value:
        """x if x > 0 else slope*x.  NOTE: as relu, the derivative at 0 is the left one (slope)."""
        c = _number(slope)
        if c is None:
            raise TypeError(f"leaky_relu: slope must be a number, got {type(slope).__name__}")
        x = self.data
        return _node(leaky_relu_of(x, c), "leaky_relu", (self,), (1.0 if x > 0.0 else c,))

    @derivative("sigmoid", "d sigmoid(x)/dx = sigmoid(x) * (1 - sigmoid(x))")
    def sigmoid(self) -> Value:
        """1 / (1 + e^-x), computed without overflow for large |x|."""
        s = sigmoid_of(self.data)
        return _node(s, "sigmoid", (self,), (s * (1.0 - s),))

    @derivative("sqrt", "d sqrt(x)/dx = 1 / (2*sqrt(x))")
    def sqrt(self) -> Value:
        """The square root, for x > 0 (at 0 the derivative is infinite)."""
        x = self.data
        if x < 0.0:
            raise ValueError(f"sqrt({x!r}): sqrt is defined only for x >= 0")
        if x == 0.0:
            raise ValueError("sqrt(0.0): the derivative 1/(2*sqrt(x)) is infinite at x = 0")
        r = math.sqrt(x)
        return _node(r, "sqrt", (self,), _check_local_grads("sqrt", x, (0.5 / r,)))

    @derivative("abs", "d|x|/dx = sign(x)  (0 at x = 0)")
    def __abs__(self) -> Value:
        """|x|.  NOTE: abs'(0) = 0, as PyTorch (sign(0) = 0)."""
        x = self.data
        sign = 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)
        return _node(abs(x), "abs", (self,), (sign,))

    abs = __abs__

    @derivative("sin", "d sin(x)/dx = cos(x)")
    def sin(self) -> Value:
        """The sine (radians)."""
        return _node(math.sin(self.data), "sin", (self,), (math.cos(self.data),))

    @derivative("cos", "d cos(x)/dx = -sin(x)")
    def cos(self) -> Value:
        """The cosine (radians)."""
        return _node(math.cos(self.data), "cos", (self,), (-math.sin(self.data),))

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        """Jupyter shows a Value as its graph (text when Graphviz is missing)."""
        from autograd.jupyter import mimebundle
        return mimebundle(self)


def _power(x: float, y: float, parents: tuple[Value, ...]) -> Value:
    """x ** y with a Value exponent y (parents: the Values among x and y, x first).

    x^y = exp(y log x), so the base must be > 0;  d/dx = y x^(y-1),  d/dy = x^y log x.
    """
    if x <= 0.0:
        raise ValueError(f"{x!r} ** {y!r}: a Value exponent needs a base > 0")
    try:
        out = x**y
    except OverflowError:
        raise OverflowError(f"** : {x!r} ** {y!r} is too large for a float") from None
    d_exponent = out * math.log(x)
    if len(parents) == 1:  # a constant base: only the exponent is a Value
        return _node(out, "**", parents, _check_local_grads("**", x, (d_exponent,)))
    try:
        d_base = y * x ** (y - 1.0)
    except OverflowError:
        raise OverflowError(f"** : the derivative of {x!r} ** {y!r} is too steep") from None
    return _node(out, "**", parents, _check_local_grads("**", x, (d_base, d_exponent)))


_new = object.__new__  # NOTE: a Value without calling __init__: ~2x faster for op results


def _node(
    data: float, op: str, parents: tuple[Value, ...], local_grads: tuple[float, ...]
) -> Value:
    """How an op makes its result: like `Value(data)`, minus the checks an op cannot fail
    (its result is always a float), plus the one it can: overflow to inf names the op."""
    if not isfinite(data):
        raise OverflowError(
            f"{op} overflowed to {data} (inputs {_describe(parents)}): too large for a float"
        )
    node = _new(Value)
    node.data = data
    node.grad = 0.0
    node.label = ""
    # NOTE: is_recording(), inlined. With no block open anywhere (the usual case) it is one
    # read of a global; else one lookup of this context's innermost block, and a walk to the
    # blocks outside it only if that one has ended (elsewhere: see `_open_block_here`).
    if (_none_open or (block := _innermost.get()) is None
            or (block not in _open_blocks and _open_block_here() is None)) and parents:
        node.op = op
        node.parents = parents
        node.local_grads = local_grads
    else:  # a leaf: made inside no_grad() (so marked NO_GRAPH), or of constants only
        node.op = ""
        node.parents = NO_GRAPH if parents else ()
        node.local_grads = ()
    return node


def start_pass(root: Value, order: list[Value]) -> tuple[list[Value], list[float], list[float]]:
    """Before a backward pass: every node starts at grad 0 and the root at 1.

    Returns the leaves and their earlier grads, which `finish_pass` adds back: leaves accumulate
    across passes, and adding this pass's total in one go makes two passes give exactly twice
    one pass (x + x == 2x in floating point; a running sum would not). And every grad as it was,
    in `order`, for `restore_grads` to put back if the pass fails.
    """
    saved = [node.grad for node in order]  # NOTE: a comprehension, ~3% of a backward pass
    leaves, earlier = [], []
    for node in order:
        if not node.parents and node is not root:  # a leaf root's grad is set to 1, as the
            leaves.append(node)  # contract says, not accumulated
            earlier.append(node.grad)
        node.grad = 0.0
    root.grad = 1.0
    return leaves, earlier, saved


def finish_pass(order: list[Value], leaves: list[Value], earlier: list[float]) -> None:
    """After a backward pass: add the leaves' earlier grads back, and refuse inf or nan."""
    add_back(leaves, earlier)
    check_grads_finite(order, leaves)


def add_back(leaves: list[Value], earlier: list[float]) -> None:
    """Leaves accumulate across passes: add the grads they had before this pass."""
    for leaf, grad in zip(leaves, earlier):
        leaf.grad += grad


def restore_grads(order: list[Value], saved: list[float]) -> None:
    """After a pass that failed: every grad back as it was before it (`saved` by start_pass)."""
    for node, grad in zip(order, saved):
        node.grad = grad


def check_grads_finite(order: list[Value], leaves: list[Value]) -> None:
    """Raise if a backward pass overflowed: an inf or nan gradient is never left silently.

    Checking the leaves is enough: a non-finite grad anywhere reaches a leaf. Backward skips
    only grads equal to 0, never inf or nan; inf or nan times any local derivative is inf or nan
    (inf * 0 is nan), and inf or nan plus anything stays non-finite.
    """
    # One sum is much cheaper than a test per leaf; it is finite exactly when every term is,
    # unless the sum itself overflows, which the exact search below then clears.
    if isfinite(sum([leaf.grad for leaf in leaves])):
        return
    for node in order:  # name the first non-finite node, inputs first
        if not math.isfinite(node.grad):
            name = node.label or f"a {node.op or 'leaf'} node"
            raise OverflowError(
                f"backward overflowed: the gradient of {name} became {node.grad}. The output is "
                "too steep here; scale the loss down or lower the learning rate."
            )
