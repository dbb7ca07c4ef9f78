"""Loss functions: one number that says how wrong the predictions are, built from autograd ops.

Every loss takes either one sample or a batch (lists of samples, averaged), and returns a Value,
so `loss.backward()` sends the gradient back through the model. Predictions are Values (plain
numbers are allowed and act as constants); targets are plain numbers. Each docstring states the
loss and its derivative with respect to the prediction, for one sample; over a batch of n
samples the loss is the mean, so each sample's derivative is divided by n.

Names and values follow PyTorch's `torch.nn.functional` (reduction="mean"). Conventions that
differ at a boundary are marked NOTE.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Integral, Real

from autograd import Value, dot, logsumexp, vsum

# _node is engine-private: bce_with_logits is ONE node with its own local derivative, as in nary.py
from autograd.value import _node, derivative

# ---------------------------------------------------------------------------------------------
# Checking what comes in: one sample or a batch, predictions and targets.


def _is_list(x: object) -> bool:
    return isinstance(x, (list, tuple))


def _prediction(x: object, loss: str, where: str) -> Value:
    """A prediction as a Value: a Value itself, or a plain number as a constant."""
    if isinstance(x, Value):
        return x
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"{loss}: {where} must be a Value or a number, got {type(x).__name__}")
    return Value(x)  # the constructor refuses nan and inf


def _target(t: object, loss: str, where: str) -> float:
    """A target as a float: targets are data, never Values (nothing would use their gradient)."""
    if isinstance(t, Value):
        raise TypeError(f"{loss}: {where} must be a plain number, not a Value")
    if isinstance(t, bool) or not isinstance(t, Real):
        raise TypeError(f"{loss}: {where} must be a number, got {type(t).__name__}")
    t = float(t)
    if not math.isfinite(t):
        raise ValueError(f"{loss}: {where} must be finite, got {t}")
    return t


def _samples(pred: object, target: object, loss: str) -> tuple[list[tuple], bool]:
    """The (prediction, target) pairs, and whether they came as a batch (a list)."""
    if _is_list(pred):
        if not _is_list(target):
            raise TypeError(
                f"{loss}: a batch of {len(pred)} predictions needs a list of targets, "
                f"got {type(target).__name__}"
            )
        if not pred:
            raise ValueError(f"{loss}: the batch is empty (no predictions to average over)")
        if len(pred) != len(target):
            raise ValueError(f"{loss}: {len(pred)} predictions but {len(target)} targets")
        return list(zip(pred, target)), True
    if _is_list(target):
        raise TypeError(f"{loss}: one prediction but a list of {len(target)} targets")
    return [(pred, target)], False


def _mean(terms: list[Value]) -> Value:
    """(l1 + ... + ln) / n as one sum node and one division:  d/dli = 1/n."""
    return vsum(terms) / len(terms)


# ---------------------------------------------------------------------------------------------
# Regression.


def mse_loss(pred: Value | list, target: float | list) -> Value:
    """Mean squared error:  L = (p - t)^2,  dL/dp = 2 (p - t).

    `pred` is a Value and `target` a number, or a batch: lists of equal length, whose items may
    themselves be lists (a vector output per sample). The mean is over every number, as
    `F.mse_loss`.
    """
    pairs, batched = _samples(pred, target, "mse_loss")
    flat = []
    for i, (p, t) in enumerate(pairs):
        if _is_list(p) or _is_list(t):  # a vector sample: pair it up element by element
            row, _ = _samples(p, t, f"mse_loss (sample {i})")
            flat += [(pj, tj, f"sample {i}, element {j}") for j, (pj, tj) in enumerate(row)]
        else:
            flat.append((p, t, f"sample {i}"))
    terms = [
        (_prediction(p, "mse_loss", f"prediction ({where})") - _target(t, "mse_loss", where)) ** 2
        for p, t, where in flat
    ]
    return _mean(terms) if batched else terms[0]


# ---------------------------------------------------------------------------------------------
# Binary classification.


def binary_cross_entropy(prob: Value | list, target: float | list) -> Value:
    """Cross-entropy of a probability p (in [0, 1], e.g. a sigmoid's output) and a target t:

        L = -[t log p + (1 - t) log(1 - p)],      dL/dp = -t/p + (1 - t)/(1 - p).

    The target is 0 or 1 (a class), or any number in [0, 1] (a soft label).

    A term whose weight is exactly 0 is left out (0 * log 0 = 0, as in entropy), so a confident
    right answer (p = 1 with t = 1, which a sigmoid rounds to beyond z = 37) has loss 0. A term
    that needs log(0) (p = 0 with t > 0, or p = 1 with t < 1) means an infinite loss: that raises
    ValueError, which suggests `binary_cross_entropy_with_logits`.

    NOTE: PyTorch instead clamps each log at -100, so it reports a loss of 100 where the true loss
    is infinite (or larger than 100, for p < e^-100), and its gradient divides by
    max(p(1-p), 1e-12), so at p = 1, t = 1 it gives dL/dp = 0 where we give the one-sided
    derivative of -log p, -1. Inside (0, 1), where both are defined, the two agree.
    """
    pairs, batched = _samples(prob, target, "binary_cross_entropy")
    terms = []
    for i, (p, t) in enumerate(pairs):
        where = f"sample {i}" if batched else "the sample"
        p = _prediction(p, "binary_cross_entropy", f"probability ({where})")
        t = _target(t, "binary_cross_entropy", f"target ({where})")
        if not 0.0 <= t <= 1.0:
            raise ValueError(f"binary_cross_entropy: target ({where}) must be in [0, 1], got {t!r}")
        if not 0.0 <= p.data <= 1.0:
            raise ValueError(
                f"binary_cross_entropy: {where} has probability {p.data!r}, outside [0, 1]; "
                "for a raw score use binary_cross_entropy_with_logits"
            )
        if (p.data == 0.0 and t > 0.0) or (p.data == 1.0 and t < 1.0):
            raise ValueError(
                f"binary_cross_entropy: {where} has probability {p.data!r} with target {t!r}, "
                "so the loss is -log(0), infinite. The sigmoid has rounded to exactly 0 or 1: "
                "pass the logit (the input of the sigmoid) to binary_cross_entropy_with_logits, "
                "which stays exact there"
            )
        if t == 1.0:
            terms.append(-p.log())
        elif t == 0.0:
            terms.append(-(1.0 - p).log())
        else:
            terms.append(-(t * p.log() + (1.0 - t) * (1.0 - p).log()))
    return _mean(terms) if batched else terms[0]


@derivative("bce_with_logits", "d/dz [max(z,0) - z*t + log(1 + e^-|z|)] = sigmoid(z) - t")
def _bce_with_logits(z: Value, t: float) -> Value:
    """One node: the loss of one logit, and its local derivative sigmoid(z) - t."""
    x = z.data
    e = math.exp(-abs(x))  # in (0, 1]: never overflows (and underflows to 0 harmlessly)
    loss = max(x, 0.0) - x * t + math.log1p(e)
    s = 1.0 / (1.0 + e) if x >= 0.0 else e / (1.0 + e)  # sigmoid(x), from the same e
    return _node(loss, "bce_with_logits", (z,), (s - t,))


def binary_cross_entropy_with_logits(logit: Value | list, target: float | list) -> Value:
    """binary_cross_entropy(sigmoid(z), t) for a logit z, without ever forming sigmoid(z):

        L = max(z, 0) - z t + log(1 + e^-|z|),      dL/dz = sigmoid(z) - t.

    Exact for any logit: e^-|z| is at most 1, so z = +-1000 gives a finite loss (about
    |z| times the weight of the wrong class) and a gradient of +-1 or 0. The target is in [0, 1].

    NOTE: each sample is ONE node whose local derivative is sigmoid(z) - t. The same formula
    built from relu, abs, exp and log would be wrong at z = 0: with relu'(0) = abs'(0) = 0 its
    derivative there comes out as -t instead of sigmoid(0) - t = 0.5 - t.
    """
    pairs, batched = _samples(logit, target, "binary_cross_entropy_with_logits")
    terms = []
    for i, (z, t) in enumerate(pairs):
        where = f"sample {i}" if batched else "the sample"
        z = _prediction(z, "binary_cross_entropy_with_logits", f"logit ({where})")
        t = _target(t, "binary_cross_entropy_with_logits", f"target ({where})")
        if not 0.0 <= t <= 1.0:
            raise ValueError(
                f"binary_cross_entropy_with_logits: target ({where}) must be in [0, 1], got {t!r}"
            )
        terms.append(_bce_with_logits(z, t))
    return _mean(terms) if batched else terms[0]


def hinge_loss(score: Value | list, target: float | list) -> Value:
    """The max-margin loss of a score s for a label t of +1 or -1 (micrograd's demo loss):

        L = relu(1 - t s),      dL/ds = -t if t s < 1 else 0.

    NOTE: at the kink t s = 1 the derivative is 0 (relu'(0) = 0); `torch.clamp(1 - t*s, min=0)`
    passes the gradient there instead (-t). Anywhere else the two agree.
    """
    pairs, batched = _samples(score, target, "hinge_loss")
    terms = []
    for i, (s, t) in enumerate(pairs):
        where = f"sample {i}" if batched else "the sample"
        s = _prediction(s, "hinge_loss", f"score ({where})")
        t = _target(t, "hinge_loss", f"target ({where})")
        if t not in (1.0, -1.0):
            raise ValueError(
                f"hinge_loss: target ({where}) must be +1 or -1, got {t!r} "
                "(turn 0/1 labels into -1/+1 with 2*y - 1)"
            )
        terms.append((1.0 - t * s).relu())
    return _mean(terms) if batched else terms[0]


# ---------------------------------------------------------------------------------------------
# Multi-class classification.


def _class_index(k: object, n_classes: int, where: str) -> int:
    if isinstance(k, bool) or not isinstance(k, Integral):
        raise TypeError(
            f"cross_entropy: the target ({where}) must be an int class index, "
            f"got {type(k).__name__}"
        )
    if not 0 <= k < n_classes:
        raise ValueError(
            f"cross_entropy: class index {k} ({where}) is out of range for {n_classes} "
            f"logits (valid: 0 to {n_classes - 1})"
        )
    return int(k)


def _cross_entropy(logits: object, k: object, where: str) -> Value:
    if not _is_list(logits):
        raise TypeError(
            f"cross_entropy: logits ({where}) must be a list of Values, got {type(logits).__name__}"
        )
    if not logits:
        raise ValueError(f"cross_entropy: logits ({where}) are empty (no classes)")
    xs = [_prediction(x, "cross_entropy", f"logit {j} ({where})") for j, x in enumerate(logits)]
    k = _class_index(k, len(xs), where)
    # -log softmax(x)[k] = -(x[k] - logsumexp(x)): one logsumexp node and one subtraction
    return logsumexp(xs) - xs[k]


def cross_entropy(logits: list, target: int | list) -> Value:
    """Cross-entropy of the softmax of logits x_1..x_C and a class index k (0 <= k < C):

        L = -log softmax(x)_k = logsumexp(x) - x_k,      dL/dx_i = softmax(x)_i - [i == k].

    Stable for any logits: logsumexp subtracts the largest logit first, so +-1000 is fine.
    One sample: a list of Values and an int. A batch: a list of such lists and a list of ints;
    the loss is the mean, as `F.cross_entropy`.
    """
    if _is_list(target):
        if not _is_list(logits):
            raise TypeError(
                "cross_entropy: a list of targets needs a list of samples (a list of lists of "
                f"logits), got {type(logits).__name__}"
            )
        if not logits:
            raise ValueError("cross_entropy: the batch is empty (no samples to average over)")
        if len(logits) != len(target):
            raise ValueError(
                f"cross_entropy: {len(logits)} samples of logits but {len(target)} targets"
            )
        pairs = enumerate(zip(logits, target))
        return _mean([_cross_entropy(x, k, f"sample {i}") for i, (x, k) in pairs])
    if _is_list(logits) and logits and _is_list(logits[0]):
        raise TypeError(
            "cross_entropy: a batch of logits (a list of lists) needs a list of class indices"
        )
    return _cross_entropy(logits, target, "the sample")


# ---------------------------------------------------------------------------------------------
# Regularization.


def l2_penalty(parameters: Iterable[Value], alpha: float) -> Value:
    """Weight decay as a loss term:  alpha * sum(p^2),  d/dp = 2 alpha p.

    One `dot` node (the parameters dotted with themselves) and one product, however many
    parameters. Adding `l2_penalty(ps, alpha)` to the loss moves the weights as
    `SGD(ps, lr, weight_decay=2 * alpha)` does.
    """
    if isinstance(alpha, bool) or not isinstance(alpha, Real):
        raise TypeError(f"l2_penalty: alpha must be a number, got {type(alpha).__name__}")
    if not (math.isfinite(alpha) and alpha >= 0.0):
        raise ValueError(f"l2_penalty: alpha must be finite and >= 0, got {alpha!r}")
    if isinstance(parameters, Value):
        raise TypeError("l2_penalty: parameters must be a list of Values; wrap one in a list")
    try:
        ps = list(parameters)
    except TypeError:
        hint = " (pass model.parameters())" if hasattr(parameters, "parameters") else ""
        raise TypeError(
            f"l2_penalty: parameters must be an iterable of Values, "
            f"got {type(parameters).__name__}{hint}"
        ) from None
    if not ps:
        raise ValueError("l2_penalty: no parameters")
    for i, p in enumerate(ps):
        if not isinstance(p, Value):
            raise TypeError(f"l2_penalty: parameter {i} is a {type(p).__name__}, not a Value")
    return float(alpha) * dot(ps, ps)
