"""The worksheet, its answer key and answers.json: what `chainrule exercises` writes.

- `exercises_page`: each sheet opens with what to do, the local-derivative rules of its ops
  and the tables of the functions it uses (tanh, sigmoid, exp, log); then per exercise its
  formula, the given values, its graph drawn with names and ops only, and the tables to fill
  in: every node's forward value, every backward step (upstream, local derivative,
  contribution, the parent's grad so far), every input's gradient. Printed (sheet.css), a
  handout: no buttons, no colours needed, rows of 6 mm to write in, each exercise on one page
  (never cut in two), page numbers in the footer.
- `answers_page`: the same tables filled in by the engine, the graph with every number (laid
  out to print large enough to read), each step's sentence (`str(step)`) and each input's
  paths (`autograd.paths`).
- `answers_json`: the contract's list of {"formula", "values", "grads"}, plus more keys.
- `print_pdf`: a page printed to PDF by Chromium (Playwright), when both are installed.

Every file is a function of the sheets alone: no time, no random ids, sorted JSON keys, and
Graphviz's SVG is the same for the same DOT source, so the same seed gives the same bytes.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from autograd.draw import Record, add_edge, add_node, run_dot, set_attrs, shorten, visible
from autograd.html_page import asset, inline_css, inline_svg
from autograd.steps_html import question
from autograd.trace import format_number
from autograd.value import RULES, Value
from chainrule.exercises.generate import (
    TABLES,
    Exercise,
    Sheet,
    Table,
    hand_number,
    table_rows,
)

if TYPE_CHECKING:
    import graphviz

    from autograd.explanation import Explanation

STYLE = "sheet.css"
CHROMIUM = "/usr/bin/chromium"  # Debian's; CHAINRULE_CHROMIUM names another
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
PDF_TIMEOUT_MS = 60_000
# The room for the graph beside the forward table on A4 (184 mm of text width less the table
# and the gap: 116 mm, 329 pt); a wider graph may shrink to 4/5 there, else it goes above it
BESIDE_PT = 329 / 0.8
# The answer key's graph, printed: A4's text width (184 mm), and at most 225 mm of its height
# (sheet.css: .answers figure.graph svg); a picture shrunk to less than READABLE_SCALE there
# is drawn the other way round if that makes it larger (dot's 9 pt labels: 6.75 pt)
PRINTED_GRAPH_PT = (521.0, 638.0)
READABLE_SCALE = 0.75
# ... and printed at most at 4/5 of its size (7.2 pt labels), so that the graph of a short
# exercise, drawn top to bottom, fits on the page of its tables
KEY_SCALE = 0.8
# A forward table of more rows than this, under its graph, goes in two halves side by side
HALVES_ROWS = 6
# Chromium stamps the time of printing into the PDF (D:YYYYMMDDHHmmSS, then the time zone,
# UTC as we launch it): a fixed time of the same length keeps every byte offset, and so the
# file, the same from run to run
_PDF_DATE = re.compile(rb"(/(?:CreationDate|ModDate) \(D:)[0-9]{14}")
FIXED_PDF_TIME = b"19700101000000"


@dataclass(frozen=True)
class About:
    """What the sheets say about themselves: the arguments that make them again."""

    seed: int
    level: int
    count: int
    names: Sequence[str] = ()  # the students' names (--names), in sheet order; else numbered

    def student(self, sheet: Sheet) -> str:
        """Who a sheet is for: "Ada", "student 3", or "" (sheets not per student)."""
        if not sheet.student:
            return ""
        if self.names:
            return self.names[sheet.student - 1]
        return f"student {sheet.student}"

    def command(self, students: int) -> str:
        more = f" --students {students}" if students and not self.names else ""
        more += " --names FILE" if self.names else ""
        return (f"chainrule exercises --seed {self.seed} --count {self.count} "
                f"--level {self.level}{more}")


# ---------------------------------------------------------------------------------------------
# Pictures


def blank_picture(explanation: Explanation) -> graphviz.Digraph:
    """The graph with names and ops only: a box per Value with its name, an ellipse per op, an
    edge per operand, laid out as `draw_dot` lays out the same graph (same ids: `n{i}`,
    `n{i}_op`, `e{i}_{k}`).

    NOTE: stands in for a draw_dot option that does not exist yet (draw_dot always writes
    data and grad into every box); drawn with draw.py's own builders, so every string still
    goes through dot_attrs.
    """
    import graphviz

    snap = explanation.run.snapshot
    ids = {node: f"n{i}" for i, node in enumerate(snap.order)}
    dot = graphviz.Digraph(name="chainrule", graph_attr={"rankdir": "LR"})
    set_attrs(dot, ranksep="0.3", nodesep="0.15", ordering="in")
    set_attrs(dot, "node", fontname="Helvetica", fontsize="11", margin="0.08,0.03")
    set_attrs(dot, "edge", fontname="Helvetica", fontsize="9", arrowsize="0.7")
    edges = []
    for node in snap.order:
        name = shorten(visible(snap.names[node]))
        add_node(dot, ids[node], Record((name,), along=False), shape="record", id=ids[node],
                 width="0.45", height="0.3")
        if not node.parents:
            continue
        op_id = ids[node] + "_op"
        add_node(dot, op_id, shorten(visible(node.op)), shape="ellipse", id=op_id,
                 tooltip=RULES.get(node.op, ""), margin="0.03,0.02", width="0.3",
                 height="0.25")
        edges.append((op_id, ids[node], {"id": ids[node] + "_out"}))
        edges.extend((ids[parent], op_id, {"id": f"e{ids[node][1:]}_{k}"})
                     for k, parent in enumerate(node.parents))
    for tail, head, attrs in edges:
        add_edge(dot, tail, head, **attrs)
    return dot


def svg(picture: graphviz.Digraph) -> str:
    """A picture as an element of the page."""
    return inline_svg(run_dot(picture, "svg").decode("utf-8"))


@dataclass(frozen=True)
class Drawn:
    """An exercise and its two pictures, as SVG elements."""

    exercise: Exercise
    blank: str  # names and ops only
    answer: str  # every value, grad, local derivative and contribution

    @property
    def width_pt(self) -> float:
        """The blank picture's natural width, in points (dot writes width="123pt")."""
        found = re.search(r'<svg[^>]*\swidth="([0-9.]+)pt"', self.blank)
        return float(found.group(1)) if found else math.inf


