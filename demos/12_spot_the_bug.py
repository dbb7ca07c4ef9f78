"""12 — spot the bug: six classic backprop mistakes, each run for real beside the right version.

The mistakes students make are well known (micrograd's issue tracker is full of them). Let's make
each one on purpose, run it next to the right version, and look at what it leaves behind:

    1. `=` instead of `+=` on a node used twice: one path's gradient is lost.
    2. `backward()` twice without `zero_grad()`: the leaves' grads are doubled.
    3. a backward loop in forward order: grads are passed on before they are complete.
    4. no `zero_grad()` in a training loop: every step uses the sum of all gradients so far.
    5. dead ReLUs from a bad initialisation: units that output 0 for every sample never learn.
    6. a learning rate that diverges: `fit` stops with `TrainingDiverged`.

Mistakes 1-3 use one small graph, L = (a*b) * (a+b) with a = 2, b = -3, where a and b are each
used twice. Every number printed below comes from the run, none is typed in.

Run:  python demos/12_spot_the_bug.py [OUT_DIR]     (pictures land in out/ by default)
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from autograd import Value, draw_dot, render, topological_order
from autograd.draw import GraphvizMissingError, set_attrs
from nn import MLP, SGD, TrainingDiverged, datasets, draw_network, fit, mse_loss
from nn.draw_network import unit_status
from nn.plots import save_figure

Edge = tuple[Value, int]  # (node, k): the edge from node.parents[k] into node


def small_graph(a: float = 2.0, b: float = -3.0) -> tuple[Value, Value, Value]:
    """L = (a*b) * (a+b): a and b each feed two ops, so each gets two contributions back.

    dL/da = (a+b)*b + a*b  and  dL/db = (a+b)*a + a*b  (the product rule, one term per path).
    Returns (L, a, b); the interior nodes are labelled c = a*b and d = a+b.
    """
    a_, b_ = Value(a, "a"), Value(b, "b")
    c = a_ * b_
    c.label = "c"
    d = a_ + b_
    d.label = "d"
    L = c * d
    L.label = "L"
    return L, a_, b_


@dataclass
class HandPass:
    """What a backward loop written by hand left: the grads, the upstream it multiplied by on
    each edge at the moment it sent it, and the edges whose contribution a later one erased."""

    grads: dict[Value, float]
    upstreams: dict[Edge, float]
    overwritten: set[Edge]

    def lost(self, leaf: Value) -> dict[str, float]:
        """The contributions into `leaf` that were overwritten, by the label of the node they
        came back from."""
        return {node.label: self.upstreams[(node, k)] * node.local_grads[k]
                for node, k in self.overwritten if node.parents[k] is leaf}


def hand_backward(root: Value, order: list[Value], accumulate: bool = True) -> HandPass:
    """The chain-rule loop by hand: for each node in `order`, send node's grad × local
    derivative to each parent, adding it (+=, right) or assigning it (=, the bug).

    Only in reverse topological order has each node received all of its gradient before it
    passes it on; `order` lets us try another one.
    """
    grads = {node: 0.0 for node in topological_order(root)}
    grads[root] = 1.0
    result = HandPass(grads, {}, set())
    last_edge_into: dict[Value, Edge] = {}
    for node in order:
        for k, (parent, local) in enumerate(zip(node.parents, node.local_grads)):
            result.upstreams[(node, k)] = grads[node]
            if accumulate:
                grads[parent] += local * grads[node]
            else:
                grads[parent] = local * grads[node]  # the bug: erases what came before
                if parent in last_edge_into:
                    result.overwritten.add(last_edge_into[parent])
                last_edge_into[parent] = (node, k)
    return result


def reverse_order(root: Value) -> list[Value]:
    """Outputs first: every node after all the nodes that use it (the right order)."""
    return list(reversed(topological_order(root)))


# --- 1. `=` instead of `+=` ---------------------------------------------------------------------

def overwrite_sentence(wrong: HandPass, a: Value, b: Value) -> str:
    """What the `=` loop did to a and b, with the engine's grads (already in .grad) beside."""
    def what_was_lost(leaf: Value) -> str:
        return " and ".join(f"the {amount:g} back from {label}"
                            for label, amount in sorted(wrong.lost(leaf).items()))

    parts = [f"{v.label}.grad = {wrong.grads[v]:g} instead of {v.grad:g} ({what_was_lost(v)} "
             "was overwritten)" for v in (a, b)]
    return f"With = instead of +=, {parts[0]} and {parts[1]}."


