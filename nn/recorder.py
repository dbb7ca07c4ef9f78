"""Recording a 2-D classifier's training, epoch by epoch, as frames of numbers.

    recorder = TrainingRecorder(model, X, y)          # frame 0: the model before training
    fit(model, X, y, hinge_loss, optimizer, epochs=100, on_epoch=recorder)

A frame holds numbers, not pictures: the boundary as a coarse grid of one byte per cell, and one
number per weight, bias and gradient. `nn.replay.save_training_replay` turns the frames into a
page. Frame k shows the model after epoch k's update; its loss is the one `fit` measured during
epoch k (before that update), and its accuracy is the snapshot's own, on the recorded points.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from nn.draw_network import network_layers, unit_status
from nn.module import Module
from nn.plots import class_indices, class_scorer, data_bounds, grid_points
from nn.train import History, as_labels, as_rows, output_activation


def round_for_page(x: float) -> float:
    """4 significant digits: plenty for a picture, and it keeps the page small."""
    return float(f"{x:.4g}")


@dataclass(frozen=True)
class Frame:
    """One snapshot of the model during training."""

    epoch: int  # 0 = before training
    loss: float | None  # the epoch's training loss as fit measured it; None for epoch 0
    accuracy: float  # of this snapshot on the recorded points
    grid: bytes  # resolution^2 cells, row by row from the bottom (smallest x1) up; see `shade`
    weights: list[float]  # one per edge, in edge order (layer, neuron, input)
    grads: list[float]  # dL/dw of the last backward pass, same order
    biases: list[float]  # one per neuron, layer by layer
    bias_grads: list[float]
    status: str  # per neuron: "." healthy, "d" dead, "s" saturated (see unit_status)
    wrong: list[int]  # indices of the recorded points this snapshot misclassifies


class TrainingRecorder:
    """Records frames of a 2-input classifier's training, for `save_training_replay`.

    Call it as fit's `on_epoch(epoch, history)` hook, or call `record(epoch, loss)` from your
    own loop. X and y: lists, tuples or numpy arrays. `every` keeps one epoch in `every` (the
    last one is always worth keeping: call `record` yourself after an early stop if needed).
    `resolution` is the boundary grid's side. The constructor records frame 0, the untrained
    model, unless `record_start=False`.
    """

    def __init__(
        self,
        model: Module,
        X: Sequence[Sequence[float]],
        y: Sequence,
        resolution: int = 40,
        every: int = 1,
        record_start: bool = True,
    ) -> None:
        layers = network_layers(model)  # refuses anything but MLP, Layer, Neuron
        if len(layers[0][0].w) != 2:
            raise ValueError("a training replay shows 2-input classifiers (points in a plane); "
                             f"this model takes {len(layers[0][0].w)} inputs")
        X, y = as_rows(X), as_labels(y)  # from lists, tuples or numpy arrays alike
        if len(X) != len(y) or any(len(p) != 2 for p in X):
            raise ValueError("X must be a non-empty list of 2-D points, as long as y")
        for name, value, least in (("resolution", resolution, 2), ("every", every, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ValueError(f"{name} must be an int >= {least}, got {value!r}")
        self.model, self.X, self.y = model, [[float(c) for c in p] for p in X], y
        self.resolution, self.every = resolution, every
        self.bounds = data_bounds(self.X)
        self.score, self.n_outputs = class_scorer(model)
        self.probability = output_activation(model) == "sigmoid"
        self.frames: list[Frame] = []
        if record_start:
            self.record(0)

    def __call__(self, epoch: int, history: History) -> None:
        """fit's on_epoch hook: record this epoch (one in `every`), with its loss."""
        if epoch % self.every == 0:
            self.record(epoch, history.loss[-1] if history.loss else None)

    def shade(self, score: float | int) -> int:
        """A grid cell as one byte. One output: 127.5 * (1 + tanh(margin)) (0 = surely class 0,
        255 = surely class 1, 128 = on the boundary), with margin = 2 * (p - 0.5) for a
        probability; several outputs: the predicted class index."""
        if self.n_outputs > 1:
            return int(score)
        t = 2.0 * score if self.probability else math.tanh(score)
        return max(0, min(255, round(127.5 * (1.0 + t))))

    def record(self, epoch: int, loss: float | None = None) -> Frame:
        """Snapshot the model now, as the frame of `epoch`."""
        grid = self.model.predict_batch(grid_points(self.bounds, self.resolution))
        cells = bytes(self.shade(self.score(out)) for out in grid)
        scores = [self.score(out) for out in self.model.predict_batch(self.X)]
        if self.n_outputs == 1:
            predicted = [int(s > 0) for s in scores]
        else:
            predicted = scores
        truth = class_indices(self.y)
        wrong = [i for i, (p, t) in enumerate(zip(predicted, truth)) if p != t]
        layers = network_layers(self.model)
        ws = [w for neurons in layers for neuron in neurons for w in neuron.w]
        bs = [neuron.b for neurons in layers for neuron in neurons]
        codes = {"": ".", "dead": "d", "saturated": "s"}
        status = "".join(codes[s] for row in unit_status(self.model, self.X) for s in row)
        frame = Frame(
            epoch=epoch,
            loss=None if loss is None else round_for_page(loss),
            accuracy=1.0 - len(wrong) / len(self.X),
            grid=bytes(cells),
            weights=[round_for_page(w.data) for w in ws],
            grads=[round_for_page(w.grad) for w in ws],
            biases=[round_for_page(b.data) for b in bs],
            bias_grads=[round_for_page(b.grad) for b in bs],
            status=status,
            wrong=wrong,
        )
        self.frames.append(frame)
        return frame
