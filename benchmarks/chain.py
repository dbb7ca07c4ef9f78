"""The deep chain: time and its growth with depth, chainrule against micrograd.

    y = leaf
    repeat n times:  y = tanh(y*1.0001 + 0.001)
    y.backward()

Build and backward are timed together, for n = 100 ... 1,000,000, and reported in nanoseconds
per node, a node being every Value in the graph, leaves and constants included. The nodes are
counted in each graph, not assumed: micrograd makes 5 per step (the constants 1.0001 and 0.001
become leaves, then *, + and tanh); chainrule folds a number constant into its op, making 3.
As both libraries do the same computation for the same n, "cr/mg" and its target compare their
whole times at the same n (= time per step): a ratio per node would reward making more nodes.

micrograd sorts the graph recursively (one Python frame per level, three levels per step), so
past about 330 steps its `backward` exceeds Python's recursion limit of 1,000: it runs at n = 100
and 300, and once at n = 1,000 to show the RecursionError. chainrule's sort uses an explicit stack.

Two garbage-collector modes: "gc on" is Python's default. CPython's cyclic collector makes a full
pass over every live object each time their number has grown by a quarter, so building one huge
graph spends a growing share of its time in the collector. "gc paused" runs the same build and
backward inside `autograd.pause_gc()`, which chainrule offers for exactly this.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from autograd import Value
from benchmarks.graphs import chainrule_nodes, micrograd_nodes
from benchmarks.micrograd_tanh import micrograd_value
from benchmarks.report import Section, Target, ratio, table
from benchmarks.timing import Contender, interleave, paused

START = 0.5
SCALE = 1.0001
SHIFT = 0.001

# n -> interleaved rounds per contender. Fewer for big n: one 1e6 round takes ~15 s.
FULL_ROUNDS = {100: 101, 300: 51, 1_000: 31, 10_000: 11, 100_000: 5, 1_000_000: 3}
QUICK_ROUNDS = {100: 51, 300: 25, 1_000: 11, 10_000: 9, 100_000: 5}
MICROGRAD_SIZES = (100, 300, 1_000)  # 1,000 only shows the RecursionError
WARMUP_UP_TO = 10_000  # one unrecorded warm-up round for n up to this (cheap there)

RATIO_AT = 100
RATIO_LIMIT = 0.5
GROWTH_BASE = 10_000
GROWTH_TOP = 1_000_000
GROWTH_LIMIT = 1.5

MICROGRAD, CHAINRULE = "micrograd", "chainrule"
GC_ON, GC_PAUSED = "gc on", "gc paused"
MODES = (GC_ON, GC_PAUSED)


def chainrule_chain(n: int) -> Value:
    """Build the n-step chain in chainrule and run backward; returns the output node."""
    y = Value(START)
    for _ in range(n):
        y = (y * SCALE + SHIFT).tanh()
    y.backward()
    return y


def micrograd_chain(n: int) -> Any:
    """Build the same chain in micrograd (with the lecture's tanh) and run backward."""
    y = micrograd_value()(START)
    for _ in range(n):
        y = (y * SCALE + SHIFT).tanh()
    y.backward()
    return y


CHAINS: dict[str, Callable[[int], Any]] = {MICROGRAD: micrograd_chain, CHAINRULE: chainrule_chain}
NODE_COUNTERS: dict[str, Callable[[Any], int]] = {
    MICROGRAD: micrograd_nodes,
    CHAINRULE: chainrule_nodes,
}


@dataclass
class Results:
    """Median times (ns) per (library, mode, n), errors of the runs that failed, node counts."""

    median_ns: dict[tuple[str, str, int], float] = field(default_factory=dict)
    errors: dict[tuple[str, str, int], str] = field(default_factory=dict)
    nodes: dict[tuple[str, int], int] = field(default_factory=dict)

    def ns_per_node(self, library: str, mode: str, n: int) -> float | None:
        median = self.median_ns.get((library, mode, n))
        return None if median is None else median / self.nodes[library, n]

    def time_ratio(self, mode: str, n: int) -> float | None:
        """chainrule's time / micrograd's, for the same chain."""
        return ratio(
            self.median_ns.get((CHAINRULE, mode, n)), self.median_ns.get((MICROGRAD, mode, n))
        )


def _work(library: str, mode: str, n: int) -> Callable[[], Any]:
    """The timed work: build + backward, inside pause_gc() for the paused mode."""
    chain = CHAINS[library]
    return (lambda: chain(n)) if mode == GC_ON else paused(lambda: chain(n))


def _count_nodes_once(library: str, n: int, results: Results) -> Callable[[Any], None]:
    """An `inspect` hook that counts the graph's nodes once per (library, n)."""

    def count(root: Any) -> None:
        if (library, n) not in results.nodes:
            results.nodes[library, n] = NODE_COUNTERS[library](root)

    return count


def _name(library: str, mode: str, n: int) -> str:
    return f"{library}/{mode}/{n}"


def measure(rounds: dict[int, int]) -> Results:
    """Time every library in both modes at every n. All of them take turns in every round
    (micrograd, chainrule, ... for each n), so a drift of the machine hardly tilts a ratio."""
    results = Results()
    runs = [
        (library, mode, n)
        for n in rounds
        for mode in MODES
        for library in ([MICROGRAD, CHAINRULE] if n in MICROGRAD_SIZES else [CHAINRULE])
    ]
    contenders = [
        Contender(
            name=_name(library, mode, n),
            run=_work(library, mode, n),
            rounds=rounds[n],
            warmup=1 if n <= WARMUP_UP_TO else 0,
            inspect=_count_nodes_once(library, n, results),
        )
        for library, mode, n in runs
    ]
    print(
        f"  chain: {len(contenders)} contenders, up to {max(rounds.values())} interleaved rounds",
        file=sys.stderr,
        flush=True,
    )
    timings = interleave(contenders)
    for library, mode, n in runs:
        timing = timings[_name(library, mode, n)]
        if timing.median_ns is not None:
            results.median_ns[library, mode, n] = timing.median_ns
        else:
            results.errors[library, mode, n] = timing.error or "no samples"
    return results


def _render_table(results: Results, sizes: list[int]) -> list[str]:
    def nodes(library: str, n: int) -> str:
        counted = results.nodes.get((library, n))
        return "-" if counted is None else f"{counted:,}"

    def ns(library: str, mode: str, n: int) -> str:
        value = results.ns_per_node(library, mode, n)
        if value is None:
            return results.errors.get((library, mode, n), "-")
        return f"{value:,.0f}"

    def times(mode: str, n: int) -> str:
        value = results.time_ratio(mode, n)
        return "-" if value is None else f"{value:.2f}"

    header = ["n", "mg nodes", "cr nodes", "mg gc on", "cr gc on", "mg paused", "cr paused"]
    header += ["cr/mg gc on", "cr/mg paused"]
    rows = [
        [f"{n:,}", nodes(MICROGRAD, n), nodes(CHAINRULE, n)]
        + [ns(library, mode, n) for mode in MODES for library in (MICROGRAD, CHAINRULE)]
        + [times(mode, n) for mode in MODES]
        for n in sizes
    ]
    return table(header, rows)


def _ns_per_step(results: Results, library: str, mode: str, n: int) -> float | None:
    """Median time of the whole chain divided by its n steps: the same work for both libraries."""
    median = results.median_ns.get((library, mode, n))
    return None if median is None else median / n


def run(quick: bool) -> Section:
    rounds = QUICK_ROUNDS if quick else FULL_ROUNDS
    results = measure(rounds)
    sizes = list(rounds)
    top = max(sizes)

    section = Section("Deep chain: y = tanh(y*1.0001 + 0.001), n steps, build + backward")
    section.lines += [
        "mg/cr = micrograd/chainrule. Nodes: Values in the graph, counted. 'gc on', 'paused':",
        "ns per node (median time of interleaved runs / nodes), default GC / inside pause_gc().",
        "cr/mg: chainrule's time / micrograd's for the same n (the same computation).",
        f"Rounds per n: {', '.join(f'{n:,}: {r}' for n, r in rounds.items())}.",
        "",
        *_render_table(results, sizes),
    ]
    per_node = ratio(
        results.ns_per_node(CHAINRULE, GC_ON, RATIO_AT),
        results.ns_per_node(MICROGRAD, GC_ON, RATIO_AT),
    )
    if per_node is not None:
        section.lines += [
            "",
            f"Per node instead, at n = {RATIO_AT}: chainrule/micrograd = {per_node:.2f} "
            f"({results.nodes[CHAINRULE, RATIO_AT]:,} vs {results.nodes[MICROGRAD, RATIO_AT]:,} "
            "nodes for the same chain).",
        ]

    section.targets.append(
        Target(
            f"chainrule/micrograd time, same chain, n = {RATIO_AT} (gc on)",
            results.time_ratio(GC_ON, RATIO_AT),
            limit=RATIO_LIMIT,
        )
    )
    note = "" if top == GROWTH_TOP else f"quick run: the target is for n = {GROWTH_TOP:,}"
    # The second bar: chainrule deep (n = top) against micrograd shallow (n = 100), per
    # chain step, i.e. per unit of the same work (the libraries make different numbers of nodes).
    micrograd_step = _ns_per_step(results, MICROGRAD, GC_ON, RATIO_AT)
    for mode in MODES:
        section.targets.append(
            Target(
                f"chainrule ns/step at n = {top:,} ({mode}) / micrograd's at n = {RATIO_AT}",
                ratio(_ns_per_step(results, CHAINRULE, mode, top), micrograd_step),
                limit=RATIO_LIMIT,
                note=note,
            )
        )
    for mode in MODES:
        section.targets.append(
            Target(
                f"chainrule ns/node growth, n = {top:,} / {GROWTH_BASE:,} ({mode})",
                ratio(
                    results.ns_per_node(CHAINRULE, mode, top),
                    results.ns_per_node(CHAINRULE, mode, GROWTH_BASE),
                ),
                limit=GROWTH_LIMIT,
                note=note,
            )
        )
    return section
