"""The backward pass one chain-rule step at a time: records, and the sentences that read them.

`backward_steps(root)` performs exactly the arithmetic of `root.backward()`, in the same order,
but pauses after every edge and hands out a `BackwardStep` describing what just happened.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from autograd import snapshot as _snapshot
from autograd.snapshot import GraphSnapshot, graph_snapshot, node_names, ordinal
from autograd.value import Value, check_grads_finite, check_has_graph, restore_grads, start_pass

__all__ = ["BackwardStep", "backward_steps", "format_number", "node_names", "start_sentence"]


def format_number(x: float, decimals: int = 4) -> str:
    """`decimals` decimals for ordinary magnitudes, scientific notation for tiny or huge ones."""
    if x == 0.0:  # also for -0.0 (a dead relu's contribution): no "-0.0000" to puzzle over
        return f"{0.0:.{decimals}f}"
    if 10.0 ** -decimals <= abs(x) < 1e6:
        return f"{x:.{decimals}f}"
    return f"{x:.{decimals}e}"


def start_sentence(root_name: str, seed: float = 1.0, origin: str | None = None) -> str:
    """The first thing a backward pass from `root_name` does, in words.

    Seeded with 1 (the default) and no `origin`: the root's gradient is 1 because it changes
    one for one with itself (`autograd.snapshot.start_sentence`, word for word). Seeded with
    another number g: the root is one piece of a larger computation, and g is what that
    computation sends back to it; `origin` says so in the reader's words ("what the loss sends
    back to this neuron's output"), else a general phrase does:

        The backward pass starts at out: out.grad = -0.2381, what the loss sends back to out.
    """
    if seed == 1.0 and origin is None:
        return _snapshot.start_sentence(root_name)
    r = root_name
    if origin is None:
        origin = (f"the seed this pass was given: how much a larger computation that uses {r} "
                  f"(a loss, say) changes per unit change of {r}, so every gradient below is "
                  "that computation's")
    return f"The backward pass starts at {r}: {r}.grad = {format_number(seed)}, {origin}."


def check_seed(seed: object, what: str) -> float:
    """A backward pass's seed, the root's starting gradient, as a float: a finite number."""
    if isinstance(seed, bool) or not isinstance(seed, (int, float)):
        raise TypeError(f"{what}: seed must be a number (the gradient the pass starts from at "
                        f"the root, 1.0 by default), not {type(seed).__name__}")
    if not math.isfinite(seed):
        raise ValueError(f"{what}: seed must be a finite number (the gradient the pass starts "
                         f"from at the root, 1.0 by default), not {seed}")
    return float(seed)


@dataclass(frozen=True, slots=True)
class BackwardStep:
    """One application of the chain rule along the edge parent -> node.

    contribution = upstream * local_grad, and parent.grad += contribution, where
    upstream = node.grad = d(root)/d(node) and local_grad = d(node)/d(parent).
    """

    index: int  # 0, 1, 2, ... in the order the steps happen (`number` counts from 1)
    node: Value
    parent: Value
    local_grad: float
    upstream: float
    contribution: float
    parent_grad: float  # what parent.grad holds after this step, earlier passes included
    root_name: str
    node_name: str
    parent_name: str
    received: int  # how many contributions `parent` has received, this one included
    fan_out: int  # how many it will receive in all (the number of edges leaving it)
    operand: int = 0  # which operand of `node` the parent is: its place in node.parents
    uses: int = 1  # how many of node's operands are this parent (2 for x*x)
    earlier: float = 0.0  # parent's grad from earlier backward passes (a leaf's; else 0)

    @property
    def number(self) -> int:
        """The step's number, 1 for the first: "5." in the CLI, "Step 5 of 9" on the page,
        "step 5" on the edge draw_dot(highlight=5) marks."""
        return self.index + 1

    def __str__(self) -> str:
        return self.describe()

    def symbols(self, *, ascii: bool = False) -> tuple[str, str]:
        """The names of the step's two factors, upstream and local: ("d.grad", "∂d/∂a"); a
        parent that is several operands of the node (x*x) says which ("(1st operand)")."""
        n, p = self.node_name, self.parent_name
        local = f"local({n} wrt {p})" if ascii else f"∂{n}/∂{p}"
        if self.uses > 1:
            local += f" ({ordinal(self.operand + 1)} operand)"
        return f"{n}.grad", local

    def describe(self, decimals: int = 4, *, ascii: bool = False) -> str:
        """The step as one sentence, its numbers with `decimals` decimals (str(step) uses 4):

            a.grad += d.grad × ∂d/∂a = 1.0000 × 1.0000 = 1.0000   (a.grad is now 3.0000)

        One symbol, one meaning: `name.grad` is always a running total (what .grad holds),
        `∂node/∂parent` always an op's local derivative; upstream × local, in that order. A
        parent that is several operands of the node (x*x) is told apart: "(1st operand)". With
        `ascii`, for a terminal that cannot show ∂ and ×: `local(d wrt a)` and `*`.
        """
        p = self.parent_name

        def f(x: float) -> str:
            return format_number(x, decimals)

        times = "*" if ascii else "×"
        upstream, local = self.symbols(ascii=ascii)
        now = f"{p}.grad is now {f(self.parent_grad)}"
        if self.earlier:
            now += f", with {f(self.earlier)} from earlier backward passes"
        return (f"{p}.grad += {upstream} {times} {local} = {f(self.upstream)} {times} "
                f"{f(self.local_grad)} = {f(self.contribution)}   ({now})")


def backward_steps(root: Value, snapshot: GraphSnapshot | None = None, *,
                   seed: float = 1.0) -> Iterator[BackwardStep]:
    """Run `root.backward()` one edge at a time, yielding a `BackwardStep` after each edge.

    Running it to the end leaves exactly the grads `root.backward()` leaves: same resets, same
    order of additions. (`backward()` also skips the nodes whose gradient is 0, which adds
    nothing; the trace shows every edge.) A leaf's grad includes its earlier passes all along,
    as `parent_grad` says: this pass's running total plus the earlier grad, the very sum
    backward() makes at its end, so the last step into a leaf shows its final grad bit for bit.
    Stopping early (closing the iterator, or dropping it) leaves a partial pass: the leaves
    keep their earlier grads plus the contributions made so far. A pass that fails (an
    overflow, found at the end) leaves every grad as it was before it, as `backward()` does.

    `snapshot`: the graph's `GraphSnapshot`, if one was taken already (else one is taken).

    `seed`: the root's starting gradient, 1.0 as in `backward()`. When `root` is one piece of a
    larger graph (a neuron inside a network), seeding it with g = d(loss)/d(root), the gradient
    the larger graph's pass sends back to it, makes every step the larger pass's own: each
    contribution and grad is g times the unseeded one (chain rule: d(loss)/d(x) =
    g * d(root)/d(x)). It must be a finite number (else TypeError / ValueError).
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward_steps needs a Value, got {type(root).__name__}")
    seed = check_seed(seed, "backward_steps")
    check_has_graph(root, "backward_steps")
    if snapshot is None:
        snapshot = graph_snapshot(root)
    else:
        snapshot.check_root(root, "backward_steps")
    return _steps(root, snapshot, seed)


