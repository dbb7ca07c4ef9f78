"""A self-contained web page that steps through the backward pass one chain-rule step at a time.

`save_steps_html(root, path)` runs `backward_steps(root)`, draws the graph with `draw_dot` (the
real `dot` program renders it to SVG), and writes one HTML file holding that SVG, the steps as
JSON, and the page's template, CSS and JavaScript (`steps_page.html`, `steps.css`, `steps.js`,
next to this module; the live lab serves the same two files). Nothing is fetched from the
network: the file can be mailed, opened from a USB stick, or shown offline in a lecture.

The page starts with the forward values; each Next applies one edge of the chain rule,

    parent.grad += local_grad * node.grad,

highlights that edge, writes `str(step)` below the picture, updates the receiving box's grad
(the running sum), and counts its contributions ("2 of 3 contributions received"). After the
last step a table lists every grad. The page offers each number and sentence with 2 or 4
decimals (both written here, by `format_number` and `BackwardStep.describe`: the page never
computes a number), and printing it gives a handout: the picture and every step's sentence.

With `quiz=True` the page is an exercise: each step first asks for its contribution (the
question is the step's sentence without its numbers), checks the typed number against the
engine's (`value`, right to 4 significant digits: the rule is stated in steps.js), gives a hint
after a wrong answer (the op's rule from RULES and the two numbers to multiply) and a score at
the end; a leaf's final gradient can be predicted too. Printed, a quiz page is a worksheet: the
questions and the forward values, no answers.
"""

from __future__ import annotations

import html
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from autograd.draw import (
    INSTALL_GRAPHVIZ,
    MAX_EDGES,
    MAX_NODES,
    GraphvizMissingError,
    draw_dot,
    refuse_if_too_big,
    run_dot,
)
from autograd.files import write_atomically
from autograd.html_page import asset, fill, inline_css, inline_js, inline_svg, script_json
from autograd.snapshot import GraphSnapshot, graph_snapshot
from autograd.trace import BackwardStep, backward_steps, check_seed, format_number, start_sentence
from autograd.value import RULES, Value

TEMPLATE = "steps_page.html"
SCRIPT = "steps.js"  # an ES module: mountSteps(data, root)
STYLE = "steps.css"
DECIMALS = (2, 4)  # the page's choice of decimals; str(step), the default, has 4
SHOWN_DECIMALS = 4
# The quiz's hint writes its two numbers with 6 significant digits, two more than the 4 the
# answer needs (steps.js): each is then off by at most 5e-6 relative, their product by about
# 1e-5, inside the narrowest margin of the 4-digit rule (5e-5 relative, at 9.999...).
PRECISE_DIGITS = 6


def forms(x: float) -> dict[str, str]:
    """`x` written with each of the page's choices of decimals: {"2": "0.71", "4": "0.7071"}."""
    return {str(d): format_number(x, d) for d in DECIMALS}


def precise(x: float) -> str:
    """`x` with PRECISE_DIGITS significant digits, as short as that allows: 0.707107, -3, 1e-07
    (and 0 for -0.0, as `format_number` writes it)."""
    return "0" if x == 0.0 else f"{x:.{PRECISE_DIGITS}g}"


def question(step: BackwardStep) -> str:
    """The step's sentence without its numbers, what the quiz asks to compute:

        a.grad += d.grad × ∂d/∂a

    (`BackwardStep.describe` continues it with " = upstream × local = contribution ...").
    """
    upstream, local = step.symbols()
    return f"{step.parent_name}.grad += {upstream} × {local}"


@dataclass(frozen=True)
class FreshPass:
    """One fresh backward pass of a graph, as every view of it shows it: its snapshot (order,
    names, fan-out), its steps, and the grads it leaves (the root at its seed, 1 unless said,
    every other node the sum of its contributions: what `root.backward()` gives when no
    earlier pass left anything, times the seed). `origin` says where a seed comes from, for
    the start sentence (see `autograd.trace.start_sentence`).
    """

    snapshot: GraphSnapshot
    steps: list[BackwardStep]
    grads: dict[Value, float]
    seed: float = 1.0
    origin: str | None = None

    def start_sentence(self) -> str:
        """The pass's first sentence: where it starts, and why its root's grad is what it is."""
        return start_sentence(self.snapshot.root_name, self.seed, self.origin)


def fresh_pass(root: Value, snapshot: GraphSnapshot | None = None, *, seed: float = 1.0,
               origin: str | None = None) -> FreshPass:
    """Run one fresh backward pass of `root` and record it, leaving every grad as it was.

    `seed`: the root's starting gradient (see `backward_steps`); `origin`: where it comes
    from, in words that continue the start sentence ("what the loss sends back to ...").

    NOTE: a page is a picture of the pass: writing one inside a training loop must not add a
    second pass to the leaves' accumulated grads. So the grads are saved first and put back
    after (also on an error), and the pass starts from 0 whatever earlier passes left.
    """
    seed = check_seed(seed, "fresh_pass")
    snap = graph_snapshot(root) if snapshot is None else snapshot
    snap.check_root(root, "fresh_pass")
    earlier = [node.grad for node in snap.order]
    try:
        for node in snap.order:
            node.grad = 0.0
        steps = list(backward_steps(root, snapshot=snap, seed=seed))
        grads = {node: node.grad for node in snap.order}
    finally:
        for node, grad in zip(snap.order, earlier):
            node.grad = grad
    return FreshPass(snap, steps, grads, seed, origin)


