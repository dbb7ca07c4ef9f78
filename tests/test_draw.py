"""draw_dot renders with the real `dot` program; the picture carries the numbers to check."""

import re
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


def test_a_render_that_fails_in_one_format_writes_none(tmp_path):
    """Every picture is made before any is written: no svg is left beside a failed png."""
    from autograd.draw import GraphvizError

    with pytest.raises(GraphvizError, match='Format: "nosuchformat" not recognized'):
        render(draw_dot(lecture_neuron()), tmp_path / "neuron", formats=("svg", "nosuchformat"))
    assert list(tmp_path.iterdir()) == []


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


# --- options ---------------------------------------------------------------------------------


def dot_lines(digraph) -> list[str]:
    return digraph.source.splitlines()


def test_contributions_show_upstream_times_local_in_the_svg():
    o = lecture_neuron()
    texts = svg_texts_of(draw_dot(o, show_contributions=True))
    # x1 -> (x1*w1): upstream 0.5 (the grad of x1*w1) times local -3 (w1) is x1's -1.5
    assert "0.5000 × -3.0000 = -1.5000" in texts
    assert "1.0000 × 0.5000 = 0.5000" in texts  # o -> n through tanh: 1 * (1 - 0.7071^2)
    assert "×-3.0000" in texts  # the local derivative is still there
    only = svg_texts_of(draw_dot(o, show_local_grads=False, show_contributions=True))
    assert "0.5000 × -3.0000 = -1.5000" in only and "×-3.0000" not in only


def svg_texts_of(digraph) -> list[str]:
    svg = digraph.pipe(format="svg")
    return [el.text or "" for el in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]


def node_attrs(source: str, node_id: str) -> str:
    (line,) = [ln for ln in source.splitlines() if ln.strip().startswith(node_id + " [")]
    return line


def test_gradient_colouring_orders_colours_by_magnitude_and_greys_out_zero():
    from autograd.draw import EDGE_PALETTE, PALETTE, ZERO_EDGE, ZERO_FILL

    o = lecture_neuron()
    d = draw_dot(o, color_by_grad=True)
    src = d.source
    order = __import__("autograd").topological_order(o)
    fills = {}
    for i, node in enumerate(order):
        line = node_attrs(src, f"n{i}")
        (fill,) = [c for c in (*PALETTE, ZERO_FILL) if f'fillcolor="{c}"' in line]
        fills[node.label or i] = fill
    # |grad|: x1 1.5 is the largest, w2 0 is zero, n 0.5 the smallest nonzero
    assert fills["x1"] == PALETTE[-1]
    assert fills["w2"] == ZERO_FILL
    assert fills["n"] == PALETTE[0]
    rank = {c: k for k, c in enumerate(PALETTE)}
    assert rank[fills["n"]] < rank[fills["o"]] < rank[fills["x1"]]
    # the edge w2 -> (x2*w2) carries 0.5 * x2 = 0: grey and dashed; x1's edge the darkest
    w2_edge = [ln for ln in src.splitlines() if "e3_1" in ln][0]
    assert f'color="{ZERO_EDGE}"' in w2_edge and "dashed" in w2_edge
    x1_edge = [ln for ln in src.splitlines() if "e6_0" in ln][0]
    assert f'color="{EDGE_PALETTE[-1]}"' in x1_edge
    # a legend maps colours to magnitudes; it is rendered
    texts = svg_texts_of(d)
    assert "|grad|" in texts and "0" in texts
    assert any(t.startswith("1.3 to") or t.endswith("to 1.5") for t in texts), texts


def test_gradient_scale_is_logarithmic_and_caps_its_range():
    from autograd.draw import PALETTE, GradScale

    scale = GradScale([1e-3, 1e-2, 1e-1, 1.0])
    buckets = [scale.bucket(m) for m in (1e-3, 1e-2, 1e-1, 1.0)]
    assert buckets == sorted(buckets) and buckets[0] == 0 and buckets[-1] == len(PALETTE) - 1
    # equal ratios, equal steps: 1e-3 -> 1e-2 moves as far as 1e-2 -> 1e-1
    assert buckets[1] - buckets[0] == buckets[2] - buckets[1]
    assert scale.bucket(0.0) is None
    wide = GradScale([1e-20, 1.0])  # more than MAX_DECADES: tiny ones merge into the lightest
    assert wide.bucket(1e-20) == wide.bucket(1e-7) == 0 and wide.merged
    assert "&lt; " in wide.legend()
    same = GradScale([2.0, 2.0])
    assert same.bucket(2.0) == len(PALETTE) // 2
    assert same.legend().count("<tr>") == 3  # title, the one magnitude, zero
    before_backward = GradScale([0.0, 0.0])
    assert before_backward.legend().count("<tr>") == 2  # title and zero only