def draw_all(sheets: Iterable[Sheet]) -> list[list[Drawn]]:
    """Both pictures of every exercise (three runs of dot each: see `answer_picture`)."""
    return [[Drawn(ex, svg(blank_picture(ex.explanation)), answer_picture(ex.explanation))
             for ex in sheet.exercises] for sheet in sheets]


def printed_scale(element: str) -> float:
    """How much a picture shrinks to fit PRINTED_GRAPH_PT (dot writes width="123pt")."""
    found = re.search(r'<svg[^>]*\swidth="([0-9.]+)pt"\s+height="([0-9.]+)pt"', element)
    if not found:
        return 0.0
    width, height = float(found.group(1)), float(found.group(2))
    return min(1.0, PRINTED_GRAPH_PT[0] / width, PRINTED_GRAPH_PT[1] / height)


def _key_height_pt(element: str) -> float:
    """The most height the key's picture takes printed: KEY_SCALE of its own, at most
    PRINTED_GRAPH_PT's height."""
    found = re.search(r'<svg[^>]*\sheight="([0-9.]+)pt"', element)
    height = float(found.group(1)) if found else PRINTED_GRAPH_PT[1]
    return min(PRINTED_GRAPH_PT[1], KEY_SCALE * height)


def answer_picture(explanation: Explanation) -> str:
    """The graph with every number: data and grad in each box, upstream × local =
    contribution on each edge (the ×local line would only repeat the local).

    Laid out left to right when it prints at READABLE_SCALE or more, as a chain reads; else
    top to bottom when that prints larger: an edge label is as wide as a rank, so a graph of
    two layers laid out left to right would print at a quarter of its size on A4."""
    def drawn(rankdir: str) -> str:
        return svg(explanation.picture(show_contributions=True, show_local_grads=False,
                                       rankdir=rankdir))

    across = drawn("LR")
    if printed_scale(across) >= READABLE_SCALE:
        return across
    down = drawn("TB")
    return down if printed_scale(down) > printed_scale(across) else across


