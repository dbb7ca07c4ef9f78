"""Check backprop against central finite differences:  df/dx ~ (f(x+eps) - f(x-eps)) / (2 eps).

The central difference is accurate to O(eps^2) for smooth f, so a disagreement beyond the
tolerance means a wrong local derivative (or a kink within eps of the input).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from autograd.value import Value, no_grad


class GradcheckError(AssertionError):
    """Backprop and finite differences disagree; `.report` holds every comparison."""

    def __init__(self, message: str, report: GradcheckReport) -> None:
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class GradcheckRow:
    """One input: its backprop gradient, its finite-difference estimate, and how far apart."""

    name: str
    data: float
    analytic: float
    numeric: float
    abs_error: float
    ok: bool


@dataclass(frozen=True)
class GradcheckReport:
    """The result of `gradcheck`: one row per input; `worst` is the largest mismatch."""

    rows: tuple[GradcheckRow, ...]
    eps: float
    atol: float
    rtol: float

    @property
    def ok(self) -> bool:
        return all(row.ok for row in self.rows)

    @property
    def worst(self) -> GradcheckRow:
        """The row furthest past its tolerance: by how much |backprop - numeric| exceeds
        rtol * |numeric|, with rows where that is not a finite number (a finite difference of
        inf or nan) first, since nan compares false with everything and would rank anywhere."""

        def excess(row: GradcheckRow) -> tuple[bool, float]:
            over = row.abs_error - self.rtol * abs(row.numeric)
            return (True, 0.0) if not math.isfinite(over) else (False, over)

        return max(self.rows, key=excess)

    def __str__(self) -> str:
        lines = [f"{'input':>10} {'value':>12} {'backprop':>14} {'numeric':>14} {'error':>10}"]
        for r in self.rows:
            mark = "" if r.ok else "  <-- mismatch"
            lines.append(
                f"{r.name:>10} {r.data:12.6g} {r.analytic:14.8g} {r.numeric:14.8g}"
                f" {r.abs_error:10.2e}{mark}"
            )
        return "\n".join(lines)


def _call(f: Callable[..., Value], args: list[Value]) -> Value:
    """f(*args), which must be a Value (with or without a graph, as under no_grad)."""
    out = f(*args)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__}")
    return out


def gradcheck(
    f: Callable[..., Value],
    inputs: Sequence[Value | float],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-4,
) -> GradcheckReport:
    """Compare d f(*inputs)/d input_i from backprop with central differences, for every i.

    Works on fresh copies of the inputs, so their grads are left alone. A row passes when
    |backprop - numeric| <= atol + rtol * |numeric|. Returns the report when every row passes,
    else raises `GradcheckError` naming the worst input.
    """
    if not eps > 0.0:
        raise ValueError(f"gradcheck: eps must be > 0, got {eps}")
    leaves = []
    for i, x in enumerate(inputs):
        data = x.data if isinstance(x, Value) else x
        label = x.label if isinstance(x, Value) and x.label else f"x{i}"
        leaves.append(Value(data, label))
    if not leaves:
        raise ValueError("gradcheck needs at least one input")

    _call(f, leaves).backward()

    rows = []
    for i, leaf in enumerate(leaves):
        with no_grad():
            shifted = [Value(x.data) for x in leaves]
            shifted[i] = Value(leaf.data + eps)
            above = _call(f, shifted).data
            shifted[i] = Value(leaf.data - eps)
            below = _call(f, shifted).data
        numeric = (above - below) / (2.0 * eps)
        error = abs(leaf.grad - numeric)
        ok = math.isfinite(numeric) and error <= atol + rtol * abs(numeric)
        rows.append(GradcheckRow(leaf.label, leaf.data, leaf.grad, numeric, error, ok))

    report = GradcheckReport(tuple(rows), eps, atol, rtol)
    if not report.ok:
        w = report.worst
        if math.isfinite(w.numeric):
            why = f"error {w.abs_error:.3g} > atol {atol} + rtol {rtol} * |numeric|"
        else:
            why = "f jumps or overflows within eps of this input: no slope to compare with"
        raise GradcheckError(
            f"gradcheck failed at {w.name} = {w.data!r}: backprop says {w.analytic!r}, finite "
            f"differences say {w.numeric!r} ({why})\n{report}",
            report,
        )
    return report
