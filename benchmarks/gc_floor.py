"""The collector's floor: what the default GC adds per node of the cheapest possible graph.

The chain benchmark's growth target (ns per node at n = 1,000,000 at most 1.5x that at 10,000)
is within reach inside `pause_gc()` but far out of it with Python's default collector. This
section measures why, with no engine at all:

    a Node with __slots__ (data, grad, parent, local_grad): ONE GC-tracked object per node,
    no tuples, no lists, no backward pass; the same chain, y = tanh(y*1.0001 + 0.001),
    3 nodes per step, built and dropped.

Every instance of a class defined in Python is tracked by the cyclic collector (CPython gives
all heap types Py_TPFLAGS_HAVE_GC). A full collection walks every tracked object and runs each
time their number has grown by a quarter since the last one, so a growing graph is walked again
and again; from 10,000 to 1,000,000 nodes the objects stop fitting in the CPU caches and every
step of that walk becomes a memory access.

What the collector adds per node at n = 1,000,000 (gc on minus gc paused) is therefore a floor
for any pure-Python graph with a Python object per node. An engine taking B ns per node at
n = 10,000 can grow by at most 1.5x only if that added cost stays under B/2. (So a leaner engine
grows *more*: the added cost is the same, its base B is smaller.) chainrule has two or three
tracked objects per node: the Value, its parents tuple, and a new local_grads tuple until the
first collection untracks it (a tuple of floats only needs no tracking).
"""

from __future__ import annotations

import math

from benchmarks.report import Section, table
from benchmarks.timing import Contender, interleave, paused

SIZES = {10_000: 11, 1_000_000: 3}  # n -> rounds
QUICK_SIZES = {10_000: 9, 100_000: 5}
MODES = ("gc on", "gc paused")


class Node:
    """The least a graph node can be: its number, its grad, one parent and one local derivative."""

    __slots__ = ("data", "grad", "parent", "local_grad")

    def __init__(self, data: float, parent: Node | None, local_grad: float) -> None:
        self.data = data
        self.grad = 0.0
        self.parent = parent
        self.local_grad = local_grad


def floor_chain(n: int) -> Node:
    """The chain's n steps (3 nodes each) with the cheapest nodes: no engine, just objects."""
    y = Node(0.5, None, 0.0)
    for _ in range(n):
        a = Node(y.data * 1.0001, y, 1.0001)
        b = Node(a.data + 0.001, a, 1.0)
        t = math.tanh(b.data)
        y = Node(t, b, 1.0 - t * t)
    return y


def _work(mode: str, n: int):  # noqa: ANN202
    return (lambda: floor_chain(n)) if mode == "gc on" else paused(lambda: floor_chain(n))


def run(quick: bool) -> Section:
    sizes = QUICK_SIZES if quick else SIZES
    contenders = [
        Contender(f"{mode}/{n}", _work(mode, n), rounds, warmup=1 if n <= 10_000 else 0)
        for n, rounds in sizes.items() for mode in MODES
    ]
    timings = interleave(contenders)
    ns = {(mode, n): timings[f"{mode}/{n}"].median_ns / (3 * n) for n in sizes for mode in MODES}
    low, high = min(sizes), max(sizes)
    section = Section("The collector's floor: one tracked object per node, nothing else")
    section.lines += [
        "The same chain built from a 4-slot Node (no tuples, no backward): ns per node.",
        "What the collector adds per node is a floor for any pure-Python graph (see the module).",
        "",
        *table(
            ["n", "gc on", "gc paused"],
            [[f"{n:,}", *(f"{ns[mode, n]:,.0f}" for mode in MODES)] for n in sizes],
        ),
        "",
        *(f"growth n = {high:,} / {low:,} ({mode}): {ns[mode, high] / ns[mode, low]:.2f}"
          for mode in MODES),
        f"added by the collector at n = {high:,}: "
        f"{ns[MODES[0], high] - ns[MODES[1], high]:,.0f} ns per node, with one object per node",
    ]
    return section
