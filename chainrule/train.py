"""`chainrule train DATASET [options]`: train an MLP on a built-in 2-D dataset; with --out, save
the model and its pictures."""

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

DATASETS = ("moons", "circles", "xor", "spiral", "blobs")
ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu")
MAX_WIDTH, MAX_LAYERS = 256, 8  # pure-Python training beyond this takes hours, not seconds
MAX_EPOCHS, MIN_SAMPLES, MAX_SAMPLES = 100_000, 4, 10_000
FILES = ("model.json", "history.png", "boundary.png", "grad_norms.png", "network.svg")

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
                   "boundary.png, grad_norms.png and network.svg into DIR")
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


def _train_and_save(dataset: str, hidden: list[int], activation: str, epochs: int, lr: float,
                    seed: int, samples: int, out: OutDir | None) -> int:
    import nn  # NOTE: here, never at module level: autograd does not depend on nn
    from nn import datasets

    makers: dict[str, Callable[[], tuple[list, list]]] = {
        "moons": lambda: datasets.moons(n=samples, seed=seed),
        "circles": lambda: datasets.circles(n=samples, seed=seed),
        "xor": lambda: datasets.xor(n=samples, seed=seed),
        "spiral": lambda: datasets.spiral(n_per_class=max(1, samples // 3), classes=3,
                                          seed=seed),
        "blobs": lambda: datasets.blobs(n=samples, centers=3, seed=seed),
    }
    X, y = makers[dataset]()
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
    try:
        history = nn.fit(model, X, y, loss_fn, optimizer, epochs=epochs, seed=seed)
    except nn.TrainingDiverged as e:
        fail(f"{e} (try a smaller --lr than {lr:g})")
        return 1
    print(f"{paint.bold('done')}: loss {history.loss[-1]:.4f}, training accuracy "
          f"{history.accuracy[-1]:.1%} after {history.epochs} epochs ({history.stopped})")
    if out is None:
        return 0

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
        return written

    for path in out.write(save):
        print(f"wrote {path}")
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    return 0


