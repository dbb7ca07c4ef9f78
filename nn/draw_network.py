"""`draw_network`: a model as neurons and weight edges, in the style of TensorFlow Playground.

Reading the picture: inputs on the left, one column per layer, one edge per weight w[j][i]
(from input i to neuron j). The edge's colour is the sign (blue positive, orange negative: the
Okabe-Ito blue and vermillion, apart for the colour-blind) and its width is |w| / max|w|, so the
strongest connection is the widest line. Each neuron shows its bias. With `show="grads"` the
same picture shows dL/dw and dL/db instead: where backward would move the weights, and how hard.

Given a batch `X`, units that do not learn from that batch are marked:

    dead        a relu whose pre-activation z = w.x + b is <= 0 for every sample: its output
                and its local derivative are 0 everywhere, so no gradient flows through it and
                its weights never change again (grey fill).
    saturated   a tanh or sigmoid whose local derivative act'(z) is below SATURATED_SLOPE of its
                peak (tanh' <= 1 at z = 0, sigmoid' <= 1/4) on at least SATURATED_SHARE of the
                samples: |z| is so large that the gradient through it almost vanishes (red border).

`graphviz` is imported only when a picture is drawn; `nn` itself imports without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from autograd import Value
from autograd.draw import (
    Html,
    _import_graphviz,
    add_edge,
    add_node,
    set_attrs,
    shorten,
    visible,
)
from autograd.nary import weighted_sum
from nn.layers import FLOAT_ACTIVATIONS, MLP, Layer, Neuron
from nn.module import Module
from nn.train import as_rows

if TYPE_CHECKING:
    import graphviz

SHOWS = ("weights", "grads")
# Blue positive, orange negative, as TF Playground, in the Okabe-Ito palette's blue and
# vermillion (its darker orange: Okabe-Ito's own orange #E69F00 has only 2:1 contrast on white):
# apart for the colour-blind, and dark enough that the faintest edge keeps WCAG's 3:1 contrast
# for graphics on the white page (at MIN_OPACITY: blue 4.0:1, vermillion 3.2:1, grey 3.4:1).
POSITIVE = "#0072b2"  # Okabe-Ito blue
NEGATIVE = "#d55e00"  # Okabe-Ito vermillion
ZERO = "#767676"  # an exact 0 has no sign
MIN_OPACITY = 0.85  # of the weakest edge; the strongest is opaque
DEAD_FILL = "#cfcfcf"
SATURATED_BORDER = "#d62728"
MIN_WIDTH, MAX_WIDTH = 0.4, 6.0  # pen widths (points) of the weakest and the strongest edge
MAX_EDGES = 5000  # beyond this a picture takes long to lay out and cannot be read
EDGE_LABEL_LIMIT = 24  # up to this many weights, each edge also shows its number
SATURATED_SLOPE = 0.01  # act'(z) below 1% of its peak: tanh |z| > 3.0, sigmoid |z| > 6.0
SATURATED_SHARE = 0.9  # ... on at least 90% of the samples
# the largest value of each activation's derivative, to compare act'(z) with
PEAK_SLOPE = {"tanh": 1.0, "sigmoid": 0.25}


def network_layers(model: Module) -> list[Sequence[Neuron]]:
    """The model's neurons, layer by layer: an MLP's layers, a Layer alone, or a lone Neuron."""
    if isinstance(model, MLP):
        return [layer.neurons for layer in model.layers]
    if isinstance(model, Layer):
        return [model.neurons]
    if isinstance(model, Neuron):
        return [[model]]
    raise TypeError(
        f"draw_network draws an MLP, a Layer or a Neuron, got {type(model).__name__}"
    )


def input_id(i: int) -> str:
    """Node id of input i (also the `id` of its `<g>` in the SVG)."""
    return f"x{i}"


def neuron_id(layer: int, j: int) -> str:
    """Node id of neuron j of layer `layer` (0-based, as the parameter labels `L0.n3.w1`)."""
    return f"L{layer}n{j}"


def edge_id(layer: int, j: int, i: int) -> str:
    """Edge id of weight i of neuron j in layer `layer`: parameter `L{layer}.n{j}.w{i}`."""
    return f"w{layer}_{j}_{i}"


def edge_style(value: float, largest: float) -> tuple[str, float]:
    """(colour, pen width) of an edge carrying `value`.

    The colour's hue is the sign (#rrggbb of POSITIVE, NEGATIVE or ZERO) and its opacity (the
    two extra hex digits, #rrggbbaa) grows with |value| from MIN_OPACITY to 100%, so weak edges
    recede a little yet stay readable on a projector (3:1 contrast on white at the faintest);
    the width, the main cue, grows linearly from MIN_WIDTH (value 0) to MAX_WIDTH
    (|value| == largest).
    """
    hue = POSITIVE if value > 0 else NEGATIVE if value < 0 else ZERO
    share = min(1.0, abs(value) / largest) if largest > 0 else 0.0
    alpha = round(255 * (MIN_OPACITY + (1.0 - MIN_OPACITY) * share))
    return f"{hue}{alpha:02x}", round(MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * share, 2)


def _check_batch(X: object, nin: int) -> list[list[float]]:
    """X (a list, a tuple or a numpy array of rows) as lists of numbers, `nin` in each row."""
    rows = as_rows(X)
    for k, x in enumerate(rows):
        if len(x) != nin:
            raise ValueError(f"X[{k}] must be a list of {nin} numbers, got {len(x)} numbers")
    return rows


def unit_status(model: Module, X: Sequence[Sequence[float]]) -> list[list[str]]:
    """For each neuron, layer by layer: "dead", "saturated" or "" (healthy) over the batch X.

    Each neuron's pre-activation z = w.x + b and its output are computed on floats (the
    arithmetic of the graph's dot node and activations, as `model.predict`: no Value is built).
    A relu is dead when z <= 0 for every sample; a tanh or sigmoid is saturated when its slope is
    below SATURATED_SLOPE of its peak for at least SATURATED_SHARE of the samples.
    NOTE: relu'(0) = 0 (see Value.relu), so a relu with z == 0 everywhere is dead too.
    """
    layers = network_layers(model)
    rows: Sequence[Sequence[float]] = _check_batch(X, len(layers[0][0].w))
    n = len(rows)
    status = []
    for neurons in layers:
        columns, row_status = [], []
        for neuron in neurons:
            w, b = [p.data for p in neuron.w], neuron.b.data
            z = [weighted_sum(w, x, b) for x in rows]
            act = FLOAT_ACTIVATIONS[neuron.activation]
            out = z if act is None else [act(zk) for zk in z]
            if neuron.activation == "relu":
                dead = sum(zk <= 0.0 for zk in z) == n
                row_status.append("dead" if dead else "")
            elif neuron.activation in ("tanh", "sigmoid"):
                slopes = ([1.0 - o * o for o in out] if neuron.activation == "tanh" else
                          [o * (1.0 - o) / PEAK_SLOPE["sigmoid"] for o in out])
                flat = sum(slope < SATURATED_SLOPE for slope in slopes)
                row_status.append("saturated" if flat >= SATURATED_SHARE * n else "")
            else:
                row_status.append("")
            columns.append(out)
        status.append(row_status)
        rows = list(zip(*columns))
    return status


def _number(x: float) -> str:
    """Short, fixed text for a number (3 significant digits): same value, same DOT."""
    text = f"{x:.3g}"
    return "0" if text in ("0", "-0") else text


def _short(x: float, show: str) -> str:
    """A bias for the node's label: 2 decimals for weights; 2 significant digits for gradients,
    which are often tiny."""
    text = f"{x:.2f}" if show == "weights" else f"{x:.2g}"
    return text[1:] if text in ("-0.00", "-0") else text


def _legend(show: str, largest: float, status: list[list[str]] | None, samples: int) -> Html:
    """The legend as a Graphviz HTML-like label: what colour, width, fill and border mean."""
    what = "weight w" if show == "weights" else "gradient dL/dw"

    def swatch(colour: str) -> str:
        return f'<td width="28" height="5" fixedsize="true" bgcolor="{colour}"></td>'

    rows = [
        f"<tr>{swatch(POSITIVE)}<td align=\"left\">positive {what}</td>"
        f"{swatch(NEGATIVE)}<td align=\"left\">negative {what}</td></tr>",
        f'<tr><td colspan="4" align="left">line width is proportional to |{what.split()[-1]}|; '
        f"the widest is {_number(largest)}</td></tr>",
    ]
    if show == "grads" and largest == 0:
        rows.append('<tr><td colspan="4" align="left">every gradient is 0: '
                    "run loss.backward() first</td></tr>")
    if status is not None:
        dead = sum(s == "dead" for layer in status for s in layer)
        sat = sum(s == "saturated" for layer in status for s in layer)
        box = '<td width="14" height="14" fixedsize="true" {}></td>'
        grey = box.format(f'bgcolor="{DEAD_FILL}"')
        red = box.format(f'border="2" color="{SATURATED_BORDER}"')
        rows.append(
            f'<tr>{grey}<td align="left" colspan="3">'
            f"dead relu: z &lt;= 0 on all {samples} samples, no gradient passes ({dead})</td></tr>"
        )
        rows.append(
            f'<tr>{red}<td align="left" colspan="3">saturated: act\'(z) &lt; {SATURATED_SLOPE:g} '
            f"of its peak on &gt;= {SATURATED_SHARE:.0%} of samples ({sat})</td></tr>"
        )
    return Html('<<table border="0" cellspacing="4" cellpadding="1">' + "".join(rows)
                + "</table>>")


def _column(g: graphviz.Digraph, key: str, title: str, nodes: list[tuple[str, str, dict]]) -> None:
    """One column of the picture (inputs, or a layer): a title above its nodes `(id, label,
    attributes)`, all on one rank, stacked in list order. Invisible edges chain title -> first
    -> second -> ...; without them Graphviz may rotate a column to shorten the edges.
    (A plain subgraph, not a cluster: dot mislays rank=same inside clusters.)
    Every string goes to dot through autograd.draw's add_node / add_edge: text, never markup."""
    with g.subgraph(name=f"column_{key}") as c:
        set_attrs(c, rank="same")
        add_node(c, f"title_{key}", title, id=f"title_{key}", shape="plaintext",
                 fixedsize="false", fontsize="9", style="")
        for node_id, label, attrs in nodes:
            add_node(c, node_id, label, id=node_id, **attrs)
        chain = [f"title_{key}"] + [node_id for node_id, _, _ in nodes]
        for above, below in zip(chain, chain[1:]):
            add_edge(c, above, below, style="invis")