# ---------------------------------------------------------------------------------------------
# Pieces of the pages

esc = html.escape


def _page(title: str, body: str, kind: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{esc(title)}</title>\n<style>\n{inline_css(asset(__file__, STYLE))}</style>\n"
        f"</head>\n<body class=\"sheet {kind}\">\n{body}</body>\n</html>\n"
    )


def computes(explanation: Explanation, node: Value) -> str:
    """What a node computes from its parents' names: "v1 + b1", "tanh(v2)", "v6**2".

    The formula's own text of the node, each parent's text in it replaced by the parent's
    name, left to right (parents come in argument order); brackets around a lone name go.
    """
    names, sources = explanation.run.snapshot.names, explanation.graph.sources
    text = sources.get(node, names[node])
    out, at = [], 0
    for parent in node.parents:
        piece = sources.get(parent, names[parent])
        found = text.find(piece, at)
        if found < 0:  # not expected; fall back to the op and its operands' names
            return f"{node.op}({', '.join(names[p] for p in node.parents)})"
        out += [text[at:found], names[parent]]
        at = found + len(piece)
    out.append(text[at:])
    return re.sub(r"(?<![\w)])\((\w+)\)", r"\1", "".join(out))


def _given(exercise: Exercise) -> str:
    items = " ".join(f"<span class=\"value\"><var>{esc(name)}</var> = {esc(hand_number(v))}"
                     "</span>" for name, v in exercise.values.items())
    return f"<p class=\"given\"><span class=\"label\">Given</span> {items}</p>\n"


def _lookups(tables: Iterable[Table]) -> str:
    """The tables of the functions used: z, f(z), f'(z) on the grid, to 4 decimals."""
    parts = []
    for table in tables:
        rows = table_rows(table)
        op = esc(table.op)
        z = "".join(f"<td>{esc(hand_number(r[0]))}</td>" for r in rows)
        f = "".join(f"<td>{format_number(r[1])}</td>" for r in rows)
        d = "".join(f"<td>{format_number(r[2])}</td>" for r in rows)
        parts.append(
            f"<table class=\"lookup\"><caption>{op}, rounded to 4 decimals "
            f"(rule: {esc(RULES[table.op])})</caption>\n"
            f"<tr><th scope=\"row\">z</th>{z}</tr>\n"
            f"<tr><th scope=\"row\">{op}(z)</th>{f}</tr>\n"
            f"<tr><th scope=\"row\">{op}′(z)</th>{d}</tr></table>\n")
    return "".join(parts)


def _blank() -> str:
    return "<td class=\"blank\"></td>"


def _number(x: float) -> str:
    return f"<td class=\"num\">{format_number(x)}</td>"


