"""The network lab's session: one page's network, its data, and everything its frames show.

    session = Session(check_config({"dataset": "circles", "hidden": [4, 2]}))
    session.configured()        # the data, the layers, the network laid out once by dot
    session.frame(playing=False)  # epoch 0: losses, weights, grads, boundary, heatmaps, status
    session.train(on_epoch, stop)  # nn.fit itself, epoch after epoch, until on_epoch raises
    session.reset()             # epoch 0 again, the same weights (rebuilt from the seed)
    session.set_weight(1, 0, 2, 0.5)   # layer 1, neuron 0, weight 2 (2 == nin: the bias)
    session.open_neuron(1, 0, 17)      # that neuron's scalar graph for point 17

A Session is used by one thread at a time (its training thread, chainrule.lab.training): it has
no lock of its own. Messages from the page are checked before they reach it (chainrule.lab.ws);
what only the session can judge (a layer or neuron that does not exist) raises MessageError.

Where the numbers come from:
- training is nn.fit, unchanged: per epoch the minibatches of a seeded shuffle, the loss plus
  l2 * sum(p^2), zero_grad, backward, step; a divergence is fit's own TrainingDiverged, with
  its message. The session calls fit once per run (after configure or reset) and follows it
  from fit's on_epoch hook.
- every picture and score is `predict` on floats, no graph: the boundary and the neurons'
  heatmaps come from ONE forward pass over the 50 x 50 grid (`MLP.predict_layers`), the losses
  and accuracies from predict_batch on the training and test points (the loss functions read
  the floats as constants, inside no_grad: the same formulas that training differentiates).
- dead and saturated units are nn.draw_network.unit_status on the training points, the rule
  the network picture uses.
- an opened neuron is a graph of its own, with the numbers of a real backward pass of that
  sample's loss (see `Session.open_neuron`).
"""

from __future__ import annotations

import base64
import functools
import math
import random
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from autograd import Value, dot, no_grad
from autograd.draw import draw_dot, graph_size, run_dot
from autograd.html_page import inline_svg
from autograd.steps_html import FreshPass, fresh_pass, page_data
from nn import (
    MLP,
    SGD,
    Adam,
    TrainingDiverged,
    binary_cross_entropy_with_logits,
    cross_entropy,
    datasets,
    fit,
)
from nn.draw_network import draw_network, unit_status
from nn.layers import ACTIVATIONS
from nn.plots import CLASS_COLOURS, CLASS_MARKERS, grid_points
from nn.recorder import TrainingRecorder
from nn.train import History, decision_threshold, predictions_match

RESOLUTION = 50  # the boundary's grid: 50 x 50 points over the data's box, as the protocol says
# Each neuron's heatmap: 25 x 25 cells. Why 25: it is half of 50, so every cell is the mean of
# a 2 x 2 block of the boundary's grid and the heatmaps cost no forward pass of their own (the
# one over the 50 x 50 grid gives every layer's outputs); a thumbnail of 50 to 100 px then gets
# 2 to 4 px a cell, smooth to the eye (TF Playground draws 10 x 10); and a frame of the largest
# network (6 x 8 hidden neurons) carries 49 x 625 bytes of heatmaps, 41 KB in base64.
NEURON_RESOLUTION = RESOLUTION // 2
HISTORY_POINTS = 200  # a frame's history: the losses of its epoch and the 199 before
# TF Playground's page offers up to 6 hidden layers of up to 8 neurons; the server takes up to
# 16 neurons a layer, so that micrograd's 2-16-16-1 runs too
MAX_HIDDEN_LAYERS, MAX_WIDTH = 6, 16
WHOLE_GRAPH_LIMIT = 2000  # Values: a sample's whole loss graph is drawn up to this size
DOT_TIMEOUT = 8.0  # seconds for one picture (the formula lab's limit too)
MOMENTUM = 0.9  # the "momentum" optimizer: SGD with this momentum
# A neuron's output, for its heatmap: [lo, hi] maps to bytes 0..255 (clamped beyond). TF
# Playground's [-1, 1] for every activation but the sigmoid, whose outputs are in [0, 1].
HEATMAP_RANGE = {"sigmoid": (0.0, 1.0)}
DEFAULT_RANGE = (-1.0, 1.0)