def test_highlighted_step_differs_from_the_plain_drawing_only_in_its_edge_and_parent():
    from autograd import backward_steps, topological_order

    o = lecture_neuron()
    plain = dot_lines(draw_dot(o))
    grads_before = [v.grad for v in topological_order(o)]
    for index in (0, 3, 5):
        lit = dot_lines(draw_dot(o, highlight=index))
        assert len(lit) == len(plain)
        changed = [(a, b) for a, b in zip(plain, lit) if a != b]
        assert len(changed) == 2, changed
        (_, node_line), (_, edge_line) = changed
        assert "penwidth=3" in node_line and "penwidth=4" in edge_line
        assert f"step {index}:" in edge_line
    # draw_dot found the step by counting edges: no grad moved (leaves would double otherwise)
    assert [v.grad for v in topological_order(o)] == grads_before
    # which edge and which node: each step of backward_steps, passed as itself
    order = topological_order(o)
    index = {v: i for i, v in enumerate(order)}
    for step in backward_steps(o):
        lit = draw_dot(o, highlight=step).source
        edge_id = f"e{index[step.node]}_{step.node.parents.index(step.parent)}"
        (edge_line,) = [ln for ln in lit.splitlines() if f"id={edge_id}" in ln]
        assert f"step {step.index}:" in edge_line
        assert "penwidth=3" in node_attrs(lit, f"n{index[step.parent]}")


def test_highlight_takes_a_backward_step_object_and_tells_apart_the_edges_of_a_times_a():
    from autograd import backward_steps

    a = Value(3.0, "a")
    b = a * a
    b.label = "b"
    steps = list(backward_steps(b))  # two steps along the two edges a -> b
    assert draw_dot(b, highlight=steps[1]).source == draw_dot(b, highlight=1).source
    second = [ln for ln in draw_dot(b, highlight=1).source.splitlines() if "step 1" in ln]
    assert len(second) == 1 and "id=e1_1" in second[0]
    with pytest.raises(ValueError, match="out of range"):
        draw_dot(b, highlight=2)
    with pytest.raises(TypeError, match="BackwardStep or a step index"):
        draw_dot(b, highlight="0")
    other = Value(2.0) * Value(5.0)
    with pytest.raises(ValueError, match="different graph"):
        draw_dot(other, highlight=steps[0])


def test_same_graph_same_dot_source_with_every_option():
    def drawing():
        return draw_dot(lecture_neuron(), rankdir="TB", show_contributions=True,
                        color_by_grad=True, highlight=2, cluster=lambda v: v.label[:1] or None)
    assert drawing().source == drawing().source


def small_model_graph():
    import nn

    model = nn.MLP(2, [3, 1], seed=1)
    out = model([0.5, -1.5])
    loss = (out - 1.0) ** 2
    loss.backward()
    return model, loss


def clusters_of(source: str) -> dict[str, set[str]]:
    """cluster label -> the node ids declared inside that subgraph."""
    found: dict[str, set[str]] = {}
    current = None
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith("subgraph cluster_"):
            current = set()
        elif current is not None and "->" not in stripped and " [" not in stripped:
            match = re.search(r'label=("[^"]*"|\S+)', stripped)
            if match:  # the cluster's own attributes
                found[match.group(1).strip('"')] = current
        elif current is not None and stripped == "}":
            current = None
        elif current is not None and " [" in stripped and "->" not in stripped:
            current.add(stripped.split(" [")[0])
    return found


def test_label_prefix_clusters_a_model_by_neuron():
    from autograd import topological_order

    model, loss = small_model_graph()
    order = topological_order(loss)
    index = {v: i for i, v in enumerate(order)}
    d = draw_dot(loss, cluster="label-prefix")
    clusters = clusters_of(d.source)
    assert set(clusters) == {"L0.n0", "L0.n1", "L0.n2", "L1.n0"}
    for layer in model.layers:
        for neuron in layer.neurons:
            members = clusters[neuron.w[0].label.rpartition(".")[0]]
            for p in neuron.parameters():
                assert f"n{index[p]}" in members
            # the neuron's dot node (and its op) joined its weights
            dots = [v for v in order if v.op == "dot" and v.parents[0] is neuron.w[0]]
            assert len(dots) == 1 and {f"n{index[dots[0]]}", f"n{index[dots[0]]}_op"} <= members
    # hidden neurons' relu sits with its neuron; the loss stays outside every cluster
    relus = [v for v in order if v.op == "relu"]
    assert relus and all(any(f"n{index[r]}" in m for m in clusters.values()) for r in relus)
    assert not any(f"n{index[loss]}" in m for m in clusters.values())
    svg_texts_of(d)  # and dot lays it out


