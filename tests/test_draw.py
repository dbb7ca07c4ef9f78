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


def test_gradient_colouring_shows_sign_as_hue_and_magnitude_as_lightness():
    from autograd import topological_order
    from autograd.draw import (
        NEGATIVE_EDGES,
        NEGATIVE_FILLS,
        POSITIVE_EDGES,
        POSITIVE_FILLS,
        ZERO_EDGE,
        ZERO_FILL,
    )

    o = lecture_neuron()
    d = draw_dot(o, color_by_grad=True)
    src = d.source
    order = topological_order(o)
    index = {node: i for i, node in enumerate(order)}
    fills = {}
    for i, node in enumerate(order):
        line = node_attrs(src, f"n{i}")
        (fill,) = [c for c in (*POSITIVE_FILLS, *NEGATIVE_FILLS, ZERO_FILL)
                   if f'fillcolor="{c}"' in line]
        fills[node.label or i] = fill
    # x1's grad -1.5 is the largest and negative: the darkest orange; w1's +1.0 a blue;
    # w2's 0 grey; n's 0.5 the smallest nonzero: the lightest blue
    assert fills["x1"] == NEGATIVE_FILLS[-1]
    assert fills["w1"] in POSITIVE_FILLS
    assert fills["w2"] == ZERO_FILL
    assert fills["n"] == POSITIVE_FILLS[0]
    rank = {c: k for k, c in enumerate(POSITIVE_FILLS)}
    assert rank[fills["n"]] < rank[fills["o"]] == rank[fills["w1"]]  # 0.5 < 1.0 = 1.0
    # the edge w2 -> (x2*w2) carries 0.5 * x2 = 0: grey and dashed; x1's edge the darkest
    # orange (it sends -1.5), w1's a blue (it sends +1.0)
    x2w2 = next(v for v in order if v.op == "*" and v.parents[1].label == "w2")
    x1w1 = next(v for v in order if v.op == "*" and v.parents[0].label == "x1")
    w2_edge = [ln for ln in src.splitlines() if f"id=e{index[x2w2]}_1" in ln][0]
    assert f'color="{ZERO_EDGE}"' in w2_edge and "dashed" in w2_edge
    x1_edge = [ln for ln in src.splitlines() if f"id=e{index[x1w1]}_0" in ln][0]
    assert f'color="{NEGATIVE_EDGES[-1]}"' in x1_edge
    w1_edge = [ln for ln in src.splitlines() if f"id=e{index[x1w1]}_1" in ln][0]
    assert any(f'color="{c}"' in w1_edge for c in POSITIVE_EDGES)
    # a legend maps colours to signs and magnitudes; it is rendered
    texts = svg_texts_of(d)
    assert "grad" in texts and "+" in texts and "−" in texts and "0" in texts
    assert any(t.startswith("1.3 to") or t.endswith("to 1.5") for t in texts), texts


def test_plus_and_minus_the_same_gradient_look_different():
    """-1.5 and +1.5 once had the same colour."""
    from autograd.draw import NEGATIVE_FILLS, POSITIVE_FILLS

    def fill_of_x(sign: float) -> str:
        x = Value(2.0, "x")
        out = x * (1.5 * sign)
        out.backward()
        line = node_attrs(draw_dot(out, color_by_grad=True).source, "n0")
        return line.split('fillcolor="')[1].split('"')[0]

    plus, minus = fill_of_x(1.0), fill_of_x(-1.0)
    assert plus != minus
    assert plus in POSITIVE_FILLS and minus in NEGATIVE_FILLS
    assert POSITIVE_FILLS.index(plus) == NEGATIVE_FILLS.index(minus)  # same magnitude step