def _nodes_table(drawn: Drawn, *, answers: bool, halves: bool = False) -> str:
    """A row per node, inputs first: what it computes, its value, and its grad. On the sheet
    the inputs' values are given and their grads are the blanks that matter most; the output's
    grad is 1, and an interior node's grad is its last "parent.grad now" of the steps.

    With `halves`, the rows go into two tables side by side (the first half on the left), so
    a long table takes half the height: what lets a two-layer exercise fit on one page."""
    e = drawn.exercise.explanation
    snap = e.run.snapshot
    root = esc(snap.root_name)
    inputs = set(e.graph.inputs.values())
    head = ("<th scope=\"col\">node</th><th scope=\"col\">computes</th>"
            f"<th scope=\"col\">value</th><th scope=\"col\">grad ∂{root}/∂node</th>")
    rows = []
    for node in snap.order:
        name = esc(snap.names[node])
        if node in inputs:
            what = "<td class=\"given-row\">given</td>"
            value = f"<td class=\"num given-row\">{esc(hand_number(node.data))}</td>"
        else:
            what = f"<td><code>{esc(computes(e, node))}</code></td>"
            value = _number(node.data) if answers else _blank()
        if answers:
            grad = _number(e.grads[node])
        elif node is snap.root:
            grad = "<td class=\"num given-row\">1</td>"
        else:
            grad = _blank() if node in inputs else "<td class=\"unasked\"></td>"
        rows.append(f"<tr><th scope=\"row\"><var>{name}</var></th>{what}{value}{grad}</tr>")
    caption = ("Every node: its value, and its grad" if answers else
               "Forward pass: every node's value; at the end, each input's grad")
    if not halves:
        return _table("forward", caption, head, rows)
    middle = (len(rows) + 1) // 2
    return (f"<div class=\"halves\" role=\"group\" aria-label=\"{caption}\">\n"
            f"<p class=\"caption\">{caption}</p>\n<div class=\"pair\">\n"
            + _table("forward", "", head, rows[:middle])
            + _table("forward", "", head, rows[middle:]) + "</div></div>\n")


def _table(cls: str, caption: str, head: str, rows: Sequence[str]) -> str:
    """A table; without a caption when one stands above it (the halves)."""
    caption = f"<caption>{caption}</caption>" if caption else ""
    return (f"<table class=\"{cls}\">{caption}\n"
            f"<thead><tr>{head}</tr></thead>\n<tbody>\n" + "\n".join(rows)
            + "\n</tbody></table>\n")


def _backward_table(drawn: Drawn, *, answers: bool) -> str:
    e = drawn.exercise.explanation
    head = ("<th scope=\"col\">#</th><th scope=\"col\">step</th>"
            "<th scope=\"col\">upstream</th><th scope=\"col\">local</th>"
            "<th scope=\"col\">contribution</th><th scope=\"col\">parent.grad now</th>")
    rows = []
    for step in e.steps:
        cells = ([_number(step.upstream), _number(step.local_grad), _number(step.contribution),
                  _number(step.parent_grad)] if answers else [_blank()] * 4)
        rows.append(f"<tr><td class=\"num\">{step.number}</td>"
                    f"<td><code>{esc(question(step))}</code></td>{''.join(cells)}</tr>")
    root = esc(e.run.snapshot.root_name)
    return _table("backward", f"Backward pass from {root}.grad = 1, a step a row, in this "
                  "order", head, rows)


def _steps_in_words(drawn: Drawn) -> str:
    e = drawn.exercise.explanation
    items = "\n".join(f"<li>{esc(str(step))}</li>" for step in e.steps)
    return (f"<div class=\"words\"><h3>The steps in words</h3>\n"
            f"<p>{esc(e.run.snapshot.start_sentence())}</p>\n<ol>\n{items}\n</ol></div>\n")


def _paths(drawn: Drawn) -> str:
    e = drawn.exercise.explanation
    root = e.run.snapshot.root_name
    parts = []
    for name in e.graph.inputs:
        found = e.paths(name)
        items = "\n".join(f"<li>{esc(str(path))}</li>" for path in found)
        total = format_number(sum(path.product for path in found))
        noun = "path" if len(found) == 1 else "paths"
        parts.append(f"<li><var>{esc(name)}</var>: {len(found)} {noun}, summing to {total} = "
                     f"∂{esc(root)}/∂{esc(name)}\n<ul>\n{items}\n</ul></li>")
    return (f"<div class=\"paths\"><h3>The paths from each input to {esc(root)}</h3>\n"
            "<p>Each path's share is the product of the local derivatives along it; an "
            "input's gradient is the sum of its paths' shares.</p>\n<ul>\n"
            + "\n".join(parts) + "\n</ul></div>\n")


