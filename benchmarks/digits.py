"""Real data: scikit-learn's 8x8 handwritten digits, MLP(64, [32, 10]), cross-entropy + Adam.

The training of tests/test_accuracy.py, timed:
    1,797 images, 64 pixels in [0, 1]; a held-out fifth (train_test_split, seed 0): 1,437 to
    train on, 360 to test on. MLP(64, [32, 10], seed=0): relu, He initialisation, linear logits.
    nn.fit, minibatches of 32 (45 steps per epoch), 10 epochs, Adam with the learning rate
    falling linearly from 0.02 to 0.001 over the run.
Reported: seconds per epoch (median over the epochs, from `fit`'s on_epoch hook) and the
held-out accuracy reached.

micrograd would take too long to train for real, so its time is an EXTRAPOLATION: one minibatch
step (32 images: forward, mean cross-entropy, zero_grad, backward) is timed a few times for
micrograd 0.1.0's own `micrograd.nn.MLP(64, [32, 10])` and for chainrule, interleaved, and
micrograd's median is multiplied by the steps of the training. micrograd has no exp nor log, so
they are added to its Value here the way micrograd writes every op (as `tanh` is in
benchmarks/micrograd_tanh.py), and its cross-entropy is written with them from Values,
stably: log(sum_i exp(x_i - m)) + m - x_k with m = the largest logit (a constant).
The Adam update is left out of micrograd's estimate, which can only flatter micrograd.
"""

from __future__ import annotations

import math
import random
import statistics
import time

import nn
from benchmarks.micrograd_tanh import micrograd_value
from benchmarks.report import Section, table
from benchmarks.timing import Contender, interleave
from nn.datasets import digits, train_test_split

HIDDEN = 32
EPOCHS = 10
BATCH = 32
LR_START, LR_END = 0.02, 0.001


def _exp(self):  # noqa: ANN001, ANN202 - micrograd's Value, micrograd's style
    """exp as a micrograd op: d exp(x)/dx = exp(x)."""
    out = self.__class__(math.exp(self.data), (self,), "exp")

    def _backward() -> None:
        self.grad += out.data * out.grad

    out._backward = _backward
    return out


def _log(self):  # noqa: ANN001, ANN202
    """log as a micrograd op: d log(x)/dx = 1/x."""
    out = self.__class__(math.log(self.data), (self,), "log")

    def _backward() -> None:
        self.grad += (1.0 / self.data) * out.grad

    out._backward = _backward
    return out


def micrograd_cross_entropy(logits: list, k: int):  # noqa: ANN201
    """-log softmax(x)_k = log(sum_i exp(x_i - m)) + m - x_k, from micrograd Values."""
    top = max(v.data for v in logits)
    return sum((v - top).exp() for v in logits).log() + top - logits[k]


def micrograd_batch(model, X: list[list[float]], y: list[int]) -> float:  # noqa: ANN001
    """One minibatch written the plain way: forward, mean cross-entropy, zero_grad, backward."""
    loss = sum(micrograd_cross_entropy(model(x), k) for x, k in zip(X, y)) * (1.0 / len(X))
    model.zero_grad()
    loss.backward()
    return loss.data


def chainrule_batch(model: nn.MLP, X: list[list[float]], y: list[int]) -> float:
    """The same minibatch in chainrule: forward, nn.cross_entropy (mean), zero_grad, backward."""
    loss = nn.cross_entropy([model(x) for x in X], y)
    model.zero_grad()
    loss.backward()
    return loss.data


def train(epochs: int) -> tuple[list[float], float, int]:
    """The test's training, stopped after `epochs` (the schedule is the full run's).

    Returns the seconds of each epoch, the held-out accuracy and the steps per epoch."""
    X, y = digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_fraction=0.2, seed=0)
    model = nn.MLP(64, [HIDDEN, 10], seed=0)
    steps = math.ceil(len(X_train) / BATCH)
    optimizer = nn.Adam(model.parameters(), lr=nn.linear_decay(LR_START, LR_END, EPOCHS * steps))
    stamps = [time.perf_counter()]
    nn.fit(model, X_train, y_train, nn.cross_entropy, optimizer, epochs=epochs,
           batch_size=BATCH, quiet=True, on_epoch=lambda e, h: stamps.append(time.perf_counter()))
    seconds = [b - a for a, b in zip(stamps, stamps[1:])]
    return seconds, nn.evaluate(model, X_test, y_test), steps


