"""Pictures of a computation graph with Graphviz: every Value, every op, every edge's derivative.

The graph is described as DOT text by the `graphviz` Python package (imported here only, when a
picture is asked for); rendering it to SVG or PNG needs Graphviz's `dot` program.

Reading a picture: a box per Value shows  label | data | grad;  a small ellipse per op shows the
op and its rule; an edge from a Value into an op carries the local derivative d(out)/d(input),
the number the chain rule multiplies the output's gradient by on its way back.

Two rules keep pictures safe (see "Text and dot" below): every string given to Graphviz goes
through `dot_attrs`, so labels, op names and cluster names are always shown as text, never read
as markup; and `dot` only ever runs through `run_dot`, which stops it after a time limit.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from autograd.files import write_atomically
from autograd.graph import topological_order
from autograd.trace import BackwardStep, format_number, node_names
from autograd.value import RULES, Value

if TYPE_CHECKING:
    import graphviz

# Beyond these a picture is unreadable and `dot` slow. Layout time grows faster than linearly with
# the edges, and labelled edges cost most. Measured with `dot` 2.43 on one core: a 2,000-step
# tanh chain, 0.7 s; MLP(2, [16, 16, 1]) on one sample (405 Values, ~600 edges), 0.15 s; on 5
# samples (679 Values, 3,226 edges), 1.7 s clustered; on 8 (883 Values, 5,161 edges), 5 s
# clustered and 9 s not; on 18 (1,563 Values, 11,611 edges), 83 s and a 10 MB SVG. A whole
# training step on 100 points (7,142 Values, 65,178 edges) takes 60 s clustered even without
# edge labels, and a 38 MB SVG: so it is refused, and the message says what to draw instead.
MAX_NODES = 2000
MAX_EDGES = 4000

# A Value feeding more than this many op inputs (x*x*...*x: x feeds every factor) is a fan, and
# its edges reach far down the graph: dot gives a long edge a virtual node in every rank it
# crosses, and an edge label doubles the ranks (a label sits in a rank of its own). Measured with
# dot 2.43 on the 60-factor product, CPU time: drawn as before, 71 s (115 s on the clock), nearly
# all of it placing nodes while keeping each of the fan's 60 edges short and straight (weight 1);
# with no edge labels, 4.7 s; with the fan's edges at weight 0 (dot stops straightening them)
# and unlabelled but the other edges labelled, 4.2 s (25 s at 100 factors); weight 0 and no
# labels at all, 0.3 s (1.4 s at 100). So a graph with a fan gets both: weight 0 on the fan's
# edges, and every edge's numbers in its tooltip instead of a label. 16 keeps all the labels of
# an MLP with 16-wide layers, whose fans are short and cheap to lay out.
FANOUT_LIMIT = 16

# Text and dot. A picture shows at most LABEL_CHARS characters of a name, an op or a cluster
# (the longest built-in rule, logsumexp's, is 58); a longer one ends in "…" and its tooltip holds
# it all. dot 2.43 refuses any quoted string of 16,382 bytes or more ("syntax error ... longer
# than 16384?"), so every string given to dot is cut at TOOLTIP_CHARS characters: escaped, each
# takes at most 5 bytes ("&" becomes "&amp;"), 15,000 bytes at most.
LABEL_CHARS = 60
TOOLTIP_CHARS = 3000

# A teaching graph lays out in well under a second; dot is stopped after this many seconds
# (read at each run, so a program may raise it: autograd.draw.DOT_TIMEOUT = 60).
DOT_TIMEOUT = 20.0

INSTALL_GRAPHVIZ = (
    "Graphviz's `dot` program is needed to render pictures and was not found on PATH. "
    "Install it: Debian/Ubuntu `sudo apt-get install graphviz`, macOS `brew install graphviz`, "
    "Windows `winget install graphviz` (then open a new terminal). "
    "Without it you can still get the DOT source: draw_dot(root).source"
)


class GraphvizError(RuntimeError):
    """Graphviz could not make a picture; the message says why and what to do instead."""


class GraphvizMissingError(GraphvizError):
    """The `dot` program (or the `graphviz` Python package) is not installed."""


class GraphvizTimeoutError(GraphvizError):
    """The `dot` program did not finish laying out a graph within its time limit."""


def _import_graphviz():  # noqa: ANN202 - the module type is optional at import time
    try:
        import graphviz
    except ImportError:
        raise GraphvizMissingError(
            "drawing needs the graphviz Python package: pip install 'chainrule[draw]'"
        ) from None
    return graphviz


class Html(str):
    """An HTML-like label that this module wrote itself (a legend): given to dot as it is.
    Any other string is text, see `dot_string`."""


class Record(tuple):
    """The fields of a record label, {a | b | c}: each field is text, see `dot_string`."""


def visible(text: str) -> str:
    """`text` with each character that is not printable written as its Python escape: NUL as
    \\x00, a newline as \\n, a tab as \\t, a lone surrogate as \\ud800, a zero-width
    joiner as \\u200d.

    So a picture shows every character there is: dot would stop at a NUL, drop a tab, put a
    control character into the SVG (which XML forbids), and cannot encode a lone surrogate.
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def shorten(text: str, limit: int = LABEL_CHARS) -> str:
    """`text`, or its first limit - 1 characters and "…" when it is longer than `limit`."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def dot_string(value: object, *, tooltip: bool = False) -> str:
    """`value` as a DOT string that dot shows as exactly that text, and never reads as HTML.

    Each line is made `visible` (a newline in `value` stays a line break) and the whole cut at
    TOOLTIP_CHARS. Then what dot would read as something else is escaped:

    - "&" as "&amp;": dot reads entities, and &#1; would put a control character into the SVG;
    - a backslash doubled: dot reads \\N as the node's name, \\n as a line break; in a
      tooltip, four of them, because dot 2.43 reads a tooltip's escapes twice;
    - a line break as \\n; a quote is escaped by the graphviz package itself;
    - the result is marked `graphviz.nohtml`: the package passes a string in <...> on as an
      HTML-like label, whose <table href="javascript:..."> would be a link in the SVG.

    `Html` is passed on as it is, and each field of a `Record` escaped the same way, plus the
    characters of record syntax, {}|<>.
    """
    nohtml = _import_graphviz().nohtml
    if isinstance(value, Html):
        return value
    if isinstance(value, Record):
        fields = (re.sub(r"([{}|<>])", r"\\\1", dot_string(field)) for field in value)
        return nohtml("{" + " | ".join(fields) + "}")
    text = "\n".join(visible(line) for line in str(value).split("\n"))
    text = shorten(text, TOOLTIP_CHARS).replace("&", "&amp;")
    text = text.replace("\\", "\\" * (4 if tooltip else 2))
    return nohtml(text.replace("\n", "\\n"))


def dot_attrs(attrs: dict[str, object]) -> dict[str, str]:
    """Each attribute's value through `dot_string` (a tooltip as a tooltip); None is left out."""
    return {name: dot_string(value, tooltip=name == "tooltip")
            for name, value in attrs.items() if value is not None}