def test_cluster_by_callable_and_bad_cluster_arguments():
    o = lecture_neuron()
    d = draw_dot(o, cluster=lambda v: "inputs" if v.label in ("x1", "x2") else None)
    assert clusters_of(d.source) == {"inputs": {"n2", "n5"}}
    with pytest.raises(ValueError, match="label-prefix"):
        draw_dot(o, cluster="by-layer")
    with pytest.raises(TypeError, match="str or None"):
        draw_dot(o, cluster=lambda v: 3)


def test_a_whole_training_step_graph_is_refused_fast_with_advice():
    """Issue 4: MLP(2, [16, 16, 1]) on 100 points, about 7,000 Values and 65,000 edges.

    Laying that out takes `dot` a minute or more and a 38 MB SVG (measurements in draw.py, by
    MAX_NODES), so the default refuses; the refusal counts no further than the limits.
    """
    import time

    import nn
    from autograd import topological_order

    X, y = nn.datasets.moons(100, seed=0)
    model = nn.MLP(2, [16, 16, 1], seed=0)
    loss = nn.hinge_loss([model(x) for x in X], nn.datasets.to_pm1(y))
    loss.backward()
    assert len(topological_order(loss)) > 7000
    start = time.perf_counter()
    with pytest.raises(ValueError) as refused:
        draw_dot(loss, cluster="label-prefix", color_by_grad=True)
    assert time.perf_counter() - start < 0.5
    message = str(refused.value)
    assert "max_nodes=2,000" in message or "max_edges=4,000" in message
    assert "one sample" in message and "draw_network" in message


# --- Jupyter ---------------------------------------------------------------------------------


def test_jupyter_shows_a_value_as_its_svg_graph():
    o = lecture_neuron()
    bundle = o._repr_mimebundle_()
    assert set(bundle) == {"image/svg+xml", "text/plain"}
    assert bundle["text/plain"] == repr(o)
    svg = ET.fromstring(bundle["image/svg+xml"])
    texts = [el.text for el in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert "data 0.7071" in texts and "×-3.0000" in texts


def test_jupyter_falls_back_to_text_without_dot(monkeypatch):
    import autograd.jupyter

    monkeypatch.setattr(autograd.jupyter.shutil, "which", lambda name: None)
    o = lecture_neuron()
    bundle = o._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert bundle["text/plain"].startswith(repr(o)) and "apt-get install graphviz" in bundle[
        "text/plain"]


def test_jupyter_never_raises_when_rendering_fails(monkeypatch, tmp_path):
    """`which` says yes but the program is gone (PATH emptied): text with the reason, no raise."""
    import autograd.jupyter

    monkeypatch.setattr(autograd.jupyter.shutil, "which", lambda name: "/usr/bin/dot")
    monkeypatch.setenv("PATH", str(tmp_path))
    bundle = lecture_neuron()._repr_mimebundle_()
    assert list(bundle) == ["text/plain"] and "no picture" in bundle["text/plain"]


def test_jupyter_shows_huge_graphs_as_text_with_a_note():
    from autograd.jupyter import JUPYTER_MAX_NODES

    y = Value(0.1, "x")
    for _ in range(JUPYTER_MAX_NODES):
        y = y.tanh()
    bundle = y._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert f"more than {JUPYTER_MAX_NODES} Values" in bundle["text/plain"]
    # just under the cap it is drawn
    z = Value(0.1, "x")
    for _ in range(JUPYTER_MAX_NODES - 1):
        z = z.tanh()
    assert "image/svg+xml" in z._repr_mimebundle_()


def test_jupyter_draws_other_objects_with_their_own_drawing():
    from autograd.jupyter import mimebundle

    class Thing:
        def __repr__(self) -> str:
            return "Thing()"

    assert mimebundle(Thing()) == {"text/plain": "Thing()"}
    bundle = mimebundle(Thing(), draw=lambda thing: draw_dot(lecture_neuron()))
    assert bundle["text/plain"] == "Thing()" and "<svg" in bundle["image/svg+xml"]


def test_refuses_graphs_with_too_many_edges_even_with_few_values():
    from autograd import vsum

    x = Value(1.0, "x")
    s = vsum([x] * 5000)  # 2 Values, 5,000 edges: dot's layout time grows with the edges
    with pytest.raises(ValueError, match="more than max_edges=4,000 edges"):
        draw_dot(s)
    assert draw_dot(s, max_edges=5000).source.count("n0 -> n1_op") == 5000


def test_show_rules_writes_each_ops_rule_under_its_name():
    from autograd import RULES

    o = lecture_neuron()
    plain, with_rules = svg_texts_of(draw_dot(o)), svg_texts_of(draw_dot(o, show_rules=True))
    for op in ("tanh", "*", "+"):
        # (Graphviz writes a double space as a space and a no-break space)
        assert any(t.replace("\u00a0", " ") == RULES[op] for t in with_rules), RULES[op]
        assert not any(t.replace("\u00a0", " ") == RULES[op] for t in plain)
    assert "tanh" in plain and "tanh" in with_rules
