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
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from autograd.files import write_atomically
from autograd.snapshot import ACTIVATION_OPS, GraphSnapshot, graph_snapshot
from autograd.trace import BackwardStep, format_number
from autograd.value import RULES, Value, check_has_graph

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

# Up to this many Values, dot keeps every op's operands in argument order (ordering="in"). It
# costs dot little on a teaching graph but about 30% more on a big one (MLP(2, [16, 16, 1]) on 5
# samples, 679 Values: 4.1 s instead of 3.1 s), where no one reads the order anyway.
ORDERED_NODES = 200

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
    """The fields of a record label, {a | b | c}: each field is text, see `dot_string`.

    In braces the fields lie along the rank direction (side by side in an LR graph, stacked in
    a TB one); `Record(fields, along=False)` leaves the braces out, and the fields lie across
    it (stacked in an LR graph).
    """

    along: bool = True

    def __new__(cls, fields: object = (), along: bool = True) -> Record:
        record = super().__new__(cls, fields)
        record.along = along
        return record


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
        fields = " | ".join(re.sub(r"([{}|<>])", r"\\\1", dot_string(field)) for field in value)
        return nohtml("{" + fields + "}" if value.along else fields)
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

# Colour by gradient (color_by_grad): the hue says the sign, the lightness |grad| on a log scale
# (see GradScale), light (small) to dark (large). Blue for positive, orange for negative, as in
# nn.draw_network: a pair told apart with every common colour-vision deficiency. Boxes use
# ColorBrewer's Blues and Oranges, each box's text black or white, whichever contrasts more
# (always at least 4.5:1, WCAG AA); edges use darker steps of the same hues, every one at least
# 3:1 on white (WCAG's minimum for graphics), so even the faintest edge shows. A test computes
# every contrast (`contrast_ratio`). The sign is never told by colour alone: every box shows its
# number, and a labelled edge its contribution.
POSITIVE_FILLS = ("#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b")
NEGATIVE_FILLS = ("#fdd0a2", "#fdae6b", "#fd8d3c", "#f16913", "#d94801", "#a63603", "#7f2704")
POSITIVE_EDGES = ("#4292c6", "#3282bd", "#2171b5", "#1361a9", "#08519c", "#08408a", "#08306b")
NEGATIVE_EDGES = ("#ee6511", "#e35a0b", "#d94801", "#c03f02", "#a63603", "#922f03", "#7f2704")
PALETTE = POSITIVE_FILLS  # (the number of steps: every palette has as many)
ZERO_FILL, ZERO_EDGE = "#f0f0f0", "#888888"  # a zero gradient: nothing flows here
HIGHLIGHT = "#7b1fa2"  # one backward step: the edge applied and the node receiving (purple:
# neither sign's hue)
TEXT_COLORS = ("#000000", "#ffffff")


def relative_luminance(color: str) -> float:
    """WCAG 2's relative luminance of an sRGB colour "#rrggbb": 0 for black, 1 for white."""
    channels = (int(color[i:i + 2], 16) / 255 for i in (1, 3, 5))
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2's contrast ratio of two colours, from 1 (the same) to 21 (black on white)."""
    light, dark = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def text_color(fill: str) -> str:
    """Black or white, whichever reads better on `fill`."""
    return max(TEXT_COLORS, key=lambda text: contrast_ratio(text, fill))


# ACTIVATION_OPS (from autograd.snapshot): ops that keep a Value in its neuron's cluster under
# cluster="label-prefix", as they name a neuron's output L1.n0.out.


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