# The only ways the drawings here add to a graphviz graph, so that no string can skip dot_attrs.
# (Node names are ours, plain identifiers such as n3 or L0n1.)
def add_node(graph: graphviz.Digraph, name: str, label: object, **attrs: object) -> None:
    graph.node(name, **dot_attrs({"label": label, **attrs}))


def add_edge(graph: graphviz.Digraph, tail: str, head: str, **attrs: object) -> None:
    graph.edge(tail, head, **dot_attrs(attrs))


def set_attrs(graph: graphviz.Digraph, kind: str | None = None, **attrs: object) -> None:
    """Attributes of the graph itself (kind None), or defaults for its "node"s or "edge"s."""
    graph.attr(kind, **dot_attrs(attrs))


ClusterSpec = Callable[[Value], str | None] | str | None

# |grad| on a log scale (see GradScale), light (small) to dark (large): ColorBrewer YlOrRd
PALETTE = ("#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#bd0026", "#800026")
# the same steps for edges, the light end darkened so a thin line still shows on white
EDGE_PALETTE = ("#e0b000", "#f09000", "#f07000", "#f04a1e", "#d7191c", "#b10026", "#800026")
ZERO_FILL, ZERO_EDGE = "#f0f0f0", "#b0b0b0"  # a zero gradient: nothing flows here
HIGHLIGHT = "#1f5fbf"  # one backward step: the edge applied and the node receiving