def _exercise(drawn: Drawn, number: int, *, answers: bool, whose: str = "") -> str:
    """One exercise. On the sheet: the graph, beside the forward table when it fits there at
    4/5 of its size or more, then the backward table. In the key: the tables first, as the
    student filled them in, then the graph with every number (as large as a page allows: see
    `answer_picture`), the steps in words and the paths."""
    ex = drawn.exercise
    # whose sheet, on each exercise: a page that comes loose is still known
    tag = f"<span class=\"whose\">{esc(whose)}</span>" if whose else ""
    beside = not answers and drawn.width_pt <= BESIDE_PT
    # else the graph takes the width above, and a long forward table goes in two halves
    halves = not beside and len(ex.explanation.run.snapshot.order) > HALVES_ROWS
    nodes = _nodes_table(drawn, answers=answers, halves=halves)
    parts = [
        f"<h2>Exercise {number} <code class=\"formula\">{esc(ex.formula)}</code> "
        f"<span class=\"kind\">{esc(ex.kind.what)}</span>{tag}</h2>\n",
        _given(ex),
    ]
    if answers:
        parts += [
            f"<div class=\"work\">\n{nodes}</div>\n",
            _backward_table(drawn, answers=True),
            f"<figure class=\"graph\" style=\"--most: {_key_height_pt(drawn.answer):.0f}pt\">"
            f"{drawn.answer}\n<figcaption>The graph with every "
            "number: data and grad in each box, upstream × local = contribution on each "
            "edge</figcaption></figure>\n",
            _steps_in_words(drawn),
            _paths(drawn),
        ]
    else:
        parts += [
            f"<div class=\"work{' beside' if beside else ''}\">\n",
            f"<figure class=\"graph\">{drawn.blank}</figure>\n",
            nodes,
            "</div>\n",
            _backward_table(drawn, answers=False),
        ]
    return f"<article class=\"exercise\">\n{''.join(parts)}</article>\n"


def _tables(sheet: Sheet) -> list[Table]:
    """The tables of the functions the sheet's exercises use, in order of first use."""
    return list(dict.fromkeys(table for ex in sheet.exercises for table in ex.tables()))


def _rules(sheet: Sheet) -> str:
    """The local-derivative rules of the ops the sheet uses, apart from the tables' functions."""
    ops = dict.fromkeys(node.op for ex in sheet.exercises
                        for node in ex.explanation.run.snapshot.order if node.op)
    items = "".join(f"<li><code>{esc(RULES[op])}</code></li>" for op in ops
                    if op in RULES and op not in TABLES)
    return f"<ul class=\"rules\">{items}</ul>\n" if items else ""


HOW_TO = (
    "<ol class=\"how\">\n"
    "<li><b>Forward pass.</b> Fill in every node's value, top to bottom: each node needs "
    "only the ones above it.</li>\n"
    "<li><b>Backward pass.</b> The output's grad is 1. Then, a row at a time, one step of the "
    "chain rule, <code>parent.grad += node.grad × ∂node/∂parent</code>: write the upstream "
    "(node.grad), the local derivative ∂node/∂parent, their product (the contribution) and "
    "what parent.grad holds after adding it. A name used twice receives two contributions: "
    "add them.</li>\n"
    "<li><b>Gradients.</b> Write each input's final grad in the last column of the nodes "
    "table.</li>\n</ol>\n"
    "<p class=\"note\">Write 4 decimals. Take the values and slopes of tanh, sigmoid, exp "
    "and log from the tables below: they are rounded, so your last digit may differ from the "
    "key's.</p>\n"
)


