"""`chainrule explain EXPR [NAME=VALUE ...] [--out DIR]`: a formula's graph, its forward values,
every step of its backward pass and each input's gradient; with --out, its pictures."""

from __future__ import annotations

import sys

from chainrule.console import PROG, Paint, make_parser
from chainrule.outdir import OutDir

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from pathlib import Path

    from autograd.formula import Formula, Graph
    from autograd.value import Value

FILES = ("graph.svg", "graph.png", "steps.html")

def parser() -> argparse.ArgumentParser:
    p = make_parser(
        prog=f"{PROG} explain",
        description="Build a formula's graph, print its forward values and every step of the "
        "backward pass, and the gradient of each input.",
        epilog=f'example: {PROG} explain "tanh(x1*w1 + x2*w2 + b)" x1=2 x2=0 w1=-3 w2=1 '
        "b=6.8813735870195432 --out out/neuron",
    )
    p.add_argument("expr", metavar="EXPR", help="the formula, in quotes: numbers, names, "
                   "+ - * / **, parentheses, exp log tanh relu sigmoid sqrt abs sin cos "
                   "leaky_relu")
    p.add_argument("values", metavar="NAME=VALUE", nargs="*", help="a value for each name")
    p.add_argument("--out", metavar="DIR", help="write graph.svg, graph.png and steps.html "
                   "(the step-through page) into DIR")
    return p


def run(ns: argparse.Namespace) -> int:
    from autograd.formula import FormulaError, build, parse, parse_assignments

    try:
        formula = parse(ns.expr)
    except FormulaError as e:
        if any("=" not in v for v in ns.values):  # the shell split an unquoted formula
            e.message += f'  (put the formula in quotes: {PROG} explain "x * (y + 1)" x=2 y=3)'
        raise
    graph = build(formula, parse_assignments(ns.values))
    out = OutDir.prepare(ns.out, FILES) if ns.out is not None else None
    try:
        _print_explanation(formula, graph)
        if out is not None:
            written = out.write(lambda folder: _draw_explanation(graph.root, formula.text,
                                                                 folder))
            print()
            for path in written:
                print(f"wrote {path}")
    finally:
        if out is not None:
            out.discard()  # does nothing once the files are in place
    return 0


def _print_explanation(formula: Formula, graph: Graph) -> None:
    from autograd.graph import topological_order
    from autograd.trace import backward_steps, format_number

    root = graph.root
    steps = list(backward_steps(root))  # leaves the same grads as root.backward()
    paint = Paint(sys.stdout)
    order = topological_order(root)
    rows = []
    for node in order:
        source = "input" if node in graph.inputs.values() else graph.sources.get(node, "")
        if len(source) > 48:
            source = source[:45] + "..."
        rows.append((node.label or "L", node.op or "", format_number(node.data), source))
    w_name = max(len("node"), *(len(r[0]) for r in rows))
    w_op = max(len("op"), *(len(r[1]) for r in rows))
    w_data = max(len("data"), *(len(r[2]) for r in rows))

    print(paint.bold("formula: ") + formula.text)
    print()
    print(paint.bold("forward pass") + paint.dim("  (every node, inputs before outputs)"))
    print("  " + paint.dim(f"{'node':<{w_name}}  {'op':<{w_op}}  {'data':>{w_data}}  computes"))
    for name, op, data, source in rows:
        print(f"  {paint.name(f'{name:<{w_name}}')}  {op:<{w_op}}  {data:>{w_data}}  {source}")
    print()
    count = f"{len(steps)} step{'s' if len(steps) != 1 else ''}"
    print(paint.bold("backward pass") + paint.dim(f"  (the chain rule, one edge at a time: "
                                                  f"{count})"))
    width = len(str(len(steps)))
    for i, step in enumerate(steps, 1):
        print(f"  {i:>{width}}. {step}")
    if not steps:
        print("  (no steps: the formula has no operation on a name)")
    print()
    print(paint.bold("gradients") + paint.dim(f"  (d{root.label or 'L'}/d input)"))
    for name, leaf in graph.inputs.items():
        value = format_number(leaf.grad)
        print(f"  {paint.name(name)}.grad = {paint.sign(leaf.grad, value)}")
    if not graph.inputs:
        print("  (no names in the formula: nothing to differentiate)")


def _draw_explanation(root: Value, title: str, folder: Path) -> list[Path]:
    from autograd.draw import draw_dot, render
    from autograd.steps_html import save_steps_html

    written = render(draw_dot(root), folder / "graph", formats=("svg", "png"))
    written.append(save_steps_html(root, folder / "steps.html", title=title))
    return written