# ops that keep a Value in its neuron's cluster under cluster="label-prefix"
ACTIVATION_OPS = frozenset({"tanh", "relu", "leaky_relu", "sigmoid"})


def graph_size(root: Value, max_nodes: int, max_edges: int) -> tuple[int, int]:
    """(Values, edges) of the graph `root` depends on, counting only until one passes its limit.

    A refusal then costs O(limit), not O(graph): a million-node graph is refused as fast as a
    small one. An edge is one operand of one op, so `a*a` counts two.
    """
    seen = {root}
    stack = [root]
    edges = 0
    while stack:
        parents = stack.pop().parents
        edges += len(parents)
        if edges > max_edges:
            break
        for parent in parents:
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
        if len(seen) > max_nodes:
            break
    return len(seen), edges


def step_edge(order: list[Value], step: object) -> tuple[Value, int]:
    """The edge (node, k: position in node.parents) that a backward step applies.

    `step` is a `BackwardStep` of `backward_steps(root)`, or its index, and `order` is root's
    topological order. Steps go over the interior nodes in reverse topological order and over
    each node's parents in order, so the index alone names the edge: nothing is run and no grad
    changes.
    """
    index = step.index if isinstance(step, BackwardStep) else step
    if isinstance(index, bool) or not isinstance(index, int):
        raise TypeError(
            f"highlight takes a BackwardStep or a step index, got {type(step).__name__}"
        )
    interior = [node for node in reversed(order) if node.parents]
    total = sum(len(node.parents) for node in interior)
    if not 0 <= index < total:
        raise ValueError(f"highlight step {index} out of range: this graph has {total} steps")
    for node in interior:
        if index < len(node.parents):
            if isinstance(step, BackwardStep) and (
                step.node is not node or step.parent is not node.parents[index]
            ):
                raise ValueError("highlight: this BackwardStep comes from a different graph")
            return node, index
        index -= len(node.parents)
    raise AssertionError("unreachable: index was checked against the number of steps")


def label_prefix(value: Value) -> str | None:
    """A Value's cluster by its label: everything before the last '.' ('L0.n3.w1' -> 'L0.n3')."""
    head, dot, _ = value.label.rpartition(".")
    return head if dot and head else None


def assign_clusters(order: list[Value], cluster: ClusterSpec) -> dict[Value, str]:
    """Each Value's cluster name (Values in no cluster are left out).

    A callable is asked about every Value. "label-prefix" clusters labelled Values by
    `label_prefix`; an unlabelled Value computed from labelled leaves that agree joins their
    cluster (a neuron's `dot` node joins its weights), and an activation of a clustered Value
    joins it too; everything else (a loss, say) stays outside.
    """
    if callable(cluster):
        found = {node: cluster(node) for node in order}
        for name in found.values():
            if name is not None and not isinstance(name, str):
                raise TypeError(f"cluster must return a str or None, got {type(name).__name__}")
        return {node: name for node, name in found.items() if name}
    if cluster != "label-prefix":
        raise ValueError(f"cluster must be a callable, 'label-prefix' or None; got {cluster!r}")
    names: dict[Value, str] = {}
    for node in order:  # parents come first, so theirs are known
        name = label_prefix(node) if node.label else None
        if name is None and not node.label and node.parents:
            leaves = {names.get(p) for p in node.parents if not p.parents and p.label}
            if len(leaves) == 1:
                name = leaves.pop()
            elif node.op in ACTIVATION_OPS and len(node.parents) == 1:
                name = names.get(node.parents[0])
        if name:
            names[node] = name
    return names


