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
"""

from __future__ import annotations

import html
import os
import shutil
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
from autograd.graph import topological_order
from autograd.html_page import asset, fill, inline_css, inline_js, inline_svg, script_json
from autograd.trace import backward_steps, format_number, node_names
from autograd.value import Value

TEMPLATE = "steps_page.html"
SCRIPT = "steps.js"  # an ES module: mountSteps(data, root)
STYLE = "steps.css"
DECIMALS = (2, 4)  # the page's choice of decimals; str(step), the default, has 4
SHOWN_DECIMALS = 4


def forms(x: float) -> dict[str, str]:
    """`x` written with each of the page's choices of decimals: {"2": "0.71", "4": "0.7071"}."""
    return {str(d): format_number(x, d) for d in DECIMALS}


def save_steps_html(
    root: Value,
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
    rankdir: str = "LR",
    max_nodes: int = MAX_NODES,
    max_edges: int = MAX_EDGES,
) -> Path:
    """Write a page stepping through `root`'s backward pass to `path`; return the path written.

    The page shows one fresh backward pass: what `root.backward()` computes when every grad
    starts at 0 (the root at 1), step i's sentence being `str(step)` of the i-th step of
    `backward_steps(root)`.

    NOTE: the graph's grads are left exactly as they were before the call. Running the steps
    changes them, so they are saved first and put back after (also on an error): a page is a
    picture of the pass, and writing one inside a training loop must not add a second pass
    to the leaves' accumulated grads. Call `root.backward()` to get the grads themselves.

    Refuses graphs of more than `max_nodes` Values or `max_edges` edges (ValueError), with
    `draw_dot`'s limits, before doing any work. Without Graphviz's `dot` program raises
    `GraphvizMissingError`, which says how to install it. The file is written to a temporary
    name in the same directory and then renamed, so an interrupted call never leaves half a
    page.
    """
    if not isinstance(root, Value):
        raise TypeError(f"save_steps_html needs a Value, got {type(root).__name__}")
    refuse_if_too_big(
        root, max_nodes, max_edges, edges_are="edges (one step each)",
        why="a step-through page of it would be unreadable and thousands of steps long. Step "
        "through a smaller piece (one neuron, one sample), or raise max_nodes / max_edges.",
    )
    order = topological_order(root)
    if shutil.which("dot") is None:
        raise GraphvizMissingError(INSTALL_GRAPHVIZ)

    earlier = [node.grad for node in order]
    try:
        for node in order:  # a fresh pass, whatever earlier passes left in the leaves
            node.grad = 0.0
        steps = list(backward_steps(root))
        # this pass's grads: the last running sum each node received (the root starts at 1)
        grads = dict.fromkeys(order, 0.0)
        grads[root] = 1.0
        for step in steps:
            grads[step.parent] = step.parent_grad
        for node in order:  # draw the boxes with this pass's grads, so each is wide enough
            node.grad = grads[node]
        svg = run_dot(draw_dot(root, rankdir, max_nodes=max_nodes, max_edges=max_edges), "svg")
    finally:
        for node, grad in zip(order, earlier):
            node.grad = grad

    index = {node: i for i, node in enumerate(order)}
    names = node_names(order)
    root_name = names[root]  # the name the sentences use for the output ("L" if unlabelled)
    edges_seen: dict[Value, int] = {}  # k: the step's place among its node's parents
    step_records = []
    for step in steps:
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
        })
    data = {
        "root": index[root],
        "root_name": root_name,
        "decimals": list(DECIMALS),
        "shown_decimals": SHOWN_DECIMALS,
        "drawn_decimals": 4,  # draw_dot writes format_number's default
        "zero": forms(0.0),
        "one": forms(1.0),
        "nodes": [
            {
                "id": f"n{i}",
                "name": names[node],
                "op": node.op,
                "data": forms(node.data),
                "grad": forms(grads[node]),
            }
            for i, node in enumerate(order)
        ],
        "steps": step_records,
    }
    if title is None:
        title = f"Backpropagation through {root_name}, one chain-rule step at a time"
    page = fill(
        asset(__file__, TEMPLATE),
        TITLE=html.escape(title),
        CSS=inline_css(asset(__file__, STYLE)),
        SVG=inline_svg(svg.decode("utf-8")),
        DATA=script_json(data),
        JS=inline_js(asset(__file__, SCRIPT)),
    )
    return write_atomically(path, page)
