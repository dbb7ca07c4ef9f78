"""A training replay: one self-contained HTML page with a slider over the epochs of a 2-D
classification run, showing frame by frame the decision boundary with its points, the network
diagram (weights or gradients) and the loss curve so far. What TF Playground shows live, saved
as a file a teacher can open anywhere, offline.

    recorder = TrainingRecorder(model, X, y)          # frame 0: the model before training
    fit(model, X, y, hinge_loss, optimizer, epochs=100, on_epoch=recorder)
    save_training_replay("moons.html", recorder)

A frame holds numbers, not pictures: the boundary as a coarse grid of one byte per cell (the
page paints it on a canvas and lets the browser smooth it), and one number per weight, bias and
gradient (the page recolours the edges of ONE network diagram, drawn once by `draw_network`).
So 100 frames of an MLP(2, [16, 16, 1]) weigh well under a megabyte.

Frame k shows the model after epoch k's update; its loss is the one `fit` measured during
epoch k (before that update), and its accuracy is the snapshot's own, on the recorded points.
The `dot` program is needed once, when the page is saved.
"""

from __future__ import annotations

import base64
import html
import os
import shutil
from pathlib import Path

from autograd.draw import INSTALL_GRAPHVIZ, GraphvizMissingError, run_dot
from autograd.files import write_atomically
from autograd.html_page import asset, fill, inline_css, inline_js, inline_svg, script_json
from autograd.trace import format_number
from nn.draw_network import (
    MAX_WIDTH,
    MIN_OPACITY,
    MIN_WIDTH,
    NEGATIVE,
    POSITIVE,
    ZERO,
    draw_network,
    edge_id,
    network_layers,
    neuron_id,
)
from nn.plots import CLASS_COLOURS, CLASS_MARKERS, class_indices
from nn.recorder import Frame, TrainingRecorder, round_for_page

SCRIPT = "replay.js"  # an ES module: mountReplay(data, root); the live lab serves it as it is
STYLE = "replay.css"
DECIMALS = (2, 4)  # the page's choice of decimals for the numbers it writes
SHOWN_DECIMALS = 2


def forms(x: float) -> dict[str, str]:
    """`x` written with each of the page's choices of decimals: {"2": "0.12", "4": "0.1234"}."""
    return {str(d): format_number(x, d) for d in DECIMALS}


def list_forms(xs: list[float]) -> dict[str, list[str]]:
    """Each number of `xs` in each form: {"2": ["0.12", ...], "4": ["0.1234", ...]}."""
    return {str(d): [format_number(x, d) for x in xs] for d in DECIMALS}


def frame_record(f: Frame) -> dict:
    """One frame for the page: its numbers, and every number it writes as text in each form."""
    return {
        "epoch": f.epoch, "loss": f.loss, "accuracy": f.accuracy,
        "grid": base64.b64encode(f.grid).decode("ascii"), "w": f.weights, "g": f.grads,
        "b": f.biases, "gb": f.bias_grads, "status": f.status, "wrong": f.wrong,
        "lossText": None if f.loss is None else forms(f.loss),
        "accuracyText": f"{100 * f.accuracy:.0f}%",
        "bt": list_forms(f.biases), "gbt": list_forms(f.bias_grads),
        "maxW": forms(max((abs(w) for w in f.weights), default=0.0)),
        "maxG": forms(max((abs(g) for g in f.grads), default=0.0)),
    }


def save_training_replay(
    path: str | os.PathLike, recorder: TrainingRecorder, title: str = "Training replay"
) -> Path:
    """Write the recorded run as one self-contained HTML page at `path` (inline SVG, canvas,
    and the JS and CSS of replay.js / replay.css; nothing is fetched). The slider, the arrow
    keys, a presenter's clicker (PageDown / PageUp, Space) and Play (at a chosen speed) move
    between frames; a switch shows the network's weights or its gradients; numbers are
    written with 2 or 4 decimals, both forms from here. Returns the Path written."""
    if not isinstance(recorder, TrainingRecorder):
        raise TypeError(f"expected a TrainingRecorder, got {type(recorder).__name__}")
    if not recorder.frames:
        raise ValueError("the recorder holds no frames: record at least one epoch first")
    if not isinstance(title, str):
        raise TypeError(f"title must be a str (the page heading), got {type(title).__name__}")
    model = recorder.model
    if shutil.which("dot") is None:
        raise GraphvizMissingError(INSTALL_GRAPHVIZ)
    svg = run_dot(draw_network(model, X=recorder.X, edge_labels=False, legend=False),
                  "svg").decode("utf-8")
    layers = network_layers(model)
    labels = class_indices(recorder.y)
    data = {
        "title": title,
        "decimals": list(DECIMALS),
        "shownDecimals": SHOWN_DECIMALS,
        "nClasses": max(labels, default=0) + 1,
        "resolution": recorder.resolution,
        "bounds": recorder.bounds,
        "oneOutput": recorder.n_outputs == 1,
        "colours": CLASS_COLOURS,
        "markers": CLASS_MARKERS,  # a shape per class too (matplotlib's codes), as the plots
        "zero": ZERO,
        "minOpacity": MIN_OPACITY,
        "positive": POSITIVE,
        "negative": NEGATIVE,
        "minWidth": MIN_WIDTH,
        "maxWidth": MAX_WIDTH,
        "points": [[round_for_page(a), round_for_page(b)] for a, b in recorder.X],
        "labels": labels,
        "edges": [edge_id(li, j, i) for li, neurons in enumerate(layers)
                  for j, neuron in enumerate(neurons) for i in range(len(neuron.w))],
        "neurons": [neuron_id(li, j) for li, neurons in enumerate(layers)
                    for j in range(len(neurons))],
        "frames": [frame_record(f) for f in recorder.frames],
    }
    page = fill(_TEMPLATE, TITLE=html.escape(title), CSS=inline_css(asset(__file__, STYLE)),
                SVG=inline_svg(svg), DATA=script_json(data),
                JS=inline_js(asset(__file__, SCRIPT)))
    path = Path(path)
    write_atomically(path, page)
    return path


# The page around the replay: everything it shows is built by replay.js inside #replay.
_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{TITLE}}</title>
<style>
{{CSS}}
</style>
</head>
<body class="replay-page">
<h1>{{TITLE}}</h1>
<div id="replay" class="replay">
<div class="replay-network">{{SVG}}</div>
</div>
<script id="replay-data" type="application/json">{{DATA}}</script>
<script type="module">
{{JS}}
mountReplay(JSON.parse(document.getElementById("replay-data").textContent),
            document.getElementById("replay"));
</script>
</body>
</html>
"""