DATASET_CLASSES = {"moons": 2, "circles": 2, "xor": 2, "spiral": 3, "blobs": 3}
OPTIMIZERS = ("sgd", "momentum", "adam")
ACTIVATION_NAMES = ("tanh", "relu", "sigmoid", "leaky_relu", "linear")  # nn's ACTIVATIONS

# TF Playground's defaults: circles, 500 points, half of them for training, 2 -> 4 -> 2 -> 1
# tanh, SGD with lr 0.03, batch 10. A configure message may leave out any key.
DEFAULTS: dict[str, Any] = {
    "dataset": "circles", "noise": 0.0, "train_fraction": 0.5, "points": 500, "seed": 0,
    "hidden": [4, 2], "activation": "tanh", "optimizer": "sgd", "lr": 0.03,
    "batch_size": 10, "l2": 0.0,
}
MAX_SEED = 2**31 - 1


class MessageError(ValueError):
    """A message the session cannot carry out; its text is one sentence for the page."""


# ---------------------------------------------------------------------------------------------
# The config: checked at the boundary, every mistake one sentence.


@dataclass(frozen=True)
class Config:
    """A checked configure message (see DEFAULTS for the values of keys left out)."""

    dataset: str
    noise: float
    train_fraction: float
    points: int
    seed: int
    hidden: tuple[int, ...]
    activation: str
    optimizer: str
    lr: float
    batch_size: int
    l2: float

    @property
    def classes(self) -> int:
        return DATASET_CLASSES[self.dataset]