def _steps(root: Value, snap: GraphSnapshot, seed: float) -> Iterator[BackwardStep]:
    order, names, fan_out = list(snap.order), snap.names, snap.fan_out
    root_name = names[root]
    received = dict.fromkeys(order, 0)
    leaves, earlier, saved = start_pass(root, order)  # every grad 0, the root's 1
    root.grad = seed  # (1.0 unless seeded)
    before = dict(zip(leaves, earlier))  # each leaf's grad from earlier passes
    running = dict.fromkeys(leaves, 0.0)  # and this pass's total so far
    for leaf, grad in before.items():  # a leaf keeps showing its earlier grad
        leaf.grad = grad
    index = 0
    try:
        for node in reversed(order):  # (a leaf has no parents: no steps)
            upstream = node.grad
            parents = node.parents
            uses = Counter(parents) if len(parents) > 1 else None  # x*x: x is 2 operands
            for k, (parent, local_grad) in enumerate(zip(parents, node.local_grads)):
                contribution = local_grad * upstream
                if parent in running:  # a leaf: this pass's total + the earlier grad,
                    total = running[parent] + contribution  # the sum backward() makes
                    running[parent] = total
                    parent.grad = total + before[parent]
                else:
                    parent.grad += contribution
                received[parent] += 1
                yield BackwardStep(
                    index, node, parent, local_grad, upstream, contribution, parent.grad,
                    root_name, names[node], names[parent], received[parent], fan_out[parent],
                    k, uses[parent] if uses else 1, before.get(parent, 0.0),
                )
                index += 1
        check_grads_finite(order, leaves)  # raises if the pass overflowed
    except GeneratorExit:  # the caller stopped early: the leaves hold earlier + so far
        raise
    except BaseException:  # the pass failed (an overflow, or an error thrown into it)
        restore_grads(order, saved)
        raise
