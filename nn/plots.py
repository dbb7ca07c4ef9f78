"""Training pictures with matplotlib: loss and accuracy curves, a 2-D classifier's decision
boundary, and each layer's gradient norm over the epochs.

matplotlib is an optional extra (`pip install 'chainrule[plots]'`), imported inside these
functions only, so `import nn` stays fast and works without it. The figures are drawn with the
Agg canvas directly (never `pyplot`), which leaves the user's backend and open figures alone.
Every function writes its PNG atomically and returns the Path written.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograd.files import write_atomically
from nn.module import Module
from nn.train import History, as_samples, decision_threshold

if TYPE_CHECKING:
    from matplotlib.figure import Figure

INSTALL_MATPLOTLIB = "plotting needs matplotlib: pip install 'chainrule[plots]'"
# Class colours: the Okabe-Ito palette (Okabe & Ito, "Color Universal Design", 2008), chosen to
# stay apart for the colour-blind too (deuteranopia, protanopia). Class 0 is vermillion and class
# 1 blue, the negative and positive of draw_network; class k takes CLASS_COLOURS[k % 8].
CLASS_COLOURS = ["#d55e00", "#0072b2", "#009e73", "#e69f00", "#cc79a7", "#56b4e9", "#f0e442",
                 "#000000"]
# ... and a marker shape per class (matplotlib's codes), so that no class is told by its colour
# alone: circle, square, triangle up, diamond, triangle down, plus, cross, star, triangle left,
# triangle right. Class k takes CLASS_MARKERS[k % 10].
CLASS_MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "<", ">"]
MISCLASSIFIED_RING = "#000000"


def class_style(k: int) -> tuple[str, str]:
    """(colour, marker) of class number k."""
    return CLASS_COLOURS[k % len(CLASS_COLOURS)], CLASS_MARKERS[k % len(CLASS_MARKERS)]


class MatplotlibMissingError(ImportError):
    """matplotlib (the `plots` extra) is not installed."""


def _figure(width: float, height: float) -> Figure:
    """A new matplotlib Figure on an Agg canvas (no pyplot, no global state)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise MatplotlibMissingError(INSTALL_MATPLOTLIB) from None
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Figure, path: str | os.PathLike) -> Path:
    """Write `fig` as PNG: to a temporary file in the same folder, then renamed into place, so
    an interrupted save never leaves half a picture."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return write_atomically(path, buffer.getvalue())


def _check_history(history: object) -> History:
    if not isinstance(history, History):
        raise TypeError(f"expected the History that fit() returns, got {type(history).__name__}")
    if not history.loss:
        raise ValueError("this History is empty: train for at least one epoch first")
    return history


def plot_history(history: History, path: str | os.PathLike, title: str = "") -> Path:
    """Loss (left) and accuracy (right) per epoch, as a PNG at `path`.

    The loss axis is logarithmic when the loss spans more than a factor of 100 (late progress
    stays visible) and stays linear otherwise.
    """
    history = _check_history(history)
    epochs = range(1, history.epochs + 1)
    fig = _figure(9.0, 3.4)
    loss_ax, acc_ax = fig.subplots(1, 2)
    loss_ax.plot(epochs, history.loss, color=CLASS_COLOURS[1], lw=2)
    loss_ax.set(xlabel="epoch", ylabel="training loss", title="loss")
    positive = [v for v in history.loss if v > 0]
    if positive and max(positive) > 100 * min(positive):
        loss_ax.set_yscale("log")
    if history.accuracy:
        acc_ax.plot(epochs, [100 * a for a in history.accuracy], color=CLASS_COLOURS[0], lw=2)
        acc_ax.set_ylim(0, 102)
    acc_ax.set(xlabel="epoch", ylabel="training accuracy (%)", title="accuracy")
    for ax in (loss_ax, acc_ax):
        ax.grid(alpha=0.3)
    if title or history.stopped:
        fig.suptitle(title or f"stopped: {history.stopped}", fontsize=10)
    return save_figure(fig, path)


def plot_grad_norms(
    history: History, path: str | os.PathLike, labels: Sequence[str] | None = None
) -> Path:
    """Each layer's gradient norm sqrt(sum of dL/dp^2 over its parameters) per epoch, on a log
    scale, as a PNG at `path`.

    A log scale shows ratios: lines that sit decades apart, or fall by decades, are vanishing
    gradients (the early layers of a deep tanh or sigmoid net learn far slower than the last).
    Epochs where a layer's norm is exactly 0 (all its units dead) leave a gap in its line.
    """
    history = _check_history(history)
    if not history.grad_norms or not history.grad_norms[0]:
        raise ValueError("this History has no gradient norms")
    n_layers = len(history.grad_norms[0])
    if labels is None:
        labels = [f"layer {k + 1}" + (" (output)" if k == n_layers - 1 else "")
                  for k in range(n_layers)]
    if len(labels) != n_layers:
        raise ValueError(f"expected {n_layers} labels (one per layer), got {len(labels)}")
    fig = _figure(6.4, 3.8)
    ax = fig.subplots()
    epochs = list(range(1, len(history.grad_norms) + 1))
    for k, label in enumerate(labels):
        norms = [row[k] if row[k] > 0 else math.nan for row in history.grad_norms]
        ax.plot(epochs, norms, lw=1.8, label=label)
    ax.set_yscale("log")
    ax.set(xlabel="epoch", ylabel="gradient norm  ||dL/dW||  (log scale)",
           title="gradient norm per layer")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def class_scorer(model: Module) -> tuple[Callable[[Any], float | int], int]:
    """(score, n_outputs): how to read the model's output (`predict`'s: a float, or a list of
    floats) as a class, with the rule of `nn.train.predictions_match`.

    One output: score(out) is the signed margin: out - 0.5 for a sigmoid probability, else the
    output itself (a hinge score or a logit), so the class is 1 (or +1) where score > 0.
    Several outputs: score(out) is the index of the largest output, the predicted class.
    """
    first = model.predict([0.0] * model.nin)
    if isinstance(first, list) and len(first) > 1:
        return (lambda out: max(range(len(out)), key=out.__getitem__)), len(first)
    threshold = decision_threshold(model)

    def margin(out: float | list[float]) -> float:
        return (out[0] if isinstance(out, list) else out) - threshold

    return margin, 1


def class_index(label: float, y: Sequence) -> int:
    """Class number of a label, for colours: -1/+1 labels (hinge) are classes 0 and 1."""
    return (1 if label > 0 else 0) if any(t == -1 for t in y) else int(label)


def class_indices(y: Sequence) -> list[int]:
    """`class_index` of every label of y, looking for a -1 once rather than once per label."""
    plus_minus_one = any(t == -1 for t in y)
    return [(1 if t > 0 else 0) if plus_minus_one else int(t) for t in y]


def grid_scores(
    model: Module, bounds: tuple[float, float, float, float], resolution: int, score: Callable
) -> list[list[float]]:
    """score(model.predict(x)) on a resolution x resolution grid over bounds (x0min, x0max,
    x1min, x1max), row r at x1 = x1min + r*step (no graph is built)."""
    outputs = model.predict_batch(grid_points(bounds, resolution))
    return [[score(out) for out in outputs[r * resolution:(r + 1) * resolution]]
            for r in range(resolution)]


def grid_points(bounds: Sequence[float], resolution: int) -> list[list[float]]:
    """The points of a resolution x resolution grid over bounds (x0min, x0max, x1min, x1max),
    row by row from the bottom (smallest x1) up, each row from the smallest x0."""
    x0min, x0max, x1min, x1max = bounds
    xs = [x0min + (x0max - x0min) * c / (resolution - 1) for c in range(resolution)]
    ys = [x1min + (x1max - x1min) * r / (resolution - 1) for r in range(resolution)]
    return [[x, yv] for yv in ys for x in xs]


def data_bounds(X: Sequence[Sequence[float]], pad: float = 0.25) -> tuple[float, ...]:
    """The data's bounding box, widened by `pad` of its size on every side."""
    x0 = [p[0] for p in X]
    x1 = [p[1] for p in X]
    w0, w1 = (max(x0) - min(x0)) or 1.0, (max(x1) - min(x1)) or 1.0
    return (min(x0) - pad * w0, max(x0) + pad * w0, min(x1) - pad * w1, max(x1) + pad * w1)


