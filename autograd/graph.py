"""Topological order of a computation graph: every node after all of the nodes it depends on.

Walked iteratively with an explicit stack (never recursion), so a chain a million ops deep works.
Nodes are tracked by identity, so a node reached along several paths is listed once. Parents are
visited in argument order, so the order reads like the formula: in x1*w1 + x2*w2, x1, w1 and
their product come before x2, w2 and theirs (and auto names such as v1, v2 follow suit).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from autograd.value import Value


_EMIT = object()  # a marker on the stack: "every parent of the node below me is done"


def topological_order(root: Value) -> list[Value]:
    """Every Value that `root` depends on (root included), inputs before outputs.

    Depth-first with an explicit stack. When a node is first popped we push it back, then the
    marker, then its parents: they all come off the stack (and into the order) before the
    marker does, and popping the marker puts the node itself into the order. The parents go on
    in reverse, so the first one comes off first: its whole subgraph is listed before the
    second parent's (a post-order walk, parents in argument order).
    """
    order: list[Value] = []
    seen: set[Value] = set()
    stack: list = [root]
    push, pop, see, emit = stack.append, stack.pop, seen.add, order.append  # bound once: hot loop
    all_seen = seen.issuperset
    while stack:
        node = pop()
        if node is _EMIT:
            emit(pop())
        elif node not in seen:
            see(node)
            parents = node.parents
            if parents:
                push(node)
                push(_EMIT)
                # NOTE: two shortcuts. One parent is pushed as it is (if seen already, it is
                # skipped when popped). Many parents are first tested all at once, in C: in a
                # network, a layer's inputs and weights are mostly seen by the next row.
                if len(parents) == 1:
                    push(parents[0])
                elif not all_seen(parents):
                    for parent in reversed(parents):  # the first parent on top
                        if parent not in seen:
                            push(parent)
            else:
                emit(node)
    return order
