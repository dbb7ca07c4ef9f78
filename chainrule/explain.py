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

    from autograd.explanation import Explanation

FILES = ("graph.svg", "graph.png", "steps.html")


def parser() -> argparse.ArgumentParser:
    p = make_parser(
        prog=f"{PROG} explain",
        description="Build a formula's graph, print its forward values and every step of the "
        "backward pass, and the gradient of each input.",
        epilog=f'example: {PROG} explain "o = tanh(x1*w1 + x2*w2 + b)" x1=2 x2=0 w1=-3 w2=1 '
        "b=6.8813735870195432 --out out/neuron",
    )
    p.add_argument("expr", metavar="EXPR", help="the formula, in quotes: numbers, names, "
                   "+ - * / **, parentheses, exp log tanh relu sigmoid sqrt abs sin cos "
                   "leaky_relu; 'o = EXPR' names the output o (else it is called L)")
    p.add_argument("values", metavar="NAME=VALUE", nargs="*", help="a value for each name")
    p.add_argument("--out", metavar="DIR", help="write graph.svg, graph.png and steps.html "
                   "(the step-through page) into DIR")
    p.add_argument("--paths", metavar="NAME", action="append", default=[],
                   help="also print every path from the input NAME to the output, the product "
                   "of the local derivatives along each, and their sum (NAME's gradient); "
                   "may be given more than once")
    return p


def run(ns: argparse.Namespace) -> int:
    from autograd.explanation import explain
    from autograd.formula import FormulaError, parse, parse_assignments

    try:
        formula = parse(ns.expr)
    except FormulaError as e:
        if any("=" not in v for v in ns.values):  # the shell split an unquoted formula
            e.message += f'  (put the formula in quotes: {PROG} explain "x * (y + 1)" x=2 y=3)'
        raise
    explanation = explain(formula, parse_assignments(ns.values))
    for name in ns.paths:  # checked before any output: a typo is one line, exit 2
        explanation.paths(name)
    out = OutDir.prepare(ns.out, FILES) if ns.out is not None else None
    _write_what_the_terminal_cannot_show_as_escapes()
    try:
        _print_explanation(explanation)
        for name in ns.paths:
            _print_paths(explanation, name)
        if out is not None:
            written = out.write(lambda folder: _draw_explanation(explanation, folder))
            print()
            for path in written:
                print(f"wrote {path}")
    finally:
        if out is not None:
            out.discard()  # does nothing once the files are in place
    return 0


def _print_explanation(explanation: Explanation) -> None:
    from autograd.trace import format_number

    formula, graph, steps = explanation.formula, explanation.graph, explanation.steps
    snap = explanation.run.snapshot
    ascii_only = not _can_show(sys.stdout, "∂×")
    paint = Paint(sys.stdout)
    rows = []
    for node in snap.order:  # in reading order: x1, w1, their product, x2, ...
        source = "input" if node in graph.inputs.values() else graph.sources.get(node, "")
        if len(source) > 48:
            source = source[:45] + "..."
        rows.append((snap.names[node], node.op or "", format_number(node.data), source))
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
    if steps:
        print(f"  {snap.start_sentence()}")
    width = len(str(len(steps)))
    for step in steps:
        print(f"  {step.number:>{width}}. {step.describe(ascii=ascii_only)}")
    if not steps:
        print("  (no steps: the formula has no operation on a name)")
    print()
    print(paint.bold("gradients") + paint.dim(f"  (how much {snap.root_name} changes per unit "
                                              "of each input)"))
    for name, leaf in graph.inputs.items():
        grad = explanation.grads[leaf]
        print(f"  {paint.name(name)}.grad = {paint.sign(grad, format_number(grad))}")
    if not graph.inputs:
        print("  (no names in the formula: nothing to differentiate)")


def _write_what_the_terminal_cannot_show_as_escapes() -> None:
    """On a terminal whose encoding lacks a character (a label θ on an ASCII terminal), print
    it as an escape such as \\u03b8 rather than fail: the sentences themselves fall back to
    ASCII (see _can_show), but a label is the user's own text."""
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None and not _can_show(sys.stdout, "∂×θ"):
        reconfigure(errors="backslashreplace")


def _can_show(stream: object, characters: str) -> bool:
    """Whether `stream`'s encoding can write `characters` (an ASCII-only terminal cannot)."""
    try:
        characters.encode(getattr(stream, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _print_paths(explanation: Explanation, name: str) -> None:
    """Every path from the input `name` to the output, their sum, and what backprop saves."""
    import textwrap

    from autograd.trace import format_number

    found = explanation.paths(name)
    ascii_only = not _can_show(sys.stdout, "∂×→")
    output = explanation.run.snapshot.root_name
    paint = Paint(sys.stdout)
    noun = "path" if len(found) == 1 else "paths"
    print()
    print(paint.bold(f"paths from {name} to {output}") + paint.dim(
        f"  (the chain rule as a sum over paths: {len(found)} {noun}, each the product of the "
        "local derivatives along it)"))
    width = len(str(len(found)))
    for i, path in enumerate(found, 1):
        print(f"  {i:>{width}}. {path.describe(ascii=ascii_only)}")
    total = sum(path.product for path in found)
    grad = explanation.grads[explanation.graph.inputs[name]]
    print(f"  sum of the products = {format_number(total)} = {name}.grad "
          f"(the backward pass gives {format_number(grad)})")
    edges = sum(len(node.parents) for node in explanation.run.snapshot.order)
    factors = sum(len(path.local_grads) for path in found)
    products = f"{len(found)} product{'s' if len(found) != 1 else ''}"
    why = (f"The backward pass visited each of the graph's {edges} edges once; the sum over paths "
           f"has {products} of {factors} local derivatives in all. Where paths share edges, "
           "backprop multiplies each edge once and adds the shares where the paths meet.")
    for line in textwrap.wrap(why, width=92):
        print(paint.dim(f"  {line}"))


def _draw_explanation(explanation: Explanation, folder: Path) -> list[Path]:
    from autograd.draw import render
    from autograd.files import write_atomically
    from autograd.steps_html import steps_page

    written = render(explanation.picture(), folder / "graph", formats=("svg", "png"))
    svg = written[0].read_text(encoding="utf-8")  # the page shows the very same picture
    page = steps_page(explanation.formula.text, svg, explanation.page_data())
    written.append(write_atomically(folder / "steps.html", page))
    return written


