"""nn's pictures: draw_network's DOT and real renders, the matplotlib plots, Jupyter display."""

import itertools
import math
import re
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd import render
from nn import MLP, SGD, Layer, Neuron, draw_network, fit, hinge_loss
from nn.datasets import blobs, moons, to_pm1
from nn.draw_network import (
    DEAD_FILL,
    MAX_WIDTH,
    NEGATIVE,
    POSITIVE,
    SATURATED_BORDER,
    edge_id,
    unit_status,
)
from nn.plots import (
    class_scorer,
    grid_scores,
    plot_decision_boundary,
    plot_grad_norms,
    plot_history,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
EDGE = re.compile(r"^\s*(\w+) -> (\w+) \[(.*)\]$")
NODE = re.compile(r"^\s*(\w+) \[(.*)\]$")


def attrs(text: str) -> dict[str, str]:
    """key=value pairs of one DOT statement (values bare or double-quoted)."""
    return {k: v.strip('"') for k, v in re.findall(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)', text)}


def weight_edges(source: str) -> dict[str, dict[str, str]]:
    """The visible edges of a draw_network DOT source, by id."""
    edges = {}
    for line in source.splitlines():
        m = EDGE.match(line)
        if m and "invis" not in m.group(3):
            a = attrs(m.group(3))
            edges[a["id"]] = a
    return edges


def node_attrs(source: str, node: str) -> dict[str, str]:
    for line in source.splitlines():
        m = NODE.match(line)
        if m and m.group(1) == node:
            return attrs(m.group(2))
    raise KeyError(node)


def weights_by_edge(model: MLP) -> dict[str, object]:
    return {edge_id(li, j, i): w
            for li, layer in enumerate(model.layers)
            for j, neuron in enumerate(layer.neurons)
            for i, w in enumerate(neuron.w)}


def png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    return struct.unpack(">II", data[16:24])  # IHDR width, height


# ---------------------------------------------------------------------------------------------
# draw_network: the DOT source


def test_one_edge_per_weight_coloured_by_sign():
    model = MLP(3, [4, 5, 2], seed=0)
    edges = weight_edges(draw_network(model).source)
    weights = weights_by_edge(model)
    assert len(edges) == 3 * 4 + 4 * 5 + 5 * 2 == len(weights)
    assert set(edges) == set(weights)
    for eid, w in weights.items():
        assert edges[eid]["color"].startswith(POSITIVE if w.data > 0 else NEGATIVE), eid


def test_widths_grow_with_magnitude_and_the_largest_is_widest():
    model = MLP(2, [6, 6, 1], seed=3)
    edges = weight_edges(draw_network(model).source)
    weights = weights_by_edge(model)
    by_size = sorted(weights, key=lambda e: abs(weights[e].data))
    widths = [float(edges[e]["penwidth"]) for e in by_size]
    assert widths == sorted(widths)
    assert widths[-1] == MAX_WIDTH and widths[0] < widths[-1] / 2


def test_edges_go_from_inputs_through_layers_in_order():
    model = MLP(2, [3, 1], seed=0)
    source = draw_network(model).source
    pairs = [EDGE.match(line).group(1, 2) for line in source.splitlines()
             if EDGE.match(line) and "invis" not in line]
    assert pairs[:2] == [("x0", "L0n0"), ("x1", "L0n0")]
    assert ("L0n2", "L1n0") in pairs and len(pairs) == 2 * 3 + 3


def test_grads_mode_draws_the_gradients():
    model = MLP(2, [3, 1], seed=1)
    X, y = moons(n=10, seed=0)
    loss = hinge_loss([model(x) for x in X], to_pm1(y))
    model.zero_grad()
    loss.backward()
    weights = draw_network(model).source
    grads = draw_network(model, show="grads").source
    assert weights != grads and "dL/dw" in grads and "dL/db" in grads
    edges = weight_edges(grads)
    for eid, w in weights_by_edge(model).items():
        if w.grad:
            assert edges[eid]["color"].startswith(POSITIVE if w.grad > 0 else NEGATIVE)
    assert any(float(e["penwidth"]) == MAX_WIDTH for e in edges.values())


def test_grads_all_zero_says_to_run_backward():
    source = draw_network(MLP(2, [2, 1], seed=0), show="grads").source
    assert "run loss.backward() first" in source


def test_dead_relu_is_marked_with_a_legend():
    model = MLP(2, [2, 1], seed=0)
    dead = model.layers[0].neurons[0]
    for w in dead.w:
        w.data = -1.0
    dead.b.data = -0.5  # z = -x0 - x1 - 0.5 < 0 for every positive input
    alive = model.layers[0].neurons[1]
    alive.w[0].data, alive.w[1].data, alive.b.data = 1.0, 1.0, 0.0
    X = [[0.5, 1.0], [2.0, 0.1], [0.0, 0.3]]
    assert unit_status(model, X) == [["dead", ""], [""]]
    source = draw_network(model, X=X).source
    assert node_attrs(source, "L0n0")["fillcolor"] == DEAD_FILL
    assert node_attrs(source, "L0n1").get("fillcolor") != DEAD_FILL
    assert "dead relu" in source and "no gradient passes (1)" in source
    assert "dead relu" not in draw_network(model).source  # no batch, no marks


def test_a_unit_active_on_one_sample_is_not_dead():
    model = MLP(2, [1, 1], seed=0)
    neuron = model.layers[0].neurons[0]
    neuron.w[0].data, neuron.w[1].data, neuron.b.data = 1.0, 0.0, -1.0
    assert unit_status(model, [[0.0, 0.0], [0.5, 0.0]]) == [["dead"], [""]]
    assert unit_status(model, [[0.0, 0.0], [1.5, 0.0]]) == [[""], [""]]


def test_saturated_tanh_is_marked():
    model = MLP(1, [2, 1], activation="tanh", seed=0)
    big, small = model.layers[0].neurons
    big.w[0].data, small.w[0].data = 10.0, 0.1
    X = [[x / 10] for x in range(5, 15)]  # |10 x| >= 5: tanh'(z) < 0.01 everywhere
    assert unit_status(model, X)[0] == ["saturated", ""]
    source = draw_network(model, X=X).source
    assert node_attrs(source, "L0n0")["color"] == SATURATED_BORDER
    assert node_attrs(source, "L0n1").get("color") != SATURATED_BORDER


def test_saturated_sigmoid_needs_most_samples():
    model = MLP(1, [1, 1], activation="sigmoid", seed=0)
    model.layers[0].neurons[0].w[0].data = 10.0
    far = [[1.0]] * 9  # z = 10: sigmoid' / (1/4) = 1.8e-4
    assert unit_status(model, far + [[0.0]])[0] == ["saturated"]  # 90% of the samples
    assert unit_status(model, far + [[0.0]] * 2)[0] == [""]  # 82%


def _status_through_the_graph(model, X):
    """The rule of unit_status, computed the slow way: Values under no_grad, z and out read
    from the graph's nodes."""
    from autograd import dot, no_grad
    from nn.draw_network import PEAK_SLOPE, SATURATED_SHARE, SATURATED_SLOPE
    from nn.layers import ACTIVATIONS

    status, inputs_per_row = [], [list(x) for x in X]
    with no_grad():
        for layer in model.layers:
            outputs_per_row = [[] for _ in X]
            row_status = []
            for neuron in layer.neurons:
                inactive = flat = 0
                for k, inputs in enumerate(inputs_per_row):
                    z = dot(neuron.w, inputs, neuron.b)
                    act = ACTIVATIONS[neuron.activation]
                    out = z if act is None else act(z)
                    inactive += z.data <= 0.0
                    slope = (1.0 - out.data ** 2 if neuron.activation == "tanh" else
                             out.data * (1.0 - out.data) / PEAK_SLOPE["sigmoid"])
                    flat += slope < SATURATED_SLOPE
                    outputs_per_row[k].append(out)
                if neuron.activation == "relu":
                    row_status.append("dead" if inactive == len(X) else "")
                elif neuron.activation in ("tanh", "sigmoid"):
                    row_status.append("saturated" if flat >= SATURATED_SHARE * len(X) else "")
                else:
                    row_status.append("")
            status.append(row_status)
            inputs_per_row = outputs_per_row
    return status


@settings(max_examples=60, deadline=None)
@given(widths=st.lists(st.integers(1, 4), min_size=1, max_size=3),
       activation=st.sampled_from(["relu", "tanh", "sigmoid", "leaky_relu", "linear"]),
       seed=st.integers(0, 10**6), scale=st.sampled_from([0.5, 3.0, 12.0]),
       bias=st.sampled_from([-2.0, 0.0, 1.0]), rows=st.integers(1, 12))
def test_unit_status_on_floats_is_the_rule_on_the_graph(widths, activation, seed, scale, bias,
                                                        rows):
    """unit_status builds no Value (a live lab asks it every frame); what it says is what the
    graph's own z and outputs say."""
    model = MLP(2, [*widths, 1], activation=activation, seed=seed)
    for p in model.parameters():
        p.data *= scale
    for layer in model.layers[:-1]:
        for neuron in layer.neurons:
            neuron.b.data = bias
    X = [[math.sin(seed + k), math.cos(3 * k + seed)] for k in range(rows)]
    assert unit_status(model, X) == _status_through_the_graph(model, X)


def test_same_model_same_dot_and_edge_labels_only_when_small():
    X, _ = moons(n=20, seed=0)
    a = draw_network(MLP(2, [4, 1], seed=5), X=X).source
    assert a == draw_network(MLP(2, [4, 1], seed=5), X=X).source
    assert all("label" in e for e in weight_edges(a).values())  # 12 weights: numbered edges
    big = draw_network(MLP(2, [8, 8, 1], seed=5)).source
    assert not any("label=" in line for line in big.splitlines() if EDGE.match(line))
    forced = draw_network(MLP(2, [8, 8, 1], seed=5), edge_labels=True).source
    labelled = [line for line in forced.splitlines() if EDGE.match(line) and "label=" in line]
    assert len(labelled) == 2 * 8 + 8 * 8 + 8
    off = draw_network(MLP(2, [4, 1], seed=5), edge_labels=False).source
    assert not any("label=" in line for line in off.splitlines() if EDGE.match(line))


def test_layer_and_neuron_are_drawn_too():
    assert len(weight_edges(draw_network(Layer(3, 2, seed=0)).source)) == 6
    assert len(weight_edges(draw_network(Neuron(4, seed=0)).source)) == 4


def test_rankdir_is_used():
    assert "rankdir=TB" in draw_network(MLP(2, [2, 1], seed=0), rankdir="TB").source
    assert "rankdir=LR" in draw_network(MLP(2, [2, 1], seed=0)).source


def test_bad_arguments_get_clear_errors():
    model = MLP(2, [2, 1], seed=0)
    with pytest.raises(ValueError, match="show must be one of"):
        draw_network(model, show="biases")
    with pytest.raises(TypeError, match="MLP, a Layer or a Neuron, got list"):
        draw_network([1, 2])
    with pytest.raises(ValueError, match=r"X\[1\] must be a list of 2 numbers"):
        draw_network(model, X=[[1.0, 2.0], [3.0]])
    with pytest.raises(ValueError, match="non-empty"):
        draw_network(model, X=[])
    with pytest.raises(ValueError, match="rankdir"):
        draw_network(model, rankdir="RL")
    with pytest.raises(ValueError, match="more than max_edges=10"):
        draw_network(MLP(2, [4, 4, 1], seed=0), max_edges=10)


# ---------------------------------------------------------------------------------------------
# draw_network: rendered by the real `dot`


def test_renders_to_svg_and_png_with_ids_colours_and_numbers(tmp_path):
    model = MLP(2, [3, 1], seed=2)
    svg_path, png_path = render(draw_network(model), tmp_path / "net", formats=("svg", "png"))
    root = ET.parse(svg_path).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    groups = {g.get("id"): g for g in root.iter(ns + "g")}
    w = model.layers[0].neurons[1].w[0]
    path = groups[edge_id(0, 1, 0)].find(f".//{ns}path")
    assert path.get("stroke") == (POSITIVE if w.data > 0 else NEGATIVE)
    texts = [t.text for t in root.iter(ns + "text")]
    assert f"{w.data:.3g}" in texts and "x0" in texts and "b 0.00" in texts
    assert {"L0n0", "L0n2", "L1n0", "x1"} <= set(groups)
    assert png_size(png_path)[0] > 300


def test_jupyter_shows_a_model_as_svg_or_falls_back_to_text(monkeypatch):
    model = MLP(2, [3, 1], seed=0)
    bundle = model._repr_mimebundle_()
    svg = bundle["image/svg+xml"]
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "L0n2" in svg
    assert bundle["text/plain"] == repr(model)
    too_big = MLP(2, [80, 80, 1], seed=0)._repr_mimebundle_()  # 6,640 weights > MAX_EDGES
    assert set(too_big) == {"text/plain"} and "max_edges" in too_big["text/plain"]
    monkeypatch.setattr("shutil.which", lambda name: None)
    bundle = model._repr_mimebundle_()
    assert set(bundle) == {"text/plain"} and "dot" in bundle["text/plain"]


def test_importing_nn_imports_neither_matplotlib_nor_graphviz():
    code = ("import sys, nn; nn.MLP(2, [2, 1]);"
            "print(sorted(m for m in ('matplotlib', 'graphviz') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------------------------------------
# plots


@pytest.fixture(scope="module")
def trained():
    X, y = moons(n=30, noise=0.1, seed=1)
    y = to_pm1(y)
    model = MLP(2, [6, 1], seed=0, init="uniform")
    history = fit(model, X, y, hinge_loss, SGD(model.parameters(), lr=0.3), epochs=12,
                  quiet=True)
    return model, X, y, history


def test_plot_history_writes_a_png(tmp_path, trained):
    *_, history = trained
    path = plot_history(history, tmp_path / "sub" / "history.png")
    assert path == tmp_path / "sub" / "history.png"
    width, height = png_size(path)
    assert width > 500 and height > 200 and path.stat().st_size > 10_000
    assert [p.name for p in path.parent.iterdir()] == ["history.png"]  # no temporary left


def test_plot_grad_norms_writes_a_png_and_checks_labels(tmp_path, trained):
    *_, history = trained
    path = plot_grad_norms(history, tmp_path / "norms.png", labels=["hidden", "output"])
    assert png_size(path)[0] > 400 and path.stat().st_size > 10_000
    with pytest.raises(ValueError, match="expected 2 labels"):
        plot_grad_norms(history, tmp_path / "x.png", labels=["one"])
    with pytest.raises(ValueError, match="empty"):
        plot_history(nn.History(), tmp_path / "x.png")
    with pytest.raises(TypeError, match="History"):
        plot_history([0.5, 0.4], tmp_path / "x.png")


def test_plot_decision_boundary_one_output(tmp_path, trained):
    model, X, y, _ = trained
    path = plot_decision_boundary(model, X, y, tmp_path / "db.png", resolution=25)
    assert png_size(path)[0] > 400 and path.stat().st_size > 10_000


def test_plot_decision_boundary_several_outputs_and_sigmoid(tmp_path):
    X, y = blobs(n=30, centers=3, seed=0)
    model = MLP(2, [5, 3], seed=0)
    assert plot_decision_boundary(model, X, y, tmp_path / "k.png", resolution=15).exists()
    prob = MLP(2, [4, 1], output_activation="sigmoid", seed=0)
    y01 = [c % 2 for c in y]
    assert plot_decision_boundary(prob, X, y01, tmp_path / "p.png", resolution=15).exists()
    with pytest.raises(ValueError, match="2 inputs"):
        plot_decision_boundary(MLP(3, [2, 1]), [[0, 0, 0]], [1], tmp_path / "x.png")
    with pytest.raises(ValueError, match="resolution"):
        plot_decision_boundary(model, X, y, tmp_path / "x.png", resolution=1)


def test_grid_scores_follow_the_rule_of_predictions_match():
    """A linear neuron w = (1, 0), b = 0 scores x0: class 1 right of x0 = 0."""
    neuron = Neuron(2, activation="linear", seed=0)
    neuron.w[0].data, neuron.w[1].data = 1.0, 0.0
    score, outputs = class_scorer(neuron)
    grid = grid_scores(neuron, (-1.0, 1.0, -2.0, 2.0), 3, score)
    assert outputs == 1 and grid == [[-1.0, 0.0, 1.0]] * 3
    sigmoid = Neuron(2, activation="sigmoid", seed=0)
    sigmoid.w[0].data, sigmoid.w[1].data = 1.0, 0.0
    score, _ = class_scorer(sigmoid)
    assert grid_scores(sigmoid, (-1.0, 1.0, 0.0, 1.0), 3, score)[0][1] == 0.0  # p = 0.5
    three = MLP(2, [3], activation="linear", output_activation="linear", seed=0)
    for k, neuron in enumerate(three.layers[0].neurons):
        neuron.w[0].data, neuron.w[1].data = [(-1.0, 0.0), (0.0, 0.0), (1.0, 0.0)][k]
    score, outputs = class_scorer(three)
    assert outputs == 3 and grid_scores(three, (-1.0, 1.0, 0.0, 0.0), 3, score)[0] == [0, 0, 2]


def test_plots_say_how_to_install_matplotlib(tmp_path, trained, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # as if not installed
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)
    *_, history = trained
    with pytest.raises(ImportError, match=r"pip install 'chainrule\[plots\]'"):
        plot_history(history, tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_legend_can_be_left_out():
    model = MLP(2, [2, 1], seed=0)
    assert "positive weight" in draw_network(model).source
    assert "positive weight" not in draw_network(model, legend=False).source


# ---------------------------------------------------------------------------------------------
# Colour: readable on white, and apart for the colour-blind (issue 12, item 8)
#
# The colour science, written out so a test failure can be checked by hand:
#   sRGB byte -> linear light: c/255, then c/12.92 below 0.04045, else ((c+0.055)/1.055)^2.4
#   WCAG 2 relative luminance  L = 0.2126 R + 0.7152 G + 0.0722 B  (linear light)
#   WCAG 2 contrast of two colours  (L_light + 0.05) / (L_dark + 0.05); white has L = 1
#   a colour with opacity a painted on white (SVG and PNG compositing, in sRGB bytes):
#       a * c + (1 - a) * 255 per channel
#   deuteranopia: Machado, Oliveira & Fernandes (2009), severity 1.0, on linear RGB
#   perceived distance: CIE76 delta E, the Euclidean distance in CIELAB (D65 white)

DEUTERANOPIA = ((0.367322, 0.860646, -0.227968),
                (0.280085, 0.672501, 0.047413),
                (-0.011820, 0.042940, 0.968881))
# CIE76 delta E: about 2.3 is a just-noticeable difference; 15 keeps two classes apart at a
# glance, on a projector. (The former palette had pairs at 3.1 and 7.3 for a deuteranope.)
DISTINCT_DELTA_E = 15.0


def channels(colour: str) -> tuple[list[int], float]:
    """#rrggbb or #rrggbbaa -> the three bytes and the opacity in [0, 1]."""
    assert re.fullmatch(r"#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?", colour), colour
    rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    return rgb, int(colour[7:9], 16) / 255 if len(colour) == 9 else 1.0


def linear(byte: float) -> float:
    c = byte / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def contrast_on_white(colour: str) -> float:
    rgb, alpha = channels(colour)
    painted = [alpha * c + (1 - alpha) * 255 for c in rgb]
    r, g, b = (linear(c) for c in painted)
    return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05)


def lab_as_deuteranope_sees(colour: str) -> tuple[float, float, float]:
    rgb, _ = channels(colour)
    lin = [linear(c) for c in rgb]
    r, g, b = (min(1.0, max(0.0, sum(m * c for m, c in zip(row, lin)))) for row in DEUTERANOPIA)
    xyz = (0.4124 * r + 0.3576 * g + 0.1805 * b, 0.2126 * r + 0.7152 * g + 0.0722 * b,
           0.0193 * r + 0.1192 * g + 0.9505 * b)

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116

    fx, fy, fz = (f(v / white) for v, white in zip(xyz, (0.95047, 1.0, 1.08883)))
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def test_the_colour_science_of_these_tests_matches_known_values():
    assert contrast_on_white("#000000") == pytest.approx(21.0)
    assert contrast_on_white("#767676") == pytest.approx(4.54, abs=0.01)  # WCAG's AA grey
    assert contrast_on_white("#00000000") == pytest.approx(1.0)  # fully transparent
    # red and green collapse for a deuteranope, blue and orange stay apart
    assert math.dist(lab_as_deuteranope_sees("#d62728"), lab_as_deuteranope_sees("#2ca02c")) < 10
    assert math.dist(lab_as_deuteranope_sees("#0072b2"), lab_as_deuteranope_sees("#e69f00")) > 50


def test_class_colours_stay_apart_for_a_deuteranope_and_each_class_has_its_own_marker():
    from nn.plots import CLASS_COLOURS, CLASS_MARKERS

    seen = [lab_as_deuteranope_sees(c) for c in CLASS_COLOURS]
    for i, j in itertools.combinations(range(len(CLASS_COLOURS)), 2):
        distance = math.dist(seen[i], seen[j])
        assert distance >= DISTINCT_DELTA_E, (CLASS_COLOURS[i], CLASS_COLOURS[j], distance)
    assert len(CLASS_MARKERS) >= 10 and len(set(CLASS_MARKERS)) == len(CLASS_MARKERS)
    # classes 0..9 differ in colour or marker or both, and 0 and 1 in both
    styles = {(CLASS_COLOURS[c % len(CLASS_COLOURS)], CLASS_MARKERS[c % len(CLASS_MARKERS)])
              for c in range(10)}
    assert len(styles) == 10


def _scatter_styles(fig) -> dict[str, set]:
    """The data points of a decision-boundary figure: face colour -> the marker paths used."""
    from matplotlib.colors import to_hex

    ax = fig.axes[0]
    styles: dict[str, set] = {}
    for collection in ax.collections:
        faces = collection.get_facecolors()
        if not len(faces) or not len(collection.get_offsets()):
            continue  # the rings of misclassified points have no face
        for path in collection.get_paths():
            key = tuple(map(tuple, path.vertices.round(6)))
            for face in faces:
                styles.setdefault(to_hex(face), set()).add(key)
    return styles


@pytest.mark.parametrize("classes", [2, 3, 5])
def test_the_decision_boundary_draws_each_class_with_its_colour_and_marker(classes):
    from matplotlib.markers import MarkerStyle

    from nn.plots import CLASS_COLOURS, CLASS_MARKERS, decision_boundary_figure

    X, y = blobs(n=10 * classes, centers=classes, std=0.3, seed=1)
    model = MLP(2, [4, 1 if classes == 2 else classes], seed=0)
    styles = _scatter_styles(decision_boundary_figure(model, X, y, resolution=10))
    for c in range(classes):
        marker = MarkerStyle(CLASS_MARKERS[c]).get_path().transformed(
            MarkerStyle(CLASS_MARKERS[c]).get_transform())
        key = tuple(map(tuple, marker.vertices.round(6)))
        assert key in styles[CLASS_COLOURS[c].lower()], f"class {c}"


def test_every_edge_colour_draw_network_can_produce_has_3_to_1_contrast_on_white():
    """The faintest edge, of either sign or of a zero, stays visible on a projector: WCAG's 3:1
    for graphics, on the colour as painted (with its opacity) over the white page."""
    from nn.draw_network import MAX_WIDTH, MIN_WIDTH, ZERO, edge_style

    produced = set()
    for value in [0.0] + [s * k / 200 for s in (1, -1) for k in range(0, 201)]:
        colour, width = edge_style(value, 1.0)
        assert MIN_WIDTH <= width <= MAX_WIDTH
        produced.add(colour)
    for largest in (0.0, 1e-300, 3.0):  # nothing to compare with: every edge the faintest
        produced.add(edge_style(0.0, largest)[0])
    assert any(c.startswith(ZERO) for c in produced)
    worst = min(produced, key=contrast_on_white)
    assert contrast_on_white(worst) >= 3.0, (worst, contrast_on_white(worst))
    # every opacity between the faintest and full is reachable; check them all, both signs
    alphas = {channels(c)[1] for c in produced}
    for alpha_byte in range(round(255 * min(alphas)), 256):
        for hue in (POSITIVE, NEGATIVE, ZERO):
            colour = f"{hue}{alpha_byte:02x}"
            assert contrast_on_white(colour) >= 3.0, colour


def test_edges_still_fade_with_their_magnitude():
    from nn.draw_network import edge_style

    weak, strong = edge_style(0.01, 1.0), edge_style(1.0, 1.0)
    assert channels(weak[0])[1] < channels(strong[0])[1] and weak[1] < strong[1]
