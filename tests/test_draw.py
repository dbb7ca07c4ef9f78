"""draw_dot renders with the real `dot` program; the picture carries the numbers to check."""

import shutil
import xml.etree.ElementTree as ET

import pytest

from autograd import Value, draw_dot, render


def svg_texts(path) -> list[str]:
    """Every piece of text drawn in an SVG, as a reader sees it (entities decoded)."""
    ns = "{http://www.w3.org/2000/svg}"
    return [el.text or "" for el in ET.parse(path).iter(ns + "text")]


def lecture_neuron() -> Value:
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2 = Value(-3.0, "w1"), Value(1.0, "w2")
    b = Value(6.8813735870195432, "b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o


def test_svg_and_png_carry_labels_data_grads_and_local_derivatives(tmp_path):
    o = lecture_neuron()
    svg_path, png_path = render(draw_dot(o), tmp_path / "neuron", formats=("svg", "png"))
    texts = svg_texts(svg_path)
    for text in ["x1", "w1", "data 2.0000", "grad -1.5000", "data 0.7071", "tanh", "×-3.0000"]:
        assert text in texts, text
    assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.glob("*.tmp"))


def test_same_graph_same_dot_source():
    assert draw_dot(lecture_neuron()).source == draw_dot(lecture_neuron()).source


def test_a_node_used_twice_draws_two_edges():
    a = Value(3.0, "a")
    b = a * a
    source = draw_dot(b).source
    assert source.count("n0 -> n1_op") == 2


def test_refuses_huge_graphs_with_advice():
    y = Value(0.1)
    for _ in range(1000):
        y = y.tanh()
    with pytest.raises(ValueError, match="max_nodes"):
        draw_dot(y, max_nodes=500)


def test_rendering_without_dot_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        render(draw_dot(Value(1.0)), tmp_path / "x")


def test_svg_has_a_stable_id_for_every_node_op_and_edge():
    """n{i}, n{i}_op, n{i}_out and e{i}_{k} appear as id="..." on the SVG's <g> elements."""
    from autograd import topological_order

    a = Value(3.0, "a")
    o = (a * a + a).tanh()  # a used three times: edges e{i}_0, e{i}_1 into one op
    o.backward()
    order = topological_order(o)
    expected = set()
    for i, node in enumerate(order):
        expected.add(f"n{i}")
        if node.parents:
            expected |= {f"n{i}_op", f"n{i}_out"}
            expected |= {f"e{i}_{k}" for k in range(len(node.parents))}
    svg = draw_dot(o).pipe(format="svg").decode()
    ns = "{http://www.w3.org/2000/svg}"
    found = {g.get("id") for g in ET.fromstring(svg).iter(ns + "g")}
    assert expected <= found, sorted(expected - found)
    # the edge ids name the right endpoints: e{i}_{k} goes from parent k into node i's op
    mul = order.index(o.parents[0].parents[0])
    titles = {g.get("id"): g.findtext(ns + "title") for g in ET.fromstring(svg).iter(ns + "g")}
    assert titles[f"e{mul}_1"] == f"n{order.index(a)}->n{mul}_op"
    assert titles[f"n{mul}_out"] == f"n{mul}_op->n{mul}"
