"""Topological order of a computation graph: every node after all of the nodes it depends on.

Walked iteratively with an explicit stack (never recursion), so a chain a million ops deep works.
Nodes are tracked by identity, so a node reached along several paths is listed once.
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
    marker does, and popping the marker puts the node itself into the order.
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
            # NOTE: a node whose parents are all seen goes straight into the order: they are
            # already there (a seen node not yet in the order is one we are still below, and a
            # parent of ours cannot be). In a network a layer's weights and inputs are mostly
            # seen by the next row; testing them all at once with issuperset runs in C.
            if not parents:
                emit(node)
            elif len(parents) == 1:
                parent = parents[0]
                if parent in seen:
                    emit(node)
                else:
                    push(node)
                    push(_EMIT)
                    push(parent)
            elif all_seen(parents):
                emit(node)
            else:
                push(node)
                push(_EMIT)
                for parent in parents:
                    if parent not in seen:
                        push(parent)
    return order
