"""Timing several contenders fairly: interleaved runs in one process, and medians.

Contenders take turns (A, B, A, B, ...) rather than running back to back (A, A, ..., B, B, ...),
so a slow drift of the machine (CPU frequency, other load, a warming cache) affects every
contender alike. Each sample is one run; its median over the rounds ignores the odd outlier.
A contender may ask for fewer rounds than the others (a slow one): it then takes part in the
first rounds only, still interleaved with all the others.

Between two runs, outside the clock, the previous run's result is dropped and `gc.collect()` is
called, so every run starts from the same clean heap (a freed graph of millions of nodes must not
be paid for by the next measurement, nor slow down its garbage collections).
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
    it is never timed), and the first result is handed to `inspect`.
    """

    name: str
    run: Callable[[], Any]
    rounds: int
    warmup: int = 0
    inspect: Callable[[Any], None] | None = None


@dataclass
class Timing:
    """A contender's samples, in nanoseconds per run, or the error that stopped it."""

    name: str
    samples_ns: list[int] = field(default_factory=list)
    error: str | None = None

    @property
    def median_ns(self) -> float | None:
        return statistics.median(self.samples_ns) if self.samples_ns else None


def interleave(contenders: Sequence[Contender]) -> dict[str, Timing]:
    """Run every contender once per round, in turn, until each has had its warm-up and rounds.

    A contender that raises RecursionError (micrograd's recursive topological sort on a deep
    graph) is recorded as failed and left out of the later rounds; any other error propagates.
    """
    timings = {contender.name: Timing(contender.name) for contender in contenders}
    inspected: set[str] = set()
    for round_number in range(max(c.warmup + c.rounds for c in contenders)):
        for contender in contenders:
            timing = timings[contender.name]
            if timing.error is not None or round_number >= contender.warmup + contender.rounds:
                continue
            try:
                elapsed_ns, result = _time_once(contender.run)
            except RecursionError:
                timing.error = "RecursionError"
            else:
                if contender.inspect is not None and contender.name not in inspected:
                    inspected.add(contender.name)
                    contender.inspect(result)
                if round_number >= contender.warmup:
                    timing.samples_ns.append(elapsed_ns)
                del result
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