def step_edge(order: Sequence[Value], step: object) -> tuple[Value, int, int]:
    """The edge (node, k: position in node.parents) that a backward step applies, and the
    step's number.

    `step` is a `BackwardStep` of `backward_steps(root)`, or its number (1 for the first step,
    as the CLI and the step-through page count), and `order` is root's topological order.
    Steps go over the interior nodes in reverse topological order and over each node's parents
    in order, so the number alone names the edge: nothing is run and no grad changes.
    """
    number = step.number if isinstance(step, BackwardStep) else step
    if isinstance(number, bool) or not isinstance(number, int):
        raise TypeError(
            f"highlight takes a BackwardStep or a step number (1, 2, ...), got "
            f"{type(step).__name__}"
        )
    interior = [node for node in reversed(order) if node.parents]
    total = sum(len(node.parents) for node in interior)
    if not 1 <= number <= total:
        raise ValueError(f"highlight step {number} out of range: this graph's steps are "
                         f"numbered 1 to {total}" if total else
                         f"highlight step {number} out of range: this graph has no steps")
    index = number - 1
    for node in interior:
        if index < len(node.parents):
            if isinstance(step, BackwardStep) and (
                step.node is not node or step.parent is not node.parents[index]
            ):
                raise ValueError("highlight: this BackwardStep comes from a different graph")
            return node, index, number
        index -= len(node.parents)
    raise AssertionError("unreachable: number was checked against the number of steps")


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
    """Gradients as colours: the sign as the hue (blue positive, orange negative), |grad| as
    the lightness, on a log scale: the graph's nonzero magnitudes, from the smallest to the
    largest, cut into equal steps of log10|grad|, light to dark; zero is a neutral grey.

    Relative to the graph drawn (the legend gives the numbers). A step spans at least a factor
    10**(1/STEPS_PER_DECADE) (about 1.5), so nearly equal gradients share a colour; at most
    len(PALETTE) steps over at most MAX_DECADES: anything smaller shares the lightest colour.
    """

    MAX_DECADES = 6
    STEPS_PER_DECADE = 6

    def __init__(self, values: list[float]) -> None:
        logs = [math.log10(abs(v)) for v in values if v != 0.0]
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

    def bucket(self, value: float) -> int | None:
        """The palette index for |value|: 0 lightest (smallest) to the last, None for 0."""
        if value == 0.0:
            return None
        if self.step == 0.0:  # every nonzero magnitude is the same
            return self._color_index(0)
        k = math.floor((math.log10(abs(value)) - self.lo) / self.step)
        return self._color_index(min(max(k, 0), self.steps - 1))

    def fill(self, value: float) -> str:
        """A box's colour for a gradient `value` (sign and magnitude)."""
        bucket = self.bucket(value)
        if bucket is None:
            return ZERO_FILL
        return (POSITIVE_FILLS if value > 0.0 else NEGATIVE_FILLS)[bucket]

    def edge(self, value: float) -> str:
        """An edge's colour for a contribution `value` (sign and magnitude)."""
        bucket = self.bucket(value)
        if bucket is None:
            return ZERO_EDGE
        return (POSITIVE_EDGES if value > 0.0 else NEGATIVE_EDGES)[bucket]

    def penwidth(self, value: float) -> str:
        bucket = self.bucket(value)
        return "1" if bucket is None else f"{1.0 + 2.5 * bucket / (len(PALETTE) - 1):.2f}"

    def legend(self) -> str:
        """An HTML-like Graphviz table: a row per step with its range, largest first, a swatch
        for each sign, and 0."""
        rows = ['<tr><td colspan="3"><b>grad</b> in boxes,<br/><b>upstream × local</b> on edges'
                '</td></tr>',
                '<tr><td>+</td><td>−</td><td>size</td></tr>']
        for k in range(self.steps - 1, -1, -1):
            low, high = (f"{10 ** (self.lo + i * self.step):.2g}" for i in (k, k + 1))
            if self.step == 0.0:
                text = low
            elif k == 0 and self.merged:
                text = f"&lt; {high}"
            else:
                text = f"{low} to {high}"
            c = self._color_index(k)
            rows.append(f'<tr><td bgcolor="{POSITIVE_FILLS[c]}" width="24"></td>'
                        f'<td bgcolor="{NEGATIVE_FILLS[c]}" width="24"></td><td>{text}</td></tr>')
        rows.append(f'<tr><td colspan="2" bgcolor="{ZERO_FILL}" width="48"></td><td>0</td></tr>')
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


