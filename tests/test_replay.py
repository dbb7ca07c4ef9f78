"""The training replay: what the recorder keeps, and the saved page in a real headless Chromium."""

import json
import re

import pytest

from nn import MLP, SGD, Neuron, TrainingRecorder, fit, hinge_loss, save_training_replay
from nn.datasets import moons, to_pm1
from nn.draw_network import edge_id


def small_run(epochs: int = 5, **recorder_args):
    X, y = moons(n=24, noise=0.1, seed=1)
    y = to_pm1(y)
    model = MLP(2, [4, 1], seed=0, init="uniform")
    recorder = TrainingRecorder(model, X, y, resolution=12, **recorder_args)
    history = fit(model, X, y, hinge_loss, SGD(model.parameters(), lr=0.5), epochs=epochs,
                  quiet=True, on_epoch=recorder)
    return model, recorder, history


def page_data(path) -> dict:
    text = path.read_text(encoding="utf-8")
    found = re.search(r'<script id="replay-data" type="application/json">(.*?)</script>', text,
                      re.S)
    return json.loads(found.group(1))


def test_recorder_keeps_one_frame_per_epoch_after_the_start():
    model, recorder, history = small_run()
    frames = recorder.frames
    assert [f.epoch for f in frames] == [0, 1, 2, 3, 4, 5]
    assert frames[0].loss is None
    assert [f.loss for f in frames[1:]] == [float(f"{v:.4g}") for v in history.loss]
    last = frames[-1]
    assert len(last.grid) == 12 * 12 and len(last.weights) == 2 * 4 + 4 == len(last.grads)
    weights = [w for layer in model.layers for n in layer.neurons for w in n.w]
    assert last.weights == [float(f"{w.data:.4g}") for w in weights]
    assert len(last.biases) == 5 and len(last.status) == 5
    assert frames[0].weights != last.weights  # training moved them
    assert frames[0].grads == [0.0] * 12 and any(last.grads)  # no backward before epoch 1


def test_every_keeps_one_epoch_in_n():
    _, recorder, _ = small_run(epochs=6, every=3)
    assert [f.epoch for f in recorder.frames] == [0, 3, 6]
    _, recorder, _ = small_run(epochs=2, record_start=False)
    assert [f.epoch for f in recorder.frames] == [1, 2]


def test_accuracy_and_wrong_points_are_the_snapshots_own():
    """A linear neuron w = (1, 0), b = 0 says +1 right of x0 = 0: the grid shades follow."""
    neuron = Neuron(2, activation="linear", seed=0)
    neuron.w[0].data, neuron.w[1].data = 1.0, 0.0
    X = [[-1.0, 0.0], [1.0, 0.0], [0.5, 1.0], [-0.5, 1.0]]
    y = [-1, 1, -1, -1]  # the third point is on the wrong side
    frame = TrainingRecorder(neuron, X, y, resolution=5).frames[0]
    assert frame.accuracy == 0.75 and frame.wrong == [2]
    row = list(frame.grid[:5])  # bottom row, x0 from -1.5 to 1.5
    assert row[0] < row[1] < row[2] == 128 < row[3] < row[4]
    assert frame.grid[5:10] == frame.grid[:5]  # x1 does not matter


def test_bad_arguments():
    X, y = moons(n=10, seed=0)
    with pytest.raises(ValueError, match="2-input"):
        TrainingRecorder(MLP(3, [2, 1]), [[0.0, 0.0, 0.0]], [1])
    with pytest.raises(ValueError, match="resolution"):
        TrainingRecorder(MLP(2, [2, 1]), X, y, resolution=1)
    with pytest.raises(ValueError, match="every"):
        TrainingRecorder(MLP(2, [2, 1]), X, y, every=0)
    with pytest.raises(TypeError, match="TrainingRecorder"):
        save_training_replay("x.html", [1, 2])
    empty = TrainingRecorder(MLP(2, [2, 1]), X, y, record_start=False)
    with pytest.raises(ValueError, match="no frames"):
        save_training_replay("x.html", empty)
    with pytest.raises(TypeError, match="title must be a str"):
        save_training_replay("x.html", TrainingRecorder(MLP(2, [2, 1]), X, y), title=None)


def test_page_is_one_self_contained_file(tmp_path):
    model, recorder, _ = small_run()
    path = save_training_replay(tmp_path / "replay.html", recorder, title="moons <run>")
    assert [p.name for p in tmp_path.iterdir()] == ["replay.html"]  # no temporary left
    text = path.read_text(encoding="utf-8")
    assert "<title>moons &lt;run&gt;</title>" in text
    assert not re.search(r"<(script|img|link|iframe)[^>]+(src|href)=", text)
    assert "url(" not in text and "@import" not in text
    data = page_data(path)
    assert len(data["frames"]) == 6 and len(data["edges"]) == 12
    assert data["edges"][0] == edge_id(0, 0, 0) and f'id="{edge_id(1, 0, 3)}"' in text
    assert path.stat().st_size < 200_000


