"""`make bench` keeps working: its quick runs of the cheap workloads finish and print a verdict.

These check that the benchmark runs, never how fast anything is (speed is the benchmark's job).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]  # benchmarks/ is a folder of the project, not installed


@pytest.mark.parametrize("workload", ["gcfloor", "memory"])
def test_a_quick_benchmark_runs_and_reports(workload: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--only", workload],
        capture_output=True, text=True, timeout=300, check=False, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    if workload == "gcfloor":  # a measurement, with no target
        assert "added by the collector at n = 100,000" in done.stdout
        assert "No targets: measurements only" in done.stdout
    else:
        assert "vsum / micrograd bytes per term" in done.stdout
        assert "Targets met: 1 of 1" in done.stdout


def test_an_unknown_workload_is_refused_with_the_choices() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--only", "nope"],
        capture_output=True, text=True, timeout=60, check=False, cwd=ROOT,
    )
    assert done.returncode == 2
    assert "gcfloor" in done.stderr and "chain" in done.stderr


def test_runs_in_a_row_share_a_round_without_a_collection_between_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sys.path.insert(0, str(ROOT))
    from benchmarks import timing

    events: list[str] = []
    monkeypatch.setattr(timing.gc, "collect", lambda: events.append("collect"))
    loop = timing.Contender("loop", lambda: events.append("run"), rounds=2, warmup=1, in_a_row=3)
    single = timing.Contender("single", lambda: None, rounds=2)
    timings = timing.interleave([loop, single])

    # a collection first, then three turns (one warm-up) of three runs, collected after each
    # turn, never inside one; the other contender's turn (and collection) comes in between
    assert events == ["collect"] + (["run"] * 3 + ["collect"] * 2) * 2 + ["run"] * 3 + ["collect"]
    assert len(timings["loop"].fresh_ns) == 2  # the first run of each recorded round
    assert len(timings["loop"].samples_ns) == 4  # the runs after it, as a loop pays for them
    assert len(timings["single"].samples_ns) == 2 and timings["single"].fresh_ns == []
    with pytest.raises(ValueError, match="in_a_row must be >= 1"):
        timing.Contender("none", lambda: None, rounds=1, in_a_row=0)