def draw_network(
    model: Module,
    show: str = "weights",
    X: Sequence[Sequence[float]] | None = None,
    *,
    edge_labels: bool | None = None,
    legend: bool = True,
    rankdir: str = "LR",
    max_edges: int = MAX_EDGES,
) -> graphviz.Digraph:
    """The model (an MLP, a Layer or a Neuron) as a `graphviz.Digraph`, one edge per weight.

    show: "weights" draws each weight w (colour = sign, width = |w| / max|w|) and each neuron's
        bias; "grads" draws dL/dw and dL/db, the `.grad` that the last backward pass left.
    X: a batch of inputs (a list, a tuple or a numpy array of rows); when given, dead and
        saturated units are marked (see the module doc).
    edge_labels: write each edge's number on it; None means only for small models
        (at most EDGE_LABEL_LIMIT weights), where the labels stay readable.
    legend: add the key (colours, widths, the largest value, counts of marked units) below.
    rankdir: "LR" (layers left to right, as TF Playground) or "TB" (top to bottom).
    max_edges: refuse larger models with a ValueError rather than lay out an unreadable picture.

    Deterministic: the same model gives the same DOT source. Element ids (also on the SVG's
    `<g>` elements): inputs `x{i}`, neurons `L{l}n{j}`, edges `w{l}_{j}_{i}` (see `edge_id`).
    """
    if show not in SHOWS:
        raise ValueError(f"show must be one of {SHOWS}, got {show!r}")
    layers = network_layers(model)
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' or 'TB', got {rankdir!r}")
    nin = len(layers[0][0].w)
    n_edges = sum(len(n.w) for neurons in layers for n in neurons)
    if n_edges > max_edges:
        raise ValueError(
            f"this model has {n_edges:,} weights, more than max_edges={max_edges:,}: one edge "
            "each would be unreadable. Draw one Layer of it, or raise max_edges."
        )
    status = unit_status(model, X) if X is not None else None
    if edge_labels is None:
        edge_labels = n_edges <= EDGE_LABEL_LIMIT

    def number(p: Value) -> float:
        return p.data if show == "weights" else p.grad

    largest = max(abs(number(w)) for neurons in layers for n in neurons for w in n.w)
    graphviz = _import_graphviz()
    g = graphviz.Digraph(name="network")
    set_attrs(g, rankdir=rankdir, nodesep="0.08", ranksep="1.4",
              fontname="Helvetica", fontsize="10", labelloc="b", labeljust="l")
    if legend:
        set_attrs(g, label=_legend(show, largest, status, len(X) if X is not None else 0))
    set_attrs(g, "node", fontname="Helvetica", fontsize="8", shape="ellipse", fixedsize="true",
              width="0.9", height="0.5", style="filled", fillcolor="white", color="#555555")
    set_attrs(g, "edge", arrowhead="none", fontname="Helvetica", fontsize="7")

    inputs = [(input_id(i), f"x{i}", {"shape": "circle", "width": "0.5", "fillcolor": "#eeeeee"})
              for i in range(nin)]
    _column(g, "inputs", "inputs", inputs)
    bias = "b" if show == "weights" else "dL/db"
    for li, neurons in enumerate(layers):
        column = []
        for j, neuron in enumerate(neurons):
            state = status[li][j] if status is not None else ""
            b = number(neuron.b)
            tip = f"L{li}.n{j} ({neuron.activation}): {bias} = {b!r}"
            attrs = {"tooltip": f"{tip}; {state}" if state else tip}
            if state == "dead":
                attrs["fillcolor"] = DEAD_FILL
            elif state == "saturated":
                attrs.update(color=SATURATED_BORDER, penwidth="3")
            # (a line break in a label becomes DOT's \\n: each statement stays on one line)
            column.append((neuron_id(li, j), f"n{j}\n{bias} {_short(b, show)}", attrs))
        name = "output" if li == len(layers) - 1 else f"hidden {li + 1}"
        activation = shorten(visible(str(neurons[0].activation)))
        _column(g, f"L{li}", f"{name}\n({activation})", column)
    for li, neurons in enumerate(layers):
        for j, neuron in enumerate(neurons):
            for i, w in enumerate(neuron.w):
                value = number(w)
                colour, width = edge_style(value, largest)
                src = input_id(i) if li == 0 else neuron_id(li - 1, i)
                what = "w" if show == "weights" else "dL/dw"
                # NOTE: dot places mid-edge labels without overlaps; decorate underlines each
                # one and joins it to its own line
                labels = {"label": _number(value), "decorate": "true"} if edge_labels else {}
                add_edge(g, src, neuron_id(li, j), id=edge_id(li, j, i), color=colour,
                         penwidth=f"{width:.2f}", tooltip=f"L{li}.n{j}.w{i}: {what} = {value!r}",
                         **labels)
    return g
