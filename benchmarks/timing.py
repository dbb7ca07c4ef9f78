"""Timing several contenders fairly: interleaved runs in one process, and medians.

Contenders take turns (A, B, A, B, ...) rather than running back to back (A, A, ..., B, B, ...),
so a slow drift of the machine (CPU frequency, other load, a warming cache) affects every
contender alike. Each sample is one run; its median over the rounds ignores the odd outlier.
A contender may ask for fewer rounds than the others (a slow one): it then takes part in the
first rounds only, still interleaved with all the others.

A contender's turn in a round is one run, or `in_a_row` runs back to back (below). Before the
first round and after every turn, outside the clock, `gc.collect()` is called, so every turn
starts from the same clean heap (a freed graph of millions of nodes must not be paid for by the
next measurement, nor slow down its garbage collections).

A training step is different: a training loop runs steps back to back, and a step's garbage is
the next step's to collect. micrograd's graph holds reference cycles (each node's `_backward`
closure refers to the node), so only the cyclic collector frees it, and in a loop that costs
about as much again as the step. A contender with `in_a_row = k` runs k times per turn with no
collection in between; the first run of a turn (on a clean heap) is recorded apart as `fresh_ns`,
the others as the samples: steps as a loop pays for them.
"""

from __future__ import annotations

import gc
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from time import perf_counter_ns
from typing import Any

from autograd import pause_gc


@dataclass(frozen=True)
class Contender:
    """One thing to time, in `rounds` recorded runs after `warmup` unrecorded ones.

    `run` does the work once; what it returns stays alive until the clock has stopped (so freeing
    it is never timed), and the last result of the first turn is handed to `inspect`. With
    `in_a_row` > 1 a turn is that many runs back to back, the collector left to do its work as it
    would in a loop.
    """

    name: str
    run: Callable[[], Any]
    rounds: int
    warmup: int = 0
    inspect: Callable[[Any], None] | None = None
    in_a_row: int = 1

    def __post_init__(self) -> None:
        if self.rounds < 1 or self.warmup < 0 or self.in_a_row < 1:
            raise ValueError(f"{self.name}: rounds and in_a_row must be >= 1, warmup >= 0")


@dataclass
class Timing:
    """A contender's samples, in nanoseconds per run, or the error that stopped it.

    With `in_a_row` > 1, `fresh_ns` holds each round's first run (started on a clean heap) and
    `samples_ns` the runs after it; otherwise every run is a sample and `fresh_ns` stays empty.
    """

    name: str
    samples_ns: list[int] = field(default_factory=list)
    fresh_ns: list[int] = field(default_factory=list)
    error: str | None = None

    @property
    def median_ns(self) -> float | None:
        return statistics.median(self.samples_ns) if self.samples_ns else None

    @property
    def fresh_median_ns(self) -> float | None:
        return statistics.median(self.fresh_ns) if self.fresh_ns else None


def interleave(contenders: Sequence[Contender]) -> dict[str, Timing]:
    """Give every contender a turn per round, in order, until each has had its warm-up and rounds.

    A contender that raises RecursionError (micrograd's recursive topological sort on a deep
    graph) is recorded as failed and left out of the later rounds; any other error propagates.
    """
    timings = {contender.name: Timing(contender.name) for contender in contenders}
    inspected: set[str] = set()
    gc.collect()  # the first turn starts from a clean heap too
    for round_number in range(max(c.warmup + c.rounds for c in contenders)):
        for contender in contenders:
            timing = timings[contender.name]
            if timing.error is not None or round_number >= contender.warmup + contender.rounds:
                continue
            for run_in_round in range(contender.in_a_row):
                try:
                    elapsed_ns, result = _time_once(contender.run)
                except RecursionError:
                    timing.error = "RecursionError"
                    break
                # inspect after the turn's last run: its garbage must not land on a timed run
                last_of_turn = run_in_round == contender.in_a_row - 1
                if last_of_turn and contender.inspect and contender.name not in inspected:
                    inspected.add(contender.name)
                    contender.inspect(result)
                del result
                if round_number < contender.warmup:
                    continue
                if contender.in_a_row == 1 or run_in_round > 0:
                    timing.samples_ns.append(elapsed_ns)
                else:
                    timing.fresh_ns.append(elapsed_ns)
            gc.collect()
    return timings


def paused(run: Callable[[], Any]) -> Callable[[], Any]:
    """`run`, called inside `autograd.pause_gc()` (the collector off, as `nn.fit` trains)."""

    def run_paused() -> Any:
        with pause_gc():
            return run()

    return run_paused


def _time_once(run: Callable[[], Any]) -> tuple[int, Any]:
    """The wall-clock time of one call, and its result (still alive)."""
    start = perf_counter_ns()
    result = run()
    return perf_counter_ns() - start, result
