"""`chainrule train DATASET [options]`: train an MLP on a built-in 2-D dataset, and say so when it
did not learn; with --out, save the model, its pictures and the training replay page."""

from __future__ import annotations

import sys

from chainrule.console import PROG, Paint, UsageError, fail, make_parser
from chainrule.outdir import OutDir
from chainrule.signals import raise_a_stop_behind

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence
    from pathlib import Path

    import nn

DATASETS = ("moons", "circles", "xor", "spiral", "blobs")
ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu")
MAX_WIDTH, MAX_LAYERS = 256, 8  # pure-Python training beyond this takes hours, not seconds
MAX_EPOCHS, MIN_SAMPLES, MAX_SAMPLES = 100_000, 4, 10_000
FILES = ("model.json", "history.png", "boundary.png", "grad_norms.png", "network.svg",
         "replay.html")

# The training replay (replay.html) keeps one epoch in `every`, chosen so that the page stays
# small and the recording quick: at most REPLAY_FRAMES frames besides the first and the last
# (each frame evaluates the model on its whole boundary grid: some seven epochs' worth of work
# on 100 points), and at most REPLAY_BYTES of frames. With the network diagram and the points on
# top, the page stays under ~2 MB for networks up to --hidden 32,32 (a wider one's diagram
# alone can weigh more).
REPLAY_FRAMES = 50
REPLAY_BYTES = 1_400_000
REPLAY_RESOLUTION = 30  # the boundary grid's side, in cells (the page smooths it)
NUMBER_CHARS = 11  # the longest number a frame holds, with its comma: "-1.234e-05,"

# When training did not work (see `trouble`): an accuracy within this share of the way from
# chance to 100% still counts as chance level (55% for two balanced classes).
CHANCE_MARGIN = 0.1

def _hidden(text: str) -> list[int]:
    """"16,16" -> [16, 16]; "" -> [] (no hidden layer: a linear model)."""
    if not text.strip():
        return []
    widths = []
    for part in text.split(","):
        try:
            width = int(part)
        except ValueError:
            raise UsageError(
                f"--hidden {text!r}: {part.strip()!r} is not a whole number; give layer "
                "widths separated by commas, e.g. --hidden 16,16"
            ) from None
        if not 1 <= width <= MAX_WIDTH:
            raise UsageError(f"--hidden {text!r}: each width must be 1 to {MAX_WIDTH}, "
                             f"got {width}")
        widths.append(width)
    if len(widths) > MAX_LAYERS:
        raise UsageError(f"--hidden {text!r}: at most {MAX_LAYERS} hidden layers")
    return widths


def _int_in(name: str, text: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"{name} {text!r}: not a whole number") from None
    if not low <= value <= high:
        raise UsageError(f"{name} {text!r}: must be {low} to {high:,}")
    return value


def _learning_rate(text: str) -> float:
    import math

    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"--lr {text!r}: not a number (try --lr 0.02)") from None
    if not (math.isfinite(value) and 0.0 < value <= 100.0):
        raise UsageError(f"--lr {text!r}: the learning rate must be > 0 and at most 100")
    return value


def parser() -> argparse.ArgumentParser:
    p = make_parser(
        prog=f"{PROG} train",
        description="Train an MLP on a built-in 2-D dataset with Adam, print the final loss "
        "and accuracy, and with --out write the model and its pictures. Two classes (moons, "
        "circles, xor): one output, binary cross-entropy on its logit. More (spiral, blobs: "
        "3 each): one output per class, softmax cross-entropy.",
        epilog=f"example: {PROG} train moons --hidden 16,16 --epochs 100 --out out/moons",
    )
    p.add_argument("dataset", metavar="DATASET", help=f"one of {', '.join(DATASETS)}")
    p.add_argument("--hidden", default="16,16", metavar="W1,W2,...",
                   help="hidden layer widths (default 16,16; '' for none)")
    p.add_argument("--activation", default="relu", metavar="NAME",
                   help=f"hidden activation: {', '.join(ACTIVATIONS)} (default relu)")
    p.add_argument("--epochs", default="100", metavar="N", help="passes over the data "
                   "(default 100)")
    p.add_argument("--lr", default="0.02", metavar="X", help="Adam's learning rate "
                   "(default 0.02)")
    p.add_argument("--seed", default="0", metavar="S", help="seeds the data and the weights "
                   "(default 0)")
    p.add_argument("--samples", default="100", metavar="N", help="points in the dataset "
                   "(default 100)")
    p.add_argument("--out", metavar="DIR", help="write model.json, history.png, "
                   "boundary.png, grad_norms.png, network.svg and the training replay page "
                   "replay.html into DIR")
    return p


