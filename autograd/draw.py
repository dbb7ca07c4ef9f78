"""Pictures of a computation graph with Graphviz: every Value, every op, every edge's derivative.

The graph is described as DOT text by the `graphviz` Python package (imported here only, when a
picture is asked for); rendering it to SVG or PNG needs Graphviz's `dot` program.

Reading a picture: a box per Value shows  label | data | grad;  a small ellipse per op shows the
op and its rule; an edge from a Value into an op carries the local derivative d(out)/d(input),
the number the chain rule multiplies the output's gradient by on its way back.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from autograd.graph import topological_order
from autograd.trace import format_number, node_names
from autograd.value import RULES, Value

if TYPE_CHECKING:
    import graphviz

MAX_NODES = 2000  # beyond this a picture is unreadable and slow to lay out

INSTALL_GRAPHVIZ = (
    "Graphviz's `dot` program is needed to render pictures and was not found on PATH. "
    "Install it: Debian/Ubuntu `sudo apt-get install graphviz`, macOS `brew install graphviz`, "
    "Windows `winget install graphviz` (then open a new terminal). "
    "Without it you can still get the DOT source: draw_dot(root).source"
)


class GraphvizMissingError(RuntimeError):
    """The `dot` program (or the `graphviz` Python package) is not installed."""


def _import_graphviz():  # noqa: ANN202 - the module type is optional at import time
    try:
        import graphviz
    except ImportError:
        raise GraphvizMissingError(
            "drawing needs the graphviz Python package: pip install 'chainrule[draw]'"
        ) from None
    return graphviz


def _escape(text: str) -> str:
    """Escape the characters that have a meaning inside a Graphviz record label."""
    for ch in "\\{}|<>\"":
        text = text.replace(ch, "\\" + ch)
    return text


def draw_dot(
    root: Value,
    rankdir: str = "LR",
    show_local_grads: bool = True,
    max_nodes: int = MAX_NODES,
) -> graphviz.Digraph:
    """The graph that `root` was computed from, as a `graphviz.Digraph`.

    Deterministic: the same graph gives the same DOT source (nodes are named by their place in
    the topological order, never by memory address).

    Stable element ids, which appear as `id="..."` on the SVG's `<g>` elements (pages that
    highlight parts of the rendered picture rely on them), with i a node's topological index:
    `n{i}` the Value's box, `n{i}_op` its op, `n{i}_out` the edge op -> Value, and `e{i}_{k}`
    the edge from the k-th parent (0-based, `node.parents` order) into node i's op.

    Refuses graphs of more than `max_nodes` Values with a ValueError saying what to do instead.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot needs a Value, got {type(root).__name__}")
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"rankdir must be one of LR, RL, TB, BT; got {rankdir!r}")
    order = topological_order(root)
    if len(order) > max_nodes:
        raise ValueError(
            f"this graph has {len(order):,} Values, more than max_nodes={max_nodes:,}: its "
            "picture would be unreadable. Draw a smaller piece (one neuron, one sample), or "
            "raise max_nodes if you really want it."
        )
    graphviz = _import_graphviz()
    names = node_names(order)
    ids = {node: f"n{i}" for i, node in enumerate(order)}

    dot = graphviz.Digraph(name="chainrule", graph_attr={"rankdir": rankdir})
    dot.attr("node", fontname="Helvetica", fontsize="11")
    dot.attr("edge", fontname="Helvetica", fontsize="9")
    for node in order:
        record = (
            f"{_escape(names[node])} | data {format_number(node.data)} | "
            f"grad {format_number(node.grad)}"
        )
        dot.node(ids[node], "{" + record + "}", shape="record", id=ids[node])
        if node.parents:
            op_id = ids[node] + "_op"
            rule = RULES.get(node.op, "")
            dot.node(op_id, node.op, shape="ellipse", tooltip=rule, id=op_id)
            dot.edge(op_id, ids[node], id=ids[node] + "_out")
            for k, (parent, local_grad) in enumerate(zip(node.parents, node.local_grads)):
                label = f"×{format_number(local_grad)}" if show_local_grads else ""
                dot.edge(ids[parent], op_id, label=label, id=f"e{ids[node][1:]}_{k}")
    return dot


def render(
    dot: graphviz.Digraph, path: str | Path, formats: tuple[str, ...] = ("svg",)
) -> list[Path]:
    """Render `dot` to `path` + '.svg' (and/or '.png', ...). Each file is written next to its
    final name and renamed into place, so an interrupted render never leaves a broken picture."""
    if shutil.which("dot") is None:
        raise GraphvizMissingError(INSTALL_GRAPHVIZ)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        data = dot.pipe(format=fmt)
        final = path.with_name(path.name + "." + fmt)
        tmp = final.with_name(final.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(final)
        written.append(final)
    return written