class GradScale:
    """|grad| on a log scale: the graph's nonzero magnitudes, from the smallest to the largest,
    cut into equal steps of log10|grad|, light to dark; zero is a neutral grey.

    Relative to the graph drawn (the legend gives the numbers). A step spans at least a factor
    10**(1/STEPS_PER_DECADE) (about 1.5), so nearly equal gradients share a colour; at most
    len(PALETTE) steps over at most MAX_DECADES: anything smaller shares the lightest colour.
    """

    MAX_DECADES = 6
    STEPS_PER_DECADE = 6

    def __init__(self, magnitudes: list[float]) -> None:
        logs = [math.log10(m) for m in magnitudes if m > 0.0]
        self.hi = max(logs, default=0.0)
        self.lo = max(min(logs, default=0.0), self.hi - self.MAX_DECADES)
        self.merged = bool(logs) and min(logs) < self.lo  # some magnitudes fell below lo
        span = self.hi - self.lo
        self.steps = min(len(PALETTE), max(1, math.ceil(span * self.STEPS_PER_DECADE)))
        if not logs:  # no nonzero magnitude (no backward pass yet): the legend shows only 0
            self.steps = 0
        self.step = span / self.steps if logs else 0.0

    def _color_index(self, k: int) -> int:
        """Step k of self.steps, spread over the whole palette (so 2 steps differ visibly)."""
        last = len(PALETTE) - 1
        return round(k * last / (self.steps - 1)) if self.steps > 1 else last // 2

    def bucket(self, magnitude: float) -> int | None:
        """The palette index for `magnitude`: 0 lightest (smallest) to the last, None for 0."""
        if magnitude == 0.0:
            return None
        if self.step == 0.0:  # every nonzero magnitude is the same
            return self._color_index(0)
        k = math.floor((math.log10(magnitude) - self.lo) / self.step)
        return self._color_index(min(max(k, 0), self.steps - 1))

    def fill(self, bucket: int | None) -> str:
        return ZERO_FILL if bucket is None else PALETTE[bucket]

    def edge(self, bucket: int | None) -> str:
        return ZERO_EDGE if bucket is None else EDGE_PALETTE[bucket]

    def penwidth(self, bucket: int | None) -> str:
        return "1" if bucket is None else f"{1.0 + 2.5 * bucket / (len(PALETTE) - 1):.2f}"

    def legend(self) -> str:
        """An HTML-like Graphviz table: a swatch per step with its range, largest first, and 0."""
        rows = ['<tr><td colspan="2"><b>|grad|</b> (boxes)<br/>'
                '<b>|upstream × local|</b> (edges)</td></tr>']
        for k in range(self.steps - 1, -1, -1):
            low, high = (f"{10 ** (self.lo + i * self.step):.2g}" for i in (k, k + 1))
            if self.step == 0.0:
                text = low
            elif k == 0 and self.merged:
                text = f"&lt; {high}"
            else:
                text = f"{low} to {high}"
            color = PALETTE[self._color_index(k)]
            rows.append(f'<tr><td bgcolor="{color}" width="24"></td><td>{text}</td></tr>')
        rows.append(f'<tr><td bgcolor="{ZERO_FILL}" width="24"></td><td>0</td></tr>')
        return ('<<table border="0" cellborder="1" cellspacing="0" cellpadding="4">'
                + "".join(rows) + "</table>>")


def refuse_if_too_big(
    root: Value, max_nodes: int, max_edges: int, *, edges_are: str, why: str
) -> None:
    """Raise ValueError("this graph has more than ...: <why>") when `root`'s graph exceeds a
    limit; the count stops at the limit, so a huge graph is refused at once."""
    values, edges = graph_size(root, max_nodes, max_edges)
    if values > max_nodes or edges > max_edges:
        what = (f"more than max_nodes={max_nodes:,} Values" if values > max_nodes
                else f"more than max_edges={max_edges:,} {edges_are}")
        raise ValueError(f"this graph has {what}: {why}")