Edge = tuple[Value, int]  # (node, k): the edge from node.parents[k] into node's op


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
    snapshot: GraphSnapshot | None = None,
    grads: Mapping[Value, float] | None = None,
    upstreams: Mapping[Edge, float] | None = None,
    overwritten: Collection[Edge] = (),
    title: str | None = None,
) -> graphviz.Digraph:
    """The graph that `root` was computed from, as a `graphviz.Digraph`.

    A box per Value (its name, `data ...`, `grad ...`, stacked), an ellipse per op (its rule is
    the tooltip), one edge per operand, so `a*a` shows two edges. Options:

    - `show_local_grads`: label each edge parent -> op with ×local, the local derivative
      ∂node/∂parent: the factor the chain rule multiplies the node's gradient by on its way back.
    - `show_contributions`: also  upstream × local = contribution, i.e.
      node.grad × ∂node/∂parent, the amount this edge adds to parent.grad.
    - `color_by_grad`: fill each box by its grad and draw each edge by its contribution: blue
      for positive, orange for negative, darker and (edges) wider for larger magnitudes, in
      equal steps of log10 (see `GradScale`), with a legend; zero is grey, zero-flow edges
      dashed.
    - `highlight`: one backward step, a `BackwardStep` of `backward_steps(root)` or its number
      k (1 for the first step, as the CLI and the step-through page count): its edge, labelled
      "step k: parent.grad += upstream × local = contribution", and the node receiving the
      contribution (the parent) are drawn bold and coloured. Nothing else in the DOT source
      changes.
    - `show_rules`: write each op's local-derivative rule (`RULES`) under its name, in the
      picture itself rather than only as the tooltip.
    - `cluster`: group Values into boxes: a callable Value -> cluster name or None, or
      "label-prefix" (nn labels parameters 'L0.n3.w1': a box per neuron, see `assign_clusters`).
    - `snapshot`: the graph's `GraphSnapshot` (order and names), if one was taken already.
    - `title`: a line of text at the top of the picture.

    What some other backward loop did (a wrong one, to show what it leaves), instead of what
    the graph holds: `grads` maps Values to the grads to show (the others show .grad);
    `upstreams` maps edges, (node, k) for the edge from node.parents[k], to the upstream that
    loop multiplied by along that edge (its grad for node at that moment; else the grad shown
    for node), so the edge shows the contribution it really sent; `overwritten` lists the
    edges whose contribution that loop then lost (a `=` instead of `+=`): drawn dashed and
    labelled "(overwritten)".

    Deterministic: the same graph gives the same DOT source (nodes are named by their place in
    the topological order, never by memory address).

    Stable element ids, which appear as `id="..."` on the SVG's `<g>` elements (pages that
    highlight parts of the rendered picture rely on them), with i a node's topological index:
    `n{i}` the Value's box, `n{i}_op` its op, `n{i}_out` the edge op -> Value, and `e{i}_{k}`
    the edge from the k-th parent (0-based, `node.parents` order) into node i's op. Every
    operand keeps its own edge, also in a fan (nothing is merged). A box's texts start with
    its name, "data " and "grad ".

    Labels, op names and cluster names are text (see `dot_string`): longer than LABEL_CHARS
    they end in "…", and the tooltip holds them whole. A graph where some Value feeds more than
    FANOUT_LIMIT op inputs would take dot minutes (see FANOUT_LIMIT): there every edge's
    numbers go to its tooltip instead of a label (but the highlighted step's), and the fan's
    edges get weight 0.

    Refuses graphs of more than `max_nodes` Values or `max_edges` edges with a ValueError saying
    what to do instead, before any other work (the count stops at the limit), and a Value
    computed inside no_grad() (it has no graph). Never changes a grad.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot needs a Value, got {type(root).__name__}")
    check_has_graph(root, "draw_dot")
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
    if snapshot is None:
        snapshot = graph_snapshot(root)
    else:
        snapshot.check_root(root, "draw_dot")
    order = snapshot.order
    full = {node: visible(name) for node, name in snapshot.names.items()}
    names = {node: shorten(name) for node, name in full.items()}
    ids = {node: f"n{i}" for i, node in enumerate(order)}
    lit_node, lit_k, lit_number = (step_edge(order, highlight) if highlight is not None
                                   else (None, -1, 0))
    lit_parent = lit_node.parents[lit_k] if lit_node is not None else None
    grad_of = _shown_grads(snapshot, grads)
    sent = _sent_along(snapshot, grad_of, upstreams)
    lost = _edges_of(snapshot, overwritten, "overwritten")
    scale = None
    if color_by_grad:
        scale = GradScale(list(grad_of.values()) + [sent[edge] * edge[0].local_grads[edge[1]]
                                                    for edge in sent])
    clusters = assign_clusters(order, cluster) if cluster is not None else {}
    uses = Counter(parent for node in order for parent in node.parents)
    fans = {node for node, count in uses.items() if count > FANOUT_LIMIT}

    # Compact: the fields of a box stacked (so it is narrow), ranks and nodes close together.
    # A small graph also keeps each op's operands in argument order (x1 above w1 above x2 ...),
    # so it reads like the formula; see ORDERED_NODES for why only a small one.
    dot = graphviz.Digraph(name="chainrule", graph_attr={"rankdir": rankdir})
    set_attrs(dot, ranksep="0.3", nodesep="0.15",
              ordering="in" if len(order) <= ORDERED_NODES else None)
    set_attrs(dot, "node", fontname="Helvetica", fontsize="11", margin="0.08,0.03")
    set_attrs(dot, "edge", fontname="Helvetica", fontsize="9", arrowsize="0.7")
    along = rankdir in ("TB", "BT")  # a record's fields stacked, whichever the rank direction
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
        grad = grad_of[node]
        record = Record((names[node], f"data {format_number(node.data)}",
                         f"grad {format_number(grad)}"), along=along)
        attrs = {"shape": "record", "id": ids[node], "tooltip": _whole(full[node])}
        if scale is not None:
            fill = scale.fill(grad)
            attrs |= {"style": "filled", "fillcolor": fill}
            if text_color(fill) != "#000000":
                attrs["fontcolor"] = text_color(fill)
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
        add_node(place(node), op_id, op_label, shape="ellipse", tooltip=tip, id=op_id,
                 margin="0.03,0.02", width="0.3", height="0.25")
        out = {"id": ids[node] + "_out"}
        if scale is not None:
            out |= {"color": scale.edge(grad), "penwidth": scale.penwidth(grad)}
        edges.append((op_id, ids[node], out))
        for k, (parent, local_grad) in enumerate(zip(node.parents, node.local_grads)):
            upstream = sent[(node, k)]
            contribution = upstream * local_grad
            lines = [f"×{format_number(local_grad)}"] if show_local_grads else []
            if show_contributions:
                lines.append(f"{format_number(upstream)} × {format_number(local_grad)} = "
                             f"{format_number(contribution)}")
            attrs = {"id": f"e{ids[node][1:]}_{k}"}
            if parent in fans:
                attrs["weight"] = "0"
            if scale is not None:
                attrs |= {"color": scale.edge(contribution),
                          "penwidth": scale.penwidth(contribution)}
                if contribution == 0.0:
                    attrs["style"] = "dashed"
            if (node, k) in lost:
                lines.append("(overwritten)")
                attrs |= {"style": "dashed", "color": ZERO_EDGE}
            lit = node is lit_node and k == lit_k
            if lit:
                lines = [f"step {lit_number}: {names[parent]}.grad += "
                         f"{format_number(upstream)} × {format_number(local_grad)} = "
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
    heading = [title] if title else []
    if fans:  # say why the edges carry no numbers
        widest, count = uses.most_common(1)[0]
        heading.append(f"edge numbers are in the edges' tooltips: {names[widest]} feeds "
                       f"{count} ops, too many for dot to lay out labelled edges quickly")
    if heading:
        set_attrs(dot, label="\n".join(heading), labelloc="t", fontname="Helvetica",
                  fontsize="13" if title else "11")
    for sub in subgraphs.values():
        dot.subgraph(sub)
    for tail, head, attrs in edges:
        add_edge(dot, tail, head, **attrs)
    return dot


def _shown_grads(snap: GraphSnapshot, grads: Mapping[Value, float] | None) -> dict[Value, float]:
    """Each node's grad to draw: from `grads` where given, else its .grad."""
    shown = {node: node.grad for node in snap.order}
    _check_mapping("grads", grads, "Values to the grads to show")
    for node, grad in (grads or {}).items():
        if node not in snap.index:
            raise ValueError(f"grads: {node!r} is not a Value of this graph")
        shown[node] = _finite("grads", grad)
    return shown