def _check_2d(model: Module, X: object, y: object) -> tuple[list[list[float]], list]:
    """(X, y) as lists (from lists, tuples or numpy arrays), checked: 2-D points, as many as y."""
    if getattr(model, "nin", None) != 2:
        raise ValueError("a decision boundary is drawn for models with 2 inputs (points in a "
                         f"plane); this one takes {getattr(model, 'nin', '?')}")
    X, y = as_samples(X, y)
    if any(len(p) != 2 for p in X):
        raise ValueError("every point of X must have 2 coordinates")
    return X, y


def decision_boundary_figure(
    model: Module,
    X: Sequence[Sequence[float]],
    y: Sequence,
    resolution: int = 120,
    title: str = "",
) -> Figure:
    """The figure `plot_decision_boundary` saves (see there), for a caller that wants to add to
    it or show it in a notebook."""
    X, y = _check_2d(model, X, y)
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"resolution must be an int >= 2, got {resolution!r}")
    score, n_outputs = class_scorer(model)
    bounds = data_bounds(X)
    grid = grid_scores(model, bounds, resolution, score)
    point_scores = [score(out) for out in model.predict_batch([list(p) for p in X])]
    one_output = n_outputs == 1
    predicted = [int(s > 0) for s in point_scores] if one_output else point_scores
    truth = class_indices(y)
    wrong = [p for p, t, c in zip(X, truth, predicted) if t != c]

    from matplotlib.colors import LinearSegmentedColormap, ListedColormap

    fig = _figure(5.2, 4.6)
    ax = fig.subplots()
    extent = bounds
    if one_output:
        limit = max(abs(v) for row in grid for v in row) or 1.0
        cmap = LinearSegmentedColormap.from_list("margin", [CLASS_COLOURS[0], "#ffffff",
                                                            CLASS_COLOURS[1]])
        image = ax.imshow(grid, origin="lower", extent=extent, aspect="auto", cmap=cmap,
                          vmin=-limit, vmax=limit, alpha=0.75, interpolation="bilinear")
        fig.colorbar(image, ax=ax, shrink=0.8, label="margin (output - threshold)")
        ax.contour(grid, levels=[0.0], origin="lower", extent=extent, colors="black",
                   linewidths=1.2)
    else:
        k = n_outputs
        cmap = ListedColormap([class_style(c)[0] for c in range(k)])
        ax.imshow(grid, origin="lower", extent=extent, aspect="auto", cmap=cmap, vmin=-0.5,
                  vmax=k - 0.5, alpha=0.35, interpolation="nearest")
    # one scatter per class: its colour AND its marker, so no class is told by colour alone
    for c in sorted(set(truth)):
        colour, marker = class_style(c)
        points = [p for p, t in zip(X, truth) if t == c]
        ax.scatter([p[0] for p in points], [p[1] for p in points], c=colour, marker=marker,
                   s=34, edgecolors="black", linewidths=0.6, zorder=3, label=f"class {c}")
    if wrong:
        ax.scatter([p[0] for p in wrong], [p[1] for p in wrong], s=130, facecolors="none",
                   edgecolors=MISCLASSIFIED_RING, linewidths=1.6, zorder=4,
                   label="misclassified")
    ax.legend(loc="lower right", fontsize=8, framealpha=0.85)
    accuracy = 1 - len(wrong) / len(X)
    ax.set(xlim=extent[:2], ylim=extent[2:], xlabel="x0", ylabel="x1",
           title=title or f"decision boundary: {accuracy:.0%} of {len(X)} points right")
    return fig


def plot_decision_boundary(
    model: Module,
    X: Sequence[Sequence[float]],
    y: Sequence,
    path: str | os.PathLike,
    resolution: int = 120,
    title: str = "",
) -> Path:
    """The regions a 2-input classifier assigns to each class, with the data on top, as a PNG.

    One output: the background shades the signed margin (vermillion: class 0 or -1, blue:
    class 1 or +1; darker is more confident) and a black line marks the boundary, margin = 0.
    Several outputs: each region takes its predicted class's colour. Points show their true
    class by colour and marker shape together (`class_style`, the Okabe-Ito colours: readable
    with colour blindness and in greyscale); misclassified ones are ringed. The title gives the
    accuracy. X and y: lists, tuples or numpy arrays.
    """
    return save_figure(decision_boundary_figure(model, X, y, resolution, title), path)
