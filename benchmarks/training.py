"""micrograd's demo training step, three ways, on the same 100 moons points.

One step: forward all 100 points through a 2-16-16-1 relu MLP, hinge loss + 1e-4 * L2,
backward, SGD with lr = 1.0 - 0.9*k/100. Written the plain way a user writes it:
- micrograd 0.1.0: its demo notebook's code (inputs wrapped in Values, builtin `sum`);
- chainrule: the same code with chainrule's MLP (inputs left as floats);
- the float floor: no graph at all, forward and backward written out by hand in plain Python
  floats. No autograd can be cheaper than this in pure Python; it is the yardstick.
chainrule's step is also timed inside `pause_gc()`, as `nn.fit` runs it (shown, not a target).
Also a width sweep: chainrule's step time against the parameter count.

Steps are timed as a training loop runs them: several in a row, each paying for collecting the
garbage of the one before. micrograd's graph is full of reference cycles, so in a loop its step
costs about twice what one step on a freshly collected heap does; that fresh first step of each
round is shown too ("isolated"), but the targets are on the loop, the way the demo trains.
"""

from __future__ import annotations

import math
import random

import nn
from benchmarks.report import Section, Target, ratio, table
from benchmarks.timing import Contender, interleave, paused

SPEEDUP_LIMIT = 1 / 75  # chainrule's step time / micrograd's
FLOOR_LIMIT = 3.0  # chainrule's step time / the float floor's
WIDTHS = (8, 16, 32, 64)


def moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> tuple[list[list[float]], list[int]]:
    """Two interleaving half circles with labels +1/-1 (kept here so the benchmark stands alone)."""
    rng = random.Random(seed)
    X, y = [], []
    for i in range(n):
        t = math.pi * rng.random()
        if i % 2:
            X.append([math.cos(t) + rng.gauss(0, noise), math.sin(t) + rng.gauss(0, noise)])
            y.append(-1)
        else:
            x0, x1 = 1 - math.cos(t), 0.5 - math.sin(t)
            X.append([x0 + rng.gauss(0, noise), x1 + rng.gauss(0, noise)])
            y.append(1)
    return X, y


X, Y = moons()