def test_every_colour_the_palettes_can_produce_has_enough_contrast():
    """WCAG 2: an edge (a graphic) at least 3:1 on the white page, text at least 4.5:1 on its
    box's fill. Computed for every colour there is, not only those of one picture."""
    from autograd.draw import (
        HIGHLIGHT,
        NEGATIVE_EDGES,
        NEGATIVE_FILLS,
        POSITIVE_EDGES,
        POSITIVE_FILLS,
        ZERO_EDGE,
        ZERO_FILL,
        contrast_ratio,
        relative_luminance,
        text_color,
    )

    assert relative_luminance("#ffffff") == 1.0 and relative_luminance("#000000") == 0.0
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # WCAG's grey
    for color in (*POSITIVE_EDGES, *NEGATIVE_EDGES, ZERO_EDGE, HIGHLIGHT):
        assert contrast_ratio(color, "#ffffff") >= 3.0, color
    for fill in (*POSITIVE_FILLS, *NEGATIVE_FILLS, ZERO_FILL):
        assert contrast_ratio(text_color(fill), fill) >= 4.5, fill
    assert contrast_ratio(HIGHLIGHT, "#ffffff") >= 4.5  # the highlighted step's label is text
    # each palette runs light to dark, so lightness orders the magnitudes
    for palette in (POSITIVE_FILLS, NEGATIVE_FILLS, POSITIVE_EDGES, NEGATIVE_EDGES):
        shades = [relative_luminance(c) for c in palette]
        assert shades == sorted(shades, reverse=True)


def test_a_coloured_picture_uses_only_those_colours_and_their_text_colours():
    import nn
    from autograd.draw import (
        HIGHLIGHT,
        NEGATIVE_EDGES,
        NEGATIVE_FILLS,
        POSITIVE_EDGES,
        POSITIVE_FILLS,
        ZERO_EDGE,
        ZERO_FILL,
        text_color,
    )

    model = nn.MLP(2, [4, 1], seed=3)
    loss = (model([0.3, -1.2]) - 1.0) ** 2
    loss.backward()
    source = draw_dot(loss, color_by_grad=True, highlight=3).source
    fills = set(re.findall(r'fillcolor="(#[0-9a-f]{6})"', source))
    assert fills <= {*POSITIVE_FILLS, *NEGATIVE_FILLS, ZERO_FILL}
    assert fills & set(POSITIVE_FILLS) and fills & set(NEGATIVE_FILLS)  # both signs here
    lines = [ln for ln in source.splitlines() if "fillcolor=" in ln]
    for line in lines:
        fill = re.search(r'fillcolor="(#[0-9a-f]{6})"', line)[1]
        font = re.search(r'fontcolor="(#[0-9a-f]{6})"', line)
        assert (font[1] if font else "#000000") == text_color(fill), line
    edges = set(re.findall(r'\bcolor="(#[0-9a-f]{6})"', source))
    assert edges <= {*POSITIVE_EDGES, *NEGATIVE_EDGES, ZERO_EDGE, HIGHLIGHT}


def test_gradient_scale_is_logarithmic_and_caps_its_range():
    from autograd.draw import PALETTE, GradScale

    scale = GradScale([1e-3, 1e-2, 1e-1, 1.0])
    buckets = [scale.bucket(m) for m in (1e-3, 1e-2, 1e-1, 1.0)]
    assert buckets == sorted(buckets) and buckets[0] == 0 and buckets[-1] == len(PALETTE) - 1
    # equal ratios, equal steps: 1e-3 -> 1e-2 moves as far as 1e-2 -> 1e-1
    assert buckets[1] - buckets[0] == buckets[2] - buckets[1]
    assert scale.bucket(0.0) is None
    assert scale.bucket(-1e-2) == scale.bucket(1e-2)  # the magnitude decides the step
    wide = GradScale([1e-20, 1.0])  # more than MAX_DECADES: tiny ones merge into the lightest
    assert wide.bucket(1e-20) == wide.bucket(1e-7) == 0 and wide.merged
    assert "&lt; " in wide.legend()
    same = GradScale([2.0, -2.0])
    assert same.bucket(2.0) == len(PALETTE) // 2
    assert same.legend().count("<tr>") == 4  # title, the signs, the one magnitude, zero
    before_backward = GradScale([0.0, 0.0])
    assert before_backward.legend().count("<tr>") == 3  # title, the signs and zero only


