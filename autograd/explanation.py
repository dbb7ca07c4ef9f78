"""One way from a formula to everything shown about it: its graph, one fresh backward pass, the
picture, the step-through data and the paths. `chainrule explain`, the static step-through page
and the live lab all go through `explain`, so they can never disagree.

    e = explain("o = tanh(x*w + b)", {"x": 1.0, "w": 2.0, "b": 0.0})
    e.grads[e.graph.inputs["x"]]        # 2 * (1 - tanh(2)^2)
    e.picture()                         # draw_dot of the graph, with this pass's grads
    e.page_data()                       # what steps.js shows
    e.paths("x")                        # the chain rule as a sum over paths
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from autograd.formula import Formula, FormulaError, Graph, build, parse
from autograd.paths import DEFAULT_LIMIT, GradientPath, paths
from autograd.steps_html import FreshPass, fresh_pass, page_data
from autograd.trace import BackwardStep
from autograd.value import Value

if TYPE_CHECKING:
    import graphviz

DEFAULT_VALUE = 1.0  # what a name gets when `fill_missing` asks for a value (the lab's new names)


@dataclass(frozen=True)
class Explanation:
    """A formula evaluated into a graph, and one fresh backward pass of it (grads from 0)."""

    formula: Formula
    graph: Graph
    run: FreshPass

    @property
    def root(self) -> Value:
        return self.graph.root

    @property
    def steps(self) -> list[BackwardStep]:
        return self.run.steps

    @property
    def grads(self) -> dict[Value, float]:
        """Every node's gradient after the pass: d(output)/d(node)."""
        return self.run.grads

    @property
    def names(self) -> Mapping[Value, str]:
        return self.run.snapshot.names

    def picture(self, **options: object) -> graphviz.Digraph:
        """`draw_dot` of the graph with this pass's grads (options as draw_dot's)."""
        from autograd.draw import draw_dot

        return draw_dot(self.root, snapshot=self.run.snapshot, grads=self.grads, **options)

    def page_data(self) -> dict:
        """The step-through data (see `autograd.steps_html.page_data`)."""
        return page_data(self.run)

    def paths(self, name: str, limit: int = DEFAULT_LIMIT) -> list[GradientPath]:
        """Every path from the input `name` to the output (see `autograd.paths`)."""
        if name not in self.graph.inputs:
            known = ", ".join(self.graph.inputs) or "none"
            raise FormulaError(f"{name!r} is not an input of the formula (its inputs: {known})")
        try:
            return paths(self.root, self.graph.inputs[name], limit=limit)
        except ValueError as too_many:  # more paths than `limit`: the message names the count
            raise FormulaError(str(too_many)) from None


def explain(
    formula: Formula | str, values: Mapping[str, float], *, fill_missing: bool = False
) -> Explanation:
    """Parse `formula`, build it with `values` (name -> number), and run one fresh backward pass.

    Every name needs a value and every value a name, as in `chainrule explain`; with
    `fill_missing`, names without a value get DEFAULT_VALUE and values for names the formula
    does not have are dropped (a page whose formula was just edited). Raises FormulaError.
    """
    if not isinstance(formula, Formula):
        formula = parse(formula)
    if fill_missing:
        values = {name: values.get(name, DEFAULT_VALUE) for name in formula.names}
    graph = build(formula, values)
    try:
        run = fresh_pass(graph.root)
    except OverflowError as too_steep:  # the backward pass overflowed: the input's fault
        raise FormulaError(str(too_steep)) from None
    return Explanation(formula, graph, run)
