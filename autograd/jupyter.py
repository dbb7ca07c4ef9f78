"""Jupyter display: a Value shows up in a notebook as the picture of its graph.

IPython calls an object's `_repr_mimebundle_` and shows the richest format it gets back.
`mimebundle` builds that dict: an SVG of the graph plus the plain repr, or the repr alone with a
short note when there is no picture to give (no Graphviz, a graph too big to show inline, or
one that dot could not lay out within JUPYTER_DOT_TIMEOUT). A display hook that raises shows a
traceback instead of the value, so this one never raises.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import TYPE_CHECKING

import autograd.draw
from autograd.draw import GraphvizTimeoutError, draw_dot, graph_size, run_dot
from autograd.value import Value

if TYPE_CHECKING:
    import graphviz

# inline pictures stay small: an MLP(2, [16, 16, 1])'s graph for one sample (about 400 Values)
# fits; a batch's graph does not (it would be megabytes of SVG in the notebook file)
JUPYTER_MAX_NODES = 500
JUPYTER_MAX_EDGES = 1000
# the notebook waits for its display hook: dot gets far less time than for a file (DOT_TIMEOUT)
JUPYTER_DOT_TIMEOUT = 5.0

NO_DOT = (
    "(no picture: Graphviz's `dot` program was not found. Install it, e.g. "
    "`sudo apt-get install graphviz` or `brew install graphviz`, then restart the kernel.)"
)


def mimebundle(
    obj: object,
    draw: Callable[[object], graphviz.Digraph] | None = None,
    max_nodes: int = JUPYTER_MAX_NODES,
) -> dict[str, str]:
    """`{"image/svg+xml": svg, "text/plain": repr}` for `obj`'s graph, or `{"text/plain": ...}`
    with a note saying why there is no picture.

    `draw` turns `obj` into a `graphviz.Digraph` (a model can pass its own diagram); by default
    a Value is drawn with `draw_dot`, refusing graphs of more than `max_nodes` Values.
    """
    text = repr(obj)
    if draw is None:
        if not isinstance(obj, Value):
            return {"text/plain": text}
        values, edges = graph_size(obj, max_nodes, JUPYTER_MAX_EDGES)
        if values > max_nodes or edges > JUPYTER_MAX_EDGES:
            return {"text/plain": (
                f"{text}\n(its graph has more than {max_nodes} Values or {JUPYTER_MAX_EDGES} "
                "edges, too many to show inline: draw_dot(value) draws it to a file)"
            )}
    if shutil.which("dot") is None:
        return {"text/plain": f"{text}\n{NO_DOT}"}
    try:
        digraph = (draw_dot(obj, max_nodes=max_nodes, max_edges=JUPYTER_MAX_EDGES)
                   if draw is None else draw(obj))
        svg = run_dot(digraph, "svg", timeout=JUPYTER_DOT_TIMEOUT).decode("utf-8")
    except GraphvizTimeoutError as error:
        return {"text/plain": (
            f"{text}\n(no picture: {error}. render() draws it to a file, where dot may take "
            f"{autograd.draw.DOT_TIMEOUT:g} s)"
        )}
    except Exception as error:  # noqa: BLE001 - NOTE: a display hook must never raise
        return {"text/plain": f"{text}\n(no picture: {type(error).__name__}: {error})"}
    return {"image/svg+xml": svg, "text/plain": text}
