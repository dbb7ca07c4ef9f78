"""numpy just works: fit, evaluate, the plots, TrainingRecorder and draw_network take numpy arrays
(and tuples) of rows as they take lists, and give the same numbers; nn never imports numpy."""

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import make_moons

import nn
from nn import MLP, Adam, TrainingRecorder, draw_network, evaluate, fit
from nn.datasets import blobs, moons, to_pm1
from nn.draw_network import unit_status
from nn.plots import plot_decision_boundary, plot_grad_norms, plot_history

ROOT = Path(__file__).resolve().parent.parent
PNG = b"\x89PNG\r\n\x1a\n"


def train(X, y, loss=nn.binary_cross_entropy_with_logits, outputs=1, epochs=4, batch_size=None):
    model = MLP(2, [5, outputs], seed=3)
    history = fit(model, X, y, loss, Adam(model.parameters(), lr=0.05), epochs=epochs,
                  batch_size=batch_size, quiet=True)
    return model, history


def same_history(a: nn.History, b: nn.History) -> None:
    """Bit for bit: the same floats, not merely close ones."""
    assert a.loss == b.loss and a.accuracy == b.accuracy and a.grad_norms == b.grad_norms
    assert a.stopped == b.stopped


def test_scikit_learns_make_moons_trains_as_it_comes():
    """What used to die with "The truth value of an array ... is ambiguous" inside fit."""
    X, y = make_moons(n_samples=60, noise=0.1, random_state=0)
    assert isinstance(X, np.ndarray) and X.dtype == np.float64 and y.dtype == np.int64
    model, history = train(X, y, epochs=30)
    assert history.epochs == 30 and history.loss[-1] < history.loss[0]
    _, from_lists = train(X.tolist(), y.tolist(), epochs=30)
    same_history(history, from_lists)
    assert evaluate(model, X, y) == evaluate(model, X.tolist(), y.tolist())


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**16), n=st.integers(4, 40), batch=st.sampled_from([None, 1, 3]))
def test_a_float64_array_gives_the_same_history_as_its_lists_bit_for_bit(seed, n, batch):
    X, y = moons(n, seed=seed)
    array_X, array_y = np.array(X, dtype=np.float64), np.array(y, dtype=np.int64)
    _, from_arrays = train(array_X, array_y, batch_size=batch)
    _, from_lists = train(X, y, batch_size=batch)
    _, from_tuples = train(tuple(map(tuple, X)), tuple(y), batch_size=batch)
    same_history(from_arrays, from_lists)
    same_history(from_tuples, from_lists)


def test_a_float32_array_trains_on_its_own_values():
    """float32 rows hold other numbers than the float64 ones (rounded to 24 bits): the same
    history as the lists of those float32 values, read as Python floats."""
    X, y = moons(30, seed=1)
    X32 = np.array(X, dtype=np.float32)
    _, from_array = train(X32, np.array(y))
    _, from_lists = train(X32.tolist(), y)
    same_history(from_array, from_lists)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.float64, np.float32])
def test_labels_as_a_1d_array_of_ints_or_floats(dtype):
    X, y = moons(20, seed=2)
    _, from_array = train(np.array(X), np.array(y, dtype=dtype))
    _, from_lists = train(X, [int(t) for t in y])
    same_history(from_array, from_lists)


def test_hinge_and_softmax_targets_from_arrays():
    X, y = moons(20, seed=0)
    pm1 = to_pm1(y)
    _, a = train(np.array(X), np.array(pm1), loss=nn.hinge_loss)
    _, b = train(X, pm1, loss=nn.hinge_loss)
    same_history(a, b)
    X3, y3 = blobs(30, centers=3, seed=0)
    _, a = train(np.array(X3), np.array(y3), loss=nn.cross_entropy, outputs=3)
    _, b = train(X3, y3, loss=nn.cross_entropy, outputs=3)
    same_history(a, b)


def test_the_pictures_take_arrays(tmp_path):
    X, y = make_moons(n_samples=40, noise=0.1, random_state=1)
    model, history = train(X, y)
    for path in (plot_decision_boundary(model, X, y, tmp_path / "db.png", resolution=12),
                 plot_decision_boundary(model, X.astype(np.float32), y, tmp_path / "db32.png",
                                        resolution=12),
                 plot_history(history, tmp_path / "h.png"),
                 plot_grad_norms(history, tmp_path / "g.png")):
        assert path.read_bytes()[:8] == PNG
    assert draw_network(model, X=X).source == draw_network(model, X=X.tolist()).source
    assert unit_status(model, X) == unit_status(model, X.tolist())


def test_the_recorder_takes_arrays_and_records_the_same_frames():
    X, y = make_moons(n_samples=30, noise=0.1, random_state=2)
    model = MLP(2, [4, 1], seed=0)
    from_arrays = TrainingRecorder(model, X, y, resolution=8)
    from_lists = TrainingRecorder(model, X.tolist(), y.tolist(), resolution=8)
    assert from_arrays.frames == from_lists.frames
    assert from_arrays.X == from_lists.X and from_arrays.y == from_lists.y
    assert all(type(c) is float for p in from_arrays.X for c in p)
    assert all(type(t) is int for t in from_arrays.y)


def test_a_training_replay_page_from_arrays(tmp_path):
    X, y = make_moons(n_samples=20, noise=0.1, random_state=3)
    model = MLP(2, [3, 1], seed=0)
    recorder = TrainingRecorder(model, X, y, resolution=6)
    fit(model, X, y, nn.binary_cross_entropy_with_logits, Adam(model.parameters(), lr=0.05),
        epochs=2, quiet=True, on_epoch=recorder)
    page = nn.save_training_replay(tmp_path / "replay.html", recorder)
    assert "</html>" in page.read_text(encoding="utf-8") and len(recorder.frames) == 3


@pytest.mark.parametrize("X, y, error, says", [
    (np.zeros((0, 2)), np.zeros(0), ValueError, "non-empty"),
    (np.zeros(5), np.zeros(5), ValueError, r"X\[0\] must be a list of numbers.*reshape\(-1, 1\)"),
    (np.zeros((4, 2)), np.zeros(3), ValueError, "equally long, got 4 and 3"),
    (np.array([["a", "b"]]), [0], TypeError, r"X\[0\]\[0\] must be a number, got str"),
    ("ab", [0, 1], ValueError, "X must be a non-empty list of samples"),
    (np.zeros((2, 2)), 1, ValueError, "y must be a list of labels, one per sample"),
])
def test_bad_arrays_get_one_clear_sentence(X, y, error, says):
    model = MLP(2, [2, 1], seed=0)
    with pytest.raises(error, match=says):
        fit(model, X, y, nn.binary_cross_entropy_with_logits, Adam(model.parameters()),
            epochs=1, quiet=True)


def test_nn_never_imports_numpy():
    """Not in its source, and not when it trains and draws on lists."""
    for path in sorted((ROOT / "nn").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.split(".")[0] == "numpy" for n in names), path.name
    code = ("import sys, nn\n"
            "X, y = nn.datasets.moons(10)\n"
            "m = nn.MLP(2, [3, 1], seed=0)\n"
            "nn.fit(m, X, y, nn.binary_cross_entropy_with_logits, nn.Adam(m.parameters()),"
            " epochs=2, quiet=True)\n"
            "nn.evaluate(m, X, y); nn.draw_network(m, X=X).source\n"
            "nn.TrainingRecorder(m, X, y, resolution=4)\n"
            "print('numpy' in sys.modules)\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert run.stdout.strip() == "False"
