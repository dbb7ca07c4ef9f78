"""The chain rule as a sum over paths: d(root)/d(leaf) = the sum, over every path from leaf to
root, of the product of the local derivatives along it.

    d = a*b + a:   a -> (a*b) -> d   contributes  b * 1 = 2
                   a -> d            contributes  1     = 1      so dd/da = 2 + 1 = 3

Paths multiply: a chain of n diamonds has 2^n of them. The backward pass visits each edge once
and gets the same sum, because it adds the paths' shares where they meet (a node's grad is the
sum over every path from it to the root) instead of walking each path on its own. That is the
point `paths` is for: count the paths, compare with the edges.
"""

from __future__ import annotations

from dataclasses import dataclass

from autograd.graph import topological_order
from autograd.snapshot import graph_snapshot
from autograd.trace import format_number
from autograd.value import Value

DEFAULT_LIMIT = 1000


@dataclass(frozen=True)
class GradientPath:
    """One way the chain rule reaches `nodes[0]` (the leaf) from `nodes[-1]` (the root).

    Edge i goes from nodes[i] into nodes[i+1], as its operand number `operands[i]` (0-based, in
    `nodes[i+1].parents`), and carries the local derivative local_grads[i] =
    d(nodes[i+1])/d(nodes[i]) along that operand. `product` is their product, taken from the
    leaf's end: this path's share of d(root)/d(leaf).
    """

    nodes: tuple[Value, ...]
    operands: tuple[int, ...]
    local_grads: tuple[float, ...]
    product: float
    names: tuple[str, ...]

    def __str__(self) -> str:
        return self.describe()

    def describe(self, decimals: int = 4, *, ascii: bool = False) -> str:
        """The path as one sentence: its nodes, its local derivatives, and their product.
        `ascii`, for a terminal that cannot show ∂, × and →: `local(d wrt a)`, `*` and `->`."""
        route = (" -> " if ascii else " → ").join(self.names)
        if not self.local_grads:
            return f"{route}: the output itself (no edge), share 1"
        times = " * " if ascii else " × "
        factors = []
        for i, k in enumerate(self.operands):
            child, parent = self.names[i + 1], self.names[i]
            local = f"local({child} wrt {parent})" if ascii else f"∂{child}/∂{parent}"
            if self.nodes[i + 1].parents.count(self.nodes[i]) > 1:
                local += f" ({_ordinal(k + 1)} operand)"
            factors.append(local)
        product = format_number(self.product, decimals)
        if len(factors) == 1:  # one edge: its local derivative is the whole share
            return f"{route}: {factors[0]} = {product}"
        numbers = times.join(format_number(g, decimals) for g in self.local_grads)
        return f"{route}: {times.join(factors)} = {numbers} = {product}"


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def count_paths(root: Value, leaf: Value, order: list[Value] | None = None) -> int:
    """How many paths lead from `leaf` to `root` (an op using the leaf twice, as in x*x, gives
    two): counted in one pass over the topological order, without listing any."""
    order = topological_order(root) if order is None else order
    count = {leaf: 1}
    for node in order:
        if node is not leaf and node.parents:
            total = sum(count.get(parent, 0) for parent in node.parents)
            if total:
                count[node] = total
    return count.get(root, 0)


def paths(root: Value, leaf: Value, limit: int = DEFAULT_LIMIT) -> list[GradientPath]:
    """Every path from `leaf` to `root`, with its local derivatives and their product.

    The products sum to d(root)/d(leaf), the gradient one backward pass from `root` gives
    `leaf` (to rounding: the sum is taken in another order). A leaf that `root` does not depend
    on has no path (gradient 0); `root` itself has one path with no edge (gradient 1).
    More than `limit` paths raise ValueError saying how many there are: they are counted first,
    so a graph with 2^60 paths is refused at once. Never changes a grad.
    """
    if not isinstance(root, Value) or not isinstance(leaf, Value):
        raise TypeError("paths(root, leaf) takes two Values, got "
                        f"{type(root).__name__} and {type(leaf).__name__}")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit must be a positive int, got {limit!r}")
    snapshot = graph_snapshot(root)  # the names the sentences, pictures and pages use
    order, names = list(snapshot.order), snapshot.names
    total = count_paths(root, leaf, order)
    if total > limit:
        edges = sum(len(node.parents) for node in order)
        raise ValueError(
            f"{total:,} paths lead from {names.get(leaf, 'the leaf')} to {names[root]}, more "
            f"than limit={limit:,}. Paths multiply where the graph branches and joins again; "
            f"the backward pass gets the same sum by visiting each of the graph's {edges:,} "
            "edges once. Raise limit to list them anyway."
        )
    reaches = {leaf}  # the nodes with at least one path down to the leaf
    for node in order:
        if any(parent in reaches for parent in node.parents):
            reaches.add(node)
    if root not in reaches:
        return []
    found: list[GradientPath] = []
    # depth first from the root down to the leaf, operands in order: stack of partial routes,
    # each a list of (node, operand index taken into the node above it)
    stack: list[list[tuple[Value, int]]] = [[(root, -1)]]
    while stack:
        route = stack.pop()
        node = route[-1][0]
        if node is leaf:
            found.append(_path(route, names))
            continue
        for k in range(len(node.parents) - 1, -1, -1):  # reversed, so operand 0 pops first
            parent = node.parents[k]
            if parent in reaches:
                stack.append([*route, (parent, k)])
    return found


def _path(route: list[tuple[Value, int]], names: dict[Value, str]) -> GradientPath:
    """A route found from the root down, (node, operand it was taken as) each, as a GradientPath."""
    down = [node for node, _ in route]
    nodes = tuple(reversed(down))  # leaf first
    operands = tuple(k for _, k in reversed(route[1:]))
    local_grads = tuple(nodes[i + 1].local_grads[k] for i, k in enumerate(operands))
    product = 1.0
    for g in local_grads:
        product *= g
    return GradientPath(nodes, operands, local_grads, product, tuple(names[n] for n in nodes))