# --- 2. `backward()` twice ------------------------------------------------------------------

def backward_twice(root: Value, leaves: list[Value]) -> tuple[list[float], list[float]]:
    """Call root.backward() twice with no zero_grad between: the leaves' grads after the first
    call and after the second. Leaves accumulate across calls (as in PyTorch)."""
    root.backward()
    once = [v.grad for v in leaves]
    root.backward()
    return once, [v.grad for v in leaves]


def twice_sentence(leaves: list[Value], once: list[float], twice: list[float]) -> str:
    shown = ", ".join(f"{v.label}.grad = {g2:g} (one pass: {g1:g})"
                      for v, g1, g2 in zip(leaves, once, twice))
    ratios = {round(g2 / g1, 12) for g1, g2 in zip(once, twice) if g1}
    times = f"{ratios.pop():g} times" if len(ratios) == 1 else "more than"
    times = "twice" if times == "2 times" else times
    return (f"After a second backward() without zero_grad: {shown}, {times} the right grads, "
            "because leaves add each pass to what they hold.")


# --- 3. a forward-order walk ----------------------------------------------------------------

def forward_sentence(wrong: HandPass, leaves: list[Value]) -> str:
    """Which upstream each leaf's edges read in the forward walk, and what the leaves got."""
    reads = {}  # the node each edge into a leaf leaves from -> the upstream it read
    for (node, k), upstream in wrong.upstreams.items():
        if node.parents[k] in leaves:
            reads[node.label] = upstream
    read = " and ".join(f"{label}.grad = {upstream:g}" for label, upstream in sorted(reads.items()))
    got = ", ".join(f"{v.label}.grad = {wrong.grads[v]:g} (right: {v.grad:g})" for v in leaves)
    return (f"Walking inputs first, the edges into the leaves read {read} before L "
            f"had sent anything back, so {got}.")


# --- 4. no zero_grad in a training loop -----------------------------------------------------

def moons_pm1() -> tuple[list[list[float]], list[int]]:
    """40 moons points with -1 / +1 targets, for a least-squares fit."""
    X, y = datasets.moons(n=40, noise=0.1, seed=1)
    return X, datasets.to_pm1(y)


@dataclass
class LoopRun:
    losses: list[float]  # the loss before each step
    used: float  # at the last step: the size of the grads the optimizer stepped with
    fresh: float  # ... and of that step's own gradient


def train_by_hand(zero_grad: bool, steps: int = 60, lr: float = 0.2) -> LoopRun:
    """A linear model MLP(2, [1]) trained by hand with full-batch SGD on `moons_pm1()`: forward,
    loss, [zero_grad], backward, step. A convex problem: the right loop settles smoothly.

    Without zero_grad each step moves by the sum of every gradient so far, a ball with no
    friction: it keeps swinging across the valley instead of settling in it.
    """
    X, y = moons_pm1()
    model = MLP(2, [1], seed=0)
    params = model.parameters()
    optimizer = SGD(params, lr=lr)
    losses, used, fresh = [], 0.0, 0.0
    for _ in range(steps):
        loss = mse_loss([model(x) for x in X], y)
        if zero_grad:
            optimizer.zero_grad()
        before = [p.grad for p in params]
        loss.backward()
        used = math.hypot(*(p.grad for p in params))
        fresh = math.hypot(*(p.grad - g for p, g in zip(params, before)))
        optimizer.step()
        losses.append(loss.data)
    return LoopRun(losses, used, fresh)


