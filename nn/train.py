"""The training loop of gradient descent: forward, loss, backward, update W = W - lr*dW, repeat,
until the loss is small enough or stops improving.

`fit` adds what a class needs around it: minibatches, a progress bar, a `History` of loss,
accuracy and each layer's gradient norm per epoch (to see vanishing gradients), and a clear
stop when the loss turns nan or inf.
"""

from __future__ import annotations

import math
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Protocol

from autograd import Value, pause_gc
from nn.losses import l2_penalty
from nn.module import Module
from nn.optim import StepRefused

Loss = Callable[..., Value]


# What Python itself says when a float overflows (math.exp, fsum, **): terse, not a sentence.
_PYTHON_OVERFLOW_WORDS = ("math range error", "intermediate overflow", "out of range",
                          "too large to convert")


def _in_words(error: OverflowError | FloatingPointError) -> str:
    """An overflow's reason as a sentence: the engine's own messages already are one."""
    said = str(error)
    if not said or any(words in said for words in _PYTHON_OVERFLOW_WORDS):
        return f"a number grew past the largest float (about 1.8e308; Python: {said or '?'})"
    return said


class TrainingDiverged(FloatingPointError):
    """The loss became nan or inf: the step was too large for this problem."""


class Steppable(Protocol):
    """What `fit` needs of an optimizer (`nn.SGD`, `nn.Adam`, or your own)."""

    def zero_grad(self) -> None: ...

    def step(self) -> None: ...


@dataclass
class History:
    """What happened, epoch by epoch."""

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    grad_norms: list[list[float]] = field(default_factory=list)  # [epoch][layer]
    stopped: str = ""  # why training ended

    @property
    def epochs(self) -> int:
        return len(self.loss)


# ---------------------------------------------------------------------------------------------
# Samples: a list, a tuple or a numpy array of rows alike.
#
# NOTE: numpy is never imported. An array is read as any sequence is, through len() and
# indexing, and its scalars are numbers (numpy registers them as numbers.Real / Integral). Each
# number becomes a Python float or int at once: a float64 keeps its exact value, so an array and
# the same rows as lists train bit for bit alike; and the training loop then runs on plain
# Python numbers, not on numpy scalars (slower, and they would leak into every Value).


def _is_sequence(x: object) -> bool:
    """Has len() and indexing, and an order: a list, a tuple, an array; not text, a dict or a
    0-d array (whose len() fails)."""
    if isinstance(x, (str, bytes, dict)) or not hasattr(x, "__getitem__"):
        return False
    try:
        len(x)
    except TypeError:
        return False
    return True


def _is_number(x: object) -> bool:
    return isinstance(x, Real) and not isinstance(x, bool)  # True is an int in Python


def as_rows(X: object, what: str = "X") -> list[list]:
    """The samples `X` as a list of rows, each a new list: X may be a list or a tuple of rows, a
    numpy array, or anything with len() and indexing. Numbers become Python floats (ints and
    numpy scalars alike); Values stay the Values they are. Raises ValueError naming the first
    row that is not a sequence, TypeError naming the first entry that is not a number."""
    if not _is_sequence(X) or len(X) == 0:
        raise ValueError(f"{what} must be a non-empty list of samples (each a list of numbers), "
                         f"got {_shown(X)}")
    rows = []
    for k in range(len(X)):
        row = X[k]
        if not _is_sequence(row):
            hint = (" (for one number per sample, give rows of one: X.reshape(-1, 1) or "
                    "[[x] for x in X])") if _is_number(row) else ""
            raise ValueError(f"{what}[{k}] must be a list of numbers, got {_shown(row)}{hint}")
        rows.append([_entry(row[i], f"{what}[{k}][{i}]") for i in range(len(row))])
    return rows


def _entry(x: object, where: str) -> float | Value:
    if isinstance(x, Value):
        return x
    if not _is_number(x):
        raise TypeError(f"{where} must be a number, got {type(x).__name__} {_shown(x)}")
    return float(x)


def as_labels(y: object, what: str = "y") -> list:
    """The labels or targets `y` as a list, one per sample: y may be a list, a tuple or a 1-D
    numpy array. Integers (numpy's too) become Python ints, other numbers floats; a row of
    targets (multi-output regression) becomes a list of floats; anything else is passed on as
    it is, for the loss to judge (a loss names what it expects)."""
    if not _is_sequence(y):
        raise ValueError(f"{what} must be a list of labels, one per sample, got {_shown(y)}")
    labels = []
    for k in range(len(y)):
        t = y[k]
        if isinstance(t, (bool, Value)):  # for the loss to judge: it refuses both
            labels.append(t)
        elif isinstance(t, Integral):
            labels.append(int(t))
        elif isinstance(t, Real):
            labels.append(float(t))
        elif _is_sequence(t) and not isinstance(t, (list, tuple)):  # a row of a 2-D array
            labels.append([_entry(t[i], f"{what}[{k}][{i}]") for i in range(len(t))])
        else:
            labels.append(t)
    return labels