def draw_dot(
    root: Value,
    rankdir: str = "LR",
    show_local_grads: bool = True,
    max_nodes: int = MAX_NODES,
    *,
    max_edges: int = MAX_EDGES,
    show_contributions: bool = False,
    color_by_grad: bool = False,
    highlight: BackwardStep | int | None = None,
    cluster: ClusterSpec = None,
    show_rules: bool = False,
) -> graphviz.Digraph:
    """The graph that `root` was computed from, as a `graphviz.Digraph`.

    A box per Value (label | data | grad), an ellipse per op (its rule is the tooltip), one edge
    per operand, so `a*a` shows two edges. Options:

    - `show_local_grads`: label each edge parent -> op with d(node)/d(parent), the factor the
      chain rule multiplies the node's gradient by on its way back.
    - `show_contributions`: also the product  upstream × local = contribution, i.e.
      node.grad * d(node)/d(parent), the amount this edge adds to parent.grad.
    - `color_by_grad`: fill each box by |grad| and draw each edge by |contribution| (colour and
      pen width in equal steps of log10, see `GradScale`), with a legend; zero is grey,
      zero-flow edges dashed.
    - `highlight`: one backward step (a `BackwardStep` of `backward_steps(root)`, or its index):
      its edge and the node receiving the contribution (the parent) are drawn bold and coloured;
      the edge also spells out the step's arithmetic. Nothing else in the DOT source changes.
    - `show_rules`: write each op's local-derivative rule (`RULES`) under its name, in the
      picture itself rather than only as the tooltip.
    - `cluster`: group Values into boxes: a callable Value -> cluster name or None, or
      "label-prefix" (nn labels parameters 'L0.n3.w1': a box per neuron, see `assign_clusters`).

    Deterministic: the same graph gives the same DOT source (nodes are named by their place in
    the topological order, never by memory address).

    Stable element ids, which appear as `id="..."` on the SVG's `<g>` elements (pages that
    highlight parts of the rendered picture rely on them), with i a node's topological index:
    `n{i}` the Value's box, `n{i}_op` its op, `n{i}_out` the edge op -> Value, and `e{i}_{k}`
    the edge from the k-th parent (0-based, `node.parents` order) into node i's op. Every
    operand keeps its own edge, also in a fan (nothing is merged).

    Labels, op names and cluster names are text (see `dot_string`): longer than LABEL_CHARS
    they end in "…", and the tooltip holds them whole. A graph where some Value feeds more than
    FANOUT_LIMIT op inputs would take dot minutes (see FANOUT_LIMIT): there every edge's
    numbers go to its tooltip instead of a label (but the highlighted step's), and the fan's
    edges get weight 0.

    Refuses graphs of more than `max_nodes` Values or `max_edges` edges with a ValueError saying
    what to do instead, before any other work (the count stops at the limit). Never changes a
    grad.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot needs a Value, got {type(root).__name__}")
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"rankdir must be one of LR, RL, TB, BT; got {rankdir!r}")
    refuse_if_too_big(
        root, max_nodes, max_edges, edges_are="edges",
        why="its picture would be unreadable and slow to lay out. Draw a smaller piece (one "
        "neuron, or one sample instead of a whole batch), draw a model with "
        "nn.draw_network(model), or raise max_nodes / max_edges (cluster='label-prefix' groups "
        "a model's nodes by neuron) if you really want it.",
    )
    graphviz = _import_graphviz()
    order = topological_order(root)
    full = {node: visible(name) for node, name in node_names(order).items()}
    names = {node: shorten(name) for node, name in full.items()}
    ids = {node: f"n{i}" for i, node in enumerate(order)}
    lit_node, lit_k = step_edge(order, highlight) if highlight is not None else (None, -1)
    lit_parent = lit_node.parents[lit_k] if lit_node is not None else None
    scale = None
    if color_by_grad:
        scale = GradScale([abs(node.grad) for node in order] + [
            abs(node.grad * g) for node in order for g in node.local_grads])
    clusters = assign_clusters(order, cluster) if cluster is not None else {}
    uses = Counter(parent for node in order for parent in node.parents)
    fans = {node for node, count in uses.items() if count > FANOUT_LIMIT}

    dot = graphviz.Digraph(name="chainrule", graph_attr={"rankdir": rankdir})
    set_attrs(dot, "node", fontname="Helvetica", fontsize="11")
    set_attrs(dot, "edge", fontname="Helvetica", fontsize="9")
    # With clusters, node statements go into one subgraph per cluster (in order of first
    # appearance, for determinism) and every edge follows at the top level.
    subgraphs: dict[str, graphviz.Digraph] = {}
    for name in dict.fromkeys(clusters[node] for node in order if node in clusters):
        sub = graphviz.Digraph(name=f"cluster_{len(subgraphs)}")
        shown = visible(name)
        set_attrs(sub, label=shorten(shown), tooltip=_whole(shown), style="rounded,dashed",
                  color="#888888", fontname="Helvetica", fontsize="13")
        subgraphs[name] = sub
    edges: list[tuple[str, str, dict[str, str]]] = []

    def place(node: Value):  # noqa: ANN202 - where this node's statements go
        return subgraphs[clusters[node]] if node in clusters else dot

    for node in order:
        record = Record((names[node], f"data {format_number(node.data)}",
                         f"grad {format_number(node.grad)}"))
        attrs = {"shape": "record", "id": ids[node], "tooltip": _whole(full[node])}
        if scale is not None:
            bucket = scale.bucket(abs(node.grad))
            attrs |= {"style": "filled", "fillcolor": scale.fill(bucket)}
            if bucket is not None and bucket >= len(PALETTE) - 2:  # dark fill: light text
                attrs["fontcolor"] = "white"
        if node is lit_parent:
            attrs |= {"color": HIGHLIGHT, "penwidth": "3", "fontname": "Helvetica-Bold"}
        add_node(place(node), ids[node], record, **attrs)
        if not node.parents:
            continue
        op_id = ids[node] + "_op"
        op, rule = visible(str(node.op)), RULES.get(node.op, "")
        op_label = shorten(op)
        if show_rules and rule:
            op_label += "\n" + shorten(visible(rule))
        tip = rule if _whole(op) is None else "\n".join(filter(None, (op, rule)))
        add_node(place(node), op_id, op_label, shape="ellipse", tooltip=tip, id=op_id)
        out = {"id": ids[node] + "_out"}
        if scale is not None:
            bucket = scale.bucket(abs(node.grad))
            out |= {"color": scale.edge(bucket), "penwidth": scale.penwidth(bucket)}
        edges.append((op_id, ids[node], out))
        for k, (parent, local_grad) in enumerate(zip(node.parents, node.local_grads)):
            contribution = node.grad * local_grad
            lines = [f"×{format_number(local_grad)}"] if show_local_grads else []
            if show_contributions:
                lines.append(f"{format_number(node.grad)} × {format_number(local_grad)} = "
                             f"{format_number(contribution)}")
            attrs = {"id": f"e{ids[node][1:]}_{k}"}
            if parent in fans:
                attrs["weight"] = "0"
            if scale is not None:
                bucket = scale.bucket(abs(contribution))
                attrs |= {"color": scale.edge(bucket),
                          "penwidth": scale.penwidth(bucket)}
                if bucket is None:
                    attrs["style"] = "dashed"
            lit = node is lit_node and k == lit_k
            if lit:
                index = highlight if isinstance(highlight, int) else highlight.index
                lines = [f"step {index}: {names[parent]}.grad += "
                         f"{format_number(node.grad)} × {format_number(local_grad)} = "
                         f"{format_number(contribution)}"]
                attrs |= {"color": HIGHLIGHT, "fontcolor": HIGHLIGHT, "penwidth": "4",
                          "fontname": "Helvetica-Bold", "style": "bold"}
            if lines:
                attrs["tooltip" if fans and not lit else "label"] = "\n".join(lines)
            edges.append((ids[parent], op_id, attrs))
    if scale is not None:  # in the last rank, beside the output, out of the graph's way
        with dot.subgraph(name="legend_rank") as sink:
            set_attrs(sink, rank="sink")
            add_node(sink, "legend", Html(scale.legend()), shape="plaintext", id="legend")
    if fans:  # say why the edges carry no numbers
        widest, count = uses.most_common(1)[0]
        set_attrs(dot, label=f"edge numbers are in the edges' tooltips: {names[widest]} feeds "
                  f"{count} ops, too many for dot to lay out labelled edges quickly",
                  labelloc="t", fontname="Helvetica", fontsize="11")
    for sub in subgraphs.values():
        dot.subgraph(sub)
    for tail, head, attrs in edges:
        add_edge(dot, tail, head, **attrs)
    return dot


def _whole(text: str) -> str | None:
    """The tooltip that shows a `visible` text in full when the picture shows it cut short."""
    return text if shorten(text) != text else None


def render(
    dot: graphviz.Digraph,
    path: str | Path,
    formats: tuple[str, ...] = ("svg",),
    *,
    timeout: float | None = None,
) -> list[Path]:
    """Render `dot` to `path` + '.svg' (and/or '.png', ...) with `run_dot` (each run stopped
    after `timeout` seconds, default DOT_TIMEOUT). Every picture is made before any is written,
    and each written next to its final name and renamed into place: a failed, stopped or
    interrupted render leaves no file, or the old ones, never a broken picture."""
    path = Path(path)
    pictures = [(path.with_name(f"{path.name}.{fmt}"), run_dot(dot, fmt, timeout=timeout))
                for fmt in formats]
    return [write_atomically(target, data) for target, data in pictures]


FORMAT = re.compile(r"[a-z0-9][a-z0-9_.:-]*")  # dot's -T formats: svg, png, xdot1.4, svg:cairo


def run_dot(graph: graphviz.Digraph, fmt: str = "svg", *, timeout: float | None = None) -> bytes:
    """`graph` laid out by Graphviz's `dot` program: the bytes of a `fmt` file ("svg", "png").

    The one place chainrule runs dot. The DOT source goes in as UTF-8 bytes; dot is killed
    after `timeout` seconds (None: DOT_TIMEOUT, read now) and GraphvizTimeoutError says what
    to do; a failure is a GraphvizError with the first lines dot wrote to stderr; no dot on
    PATH is a GraphvizMissingError that says how to install it.
    """
    if not isinstance(fmt, str) or not FORMAT.fullmatch(fmt):
        raise ValueError(f"fmt must be an output format of dot such as 'svg' or 'png', got {fmt!r}")
    limit = DOT_TIMEOUT if timeout is None else timeout
    if shutil.which("dot") is None:
        raise GraphvizMissingError(INSTALL_GRAPHVIZ)
    try:
        source = graph.source.encode("utf-8")
    except UnicodeEncodeError as error:
        raise GraphvizError(
            f"Graphviz's dot cannot read this graph: its DOT source holds "
            f"{error.object[error.start]!r}, which UTF-8 cannot encode; draw_dot writes such "
            "characters as escapes (autograd.draw.visible does it for a graph of your own)"
        ) from None
    try:
        done = subprocess.run(["dot", f"-K{graph.engine}", f"-T{fmt}"], input=source,
                              capture_output=True, timeout=limit, check=False)
    except subprocess.TimeoutExpired:  # run() has killed dot and waited for it
        raise GraphvizTimeoutError(
            f"Graphviz's dot did not finish laying out this graph within {limit:g} s and was "
            "stopped: draw a smaller piece of it, leave out its edge labels "
            "(draw_dot(root, show_local_grads=False)), or give dot more time (render's "
            "timeout=, or autograd.draw.DOT_TIMEOUT for every picture)"
        ) from None
    except FileNotFoundError:  # `which` found it, but it is gone
        raise GraphvizMissingError(INSTALL_GRAPHVIZ) from None
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()[:3]
        how = (f"crashed (signal {-done.returncode})" if done.returncode < 0
               else f"failed (exit status {done.returncode})")
        raise GraphvizError(
            f"Graphviz's dot {how} on this graph: {' / '.join(said) or 'it gave no reason'}; "
            "its DOT source (.source) shows what dot read"
        )
    return done.stdout
