"""A graph's snapshot: its order, a name for every node, and how often each node is used.

The trace (`backward_steps`), the picture (`draw_dot`) and the step-through page all need the
same three facts about a graph, and must agree on them: step 5 of the trace, the edge labelled
"step 5" and the page's "Step 5 of 9" are one edge, and `v2` is the same node in the sentence, the
box and the table. So they are computed once, by `graph_snapshot(root)`, and handed around:

    snap = graph_snapshot(o)
    steps = list(backward_steps(o, snapshot=snap))
    picture = draw_dot(o, snapshot=snap)

Names (see `node_names`) follow the formula: a node's label when it has one; the output `L` when
it has none; a neuron's pre-activation and activation `L1.n0.z` and `L1.n0.out` when it is a
`dot` of nn's parameters `L1.n0.w0, ..., L1.n0.b`; any other computed node `v1`, `v2`, ... in
reading order; an unlabelled input `leaf1`, `leaf2`, ... No name is ever one of the labels.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from autograd.graph import topological_order
from autograd.value import Value

# The ops that turn a neuron's pre-activation z into its output (nn's activations).
ACTIVATION_OPS = frozenset({"tanh", "relu", "leaky_relu", "sigmoid"})

# nn labels a neuron's parameters PREFIX + "w0", "w1", ... and PREFIX + "b", with a PREFIX such
# as "L1.n0." (layer 1, neuron 0): group 1 is the prefix.
_PARAMETER = re.compile(r"(.+\.)(?:w\d+|b)")


@dataclass(frozen=True, eq=False)
class GraphSnapshot:
    """What `root`'s graph looks like, computed once (by `graph_snapshot`).

    - `order`: every node root depends on, inputs before outputs (`topological_order`);
    - `index`: each node's place in `order` (draw_dot's ids `n{i}` use it);
    - `names`: each node's name in sentences, pictures and pages (`node_names`);
    - `fan_out`: how many op inputs each node feeds, i.e. how many contributions it receives
      in a backward pass (`a*a + a` gives a three).

    Taken at one moment: a label changed later is not seen (take a new snapshot).
    """

    root: Value
    order: tuple[Value, ...]
    index: Mapping[Value, int]
    names: Mapping[Value, str]
    fan_out: Mapping[Value, int]

    @property
    def root_name(self) -> str:
        """The output's name: its label, or `L`."""
        return self.names[self.root]

    def start_sentence(self) -> str:
        """The first thing a backward pass does, in words (see `start_sentence`)."""
        return start_sentence(self.root_name)

    def check_root(self, root: Value, what: str) -> None:
        """Refuse a snapshot of another graph than `root`'s."""
        if self.root is not root:
            raise ValueError(f"{what}: this snapshot is of another graph; take one of this "
                             "Value's graph with graph_snapshot(root), or pass none")


def graph_snapshot(root: Value) -> GraphSnapshot:
    """The order, the names and the fan-out of `root`'s graph, in one walk of it."""
    if not isinstance(root, Value):
        raise TypeError(f"graph_snapshot needs a Value, got {type(root).__name__}")
    order = topological_order(root)
    fan_out = dict.fromkeys(order, 0)
    for node in order:
        for parent in node.parents:
            fan_out[parent] += 1
    return GraphSnapshot(
        root=root,
        order=tuple(order),
        index=MappingProxyType({node: i for i, node in enumerate(order)}),
        names=MappingProxyType(node_names(order)),
        fan_out=MappingProxyType(fan_out),
    )


def node_names(order: Iterable[Value]) -> dict[Value, str]:
    """A readable name for every node of a `topological_order` (whose last node is the root).

    - a labelled node: its label;
    - the root, unlabelled: `L` (what is differentiated);
    - a neuron: an unlabelled `dot` whose labelled parameters are nn's PREFIX.w<i> and PREFIX.b
      (one PREFIX, such as `L1.n0.`) is `L1.n0.z`, and an activation (tanh, relu, ...) of it
      `L1.n0.out`;
    - any other computed node: `v1`, `v2`, ... numbered in `order` (reading order: see
      `topological_order`), counting only these nodes;
    - any other input (a leaf): `leaf1`, `leaf2`, ...

    A name that a label already holds gets underscores added until it is free, so a name
    always means one node (two nodes given the same label are the user's choice).
    """
    order = list(order)
    taken = {node.label for node in order if node.label}
    names: dict[Value, str] = {}
    neurons: dict[Value, str] = {}  # a neuron's z node -> its prefix ("L1.n0.")
    computed = leaves = 0

    def fresh(wanted: str) -> str:
        name = wanted
        while name in taken:
            name += "_"
        taken.add(name)
        return name

    root = order[-1] if order else None
    for node in order:
        if node.label:
            names[node] = node.label
        elif node is root:
            names[node] = fresh("L")
        elif (prefix := _neuron_prefix(node)) is not None:
            neurons[node] = prefix
            names[node] = fresh(prefix + "z")
        elif (node.op in ACTIVATION_OPS and len(node.parents) == 1
              and node.parents[0] in neurons):
            names[node] = fresh(neurons[node.parents[0]] + "out")
        elif node.parents:
            computed += 1
            names[node] = fresh(f"v{computed}")
        else:
            leaves += 1
            names[node] = fresh(f"leaf{leaves}")
    return names


def _neuron_prefix(node: Value) -> str | None:
    """"L1.n0." when `node` is a `dot` whose labelled parameters all share that nn prefix."""
    if node.op != "dot":
        return None
    prefixes = {match.group(1) for parent in node.parents
                if parent.label and (match := _PARAMETER.fullmatch(parent.label))}
    return prefixes.pop() if len(prefixes) == 1 else None


def start_sentence(root_name: str) -> str:
    """The start of every backward pass from `root_name`, said in words rather than as a factor
    d(root)/d(root): the output's gradient is 1 because it changes one for one with itself."""
    r = root_name
    return (f"The backward pass starts at {r}: {r}.grad = 1, since {r} changes one for one "
            "with itself.")


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, ..., 21st."""
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"