def as_samples(X: object, y: object, what: str = "X and y") -> tuple[list[list], list]:
    """(rows, labels): `as_rows(X)` and `as_labels(y)`, checked to be equally long."""
    rows, labels = as_rows(X), as_labels(y)
    if len(rows) != len(labels):
        raise ValueError(f"{what} must be non-empty and equally long, got {len(rows)} and "
                         f"{len(labels)}")
    return rows, labels


def _shown(x: object) -> str:
    """A short description of a bad argument: its repr, cut to one line of 60 characters."""
    text = " ".join(repr(x).split())
    return text if len(text) <= 60 else f"{text[:57]}..."


def output_activation(model: Module) -> str:
    """The activation of the model's last layer ("linear", "sigmoid", ...): an MLP's
    `output_activation`, a Layer's or a Neuron's `activation`, else "linear"."""
    return getattr(model, "output_activation", getattr(model, "activation", "linear"))


def decision_threshold(model: Module) -> float:
    """Where a one-output model's class flips from 0 to 1: 0.5 for a probability (a sigmoid
    output), else 0.0 (a score or a logit).

    Read from the model, not from the output Value: under `no_grad` every result is a bare
    number with op "", so the output cannot tell whether a sigmoid made it.
    """
    return 0.5 if output_activation(model) == "sigmoid" else 0.0


def predictions_match(
    outputs: Sequence[Value | float | list], targets: Sequence, threshold: float = 0.0
) -> list[bool]:
    """Whether each output (a Value or a float, or a list of them) names the right class.

    Several outputs: the largest one is the predicted class index. One output: with +1/-1
    targets (hinge), its sign; with 0/1 targets, output > `threshold`, which is 0.0 for a score
    or a logit and must be 0.5 for a probability (pass `decision_threshold(model)`).
    """
    plus_minus_one = any(t == -1 for t in targets)
    matches = []
    for out, target in zip(outputs, targets):
        if isinstance(out, list):
            numbers = [_number(o) for o in out]
            matches.append(max(range(len(numbers)), key=numbers.__getitem__) == target)
        elif plus_minus_one:
            matches.append((_number(out) > 0.0) == (target > 0))
        else:
            matches.append((_number(out) > threshold) == (target == 1))
    return matches


def _number(out: Value | float) -> float:
    """An output's number: a Value's data (a forward pass with a graph) or a float (predict)."""
    return out.data if isinstance(out, Value) else out


def layer_grad_norms(model: Module) -> list[float]:
    """sqrt(sum of grad^2) over each layer's parameters (one number per layer)."""
    layers = getattr(model, "layers", [model])
    return [math.sqrt(math.fsum(p.grad * p.grad for p in layer.parameters())) for layer in layers]


def _progress(total: int, quiet: bool):  # noqa: ANN202 - tqdm is optional
    """A tqdm bar on a terminal; nothing when quiet, piped, or tqdm is not installed."""
    if quiet or not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="epoch", file=sys.stderr, leave=True)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)  # True is an int in Python