def _sheet_header(sheet: Sheet, about: About, *, answers: bool) -> str:
    who = about.student(sheet)
    title = "Answer key" if answers else "Chain-rule exercises"
    variant = f" · variant {sheet.student}" if sheet.student else ""
    count = len(sheet.exercises)
    meta = (f"Level {about.level} · {count} exercise{'s' if count != 1 else ''}{variant} · "
            f"seed {about.seed}")
    head = [f"<h1>{title}</h1>\n<p class=\"meta\">{esc(meta)}</p>\n"]
    if answers:
        if who:
            head.append(f"<p class=\"for\">Variant {sheet.student}: {esc(who)}</p>\n")
        head.append("<p class=\"note\">Every number is the engine's, from the exact function "
                    "values (not the sheet's rounded tables), written with 4 decimals.</p>\n")
    else:
        name = (f"<span class=\"named\">{esc(who)}</span>" if about.names and who
                else "<span class=\"line\"></span>")
        head.append(f"<p class=\"who\">Name: {name} Date: <span class=\"line short\"></span>"
                    "</p>\n")
        head.append(HOW_TO)
        head.append(_rules(sheet))
        head.append(_lookups(_tables(sheet)))
    return "<header class=\"sheet-head\">\n" + "".join(head) + "</header>\n"


def _key(sheets: Sequence[Sheet], about: About) -> str:
    """Which variant is whose: a table at the top of the answer key."""
    rows = "\n".join(f"<tr><td class=\"num\">{sheet.student}</td><td>{esc(about.student(sheet))}"
                     "</td></tr>" for sheet in sheets)
    return ("<section class=\"key\"><h1>Who has which variant</h1>\n"
            f"<p class=\"meta\">{esc(about.command(len(sheets)))}</p>\n"
            "<table><thead><tr><th scope=\"col\">variant</th><th scope=\"col\">student</th>"
            f"</tr></thead>\n<tbody>\n{rows}\n</tbody></table></section>\n")


def _pages(sheets: Sequence[Sheet], drawn: Sequence[Sequence[Drawn]], about: About, *,
           answers: bool) -> str:
    body = []
    per_student = any(sheet.student for sheet in sheets)
    if answers and per_student:
        body.append(_key(sheets, about))
    for sheet, pictures in zip(sheets, drawn):
        part = [_sheet_header(sheet, about, answers=answers)]
        whose = about.student(sheet)  # "student 3" (variant 3), or a name from --names
        if about.names:
            whose += f" · variant {sheet.student}"
        part += [_exercise(d, i, answers=answers, whose=whose)
                 for i, d in enumerate(pictures, 1)]
        body.append(f"<section class=\"student\">\n{''.join(part)}</section>\n")
    return "".join(body)


def exercises_page(sheets: Sequence[Sheet], drawn: Sequence[Sequence[Drawn]],
                   about: About) -> str:
    """exercises.html: every sheet, one after another (each starts a new printed page)."""
    title = f"Chain-rule exercises, level {about.level} (seed {about.seed})"
    return _page(title, _pages(sheets, drawn, about, answers=False), "exercises")


def answers_page(sheets: Sequence[Sheet], drawn: Sequence[Sequence[Drawn]],
                 about: About) -> str:
    """answers.html: the key (who has which variant, when per student), then every sheet's
    exercises worked out."""
    title = f"Answer key: chain-rule exercises, level {about.level} (seed {about.seed})"
    return _page(title, _pages(sheets, drawn, about, answers=True), "answers")


# ---------------------------------------------------------------------------------------------
# JSON