def zero_grad_sentence(right: LoopRun, wrong: LoopRun) -> str:
    n = len(right.losses)
    return (f"After {n} steps the loss is {right.losses[-1]:.3f} with zero_grad and "
            f"{wrong.losses[-1]:.3f} without: there the last step moved along grads of size "
            f"{wrong.used:.3g}, the sum of all {n} steps' gradients, where its own gradient was "
            f"{wrong.fresh:.3g}.")


def plot_zero_grad(right: LoopRun, wrong: LoopRun, path: Path) -> Path:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 4.2), layout="constrained")
    ax = fig.subplots()
    steps = range(1, len(right.losses) + 1)
    ax.plot(steps, right.losses, lw=2, color="#0072B2",
            label=f"with zero_grad(): {right.losses[-1]:.3f} at the end")
    ax.plot(steps, wrong.losses, lw=2, color="#D55E00", ls="--",
            label=f"without zero_grad(): {wrong.losses[-1]:.3f} at the end")
    ax.set(xlabel="step (full batch, lr = 0.2)", ylabel="training loss (mean squared error)",
           ylim=(0, None),
           title="WRONG: without zero_grad the loss swings and never settles")
    ax.grid(alpha=0.3)
    ax.legend()
    return save_figure(fig, path)


# --- 5. dead ReLUs from a bad initialisation ------------------------------------------------

def relu_net(bias: float | None) -> MLP:
    """MLP(2, [8, 8, 1]) with relu hidden layers, seed 0; `bias` set on every hidden unit (None:
    the default start, bias 0)."""
    model = MLP(2, [8, 8, 1], seed=0)
    if bias is not None:
        for layer in model.layers[:-1]:
            for neuron in layer.neurons:
                neuron.b.data = bias
    return model


def dead_count(model: MLP, X: list[list[float]]) -> int:
    """Hidden units that `draw_network` marks dead: relu with w.x + b <= 0 on every sample."""
    return sum(state == "dead" for layer in unit_status(model, X) for state in layer)


@dataclass
class ReluRun:
    dead_before: int
    dead_after: int
    loss: float
    accuracy: float


def train_relu_net(model: MLP, X: list[list[float]], y: list[int], epochs: int = 30) -> ReluRun:
    before = dead_count(model, X)
    history = fit(model, X, y, mse_loss, SGD(model.parameters(), lr=0.05), epochs=epochs,
                  quiet=True)
    return ReluRun(before, dead_count(model, X), history.loss[-1], history.accuracy[-1])


def relu_sentence(bias: float, good: ReluRun, bad: ReluRun, units: int) -> str:
    return (f"With every hidden bias started at {bias:g}, {bad.dead_before} of {units} units are "
            f"dead before training and {bad.dead_after} after it (loss {bad.loss:.3f}, accuracy "
            f"{bad.accuracy:.0%}); from the default start (bias 0): {good.dead_before} and "
            f"{good.dead_after} (loss {good.loss:.3f}, accuracy {good.accuracy:.0%}). A dead unit "
            "passes no gradient, so nothing revives it.")


def network_picture(model: MLP, X: list[list[float]], headline: str):  # noqa: ANN201
    """draw_network's picture of `model`, its dead units grey, under `headline` and a key (they
    take the legend's place: a graph has one label)."""
    graph = draw_network(model, X=X, legend=False)
    set_attrs(graph, labelloc="t", labeljust="c", fontsize="13", label=(
        f"{headline}\n(grey: a dead relu, w.x + b <= 0 on all {len(X)} samples, so no gradient "
        "passes through it;\nedges: blue positive weight, orange negative, wider for larger |w|)"))
    return graph


# --- 6. a learning rate that diverges -------------------------------------------------------

@dataclass
class RateRun:
    lr: float
    losses: list[float]  # every finished epoch's loss
    error: TrainingDiverged | None  # what fit raised, if it did