def _choice(flag: str, value: str, choices: Sequence[str]) -> str:
    import difflib

    if value in choices:
        return value
    close = difflib.get_close_matches(value, choices, n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    raise UsageError(f"{flag}{value!r} is not one of {', '.join(choices)} ({hint}"
                     f"'{PROG} train --help' explains each)")


def run(ns: argparse.Namespace) -> int:
    dataset = _choice("", ns.dataset, DATASETS)
    hidden = _hidden(ns.hidden)
    activation = _choice("--activation ", ns.activation, ACTIVATIONS)
    epochs = _int_in("--epochs", ns.epochs, 1, MAX_EPOCHS)
    lr = _learning_rate(ns.lr)
    seed = _int_in("--seed", ns.seed, 0, 2**32 - 1)
    samples = _int_in("--samples", ns.samples, MIN_SAMPLES, MAX_SAMPLES)
    out = OutDir.prepare(ns.out, FILES) if ns.out is not None else None
    try:
        return _train_and_save(dataset, hidden, activation, epochs, lr, seed, samples, out)
    finally:
        if out is not None:
            out.discard()  # does nothing once the files are in place


def make_dataset(name: str, samples: int, seed: int) -> tuple[list, list]:
    """The built-in dataset `name` with exactly `samples` points (spiral's 3 arms split them as
    evenly as they can: 100 is 34 + 33 + 33)."""
    from nn import datasets

    makers: dict[str, Callable[[], tuple[list, list]]] = {
        "moons": lambda: datasets.moons(n=samples, seed=seed),
        "circles": lambda: datasets.circles(n=samples, seed=seed),
        "xor": lambda: datasets.xor(n=samples, seed=seed),
        "spiral": lambda: datasets.spiral(n=samples, classes=3, seed=seed),
        "blobs": lambda: datasets.blobs(n=samples, centers=3, seed=seed),
    }
    return makers[name]()


def frame_bytes(model: nn.Module, points: int, resolution: int) -> int:
    """An upper bound on the bytes one frame adds to the replay page of `model` trained on
    `points` points: its boundary grid (one byte per cell, as base64: 4 characters per 3 bytes),
    two numbers per weight and per bias (the value and its gradient, each at most
    NUMBER_CHARS), a status letter per neuron, the indices of the misclassified points (all of
    them, at worst), and its few keys."""
    from nn.draw_network import network_layers

    layers = network_layers(model)
    neurons = sum(len(layer) for layer in layers)
    weights = sum(len(neuron.w) for layer in layers for neuron in layer)
    grid = 4 * -(-resolution ** 2 // 3)
    wrong = points * (len(str(points - 1)) + 1)
    return grid + 2 * (weights + neurons) * NUMBER_CHARS + neurons + wrong + 200


def replay_every(epochs: int, model: nn.Module, points: int,
                 resolution: int = REPLAY_RESOLUTION) -> int:
    """Record one epoch in this many: at most REPLAY_FRAMES frames and REPLAY_BYTES of them,
    with the smallest round step that allows it (1, 2, 5, 10, 20, 50, ...), so that the slider
    reads epoch 0, 5, 10, ..."""
    import math

    needed = max(math.ceil(epochs / REPLAY_FRAMES),
                 math.ceil(epochs * frame_bytes(model, points, resolution) / REPLAY_BYTES))
    power = 1
    while True:
        for step in (power, 2 * power, 5 * power):
            if step >= needed:
                return step
        power *= 10


def trouble(history: nn.History, y: Sequence, lr: float, activation: str) -> str:
    """Why this run did not learn, in words (what went wrong, a newline, its likely cause and
    what to try), or "" when it did learn.

    It did not learn when the last epoch's loss is not below the first one's, or when the
    training accuracy is at chance level: no better (give or take CHANCE_MARGIN) than always
    answering the most common class. The likely cause follows from the loss curve: a loss that
    never fell, or jumped above twice its first value on the way, is the mark of steps too
    large; a loss that fell a little, smoothly, of steps too small or too few.
    """
    from collections import Counter

    first, last, accuracy = history.loss[0], history.loss[-1], history.accuracy[-1]
    chance = max(Counter(y).values()) / len(y)
    at_chance = accuracy <= chance + CHANCE_MARGIN * (1.0 - chance)
    fell = last < first
    if fell and not at_chance:
        return ""
    if not fell:
        what = (f"the loss did not fall: {first:.4f} after epoch 1, {last:.4f} after epoch "
                f"{history.epochs}")
    else:
        what = (f"the model did not learn: its training accuracy, {accuracy:.1%}, is no better "
                f"than chance (always answering the most common class gets {chance:.1%})")
    peak = max(history.loss)
    if fell and peak <= 2.0 * first:
        why = ("The loss fell, but only a little and smoothly: the steps are too small or too "
               f"few. Train longer (a larger --epochs) or try a larger --lr than {lr:g}.")
    else:
        jump = ""
        if peak > 2.0 * first:
            jump = (f" (here the loss jumped to {peak:.4g} at epoch "
                    f"{history.loss.index(peak) + 1})")
        dead = (" relu units pushed below zero for every point die (their gradient is 0) and "
                "never recover;") if activation == "relu" else ""
        why = ("This usually means the learning rate is too large: Adam's steps overshoot the "
               f"minimum, so the loss jumps instead of falling{jump};{dead} try a smaller "
               f"--lr, e.g. --lr {lr / 10:g}.")
    return f"{what}.\n{why}"


def _train_and_save(dataset: str, hidden: list[int], activation: str, epochs: int, lr: float,
                    seed: int, samples: int, out: OutDir | None) -> int:
    import nn  # NOTE: here, never at module level: autograd does not depend on nn

    X, y = make_dataset(dataset, samples, seed)
    classes = len(set(y))
    outputs = 1 if classes == 2 else classes
    model = nn.MLP(len(X[0]), [*hidden, outputs], activation=activation, seed=seed)
    if outputs == 1:
        loss_fn, loss_name = nn.binary_cross_entropy_with_logits, "binary cross-entropy"
    else:
        loss_fn, loss_name = nn.cross_entropy, "softmax cross-entropy"
    optimizer = nn.Adam(model.parameters(), lr=lr)

    paint = Paint(sys.stdout)
    shape = " -> ".join(str(n) for n in [len(X[0]), *hidden, outputs])
    print(f"{paint.bold('training')} MLP {shape} ({activation}) on {dataset}: {len(X)} points, "
          f"{classes} classes; {loss_name}, Adam lr {lr:g}, {epochs} epochs", flush=True)
    recorder = None
    if out is not None:  # frame 0, the untrained model; then one epoch in `every`
        recorder = nn.TrainingRecorder(model, X, y, resolution=REPLAY_RESOLUTION,
                                       every=replay_every(epochs, model, len(X)))
    try:
        history = nn.fit(model, X, y, loss_fn, optimizer, epochs=epochs, seed=seed,
                         on_epoch=recorder)
    except nn.TrainingDiverged as e:
        fail(f"{e} (try a smaller --lr than {lr:g})")
        return 1
    print(f"{paint.bold('done')}: loss {history.loss[-1]:.4f}, training accuracy "
          f"{history.accuracy[-1]:.1%} after {history.epochs} epochs ({history.stopped})")
    problem = trouble(history, y, lr, activation)
    if problem:  # it ran, so the exit status stays 0; but a student must not read it as fine
        import textwrap

        what, why = problem.split("\n")
        print(textwrap.fill(f"{PROG}: warning: {what}", 100, subsequent_indent="  "),
              file=sys.stderr)
        print(textwrap.fill(why, 100, initial_indent="  ", subsequent_indent="  "),
              file=sys.stderr)
    if out is None:
        return 0
    if recorder.frames[-1].epoch != history.epochs:  # the last epoch is always shown
        recorder.record(history.epochs, history.loss[-1])

    notes = []

    def save(folder: Path) -> list[Path]:
        from autograd.draw import GraphvizError, render

        written = [model.save(folder / "model.json")]
        try:
            written.append(nn.plot_history(history, folder / "history.png",
                                           title=f"{dataset}, MLP {shape}"))
            written.append(nn.plot_decision_boundary(model, X, y, folder / "boundary.png"))
            written.append(nn.plot_grad_norms(history, folder / "grad_norms.png"))
        except ImportError as e:  # the plots extra (matplotlib) is not installed
            raise_a_stop_behind(e)
            notes.append(f"no plots: {e}")
        try:
            written += render(nn.draw_network(model), folder / "network", formats=("svg",))
        except (GraphvizError, ValueError) as e:
            raise_a_stop_behind(e)
            notes.append(f"no network picture: {e}")
        try:
            written.append(nn.save_training_replay(
                folder / "replay.html", recorder,
                title=f"{dataset}: MLP {shape} ({activation}), Adam lr {lr:g}"))
        except (GraphvizError, ValueError) as e:  # no `dot`, or a network too large to draw
            raise_a_stop_behind(e)
            notes.append(f"no training replay: {e}")
        return written

    for path in out.write(save):
        print(f"wrote {path}")
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    return 0
