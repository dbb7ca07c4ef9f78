"""The backward pass one chain-rule step at a time: records, and the sentences that read them.

`backward_steps(root)` performs exactly the arithmetic of `root.backward()`, in the same order,
but pauses after every edge and hands out a `BackwardStep` describing what just happened.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from autograd.graph import topological_order
from autograd.value import Value, add_back, finish_pass, restore_grads, start_pass


def node_names(order: list[Value]) -> dict[Value, str]:
    """A readable name for every node of a `topological_order`: its label, else `v<i>` with i
    its place in `order`, and `L` for an unlabelled root (the last node: what is differentiated).
    The sentences, the pictures and the step-through page all use these names."""
    names = {node: node.label or f"v{i}" for i, node in enumerate(order)}
    if order and not order[-1].label:
        names[order[-1]] = "L"
    return names


def format_number(x: float, decimals: int = 4) -> str:
    """`decimals` decimals for ordinary magnitudes, scientific notation for tiny or huge ones."""
    if x == 0.0:  # also for -0.0 (a dead relu's contribution): no "-0.0000" to puzzle over
        return f"{0.0:.{decimals}f}"
    if 10.0 ** -decimals <= abs(x) < 1e6:
        return f"{x:.{decimals}f}"
    return f"{x:.{decimals}e}"


@dataclass(frozen=True, slots=True)
class BackwardStep:
    """One application of the chain rule along the edge parent -> node.

    contribution = local_grad * upstream, and parent.grad += contribution, where
    upstream = d(root)/d(node) and local_grad = d(node)/d(parent).
    """

    index: int  # 0, 1, 2, ... in the order the steps happen
    node: Value
    parent: Value
    local_grad: float
    upstream: float
    contribution: float
    parent_grad: float  # parent.grad after this step (this pass's running total)
    root_name: str
    node_name: str
    parent_name: str
    received: int  # how many contributions `parent` has received, this one included
    fan_out: int  # how many it will receive in all (the number of edges leaving it)

    def __str__(self) -> str:
        return self.describe()

    def describe(self, decimals: int = 4) -> str:
        """The step as one sentence, its numbers with `decimals` decimals (str(step) uses 4)."""
        r, n, p = self.root_name, self.node_name, self.parent_name

        def f(x: float) -> str:
            return format_number(x, decimals)

        return (
            f"d{r}/d{p} += d{r}/d{n} * d{n}/d{p} = {f(self.upstream)} * {f(self.local_grad)}"
            f" = {f(self.contribution)}  ({p}.grad = {f(self.parent_grad)})"
        )


def backward_steps(root: Value) -> Iterator[BackwardStep]:
    """Run `root.backward()` one edge at a time, yielding a `BackwardStep` after each edge.

    Running it to the end leaves exactly the grads `root.backward()` leaves: same resets, same
    order of additions. (`backward()` also skips the nodes whose gradient is 0, which adds
    nothing; the trace shows every edge.) Stopping early (closing the iterator, or dropping it)
    leaves a partial pass: the leaves keep their earlier grads plus the contributions made so
    far. A pass that fails (an overflow, found at the end) leaves every grad as it was before it,
    as `backward()` does.
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward_steps needs a Value, got {type(root).__name__}")
    return _steps(root)


def _steps(root: Value) -> Iterator[BackwardStep]:
    order = topological_order(root)
    names = node_names(order)
    root_name = names[root]
    fan_out: dict[Value, int] = dict.fromkeys(order, 0)
    for node in order:
        for parent in node.parents:
            fan_out[parent] += 1
    received = dict.fromkeys(order, 0)

    leaves, earlier, saved = start_pass(root, order)
    index = 0
    try:
        for node in reversed(order):  # (a leaf has no parents: no steps)
            upstream = node.grad
            for parent, local_grad in zip(node.parents, node.local_grads):
                contribution = local_grad * upstream
                parent.grad += contribution
                received[parent] += 1
                yield BackwardStep(
                    index, node, parent, local_grad, upstream, contribution, parent.grad,
                    root_name, names[node], names[parent], received[parent], fan_out[parent],
                )
                index += 1
        finish_pass(order, leaves, earlier)  # raises if the pass overflowed
    except GeneratorExit:  # the caller stopped early: the leaves' earlier grads are never lost
        add_back(leaves, earlier)
        raise
    except BaseException:  # the pass failed (an overflow, or an error thrown into it)
        restore_grads(order, saved)
        raise