def test_highlighted_step_differs_from_the_plain_drawing_only_in_its_edge_and_parent():
    from autograd import backward_steps, topological_order

    o = lecture_neuron()
    plain = dot_lines(draw_dot(o))
    grads_before = [v.grad for v in topological_order(o)]
    for number in (1, 4, 6):
        lit = dot_lines(draw_dot(o, highlight=number))
        assert len(lit) == len(plain)
        changed = [(a, b) for a, b in zip(plain, lit) if a != b]
        assert len(changed) == 2, changed
        (_, node_line), (_, edge_line) = changed
        assert "penwidth=3" in node_line and "penwidth=4" in edge_line
        assert f"step {number}:" in edge_line
    # draw_dot found the step by counting edges: no grad moved (leaves would double otherwise)
    assert [v.grad for v in topological_order(o)] == grads_before
    # which edge and which node: each step of backward_steps, passed as itself
    order = topological_order(o)
    index = {v: i for i, v in enumerate(order)}
    for step in backward_steps(o):
        lit = draw_dot(o, highlight=step).source
        assert lit == draw_dot(o, highlight=step.number).source  # one numbering: 1, 2, ...
        edge_id = f"e{index[step.node]}_{step.node.parents.index(step.parent)}"
        (edge_line,) = [ln for ln in lit.splitlines() if f"id={edge_id}" in ln]
        assert f"step {step.number}: {step.parent_name}.grad += " in edge_line
        assert "penwidth=3" in node_attrs(lit, f"n{index[step.parent]}")


def test_highlight_takes_a_backward_step_object_and_tells_apart_the_edges_of_a_times_a():
    from autograd import backward_steps

    a = Value(3.0, "a")
    b = a * a
    b.label = "b"
    steps = list(backward_steps(b))  # steps 1 and 2, along the two edges a -> b
    assert draw_dot(b, highlight=steps[1]).source == draw_dot(b, highlight=2).source
    second = [ln for ln in draw_dot(b, highlight=2).source.splitlines() if "step 2" in ln]
    assert len(second) == 1 and "id=e1_1" in second[0]
    for number in (0, 3, -1):
        with pytest.raises(ValueError, match="numbered 1 to 2"):
            draw_dot(b, highlight=number)
    with pytest.raises(TypeError, match="BackwardStep or a step number"):
        draw_dot(b, highlight="1")
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
    from autograd import topological_order

    o = lecture_neuron()
    d = draw_dot(o, cluster=lambda v: "inputs" if v.label in ("x1", "x2") else None)
    index = {v.label: i for i, v in enumerate(topological_order(o))}
    assert clusters_of(d.source) == {"inputs": {f"n{index['x1']}", f"n{index['x2']}"}}
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


# --- the default picture fits a projector ----------------------------------------------------


def svg_of(digraph) -> ET.Element:
    return ET.fromstring(digraph.pipe(format="svg"))


def test_the_lecture_neuron_fits_1880_px_with_text_of_16_px_or_more():
    """A 1920-pixel-wide page shows the graph at most ~1880 px wide; draw_dot's text is 11
    pt, so 11 * 1880 / width must be >= 16 px. Each box's name, data and grad once lay side by
    side (1,667 pt wide: 12.4 px text)."""
    from autograd.formula import build

    graph = build("tanh(x1*w1 + x2*w2 + b)",
                  {"x1": 2, "x2": 0, "w1": -3, "w2": 1, "b": 6.8813735870195432})
    graph.root.backward()
    _, _, width, height = (float(v) for v in svg_of(draw_dot(graph.root)).get("viewBox").split())
    assert 11 * 1880 / width >= 16, width
    assert height < 1080 / 2, height  # and not traded for height: half the screen at most


@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_a_boxs_name_data_and_grad_are_stacked(rankdir):
    ns = "{http://www.w3.org/2000/svg}"
    svg = svg_of(draw_dot(lecture_neuron(), rankdir=rankdir))
    box = next(g for g in svg.iter(ns + "g") if g.get("id") == "n0")
    texts = list(box.iter(ns + "text"))
    assert [t.text.split(" ")[0] for t in texts] == ["x1", "data", "grad"]
    xs = {round(float(t.get("x"))) for t in texts}
    ys = [float(t.get("y")) for t in texts]
    assert len(xs) == 1 and ys == sorted(ys) and len(set(ys)) == 3  # one above the other