def _sent_along(snap: GraphSnapshot, grad_of: dict[Value, float],
                upstreams: Mapping[Edge, float] | None) -> dict[Edge, float]:
    """The upstream each edge (node, k) multiplied its local derivative by: from `upstreams`
    where given, else the grad drawn for node."""
    sent = {(node, k): grad_of[node] for node in snap.order for k in range(len(node.parents))}
    _check_mapping("upstreams", upstreams, "edges (node, k) to numbers")
    for edge, upstream in (upstreams or {}).items():
        (edge,) = _edges_of(snap, [edge], "upstreams")
        sent[edge] = _finite("upstreams", upstream)
    return sent


def _edges_of(snap: GraphSnapshot, edges: Collection[Edge], what: str) -> set[Edge]:
    """`edges`, checked: each a (node, k) of this graph, k an index into node.parents."""
    checked = set()
    for edge in edges:
        if not (isinstance(edge, tuple) and len(edge) == 2):
            raise TypeError(f"{what}: an edge is a (node, k) pair, k the operand's place in "
                            f"node.parents; got {edge!r:.60}")
        node, k = edge
        if node not in snap.index:
            raise ValueError(f"{what}: {node!r} is not a Value of this graph")
        if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k < len(node.parents):
            raise ValueError(f"{what}: {node!r} has no operand {k!r} (it has "
                             f"{len(node.parents)})")
        checked.add((node, k))
    return checked


def _check_mapping(what: str, given: object, of: str) -> None:
    if given is not None and not isinstance(given, Mapping):
        raise TypeError(f"{what} must be a mapping (a dict) of {of}, got {type(given).__name__}")


def _finite(what: str, x: object) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        raise ValueError(f"{what}: every number must be a finite int or float, got {x!r:.60}")
    return float(x)


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