def _kind(value: object) -> str:
    """A JSON value's type, as a sentence names it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return f"the number {value!r:.30}"
    if isinstance(value, str):
        return f"the string {value!r:.40}"
    return "an array" if isinstance(value, list) else "an object"


def _choice(config: dict, key: str, choices: tuple[str, ...]) -> str:
    value = config[key]
    if not isinstance(value, str) or value not in choices:
        raise MessageError(f"config.{key} must be one of {', '.join(choices)}, not "
                           f"{_kind(value)}")
    return value


def _number(config: dict, key: str, low: float, high: float, *, open_low: bool = False) -> float:
    value = config[key]
    span = f"{'above' if open_low else 'from'} {low:g} {'up ' if open_low else ''}to {high:g}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MessageError(f"config.{key} must be a number {span}, not {_kind(value)}")
    x = float(value) if abs(value) < 1e300 else math.inf  # (float() of a huge int overflows)
    if not (low < x <= high if open_low else low <= x <= high):
        raise MessageError(f"config.{key} must be a number {span}, not {value!r:.30}")
    return x


def _integer(value: object, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise MessageError(f"{what} must be a whole number from {low} to {high}, not "
                           f"{_kind(value)}")
    return value


def check_config(data: object) -> Config:
    """A configure message's "config" object, checked: unknown keys, wrong types and values
    out of range are a MessageError naming the key and what it takes; keys left out take
    DEFAULTS."""
    if not isinstance(data, dict):
        raise MessageError(f"config must be an object such as {{\"dataset\": \"circles\"}}, not "
                           f"{_kind(data)}")
    for key in data:
        if key not in DEFAULTS:
            raise MessageError(f"config has no key {key!r:.40}; its keys are "
                               f"{', '.join(DEFAULTS)}")
    config = {**DEFAULTS, **data}
    hidden = config["hidden"]
    if not isinstance(hidden, list) or len(hidden) > MAX_HIDDEN_LAYERS:
        raise MessageError(f"config.hidden must be a list of at most {MAX_HIDDEN_LAYERS} layer "
                           f"widths, such as [4, 2], not {_kind(hidden)}"
                           + (f" of {len(hidden)}" if isinstance(hidden, list) else ""))
    widths = tuple(_integer(n, f"config.hidden[{i}]", 1, MAX_WIDTH)
                   for i, n in enumerate(hidden))
    points = _integer(config["points"], "config.points", 20, 500)
    return Config(
        dataset=_choice(config, "dataset", tuple(DATASET_CLASSES)),
        noise=_number(config, "noise", 0.0, 0.5),
        train_fraction=_number(config, "train_fraction", 0.1, 0.9),
        points=points,
        seed=_integer(config["seed"], "config.seed", 0, MAX_SEED),
        hidden=widths,
        activation=_choice(config, "activation", ACTIVATION_NAMES),
        optimizer=_choice(config, "optimizer", OPTIMIZERS),
        lr=_number(config, "lr", 0.0, 10.0, open_low=True),
        batch_size=_integer(config["batch_size"], "config.batch_size", 1, points),
        l2=_number(config, "l2", 0.0, 1.0),
    )


# ---------------------------------------------------------------------------------------------
# What a config builds: the data, the model, its optimizer and its loss.


def make_data(config: Config) -> tuple[list[list[float]], list[int]]:
    """The config's points and labels, from its seed. The noise is each generator's own
    (a standard deviation; spiral's is an angle), but for blobs, spread 0.5 + 4 x noise apart
    from centres 10 wide: at 0 they are well apart, at 0.5 they overlap."""
    n, noise, seed = config.points, config.noise, config.seed
    if config.dataset == "spiral":
        return datasets.spiral(n=n, classes=3, noise=noise, seed=seed)
    if config.dataset == "blobs":
        return datasets.blobs(n, centers=3, std=0.5 + 4.0 * noise, seed=seed)
    return getattr(datasets, config.dataset)(n, noise=noise, seed=seed)


def split(config: Config) -> tuple[list[int], list[int]]:
    """(training indices, test indices) into the points, each list in increasing order: a
    seeded shuffle, then round(train_fraction * points) of them for training."""
    order = list(range(config.points))
    random.Random(config.seed).shuffle(order)
    n_train = round(config.train_fraction * config.points)  # 2 to 450: never all, never none
    return sorted(order[:n_train]), sorted(order[n_train:])


def make_model(config: Config) -> MLP:
    """2 inputs -> the hidden layers -> one logit (two classes) or one per class, the same
    weights for the same seed (and architecture)."""
    outputs = 1 if config.classes == 2 else config.classes
    return MLP(2, [*config.hidden, outputs], config.activation, "linear", seed=config.seed)


def make_optimizer(config: Config, model: MLP) -> SGD | Adam:
    if config.optimizer == "adam":
        return Adam(model.parameters(), lr=config.lr)
    momentum = MOMENTUM if config.optimizer == "momentum" else 0.0
    return SGD(model.parameters(), lr=config.lr, momentum=momentum)


def loss_function(config: Config) -> Callable[..., Value]:
    """Binary cross-entropy on the logit for two classes, softmax cross-entropy for more."""
    return binary_cross_entropy_with_logits if config.classes == 2 else cross_entropy


@functools.lru_cache(maxsize=64)
def network_svg(nin: int, nouts: tuple[int, ...], activation: str, seed: int) -> str:
    """draw_network's picture of the model these arguments build, laid out by dot: the page
    lays it out once per configure and recolours it by its ids on every frame. The same
    arguments give the same model, so the picture is remembered (64 of them).

    Laid out for the back of a room: no number on the lines (on a crowded net they overlap
    one another; the page shows a line's number as the pointer rests on it, in its tooltip,
    and in its weight editor), and the layers closer together (ranksep 1 inch, not 1.4: room
    for a neuron's heatmap and its lines still), so the page can scale the picture up."""
    model = MLP(nin, list(nouts), activation, "linear", seed=seed)
    picture = draw_network(model, legend=False, edge_labels=False)
    picture.attr("graph", ranksep="1.0")  # (a statement after draw_network's own: it wins)
    return svg_of(picture)


# ---------------------------------------------------------------------------------------------
# Numbers for a frame.


def _finite(x: float) -> float | None:
    """A number for the page: None (JSON null) when it is not finite, which only a diverging
    run's weights can make happen (the protocol's numbers are finite)."""
    return x if math.isfinite(x) else None


def _rounded(x: float | None) -> float | None:
    """4 significant digits, enough for a curve."""
    return None if x is None else float(f"{x:.4g}")


def heatmap(column: list[float], low: float, high: float, n: int = RESOLUTION) -> bytes:
    """A neuron's outputs over the n x n grid (row by row from the bottom) as (n/2)^2 bytes:
    each cell the mean m of a 2 x 2 block of grid points, 255 (m - low) / (high - low),
    clamped to 0..255 (nan, from an overflowed forward pass, counts as low)."""
    sums: list[float] = []  # 4 m, each cell's sum of 4
    for r in range(0, n, 2):
        below, above = column[r * n:(r + 1) * n], column[(r + 1) * n:(r + 2) * n]
        sums += [a + b + c + d for a, b, c, d in zip(below[0::2], below[1::2], above[0::2],
                                                        above[1::2])]
    low4, high4, scale = 4.0 * low, 4.0 * high, 255.0 / (4.0 * (high - low))
    return bytes([round((min(high4, max(low4, s)) - low4) * scale) for s in sums])


def _base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class LossCurve:
    """The training and test losses of the last `points` epochs, one per epoch, the oldest
    dropped: what a frame's "history" carries (its last entry is the frame's own epoch), so
    that a frame the page never got leaves no gap in its curve; memory stays bounded."""

    def __init__(self, points: int = HISTORY_POINTS) -> None:
        self.train: deque[float | None] = deque(maxlen=points)
        self.test: deque[float | None] = deque(maxlen=points)

    def add(self, train: float | None, test: float | None) -> None:
        self.train.append(_rounded(train))
        self.test.append(_rounded(test))

    def replace_last(self, train: float | None, test: float | None) -> None:
        """The epoch's losses changed (a weight set by hand)."""
        self.train.pop()
        self.test.pop()
        self.add(train, test)

    def as_json(self) -> dict[str, list]:
        return {"train": list(self.train), "test": list(self.test)}


class Stopped(Exception):
    """Raised from inside fit (its on_epoch hook, or the loss of a batch) to end a run."""


# ---------------------------------------------------------------------------------------------
# The session.


class Session:
    """One page's network: the data and model built from a Config, its optimizer, the epoch it
    is at, its loss curve, and which numbers the drawing shows."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.X, self.y = make_data(config)
        self.train_indices, self.test_indices = split(config)
        self.X_train = [self.X[i] for i in self.train_indices]
        self.y_train = [self.y[i] for i in self.train_indices]
        self.X_test = [self.X[i] for i in self.test_indices]
        self.y_test = [self.y[i] for i in self.test_indices]
        self.loss_fn = loss_function(config)
        self.show = "weights"
        self.start()

    def start(self) -> None:
        """Epoch 0: the model from the seed (the same weights every time), a new optimizer
        (no momentum or Adam state), an empty loss curve."""
        self.model = make_model(self.config)
        self.optimizer = make_optimizer(self.config, self.model)
        self.epoch = 0
        self.diverged: str | None = None
        self.curve = LossCurve()
        # the boundary's bytes as the training replay shades them (nn.recorder), over the box
        # of all the points, training and test
        self.shader = TrainingRecorder(self.model, self.X, self.y, resolution=RESOLUTION,
                                       record_start=False)
        self.grid = grid_points(self.shader.bounds, RESOLUTION)
        self._measured = self._losses()
        self.curve.add(self._measured[0], self._measured[1])

    def reset(self) -> None:
        """Back to epoch 0 with the same initial weights."""
        self.start()

    # -- what the page is told once per configure ---------------------------------------------

    def configured(self) -> dict[str, Any]:
        """The "configured" message: the layers, the network's picture (laid out once), the
        points with their labels and split, the grids' sizes, the classes' colours and markers.
        """
        model, k = self.model, self.config.classes
        return {
            "type": "configured",
            "network": {
                "layers": [[layer.nin, layer.nout, layer.activation] for layer in model.layers],
                "svg": network_svg(model.nin, tuple(model.nouts), self.config.activation,
                                   self.config.seed),
                "points": self.X,
                "labels": self.y,
                "train": self.train_indices,
                "test": self.test_indices,
                "bounds": list(self.shader.bounds),
                "resolution": RESOLUTION,
                "neuron_resolution": NEURON_RESOLUTION,
                "heatmap_ranges": [list(HEATMAP_RANGE.get(layer.activation, DEFAULT_RANGE))
                                   for layer in model.layers],
                "classes": k,
                "colours": CLASS_COLOURS[:k],
                "markers": CLASS_MARKERS[:k],
                "config": self.config_json(),
            },
        }

    def config_json(self) -> dict[str, Any]:
        c = self.config
        return {"dataset": c.dataset, "noise": c.noise, "train_fraction": c.train_fraction,
                "points": c.points, "seed": c.seed, "hidden": list(c.hidden),
                "activation": c.activation, "optimizer": c.optimizer, "lr": c.lr,
                "batch_size": c.batch_size, "l2": c.l2}

    # -- a frame ------------------------------------------------------------------------------

    def _outputs_loss(self, X: list[list[float]], y: list[int]) -> tuple[float | None, float]:
        """(mean loss, accuracy) of the model on (X, y), from predict: the loss function reads
        the floats as constants (no_grad: no graph)."""
        outputs = self.model.predict_batch(X)
        accuracy = sum(predictions_match(outputs, y, decision_threshold(self.model))) / len(y)
        try:
            with no_grad():
                loss = self.loss_fn(outputs, y).data
        except (ValueError, OverflowError):  # an output overflowed (a diverging run)
            loss = math.nan
        return _finite(loss), accuracy

    def _losses(self) -> tuple[float | None, float | None, float, float]:
        """(train loss, test loss, train accuracy, test accuracy) of the model now."""
        train_loss, train_accuracy = self._outputs_loss(self.X_train, self.y_train)
        test_loss, test_accuracy = self._outputs_loss(self.X_test, self.y_test)
        return train_loss, test_loss, train_accuracy, test_accuracy

    def after_epoch(self, epoch: int, history: History) -> None:
        """fit's hook, first part: note the epoch and its losses. fit's own History is
        emptied: the session keeps its bounded LossCurve, and a run may last for hours."""
        self.epoch = epoch
        history.loss.clear()
        history.accuracy.clear()
        history.grad_norms.clear()
        self._measured = self._losses()
        self.curve.add(self._measured[0], self._measured[1])

    def _status(self) -> str:
        """unit_status on the training points: one character per neuron ("." healthy,
        "d" dead, "s" saturated)."""
        codes = {"": ".", "dead": "d", "saturated": "s"}
        try:
            rows = unit_status(self.model, self.X_train)
        except (ValueError, OverflowError):  # a forward pass overflowed (a diverging run)
            return "." * sum(self.model.nouts)
        return "".join(codes[s] for row in rows for s in row)

    def _pictures(self) -> tuple[str, list[str]]:
        """The boundary (base64 of RESOLUTION^2 bytes, nn.recorder's shade) and each neuron's
        heatmap (base64 of NEURON_RESOLUTION^2 bytes), from one forward pass over the grid."""
        layers = self.model.predict_layers(self.grid)
        last, score, shade = layers[-1], self.shader.score, self.shader.shade
        outputs = last[0] if len(last) == 1 else list(zip(*last))
        try:
            boundary = bytes(map(shade, map(score, outputs)))
        except ValueError:  # round(nan): an output overflowed (a diverging run)
            boundary = bytes(128 if _has_nan(out) else shade(score(out)) for out in outputs)
        heatmaps = []
        for layer, columns in zip(self.model.layers, layers):
            low, high = HEATMAP_RANGE.get(layer.activation, DEFAULT_RANGE)
            heatmaps.extend(_base64(heatmap(column, low, high)) for column in columns)
        return _base64(boundary), heatmaps

    def frame(self, playing: bool) -> dict[str, Any]:
        """The "frame" message of the model now (see the protocol)."""
        train_loss, test_loss, train_accuracy, test_accuracy = self._measured
        neurons = [n for layer in self.model.layers for n in layer.neurons]
        weights = [w for n in neurons for w in n.w]
        boundary, heatmaps = self._pictures()
        return {
            "type": "frame",
            "epoch": self.epoch,
            "train_loss": train_loss,
            "test_loss": test_loss,
            "train_accuracy": train_accuracy,
            "test_accuracy": test_accuracy,
            "playing": playing,
            "show": self.show,
            "weights": [_finite(w.data) for w in weights],
            "grads": [_finite(w.grad) for w in weights],
            "biases": [_finite(n.b.data) for n in neurons],
            "bias_grads": [_finite(n.b.grad) for n in neurons],
            "status": self._status(),
            "boundary": boundary,
            "heatmaps": heatmaps,
            "history": self.curve.as_json(),
        }

    # -- training ----------------------------------------------------------------------------

    def train(self, on_epoch: Callable[[int, History], None], stop: Callable[[], bool]) -> None:
        """Run nn.fit on the training points from the epoch the session is at, for as long as
        it is let: `on_epoch(epoch, history)` is fit's hook (call `after_epoch` from it), and
        raises Stopped to end the run; `stop()` is asked before every minibatch, and a True
        ends the run within one (Stopped). A divergence raises fit's TrainingDiverged (and the
        session remembers its message)."""
        def loss(outputs: list, targets: list) -> Value:
            if stop():
                raise Stopped
            return self.loss_fn(outputs, targets)

        try:
            fit(self.model, self.X_train, self.y_train, loss, self.optimizer,
                epochs=sys.maxsize, batch_size=self.config.batch_size, l2=self.config.l2,
                seed=self.config.seed, quiet=True, on_epoch=on_epoch)
        except TrainingDiverged as error:
            self.diverged = str(error)
            raise

    # -- the page's edits ----------------------------------------------------------------------

    def _neuron(self, layer: object, neuron: object) -> tuple[int, int]:
        layers = self.model.layers
        li = _integer(layer, "layer", 0, len(layers) - 1)
        return li, _integer(neuron, f"neuron (layer {li} has {layers[li].nout})", 0,
                            layers[li].nout - 1)

    def set_weight(self, layer: object, neuron: object, index: object, value: object) -> None:
        """Set weight `index` of the neuron (index == nin: its bias) to `value`; the next
        epochs train on from it. (The optimizer's state, momentum or Adam's averages, stays.)"""
        li, j = self._neuron(layer, neuron)
        unit = self.model.layers[li].neurons[j]
        i = _integer(index, f"input (neuron {j} of layer {li} has {unit.nin} weights and a bias "
                     f"at {unit.nin})", 0, unit.nin)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                abs(value) <= 1e6):  # (nan fails it too; a huge int is never made a float)
            raise MessageError(f"value must be a number from -1e6 to 1e6, not {_kind(value)}")
        (unit.w[i] if i < unit.nin else unit.b).data = float(value)
        self._measured = self._losses()
        self.curve.replace_last(self._measured[0], self._measured[1])

    def open_neuron(self, layer: object, neuron: object, point: object,
                    render: Callable[[Any], str] | None = None) -> dict[str, Any]:
        """The "neuron" message: neuron `neuron` of layer `layer` at point `point` (an index of
        the points; a training point, or a test point, which is computed the same way though
        training never uses it).

        The numbers are those of one real backward pass of that sample's loss (its data loss,
        without the L2 term): the sample's whole graph is built (model(x), then the loss) and
        run once with fresh_pass (which leaves the model's grads as training left them). Its
        gradient at the neuron's output is the upstream g = dL/d(out). The neuron's own graph
        is then built apart: the previous layer's outputs as labelled leaves, its weights and
        bias, its dot node and its activation, which is the root (named as in the whole
        graph). Its backward pass is seeded with g, so out.grad = g and from there the same
        products as the whole pass: the weights', the bias's, z's and out's gradients are the
        very bits of the whole graph's; an input's is this neuron's contribution to it.

        `render(picture)` lays a graphviz picture out as an SVG element (default: `svg_of`,
        dot itself); the training thread passes one that lets go of its CPU slot while dot runs.
        """
        render = render or svg_of
        li, j = self._neuron(layer, neuron)
        k = _integer(point, f"point (there are {len(self.X)} points)", 0, len(self.X) - 1)
        try:
            sample = _SampleGraph(self.model, self.X[k], self.y[k], self.loss_fn)
            output = sample.outputs[li][j]
            upstream = sample.grads[output]
            own = _neuron_graph(self.model, li, j, sample.inputs_of(li), upstream,
                                sample.run.snapshot.names[output])
        except (OverflowError, ValueError):  # a diverged run's weights: no graph to show
            raise MessageError("the weights have diverged, so this point's forward pass "
                               "overflows: press Reset or change a setting, then open the "
                               "neuron again") from None
        answer: dict[str, Any] = {
            "type": "neuron", "layer": li, "neuron": j, "point": k,
            "training": k in set(self.train_indices), "target": self.y[k],
            "loss": sample.loss.data, "upstream": upstream,
            "svg": render(_picture(own.snapshot.root, own)),
            "page": page_data(own),
            "whole": None,
        }
        size, _ = graph_size(sample.loss, WHOLE_GRAPH_LIMIT, 10 * WHOLE_GRAPH_LIMIT)
        if size <= WHOLE_GRAPH_LIMIT:
            whole = _picture(sample.loss, sample.run, cluster="label-prefix")
            answer["whole"] = {"svg": render(whole),
                               "page": page_data(sample.run), "values": size}
        return answer


def _has_nan(out: float | tuple[float, ...]) -> bool:
    return any(x != x for x in out) if isinstance(out, tuple) else out != out


class _SampleGraph:
    """One sample's whole graph, layer by layer (model(x) builds the same nodes), its loss,
    and one fresh backward pass of it."""

    def __init__(self, model: MLP, x: list[float], target: int,
                 loss_fn: Callable[..., Value]) -> None:
        self.x = x
        self.outputs: list[list[Value]] = []
        inputs: list[Value] | list[float] = x
        for layer in model.layers:
            inputs = layer(inputs)
            self.outputs.append(inputs)
        final = inputs[0] if len(inputs) == 1 else inputs
        self.loss = loss_fn(final, target)
        self.run: FreshPass = fresh_pass(self.loss)
        self.grads = self.run.grads

    def inputs_of(self, li: int) -> list[tuple[str, float]]:
        """(label, number) of each input of layer li: the point's coordinates x0, x1 for the
        first layer, the previous layer's outputs (named as in the whole graph) after it."""
        if li == 0:
            return [(f"x{i}", c) for i, c in enumerate(self.x)]
        names = self.run.snapshot.names
        return [(names[v], v.data) for v in self.outputs[li - 1]]


def _neuron_graph(model: MLP, li: int, j: int, inputs: list[tuple[str, float]],
                  upstream: float, name: str) -> FreshPass:
    """The neuron's own graph, `name` = act(w . a + b), and its fresh backward pass seeded with
    `upstream`, what the loss sends back to the neuron's output.

    NOTE: the graph ends at the neuron's output itself. A made-up root such as L = out *
    upstream would show a second "L" next to the whole loss's L, with another number: one
    symbol, two meanings. The seed gives out.grad = upstream without one."""
    unit = model.layers[li].neurons[j]
    a = [Value(number, label) for label, number in inputs]
    w = [Value(p.data, p.label) for p in unit.w]
    b = Value(unit.b.data, unit.b.label)
    z = dot(w, a, b)  # unlabelled: the snapshot names it L{li}.n{j}.z, as in the whole graph
    act = ACTIVATIONS[unit.activation]
    out = z if act is None else act(z)
    out.label = name  # (a root unlabelled would be named "L")
    return fresh_pass(out, seed=upstream, origin="what the loss sends back to this neuron's "
                      f"output, dL/d({name}), so each gradient below is the loss's")


def _picture(root: Value, run: FreshPass, **options: Any) -> Any:
    """draw_dot's picture of a fresh pass (a graphviz.Digraph, not laid out yet)."""
    return draw_dot(root, snapshot=run.snapshot, grads=run.grads, **options)


def svg_of(picture: Any) -> str:
    """A graphviz picture laid out by dot, as an SVG element."""
    return inline_svg(run_dot(picture, "svg", timeout=DOT_TIMEOUT).decode("utf-8"))