def test_replay_in_chromium_moves_between_frames(browser_page, tmp_path):
    _, recorder, _ = small_run()
    path = save_training_replay(tmp_path / "replay.html", recorder)
    page = browser_page.page
    browser_page.open(path)

    def state() -> dict:
        return page.evaluate("""() => ({
            label: document.getElementById('epoch-label').textContent,
            canvas: document.getElementById('boundary').toDataURL(),
            width: document.querySelector('#w0_0_0 path').getAttribute('stroke-width'),
            stroke: document.querySelector('#w0_0_0 path').getAttribute('stroke'),
            loss: (document.getElementById('loss-so-far') || {getAttribute: () => ''})
                .getAttribute('points'),
            title: document.getElementById('network-title').textContent,
        })""")

    first = state()
    assert first["label"] == "epoch 0 / 5" and first["loss"] == ""  # no loss before training
    page.fill("#slider", "5")  # as a user dragging it: sets the value and fires "input"
    last = state()
    assert last["label"] == "epoch 5 / 5"
    assert last["canvas"] != first["canvas"]  # the boundary moved
    assert (last["width"], last["stroke"]) != (first["width"], first["stroke"])
    assert len(last["loss"].split()) == 5  # one point per epoch so far
    page.keyboard.press("ArrowLeft")
    assert state()["label"] == "epoch 4 / 5"
    assert len(state()["loss"].split()) == 4
    page.check("input[value=g]")
    assert "gradients" in state()["title"] and state()["label"] == "epoch 4 / 5"
    assert browser_page.errors == []
    assert browser_page.external_requests == []


def test_page_inlines_the_packages_script_and_stylesheet(tmp_path):
    """replay.js and replay.css are real files (the live lab serves them), pasted in whole."""
    from pathlib import Path

    from autograd.html_page import inline_css, inline_js

    _, recorder, _ = small_run(epochs=2)
    text = save_training_replay(tmp_path / "replay.html", recorder).read_text(encoding="utf-8")
    package = Path(__file__).resolve().parents[1] / "nn"
    assert inline_css((package / "replay.css").read_text(encoding="utf-8")) in text
    assert inline_js((package / "replay.js").read_text(encoding="utf-8")) in text
    assert re.search(r"\b(?:src|href)\s*=", text) is None


def test_page_carries_each_shown_number_in_both_decimal_forms(tmp_path):
    from autograd.trace import format_number

    _, recorder, _ = small_run(epochs=2)
    data = page_data(save_training_replay(tmp_path / "replay.html", recorder))
    assert data["decimals"] == [2, 4]
    frame, record = recorder.frames[-1], data["frames"][-1]
    for d in ("2", "4"):
        assert record["lossText"][d] == format_number(frame.loss, int(d))
        assert record["bt"][d] == [format_number(b, int(d)) for b in frame.biases]
        assert record["gbt"][d] == [format_number(g, int(d)) for g in frame.bias_grads]
    assert data["frames"][0]["lossText"] is None  # no loss before training


def test_each_class_is_drawn_with_its_own_marker_shape(browser_page, tmp_path):
    """Colour is never the only signal: under deuteranopia two class colours may look alike,
    so each class also has its marker (the plots' shapes). A square class fills the corner of
    its box, a circle class does not; the page draws all ten shapes without an error."""
    from nn import cross_entropy
    from nn.plots import CLASS_MARKERS

    classes = len(CLASS_MARKERS)
    X = [[float(c), float(c % 3)] for c in range(classes)]
    y = list(range(classes))
    model = MLP(2, [4, classes], seed=0)
    recorder = TrainingRecorder(model, X, y, resolution=8)
    fit(model, X, y, cross_entropy, SGD(model.parameters(), lr=0.1), epochs=1,
        on_epoch=recorder, quiet=True)
    path = save_training_replay(tmp_path / "ten.html", recorder)
    data = page_data(path)
    assert data["markers"] == CLASS_MARKERS and data["labels"] == y
    browser_page.open(path)
    # The pixel at (0.82 r, 0.82 r) from a point's centre lies on a square's outline, but
    # outside a circle of radius r (and its pen): dark for the square class, background for
    # the circle class. r = 4.5 drawing units, the canvas being 360 units wide.
    shades = browser_page.page.evaluate("""([points, bounds]) => {
        const c = document.getElementById('boundary'), ctx = c.getContext('2d');
        const u = c.width / 360, off = 0.82 * 4.5 * u, [x0, x1, y0, y1] = bounds;
        return points.map(([a, b]) => {
          const px = (a - x0) / (x1 - x0) * c.width;
          const py = c.height - (b - y0) / (y1 - y0) * c.height;
          const pixel = ctx.getImageData(Math.round(px + off), Math.round(py + off), 1, 1);
          const [r, g, bl] = pixel.data;
          return (r + g + bl) / 3;
        }); }""", [data["points"], data["bounds"]])
    circle, square = CLASS_MARKERS.index("o"), CLASS_MARKERS.index("s")
    assert shades[square] < 120 < shades[circle], shades
    assert browser_page.errors == []
