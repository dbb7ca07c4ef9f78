"""Memory per term of a big sum of products, measured with tracemalloc.

    A = [a_1 ... a_N], B = [b_1 ... b_N]     N = 50,000 leaves each, made BEFORE tracing starts
    measured: the products a_i * b_i and their sum, with the result kept alive

Three ways to write the sum:
  micrograd  sum((a*b for a, b in zip(A, B)), Value(0))   the plain way (micrograd needs the
             Value(0) start): 50,000 product nodes + 50,000 addition nodes in a chain
  chainrule  vsum([a*b for a, b in zip(A, B)])             the way chainrule intends: the products
             and ONE n-ary sum node with 50,000 edges
  chainrule  sum(a*b for a, b in zip(A, B))                the plain builtin sum, for comparison

Reported: traced bytes (`tracemalloc.get_traced_memory()`) divided by N. "current" is what the
finished graph holds, measured while the result is still referenced; "peak" also includes the
temporaries of building it (the list given to vsum, for one). tracemalloc counts the bytes Python
asked its allocators for, which is what the two libraries' designs decide.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from autograd import Value, vsum
from benchmarks.graphs import chainrule_nodes, micrograd_nodes
from benchmarks.micrograd_tanh import micrograd_value
from benchmarks.report import Section, Target, ratio, table

TERMS = 50_000


@dataclass(frozen=True)
class Footprint:
    """Traced bytes of one build, and how many Values it created."""

    current: int
    peak: int
    nodes: int


def traced(build: Callable[[], Any], count_nodes: Callable[[Any], int], leaves: int) -> Footprint:
    """Trace the allocations of `build()`; its result is alive when the memory is read."""
    gc.collect()
    tracemalloc.start()
    try:
        result = build()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return Footprint(current, peak, count_nodes(result) - leaves)


def _data(i: int) -> float:
    return 0.5 + i * 1e-6


def micrograd_plain_sum() -> Footprint:
    mg_value = micrograd_value()
    a = [mg_value(_data(i)) for i in range(TERMS)]
    b = [mg_value(_data(-i)) for i in range(TERMS)]
    return traced(
        lambda: sum((x * y for x, y in zip(a, b)), mg_value(0)), micrograd_nodes, 2 * TERMS
    )


def chainrule_vsum() -> Footprint:
    a = [Value(_data(i)) for i in range(TERMS)]
    b = [Value(_data(-i)) for i in range(TERMS)]
    return traced(lambda: vsum([x * y for x, y in zip(a, b)]), chainrule_nodes, 2 * TERMS)


def chainrule_plain_sum() -> Footprint:
    a = [Value(_data(i)) for i in range(TERMS)]
    b = [Value(_data(-i)) for i in range(TERMS)]
    return traced(lambda: sum(x * y for x, y in zip(a, b)), chainrule_nodes, 2 * TERMS)


WAYS: dict[str, Callable[[], Footprint]] = {
    "micrograd  sum(..., Value(0))": micrograd_plain_sum,
    "chainrule  vsum([...])": chainrule_vsum,
    "chainrule  sum(...)": chainrule_plain_sum,
}


def run(quick: bool) -> Section:
    """`quick` changes nothing: the measurement takes well under a second."""
    footprints = {way: measure() for way, measure in WAYS.items()}
    rows = [
        [way, f"{fp.nodes:,}", f"{fp.current / TERMS:,.0f}", f"{fp.peak / TERMS:,.0f}"]
        for way, fp in footprints.items()
    ]
    micrograd = footprints["micrograd  sum(..., Value(0))"].current
    section = Section(f"Memory: the sum of {TERMS:,} products a_i*b_i (leaves made beforehand)")
    section.lines += [
        "Bytes per product term: tracemalloc traced bytes / terms; current = with the graph alive.",
        "",
        *table(["way", "nodes built", "bytes/term current", "bytes/term peak"], rows),
        "",
        "chainrule sum(...) / micrograd: "
        f"{footprints['chainrule  sum(...)'].current / micrograd:.2f}",
    ]
    section.targets.append(
        Target(
            "chainrule vsum / micrograd bytes per term",
            ratio(footprints["chainrule  vsum([...])"].current, micrograd),
            limit=0.2,
        )
    )
    return section
