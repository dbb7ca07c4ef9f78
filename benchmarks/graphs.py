"""Counting the nodes of a graph in either library: every Value the output depends on, itself
included (leaves and constants too). Both walks are iterative, so any depth works."""

from __future__ import annotations

from typing import Any

from autograd import Value, topological_order


def chainrule_nodes(root: Value) -> int:
    """How many Values a chainrule graph holds."""
    return len(topological_order(root))


def micrograd_nodes(root: Any) -> int:
    """How many Values a micrograd graph holds (micrograd links a node to its inputs in `_prev`)."""
    seen = {id(root)}
    stack = [root]
    while stack:
        node = stack.pop()
        for child in node._prev:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)