def run(quick: bool) -> Section:
    """`quick` trains 2 of the 10 epochs and times micrograd's step once (about 10 s);
    the full run trains all 10 and times micrograd's step 3 times (about 30 s)."""
    epochs = 2 if quick else EPOCHS
    seconds, accuracy, steps = train(epochs)
    per_epoch = statistics.median(seconds)

    mg_value = micrograd_value()
    if not hasattr(mg_value, "exp"):
        mg_value.exp, mg_value.log = _exp, _log
    from micrograd import nn as mnn

    X, y = digits()
    random.seed(1337)  # micrograd draws its weights from the global random
    mg_model = mnn.MLP(64, [HIDDEN, 10])
    cr_model = nn.MLP(64, [HIDDEN, 10], seed=1337, init="uniform")  # micrograd's init, too
    batches = [(X[i:i + BATCH], y[i:i + BATCH]) for i in range(0, len(X) - BATCH + 1, BATCH)]
    counters = {"micrograd": iter(range(10**9)), "chainrule": iter(range(10**9))}

    def stepper(name: str, step, model):  # noqa: ANN001, ANN202
        return lambda: step(model, *batches[next(counters[name]) % len(batches)])

    mg_rounds = 1 if quick else 3
    timings = interleave([
        Contender("micrograd", stepper("micrograd", micrograd_batch, mg_model), mg_rounds),
        Contender("chainrule", stepper("chainrule", chainrule_batch, cr_model), 5 * mg_rounds, 1),
    ])
    mg_s = timings["micrograd"].median_ns / 1e9
    cr_s = timings["chainrule"].median_ns / 1e9

    section = Section("Digits: MLP(64, [32, 10]) on scikit-learn's 8x8 digits, cross-entropy, Adam")
    trained = f"{epochs} of {EPOCHS} epochs (quick run)" if quick else f"{EPOCHS} epochs"
    section.lines += [
        f"chainrule, nn.fit, {trained}, {steps} minibatches of {BATCH} per epoch, "
        f"Adam lr {LR_START} -> {LR_END}",
        f"  seconds per epoch (median): {per_epoch:.2f}   "
        f"(all epochs: {', '.join(f'{s:.2f}' for s in seconds)})",
        f"  held-out accuracy: {accuracy:.1%} of 360 images",
        "",
        f"One minibatch of {BATCH} (forward + mean cross-entropy + backward), interleaved medians,",
        "each on a freshly collected heap (micrograd's cyclic garbage collected outside the clock,",
        "so its figure and the estimate below are lower than a training loop would see):",
        "",
        *table(
            ["way", "seconds per minibatch", "runs"],
            [["micrograd", f"{mg_s:.3f}", str(len(timings["micrograd"].samples_ns))],
             ["chainrule", f"{cr_s:.4f}", str(len(timings["chainrule"].samples_ns))]],
        ),
        "",
        f"micrograd/chainrule per minibatch: {mg_s / cr_s:.0f}x. chainrule's minibatch x {steps} "
        f"= {cr_s * steps:.2f} s of its {per_epoch:.2f} s epoch;",
        "  the rest is fit's Adam update, gradient norms and accuracy bookkeeping.",
        f"EXTRAPOLATION, not a measurement: micrograd's {mg_s:.2f} s per minibatch x {steps} "
        f"steps = {mg_s * steps / 60:.1f} min per epoch,",
        f"  {mg_s * steps * EPOCHS / 60:.0f} min for the {EPOCHS} epochs "
        f"(chainrule: {per_epoch * EPOCHS:.0f} s, Adam included; micrograd's estimate without it)",
    ]
    return section