def _is_finite(value: object) -> bool:
    """A number that is a finite float (10**400 is a finite int, but no float)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _check_arguments(*, epochs: object, batch_size: object, patience: object, seed: object,
                     l2: object, min_delta: object, target_loss: object) -> None:
    """Refuse what `fit` would silently misread: True as a batch size of 1 or a patience of 1
    epoch, a nan target loss that is never reached, a negative or nan l2 or min_delta."""
    if not _is_int(epochs) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    for name, value in (("batch_size", batch_size), ("patience", patience)):
        if value is not None and (not _is_int(value) or value < 1):
            raise ValueError(f"{name} must be a positive int or None, got {value!r}")
    if not _is_int(seed):
        raise ValueError(f"seed must be an int, got {seed!r}")
    for name, value in (("l2", l2), ("min_delta", min_delta)):
        if not _is_finite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    if target_loss is not None and not _is_finite(target_loss):
        raise ValueError(f"target_loss must be a finite number or None, got {target_loss!r}")


def fit(
    model: Module,
    X: Sequence[Sequence[float]],
    y: Sequence,
    loss_fn: Loss,
    optimizer: Steppable,
    epochs: int = 100,
    batch_size: int | None = None,
    l2: float = 0.0,
    target_loss: float | None = None,
    patience: int | None = None,
    min_delta: float = 1e-6,
    seed: int = 0,
    quiet: bool = False,
    on_epoch: Callable[[int, History], None] | None = None,
) -> History:
    """Train `model` on (X, y) and return its History.

    X: the samples, a list or tuple of rows or a 2-D numpy array (scikit-learn's make_moons
    output as it is); y: one label or target per sample, a list, a tuple or a 1-D array.

    Each step: forward a batch, loss = loss_fn(outputs, targets) (+ l2 * sum(p^2)), zero the
    grads, backward, optimizer.step(). `batch_size=None` uses all samples every step. Stops after
    `epochs`, when the epoch's loss <= `target_loss`, or after `patience` epochs without
    beating the best loss by more than `min_delta`. Raises TrainingDiverged (naming the epoch)
    if the numbers overflow (forward, backward or in the optimizer's step) or the loss becomes
    nan or inf.

    `on_epoch(epoch, history)`, if given, is called once after each epoch's numbers are appended
    to the history (epochs count from 1, so `epoch == history.epochs`), including the epoch that
    triggers an early stop and none after it: a hook to record frames or to log elsewhere.

    Python's cyclic garbage collector is paused during training (`autograd.pause_gc`) and
    restored afterwards: it would re-walk every live node of each step's graph for nothing.
    """
    X, y = as_samples(X, y)
    _check_arguments(epochs=epochs, batch_size=batch_size, patience=patience, seed=seed, l2=l2,
                     min_delta=min_delta, target_loss=target_loss)
    size = batch_size or len(X)
    rng = random.Random(seed)
    order = list(range(len(X)))
    history = History()
    best, since_best = math.inf, 0
    bar = _progress(epochs, quiet)
    params = model.parameters()
    threshold = decision_threshold(model)
    # NOTE: the cyclic collector is paused while training: each step's graph has no
    # reference cycles and is freed by reference counting; the pause saves ~20% per step.
    with pause_gc():
        try:
            for epoch in range(1, epochs + 1):
                if size < len(X):
                    rng.shuffle(order)
                losses, correct, norms = [], 0, []
                for start in range(0, len(X), size):
                    batch = order[start:start + size]
                    try:
                        outputs = [model(X[i]) for i in batch]
                        targets = [y[i] for i in batch]
                        loss = loss_fn(outputs, targets)
                        if l2:
                            loss = loss + l2_penalty(params, l2)  # one node, not 2 per parameter
                        if not math.isfinite(loss.data):
                            raise OverflowError(f"the loss is {loss.data}.")
                        optimizer.zero_grad()
                        loss.backward()
                        norms.append(layer_grad_norms(model))
                        optimizer.step()
                    except TrainingDiverged:  # already names its epoch (raised by a loss_fn?)
                        raise
                    # Numbers too large for a float: OverflowError from the forward or backward
                    # pass, FloatingPointError (StepRefused) from an update that would overflow.
                    except (OverflowError, FloatingPointError) as e:
                        reason = e.reason if isinstance(e, StepRefused) else _in_words(e)
                        raise TrainingDiverged(
                            f"diverged at epoch {epoch}: {reason.rstrip('.')}. "
                            "Lower the learning rate."
                        ) from None
                    losses.append(loss.data * len(batch))
                    correct += sum(predictions_match(outputs, targets, threshold))
                epoch_loss = math.fsum(losses) / len(X)
                history.loss.append(epoch_loss)
                history.accuracy.append(correct / len(X))
                history.grad_norms.append([math.fsum(col) / len(norms) for col in zip(*norms)])
                if bar is not None:
                    # NOTE: refresh=False, so the epoch count and its loss are drawn together by
                    # update(); a dict keeps loss before acc (keyword arguments would be sorted).
                    postfix = {"loss": f"{epoch_loss:.4f}", "acc": f"{correct / len(X):.1%}"}
                    bar.set_postfix(postfix, refresh=False)
                    bar.update(1)
                if on_epoch is not None:
                    on_epoch(epoch, history)
                if target_loss is not None and epoch_loss <= target_loss:
                    history.stopped = f"reached the target loss {target_loss} at epoch {epoch}"
                    break
                if epoch_loss < best - min_delta:  # smaller gains do not count as improving
                    best, since_best = epoch_loss, 0
                else:
                    since_best += 1
                    if patience is not None and since_best >= patience:
                        history.stopped = f"no improvement for {patience} epochs (epoch {epoch})"
                        break
            else:
                history.stopped = f"ran all {epochs} epochs"
        finally:
            if bar is not None:
                bar.close()
    return history


def evaluate(model: Module, X: Sequence[Sequence[float]], y: Sequence) -> float:
    """Accuracy of `model` on (X, y), computed with `predict` (no graph is built), with the
    same rule as `fit`'s accuracy (`predictions_match` at `decision_threshold(model)`).
    X and y: lists, tuples or numpy arrays, as for `fit`."""
    X, y = as_samples(X, y)
    outputs = model.predict_batch(X)
    return sum(predictions_match(outputs, y, decision_threshold(model))) / len(y)