def page_data(run: FreshPass, *, quiz: bool = False) -> dict:
    """The data the step-through JavaScript (steps.js) shows: every node and step, each number
    and sentence in every choice of decimals. The static page embeds it; the live lab sends it
    (and sets "quiz" itself for its quiz toggle). With `quiz`, the page asks for each step's
    contribution before it shows it.
    """
    snap = run.snapshot
    index, names = snap.index, snap.names
    edges_seen: dict[Value, int] = {}  # k: the step's place among its node's parents
    step_records = []
    for step in run.steps:
        upstream_name, local_name = step.symbols()
        k = edges_seen.get(step.node, 0)
        edges_seen[step.node] = k + 1
        i = index[step.node]
        step_records.append({
            "node": i,
            "parent": index[step.parent],
            "edge": f"e{i}_{k}",
            "sentence": {str(d): step.describe(d) for d in DECIMALS},
            "received": step.received,
            "fan_out": step.fan_out,
            "grad": forms(step.parent_grad),
            "local": forms(step.local_grad),
            "upstream": forms(step.upstream),
            "contribution": forms(step.contribution),
            "value": step.contribution,  # the engine's number, for checking a student's answer
            "rule": RULES.get(step.node.op, ""),
            "question": question(step),
            "hint": {"upstream": precise(step.upstream), "local": precise(step.local_grad),
                     "upstream_name": upstream_name, "local_name": local_name},
        })
    return {
        "quiz": quiz,
        "root": index[snap.root],
        "root_name": snap.root_name,
        "start": run.start_sentence(),
        "decimals": list(DECIMALS),
        "shown_decimals": SHOWN_DECIMALS,
        "drawn_decimals": 4,  # draw_dot writes format_number's default
        "zero": forms(0.0),
        "one": forms(run.seed),  # the root's grad as the pass starts (steps.js): 1 unless seeded
        "nodes": [
            {
                "id": f"n{i}",
                "name": names[node],
                "op": node.op,
                "leaf": not node.parents,
                "data": forms(node.data),
                "grad": forms(run.grads[node]),
                "value": run.grads[node],
            }
            for i, node in enumerate(snap.order)
        ],
        "steps": step_records,
    }


def save_steps_html(
    root: Value,
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
    rankdir: str = "LR",
    max_nodes: int = MAX_NODES,
    max_edges: int = MAX_EDGES,
    quiz: bool = False,
) -> Path:
    """Write a page stepping through `root`'s backward pass to `path`; return the path written.

    The page shows one fresh backward pass: what `root.backward()` computes when every grad
    starts at 0 (the root at 1), step i's sentence being `str(step)` of the i-th step of
    `backward_steps(root)`. The graph's grads are left exactly as they were (see `fresh_pass`);
    call `root.backward()` to get the grads themselves.

    `quiz`: the same page as an exercise. Before each step is shown the student types its
    contribution (upstream × local), checked against the engine's number to 4 significant
    digits; a wrong answer gets a hint (the op's rule and the two numbers to multiply) and
    another try, Show reveals the step unscored, and the end shows the score. A leaf's final
    gradient can be predicted, checked once the pass makes it final. Printed, it is a
    worksheet: the questions and the forward values, no answers. (The answers are in the
    file, as they must be for a page that checks them offline.)

    Refuses graphs of more than `max_nodes` Values or `max_edges` edges (ValueError), with
    `draw_dot`'s limits, before doing any work. Without Graphviz's `dot` program raises
    `GraphvizMissingError`, which says how to install it; a `dot` that fails or runs past its
    time limit raises `GraphvizError` / `GraphvizTimeoutError`. The file is written to a
    temporary name in the same directory and then renamed, so an interrupted call never leaves
    half a page.
    """
    if not isinstance(root, Value):
        raise TypeError(f"save_steps_html needs a Value, got {type(root).__name__}")
    refuse_if_too_big(
        root, max_nodes, max_edges, edges_are="edges (one step each)",
        why="a step-through page of it would be unreadable and thousands of steps long. Step "
        "through a smaller piece (one neuron, one sample), or raise max_nodes / max_edges.",
    )
    if shutil.which("dot") is None:
        raise GraphvizMissingError(INSTALL_GRAPHVIZ)
    run = fresh_pass(root)  # the one walk of the graph: trace, picture and page share it
    picture = draw_dot(root, rankdir, max_nodes=max_nodes, max_edges=max_edges,
                       snapshot=run.snapshot, grads=run.grads)
    data = page_data(run, quiz=quiz)
    if title is None:
        name = run.snapshot.root_name
        title = (f"Backpropagation through {name}: work out each chain-rule step" if quiz else
                 f"Backpropagation through {name}, one chain-rule step at a time")
    return write_atomically(path, steps_page(title, run_dot(picture, "svg").decode("utf-8"), data))


def steps_page(title: str, svg: str, data: dict) -> str:
    """The self-contained page: the template with the title, the SVG, the data, and the
    package's steps.css and steps.js inlined."""
    return fill(
        asset(__file__, TEMPLATE),
        TITLE=html.escape(title),
        CSS=inline_css(asset(__file__, STYLE)),
        SVG=inline_svg(svg),
        DATA=script_json(data),
        JS=inline_js(asset(__file__, SCRIPT)),
    )