def answer_record(exercise: Exercise, number: int) -> dict:
    """One exercise as answers.json holds it: the contract's formula, values and grads (every
    input's gradient), and the rest of the worked answer."""
    e = exercise.explanation
    snap = e.run.snapshot
    names = snap.names
    return {
        "formula": exercise.formula,
        "values": dict(exercise.values),
        "grads": {name: e.grads[leaf] for name, leaf in e.graph.inputs.items()},
        "exercise": number,
        "kind": exercise.kind.what,
        "output": snap.root_name,
        "forward": {names[node]: node.data for node in snap.order},
        "node_grads": {names[node]: e.grads[node] for node in snap.order},
        "steps": [str(step) for step in e.steps],
        "tables": [table.op for table in exercise.tables()],
    }


def answers_json(sheets: Sequence[Sheet], about: About) -> str:
    """answers.json: every exercise of every sheet, in order; with sheets per student each
    record also says its "variant" and "student"."""
    records = []
    for sheet in sheets:
        for i, exercise in enumerate(sheet.exercises, 1):
            record = answer_record(exercise, i)
            if sheet.student:
                record |= {"variant": sheet.student, "student": about.student(sheet)}
            records.append(record)
    return _json(records)


def key_json(sheets: Sequence[Sheet], about: About) -> str:
    """key.json: which variant is whose, and the command that makes the sheets again."""
    return _json({
        "command": about.command(len(sheets)),
        "seed": about.seed,
        "level": about.level,
        "count": about.count,
        "variants": [{"variant": sheet.student, "student": about.student(sheet)}
                     for sheet in sheets],
    })


def _json(data: object) -> str:
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


# ---------------------------------------------------------------------------------------------
# PDF


class PdfUnavailable(Exception):
    """No PDF could be printed (no Chromium, no Playwright, or Chromium failed): says why."""


def chromium_path() -> str:
    return os.environ.get("CHAINRULE_CHROMIUM") or CHROMIUM


def print_pdf(page: str) -> bytes:
    """`page` (an HTML document) printed to PDF by headless Chromium, as its print stylesheet
    lays it out. Raises PdfUnavailable saying why when that cannot be done.

    NOTE: Playwright runs in a thread of its own, always, and this thread only waits for it:
    - a stop signal (Ctrl-C, SIGTERM) is handled in the main thread only, so it lands in the
      wait, never inside Playwright's event loop, which, cut short there, can wait forever for
      its driver (playwright-python#1150: the command hung after a Ctrl-C, and ignored
      SIGTERM). The thread is a daemon: a stopped command does not wait for it, and the driver
      and Chromium end with the process's pipes;
    - Playwright's sync API refuses to start inside a running asyncio loop (a notebook, a
      server, another Playwright session), which a thread of its own does not have."""
    executable = chromium_path()
    if not os.access(executable, os.X_OK):
        raise PdfUnavailable(f"no Chromium at {executable}")
    try:
        import playwright.sync_api  # noqa: F401 - only whether it is there
    except ImportError:
        raise PdfUnavailable("the playwright package is not installed "
                             "(pip install playwright)") from None
    import threading

    result: list[bytes] = []
    failed: list[BaseException] = []

    def work() -> None:
        try:
            result.append(_print(page, executable))
        except BaseException as e:  # handed to the caller's thread, raised there
            failed.append(e)

    worker = threading.Thread(target=work, name="chainrule-pdf", daemon=True)
    worker.start()
    worker.join()
    if failed:
        raise failed[0]
    return result[0]


def _print(page: str, executable: str) -> bytes:
    from playwright.sync_api import Error, sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS,
                                                 env={**os.environ, "TZ": "UTC"})
            try:
                tab = browser.new_page()
                tab.set_default_timeout(PDF_TIMEOUT_MS)
                tab.set_content(page, wait_until="load")
                pdf = tab.pdf(prefer_css_page_size=True, print_background=True)
            finally:
                browser.close()
    except Error as e:
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise PdfUnavailable(f"Chromium could not print it ({reason[:200]})") from None
    return _PDF_DATE.sub(rb"\g<1>" + FIXED_PDF_TIME, pdf)