# --- what a wrong loop did -------------------------------------------------------------------


def diamond() -> tuple[Value, dict[str, Value]]:
    x = Value(1.0, "x")
    a = x + 1
    a.label = "a"
    b = 3 * a
    b.label = "b"
    c = a**2
    c.label = "c"
    d = b * c
    d.label = "d"
    return d, {"x": x, "a": a, "b": b, "c": c, "d": d}


def edge_labels(digraph) -> dict[str, str]:
    """edge id -> its label, from the DOT source."""
    found = {}
    for line in digraph.source.splitlines():
        match = re.search(r'id=(e\d+_\d+)', line)
        label = re.search(r'label="([^"]*)"', line)
        if match and label:
            found[match[1]] = label[1]
    return found


def test_grads_and_upstreams_draw_what_another_loop_did_without_touching_the_graph():
    from autograd import topological_order

    d, v = diamond()
    d.backward()
    index = {node: i for i, node in enumerate(topological_order(d))}
    before = {node: node.grad for node in index}
    # what a depth-first loop did: a passed 12 on to x before c's share arrived
    shown = draw_dot(d, show_contributions=True, grads={v["a"]: 36.0, v["x"]: 12.0},
                     upstreams={(v["a"], 0): 12.0}, title="WRONG: first-met order")
    labels = edge_labels(shown)
    assert labels[f"e{index[v['a']]}_0"].endswith("12.0000 × 1.0000 = 12.0000")
    assert "grad 12.0000" in node_attrs(shown.source, f"n{index[v['x']]}")
    assert "WRONG: first-met order" in svg_texts_of(shown)
    assert {node: node.grad for node in index} == before  # nothing changed in the graph


def test_overwritten_edges_are_dashed_and_say_so():
    a, b = Value(3.0, "a"), Value(2.0, "b")
    c = a * b
    d = c + a
    d.label = "d"
    shown = draw_dot(d, show_contributions=True, overwritten=[(d, 1)])
    (line,) = [ln for ln in shown.source.splitlines() if "id=e3_1" in ln]
    assert "(overwritten)" in line and "dashed" in line
    assert "(overwritten)" not in draw_dot(d, show_contributions=True).source


@pytest.mark.parametrize("option, bad, error", [
    ("grads", {Value(1.0): 1.0}, "not a Value of this graph"),
    ("grads", "x", "grads must be a mapping"),
    ("upstreams", {("a", 0): 1.0}, "not a Value of this graph"),
    ("upstreams", {"a": 1.0}, "an edge is a \\(node, k\\) pair"),
    ("overwritten", [(None, 0)], "not a Value of this graph"),
])
def test_bad_wrong_loop_records_are_refused(option, bad, error):
    d, v = diamond()
    with pytest.raises((ValueError, TypeError), match=error):
        draw_dot(d, **{option: bad})
    with pytest.raises(ValueError, match="has no operand 2"):
        draw_dot(d, upstreams={(v["d"], 2): 1.0})
    with pytest.raises(ValueError, match="finite"):
        draw_dot(d, grads={v["d"]: float("nan")})


def test_a_result_made_inside_no_grad_cannot_be_drawn():
    from autograd import no_grad

    x = Value(2.0, "x")
    with no_grad():
        y = x * 3.0
    with pytest.raises(ValueError, match=r"draw_dot: this Value was computed inside a no_grad"):
        draw_dot(y)
    draw_dot(Value(1.0, "leaf"))  # a leaf made as one is still a (tiny) picture


def test_a_small_picture_reads_like_the_formula_top_to_bottom():
    """x1*w1 + x2*w2: x1 above w1 above x2 above w2, their products in the same order."""
    ns = "{http://www.w3.org/2000/svg}"
    svg = svg_of(draw_dot(lecture_neuron()))
    top = {}
    for g in svg.iter(ns + "g"):
        if (g.get("class") == "node" and g.get("id", "").startswith("n")
                and not g.get("id").endswith("_op")):
            name = next(g.iter(ns + "text")).text
            top[name] = min(float(t.get("y")) for t in g.iter(ns + "text"))
    assert top["x1"] < top["w1"] < top["x2"] < top["w2"]
