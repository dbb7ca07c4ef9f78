"""graph_snapshot: a graph's order, names and fan-out, computed once and shared by the trace,
the picture and the page; names that follow the formula."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import dags, replay, value_leaves

from autograd import (
    GraphSnapshot,
    Value,
    backward_steps,
    draw_dot,
    graph_snapshot,
    topological_order,
)
from autograd.snapshot import node_names


def lecture_neuron() -> tuple[Value, dict[str, Value]]:
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2 = Value(-3.0, "w1"), Value(1.0, "w2")
    b = Value(6.8813735870195432, "b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    return o, {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b}


def test_a_snapshot_holds_the_order_the_index_the_names_and_the_fan_out():
    a = Value(3.0, "a")
    out = a * a + a  # a feeds three op inputs
    snap = graph_snapshot(out)
    assert isinstance(snap, GraphSnapshot)
    assert list(snap.order) == topological_order(out)
    assert all(snap.index[node] == i for i, node in enumerate(snap.order))
    assert snap.fan_out[a] == 3 and snap.fan_out[out] == 0
    assert dict(snap.names) == {a: "a", out.parents[0]: "v1", out: "L"}
    assert snap.root is out and snap.root_name == "L"


def test_a_snapshot_cannot_be_changed():
    snap = graph_snapshot(Value(1.0, "x") * 2.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        snap.names = {}
    with pytest.raises(TypeError):
        snap.names[snap.root] = "other"  # a read-only mapping


def test_auto_names_follow_the_formula_and_number_only_computed_nodes():
    """In x1*w1 + x2*w2 + b the first product is v1, the second v2, their sum v3: reading
    order, numbered consecutively (the old names were topological indices: v3, v6, v7, ...)."""
    o, leaf = lecture_neuron()
    names = graph_snapshot(o).names
    first, second = (v for v in topological_order(o) if v.op == "*")
    assert first.parents == (leaf["x1"], leaf["w1"]) and names[first] == "v1"
    assert second.parents == (leaf["x2"], leaf["w2"]) and names[second] == "v2"
    assert sorted(n for n in names.values() if n.startswith("v")) == ["v1", "v2", "v3", "v4"]
    assert names[o] == "L"
    o.label = "o"
    assert graph_snapshot(o).names[o] == "o"  # a labelled output keeps its label


def test_unlabelled_inputs_are_leaves_and_names_never_collide_with_labels():
    x = Value(2.0)  # no label
    v1 = Value(1.0, "v1")  # a label that looks like an auto name
    L = Value(3.0, "L")
    out = x * v1 + L
    names = graph_snapshot(out).names
    assert names[x] == "leaf1"
    assert names[out.parents[0]] == "v1_"  # v1 is taken by a label
    assert names[out] == "L_"  # and so is L
    assert len(set(names.values())) == len(names)


@settings(max_examples=100, deadline=None)
@given(dag=dags(), data=st.data())
def test_names_are_unique_whatever_the_labels(dag, data):
    leaves = value_leaves(dag.leaves)
    _, root = replay(dag, leaves)
    order = topological_order(root)
    pool = ["L", "v1", "v2", "v3", "leaf1", "x1_", "L_", "v1_"]  # (not a leaf's label, x0...)
    chosen = data.draw(st.lists(st.sampled_from(pool), unique=True, max_size=len(order)))
    interior = [node for node in order if node.parents]
    for node, label in zip(data.draw(st.permutations(interior)), chosen):
        node.label = label
    names = node_names(order)
    assert len(set(names.values())) == len(order)
    for node in order:
        if node.label:
            assert names[node] == node.label


def test_an_mlp_is_named_by_neuron():
    """nn labels parameters L{layer}.n{j}.w{i} and .b: a neuron's dot is L1.n0.z, its
    activation L1.n0.out, not v10."""
    import nn

    model = nn.MLP(2, [3, 1], activation="tanh", seed=1)
    out = model([0.5, -1.5])
    loss = (out - 1.0) ** 2
    names = graph_snapshot(loss).names
    dots = [node for node in topological_order(loss) if node.op == "dot"]
    assert sorted(names[d] for d in dots) == ["L0.n0.z", "L0.n1.z", "L0.n2.z", "L1.n0.z"]
    hidden = [node for node in topological_order(loss) if node.op == "tanh"]
    assert sorted(names[h] for h in hidden) == ["L0.n0.out", "L0.n1.out", "L0.n2.out"]
    assert names[loss] == "L"
    assert [n for n in names.values() if n.startswith("v")] == ["v1"]  # out - 1.0 only


def test_the_trace_and_the_picture_take_the_same_snapshot():
    o, leaf = lecture_neuron()
    o.label = "o"
    snap = graph_snapshot(o)
    steps = list(backward_steps(o, snapshot=snap))
    assert all(s.node_name == snap.names[s.node] and s.parent_name == snap.names[s.parent]
               for s in steps)
    assert draw_dot(o, snapshot=snap).source == draw_dot(o).source
    other = graph_snapshot(leaf["x1"] * 2.0)
    with pytest.raises(ValueError, match="snapshot is of another graph"):
        backward_steps(o, snapshot=other)
    with pytest.raises(ValueError, match="snapshot is of another graph"):
        draw_dot(o, snapshot=other)


def test_graph_snapshot_needs_a_value():
    with pytest.raises(TypeError, match="graph_snapshot needs a Value, got float"):
        graph_snapshot(1.0)