def micrograd_step(model, k: int) -> float:  # noqa: ANN001
    from micrograd.engine import Value

    inputs = [list(map(Value, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(Y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    total_loss = data_loss + reg_loss
    model.zero_grad()
    total_loss.backward()
    learning_rate = 1.0 - 0.9 * k / 100
    for p in model.parameters():
        p.data -= learning_rate * p.grad
    return total_loss.data


def chainrule_step(model: nn.MLP, k: int) -> float:
    scores = [model(x) for x in X]
    losses = [(1 + -yi * si).relu() for yi, si in zip(Y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    total_loss = data_loss + reg_loss
    model.zero_grad()
    total_loss.backward()
    learning_rate = 1.0 - 0.9 * k / 100
    for p in model.parameters():
        p.data -= learning_rate * p.grad
    return total_loss.data


PAUSED = "chainrule, gc paused"


class FloatMLP:
    """The same network as lists of floats: W[l][j][i] is layer l, neuron j, input i."""

    def __init__(self, sizes: list[int], seed: int = 0) -> None:
        rng = random.Random(seed)
        self.W = [[[rng.uniform(-1, 1) for _ in range(a)] for _ in range(b)]
                  for a, b in zip(sizes, sizes[1:])]
        self.B = [[0.0] * b for b in sizes[1:]]

    def step(self, k: int) -> float:
        """Forward, hinge + L2, backward by hand, SGD: the same arithmetic as the graph."""
        W, B, n = self.W, self.B, len(X)
        gW = [[[0.0] * len(row) for row in layer] for layer in W]
        gB = [[0.0] * len(layer) for layer in B]
        total = 0.0
        last = len(W) - 1
        for x, y in zip(X, Y):
            acts = [x]  # forward, keeping every layer's output
            for li, (layer, bias) in enumerate(zip(W, B)):
                z = [sum(w * a for w, a in zip(row, acts[-1])) + b for row, b in zip(layer, bias)]
                acts.append(z if li == last else [v if v > 0 else 0.0 for v in z])
            margin = 1 - y * acts[-1][0]
            if margin <= 0:
                continue
            total += margin
            delta = [-y / n]  # d loss / d output
            for li in range(last, -1, -1):  # backward, layer by layer
                inp = acts[li]
                if li != last:
                    delta = [d if o > 0 else 0.0 for d, o in zip(delta, acts[li + 1])]
                for j, d in enumerate(delta):
                    gB[li][j] += d
                    row = gW[li][j]
                    for i, a in enumerate(inp):
                        row[i] += d * a
                if li:
                    delta = [sum(W[li][j][i] * delta[j] for j in range(len(delta)))
                             for i in range(len(inp))]
        reg = 0.0
        lr = 1.0 - 0.9 * k / 100
        for layer, glayer in zip(W, gW):
            for row, grow in zip(layer, glayer):
                for i, w in enumerate(row):
                    reg += w * w
                    row[i] = w - lr * (grow[i] + 2e-4 * w)
        for bias, gbias in zip(B, gB):
            for j, b in enumerate(bias):
                reg += b * b
                bias[j] = b - lr * (gbias[j] + 2e-4 * b)
        return total / n + 1e-4 * reg


def _stepper(step):  # noqa: ANN001, ANN202
    """A callable that runs one training step with a growing k, as a training loop does."""
    counter = iter(range(10**9))
    return lambda: step(next(counter) % 100)


def run(quick: bool) -> Section:
    from benchmarks.micrograd_tanh import micrograd_value

    micrograd_value()  # the same micrograd import path as the chain benchmark
    from micrograd import nn as mnn

    random.seed(1337)
    mg_model = mnn.MLP(2, [16, 16, 1])
    cr_model = nn.MLP(2, [16, 16, 1], seed=1337, init="uniform")
    floor = FloatMLP([2, 16, 16, 1], seed=1337)
    # (rounds, steps in a row per turn): micrograd's, then the others'; each after a warm-up
    # turn. A turn's first step is the isolated one.
    (mg_rounds, mg_row), (cr_rounds, cr_row) = ((2, 2), (4, 4)) if quick else ((4, 3), (10, 5))
    contenders = [
        Contender("micrograd", _stepper(lambda k: micrograd_step(mg_model, k)), mg_rounds, 1,
                  in_a_row=mg_row),
        Contender("chainrule", _stepper(lambda k: chainrule_step(cr_model, k)), cr_rounds, 1,
                  in_a_row=cr_row),
        Contender(PAUSED, paused(_stepper(lambda k: chainrule_step(cr_model, k))), cr_rounds, 1,
                  in_a_row=cr_row),
        Contender("float floor", _stepper(floor.step), cr_rounds, 1, in_a_row=cr_row),
    ]
    sweep = {w: nn.MLP(2, [w, w, 1], seed=1, init="uniform") for w in WIDTHS}
    contenders += [
        Contender(f"chainrule width {w}", _stepper(lambda k, m=m: chainrule_step(m, k)),
                  max(3, cr_rounds // 4), 1)
        for w, m in sweep.items()
    ]
    timings = interleave(contenders)
    ms = {name: (t.median_ns or math.nan) / 1e6 for name, t in timings.items()}
    fresh = {name: (t.fresh_median_ns or math.nan) / 1e6 for name, t in timings.items()}

    section = Section("Training step: micrograd's demo, 2-16-16-1 on 100 moons, hinge + L2, SGD")
    section.lines += table(
        ["way", "ms per step in a loop", "vs chainrule", "ms isolated", "vs chainrule"],
        [[name, f"{ms[name]:.1f}", f"{ms[name] / ms['chainrule']:.2f}x",
          f"{fresh[name]:.1f}", f"{fresh[name] / fresh['chainrule']:.2f}x"]
         for name in ("micrograd", "chainrule", PAUSED, "float floor")],
    )
    section.lines += [
        "",
        "In a loop: steps back to back, each collecting the garbage of the one before, as the "
        "demo trains.",
        "Isolated: a step on a freshly collected heap; micrograd's cyclic garbage is then "
        "collected outside the clock.",
        f"{PAUSED}: the same step inside autograd.pause_gc(), as nn.fit trains; in a loop it is "
        f"{ms[PAUSED] / ms['float floor']:.2f}x the float floor.",
        "The targets below are for the plain step in a loop, with Python's default collector.",
    ]
    params = {w: len(m.parameters()) for w, m in sweep.items()}
    base = ms["chainrule width 8"] / params[8]
    section.lines += ["", "Width sweep (2-w-w-1): cost per parameter should stay flat.", ""]
    section.lines += table(
        ["hidden width", "parameters", "ms per step", "us per parameter", "vs width 8"],
        [[str(w), f"{params[w]:,}", f"{ms[f'chainrule width {w}']:.1f}",
          f"{ms[f'chainrule width {w}'] / params[w] * 1e3:.1f}",
          f"{ms[f'chainrule width {w}'] / params[w] / base:.2f}x"] for w in WIDTHS],
    )
    section.targets.append(Target(
        "chainrule/micrograd time per training step (75x faster = 0.0133)",
        ratio(ms["chainrule"], ms["micrograd"]), limit=SPEEDUP_LIMIT,
    ))
    section.targets.append(Target(
        "chainrule/float floor time per training step",
        ratio(ms["chainrule"], ms["float floor"]), limit=FLOOR_LIMIT,
    ))
    return section