def train_at(lr: float, epochs: int = 120) -> RateRun:
    """fit MLP(2, [16, 1]) (tanh) on `moons_pm1()` at learning rate `lr`, keeping each epoch's
    loss through on_epoch, so they survive a TrainingDiverged."""
    X, y = moons_pm1()
    model = MLP(2, [16, 1], activation="tanh", seed=0)
    run = RateRun(lr, [], None)
    try:
        fit(model, X, y, mse_loss, SGD(model.parameters(), lr=lr), epochs=epochs, quiet=True,
            on_epoch=lambda epoch, history: run.losses.append(history.loss[-1]))
    except TrainingDiverged as error:
        run.error = error
    return run


def rate_sentence(good: RateRun, bad: RateRun) -> str:
    if bad.error is None:
        return f"lr = {bad.lr:g} did not diverge: its last loss is {bad.losses[-1]:.3g}."
    return (f"At lr = {bad.lr:g} the loss grew from {bad.losses[0]:.3g} to "
            f"{bad.losses[-1]:.3g} in {len(bad.losses)} epochs, then fit raised TrainingDiverged; "
            f"at lr = {good.lr:g} it went from {good.losses[0]:.3f} to {good.losses[-1]:.3f}.")


def plot_rates(good: RateRun, bad: RateRun, path: Path) -> Path:
    """Left, both loss curves as they are, in the good rate's range: the bad one leaves it at
    once. Right, log10(loss): the diverging one spans hundreds of powers of ten (a log-scaled
    axis would overflow a float at its top)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.2), layout="constrained")
    near, far = fig.subplots(1, 2)
    for run, colour in ((good, "#0072B2"), (bad, "#D55E00")):
        epochs = range(1, len(run.losses) + 1)
        end = "TrainingDiverged" if run.error else f"{run.losses[-1]:.3f} at the end"
        label = f"lr = {run.lr:g}: {end}"
        near.plot(epochs, run.losses, lw=2, color=colour, label=label)
        far.plot(epochs, [math.log10(v) for v in run.losses], lw=2, color=colour, label=label)
    if bad.error is not None:
        top = math.log10(bad.losses[-1])
        far.plot([len(bad.losses)], [top], marker="X", markersize=12, color="#D55E00")
        far.annotate(f"TrainingDiverged at epoch {len(bad.losses) + 1}",
                     (len(bad.losses), top), textcoords="offset points", xytext=(-8, -4),
                     ha="right", color="#D55E00")
    near.set(xlabel="epoch", ylabel="training loss (mean squared error)",
             xlim=(0, 30), ylim=(0, 1.2 * max(good.losses)),
             title=f"the first 30 epochs: lr = {good.lr:g} settles, lr = {bad.lr:g} leaves")
    far.set(xlabel="epoch", ylabel="log10(training loss)",
            title=f"lr = {bad.lr:g}: the loss explodes until fit stops")
    for ax in (near, far):
        ax.grid(alpha=0.3)
        ax.legend(loc="center right")
    fig.suptitle(f"WRONG: a learning rate of {bad.lr:g} diverges (beside {good.lr:g}, which "
                 "converges)")
    return save_figure(fig, path)


# --- the tour -------------------------------------------------------------------------------

@dataclass
class Pictures:
    """The pictures written into `out_dir`, and the graphs skipped for want of Graphviz."""

    out_dir: Path
    written: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    why: str = ""  # how to install Graphviz, as its error says

    def graph(self, name: str, make: Callable[[], object]) -> None:
        """Render the graph `make()` builds as name.svg and name.png. Without Graphviz (the
        `dot` program or the Python package) note it and go on: the plots need neither."""
        try:
            self.written += render(make(), self.out_dir / name, formats=("svg", "png"))
        except GraphvizMissingError as e:
            self.skipped.append(name)
            self.why = str(e)

    def report(self) -> None:
        if self.skipped:
            print(f"no pictures {', '.join(self.skipped)}: {self.why}")
        for path in self.written:
            print(f"wrote {path}")


def main(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    pictures = Pictures(out_dir)

    L, a, b = small_graph()
    L.backward()  # the engine's pass: the right grads, in .grad
    print(f"L = (a*b) * (a+b) = {L.data:g} with a = {a.data:g}, b = {b.data:g};  "
          f"the engine's backward(): a.grad = {a.grad:g}, b.grad = {b.grad:g}\n")
    pictures.graph("12_0_right", lambda: draw_dot(
        L, show_contributions=True,
        title="RIGHT: reverse topological order with +=, one backward()"))

    print("1. = instead of += on a node used twice")
    wrong = hand_backward(L, reverse_order(L), accumulate=False)
    print("   " + overwrite_sentence(wrong, a, b))
    pictures.graph("12_1_overwritten", lambda: draw_dot(
        L, show_contributions=True, grads=wrong.grads, upstreams=wrong.upstreams,
        overwritten=wrong.overwritten,
        title=f"WRONG: = instead of += leaves a.grad = {wrong.grads[a]:g}, "
              f"b.grad = {wrong.grads[b]:g} (right: {a.grad:g}, {b.grad:g})"))

    print("2. backward() twice without zero_grad")
    L2, a2, b2 = small_graph()
    once, twice = backward_twice(L2, [a2, b2])
    print("   " + twice_sentence([a2, b2], once, twice))
    pictures.graph("12_2_backward_twice", lambda: draw_dot(
        L2, show_contributions=True,
        title=f"WRONG: backward() twice leaves a.grad = {a2.grad:g}, b.grad = {b2.grad:g}: "
              "each leaf holds twice what its edges send"))

    print("3. a backward loop in forward order")
    forward = hand_backward(L, topological_order(L))
    print(f"   order: {' -> '.join(v.label for v in topological_order(L))}")
    print("   " + forward_sentence(forward, [a, b]))
    pictures.graph("12_3_forward_order", lambda: draw_dot(
        L, show_contributions=True, grads=forward.grads, upstreams=forward.upstreams,
        title=f"WRONG: a forward-order walk leaves a.grad = {forward.grads[a]:g}, "
              f"b.grad = {forward.grads[b]:g}: they read c and d before L reached them"))

    print("4. no zero_grad in a training loop")
    right_loop, wrong_loop = train_by_hand(zero_grad=True), train_by_hand(zero_grad=False)
    print("   " + zero_grad_sentence(right_loop, wrong_loop))
    pictures.written.append(
        plot_zero_grad(right_loop, wrong_loop, out_dir / "12_4_no_zero_grad.png"))

    print("5. dead ReLUs from a bad initialisation")
    X, y = moons_pm1()
    bias = -1.5
    good_net, bad_net = relu_net(None), relu_net(bias)
    good, bad = train_relu_net(good_net, X, y), train_relu_net(bad_net, X, y)
    units = sum(bad_net.nouts[:-1])
    print("   " + relu_sentence(bias, good, bad, units))
    pictures.graph("12_5_dead_relus", lambda: network_picture(
        bad_net, X, f"WRONG: hidden biases started at {bias:g} leave {bad.dead_after} of "
                    f"{units} relu units dead after training"))
    pictures.graph("12_5_dead_relus_right", lambda: network_picture(
        good_net, X, f"RIGHT: from the default start (bias 0), {good.dead_after} of {units} "
                     "relu units dead after training"))

    print("6. a learning rate that diverges")
    good_rate, bad_rate = train_at(0.3), train_at(3.0)
    print("   " + rate_sentence(good_rate, bad_rate))
    if bad_rate.error is not None:
        print(f"   TrainingDiverged: {bad_rate.error}")
    pictures.written.append(plot_rates(good_rate, bad_rate, out_dir / "12_6_diverging_lr.png"))
    print()
    pictures.report()
    return pictures.written


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out"))
