"""The printed report: plain-text tables, and targets shown as PASS or MISS beside the measurement.

Targets are ratios between two measurements taken in the same process (never absolute times),
and a MISS is reported, not raised: a benchmark informs, it does not fail the build.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Target:
    """A measured ratio and the value it should not exceed; `measured` is None if it failed."""

    what: str
    measured: float | None
    limit: float
    note: str = ""

    @property
    def passed(self) -> bool:
        return self.measured is not None and self.measured <= self.limit

    def line(self, width: int = 0) -> str:
        """One line: what, the measured ratio, the target, PASS or MISS; `what` padded to width."""
        shown = "n/a" if self.measured is None else f"{self.measured:.3g}"
        verdict = "PASS" if self.passed else "MISS"
        note = f"   ({self.note})" if self.note else ""
        return f"{self.what:<{width}}  {shown:>7}   target <= {self.limit:<6.3g}  {verdict}{note}"


@dataclass
class Section:
    """One workload's part of the report: a title, free lines (tables, notes) and its targets."""

    title: str
    lines: list[str] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)

    def render(self) -> str:
        rule = "=" * len(self.title)
        body = [self.title, rule, *self.lines]
        if self.targets:
            width = max(len(target.what) for target in self.targets)
            body += ["", *(target.line(width) for target in self.targets)]
        return "\n".join(body)


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Columns as wide as their widest cell, with a rule under the header; the first column
    (the row's name) is left-aligned, the others (numbers) right-aligned."""
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        first, *rest = (
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths))
        )
        return "  ".join([first, *rest]).rstrip()

    return [line(header), line(["-" * width for width in widths]), *(line(row) for row in rows)]


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, or None when either is missing."""
    if numerator is None or denominator is None:
        return None
    return numerator / denominator
