"""chainrule's benchmarks, run by `make bench` or `python -m benchmarks [--quick] [--only NAME]`.

What is measured, against karpathy's micrograd 0.1.0 as the baseline:

  chain    Time of building and differentiating a deep chain, y = tanh(y*1.0001 + 0.001)
           repeated n times from one leaf, for n = 100 ... 1,000,000, in nanoseconds per node.
           Targets: chainrule taking at most half micrograd's time for the same chain at
           n = 100, and chainrule's time per node growing by at most 1.5x from n = 10,000 to
           1,000,000 (shown with the default garbage collector and with `autograd.pause_gc()`).
           micrograd's recursive topological sort cannot go past ~330 steps: it is reported as
           a RecursionError.

  gcfloor  The same chain built from the cheapest possible node (one slotted object, nothing
           else): the ns per node the default GC adds to it is a floor for any graph with a
           Python object per node. A measurement, with no target.

  memory   Bytes per term of a sum of 50,000 products, traced with tracemalloc: micrograd's
           plain sum against chainrule's one-node `vsum` (target: at most 0.2x) and its plain sum.

  training micrograd's demo training step (2-16-16-1 on 100 moons, hinge + L2, SGD) written the
           plain way, for micrograd, chainrule and a hand-written float floor (no graph); targets:
           75x faster than micrograd, within 3x of the floor; and a width sweep (8 ... 64).

  digits   Seconds per epoch of MLP(64, [32, 10]) on scikit-learn's 8x8 digits (cross-entropy,
           Adam), the held-out accuracy, and micrograd's time extrapolated from timed minibatches.

  lab      The live lab (`chainrule serve`): a slider's round trip in Chromium, p50 / p95 over
           200 moves (target: p95 <= 100 ms for a 249-node formula), and 20 clients x 100
           POST /api/explain at once (throughput, p95, target: 0 errors).

  network  The network lab: epochs (frames) per second at a WebSocket client for TF
           Playground's default network (target >= 30) and micrograd's 2-16-16-1 on moons
           (>= 10); predict_batch against the no_grad forward on the 50 x 50 grid (>= 5x); 30
           sessions training at once (frames/s each, /api/explain p95 <= 250 ms meanwhile, RSS
           flat after warm-up; 5 minutes, 20 s with --quick).

Why ratios, not absolute times: a nanosecond figure depends on the machine, the Python build and
whatever else is running, so it cannot be a target. Both libraries run in the same process, their
runs interleaved (micrograd, chainrule, micrograd, chainrule, ...) and summarised by medians; their
ratio, and chainrule's ratio to itself at two sizes, are what a change to the engine moves. The
absolute numbers are printed only to read the tables. A MISS is printed, never raised.

`--quick` (about 10 s) uses fewer rounds and stops the chain at n = 100,000, so its growth figure
is 100,000 vs 10,000, indicative only; the full run takes a few minutes.

Adding a workload: a module with `run(quick: bool) -> Section`, and one line in WORKLOADS below.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Callable
from importlib.metadata import version

from benchmarks import chain, digits, gc_floor, lab, memory, network, training
from benchmarks.report import Section

WORKLOADS: dict[str, Callable[[bool], Section]] = {
    "chain": chain.run,
    "gcfloor": gc_floor.run,
    "memory": memory.run,
    "training": training.run,
    "digits": digits.run,
    "lab": lab.run,
    "network": network.run,
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description="chainrule's benchmarks against micrograd."
    )
    parser.add_argument(
        "--quick", action="store_true", help="a fast run: smaller n and fewer repeats"
    )
    parser.add_argument("--only", choices=list(WORKLOADS), help="run just this workload")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    selected = [args.only] if args.only else list(WORKLOADS)
    print(
        f"chainrule {version('chainrule')} vs micrograd {version('micrograd')}, "
        f"{platform.python_implementation()} {platform.python_version()} on {platform.machine()}"
        f"{', quick run' if args.quick else ''}",
        flush=True,
    )
    started = time.perf_counter()
    sections = []
    for name in selected:
        section = WORKLOADS[name](args.quick)
        sections.append(section)
        print(f"\n{section.render()}", flush=True)

    targets = [target for section in sections for target in section.targets]
    passed = sum(target.passed for target in targets)
    verdict = f"Targets met: {passed} of {len(targets)}"
    if not targets:
        verdict = "No targets: measurements only"
    print(f"\n{verdict}  ({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
