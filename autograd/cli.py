"""The `chainrule` command: explain a formula's backward pass, run a demo, train a small network.

    chainrule explain "tanh(x1*w1 + x2*w2 + b)" x1=2 x2=0 w1=-3 w2=1 b=6.8813735870195432
    chainrule demo [NAME]
    chainrule train moons --hidden 16,16 --epochs 100 --out out/moons

Exit status: 0 done; 2 bad input (a formula, a value, an argument: one line on stderr, plus a
caret under the column when the problem is at one place of the formula); 1 a failure at run
time (Graphviz missing, training diverged, a bug); 130 interrupted. Never a traceback, unless
CHAINRULE_DEBUG=1 asks for one.

NOTE: layering. `autograd` never imports `nn` at module level; `train` imports it inside its
handler, so `chainrule explain` and `import autograd` stay standard-library only.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import math
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from autograd.draw import GraphvizMissingError
from autograd.formula import FormulaError

PROG = "chainrule"
REPO_ROOT = Path(__file__).resolve().parent.parent  # holds demos/ in a source checkout

USAGE = f"""usage: {PROG} COMMAND ...

commands:
  explain EXPR [NAME=VALUE ...] [--out DIR]   a formula's graph and every backward step
  demo [NAME]                                 list the teaching demos, or run one
  train DATASET [options]                     train an MLP on a built-in dataset

'{PROG} COMMAND --help' shows a command's options.
"""

DATASETS = ("moons", "circles", "xor", "spiral", "blobs")
ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu")
MAX_WIDTH, MAX_LAYERS = 256, 8  # pure-Python training beyond this takes hours, not seconds
MAX_EPOCHS, MIN_SAMPLES, MAX_SAMPLES = 100_000, 4, 10_000


class UsageError(Exception):
    """Bad input on the command line: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but its errors become one-line UsageErrors instead of a usage dump."""

    def error(self, message: str) -> NoReturn:
        if message.startswith("the following arguments are required: EXPR"):
            message = f'a formula is needed, e.g. {PROG} explain "x * (y + 1)" x=2 y=3'
        raise UsageError(f"{message}  (see '{self.prog} --help')")


# ---------------------------------------------------------------------------------------------
# Colour: only on a terminal, and never when NO_COLOR is set (https://no-color.org).


class Paint:
    """ANSI styles that vanish when colour is off."""

    def __init__(self, stream: TextIO) -> None:
        isatty = getattr(stream, "isatty", lambda: False)
        self.on = bool(isatty()) and not os.environ.get("NO_COLOR") and (
            os.environ.get("TERM") != "dumb")

    def _style(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.on else text

    def bold(self, text: str) -> str:
        return self._style("1", text)

    def dim(self, text: str) -> str:
        return self._style("2", text)

    def name(self, text: str) -> str:
        return self._style("36", text)

    def sign(self, x: float, text: str) -> str:
        """Green for a positive number, red for a negative one."""
        return self._style("32" if x > 0 else "31", text) if x else text


def _fail(message: str, detail: str = "") -> None:
    """The one-line error on stderr (and, for a formula, the caret under its column)."""
    print(f"{PROG}: error: {message}", file=sys.stderr)
    for line in detail.splitlines():
        print(f"  {line}", file=sys.stderr)


def _out_dir(value: str | None) -> Path | None:
    """--out DIR: checked before any work, created only once everything else has succeeded."""
    if value is None:
        return None
    path = Path(value)
    if not value.strip():
        raise UsageError("--out needs a directory name")
    if path.exists() and not path.is_dir():
        raise UsageError(f"--out {value}: exists and is not a directory")
    return path


# ---------------------------------------------------------------------------------------------
# chainrule explain


def _explain_parser() -> _Parser:
    p = _Parser(
        prog=f"{PROG} explain",
        description="Build a formula's graph, print its forward values and every step of the "
        "backward pass, and the gradient of each input.",
        epilog=f'example: {PROG} explain "tanh(x1*w1 + x2*w2 + b)" x1=2 x2=0 w1=-3 w2=1 '
        "b=6.8813735870195432 --out out/neuron",
    )
    p.add_argument("expr", metavar="EXPR", help="the formula, in quotes: numbers, names, "
                   "+ - * / **, parentheses, exp log tanh relu sigmoid sqrt abs sin cos "
                   "leaky_relu")
    p.add_argument("values", metavar="NAME=VALUE", nargs="*", help="a value for each name")
    p.add_argument("--out", metavar="DIR", help="write graph.svg, graph.png and steps.html "
                   "(the step-through page) into DIR")
    return p


def _explain(ns: argparse.Namespace) -> int:
    from autograd.formula import build, parse, parse_assignments
    from autograd.graph import topological_order
    from autograd.trace import backward_steps, format_number

    out_dir = _out_dir(ns.out)
    try:
        formula = parse(ns.expr)
    except FormulaError as e:
        if any("=" not in v for v in ns.values):  # the shell split an unquoted formula
            e.message += f'  (put the formula in quotes: {PROG} explain "x * (y + 1)" x=2 y=3)'
        raise
    graph = build(formula, parse_assignments(ns.values))
    root = graph.root
    steps = list(backward_steps(root))  # leaves the same grads as root.backward()

    paint = Paint(sys.stdout)
    order = topological_order(root)
    rows = []
    for node in order:
        source = "input" if node in graph.inputs.values() else graph.sources.get(node, "")
        if len(source) > 48:
            source = source[:45] + "..."
        rows.append((node.label or "L", node.op or "", format_number(node.data), source))
    w_name = max(len("node"), *(len(r[0]) for r in rows))
    w_op = max(len("op"), *(len(r[1]) for r in rows))
    w_data = max(len("data"), *(len(r[2]) for r in rows))

    print(paint.bold("formula: ") + formula.text)
    print()
    print(paint.bold("forward pass") + paint.dim("  (every node, inputs before outputs)"))
    print("  " + paint.dim(f"{'node':<{w_name}}  {'op':<{w_op}}  {'data':>{w_data}}  computes"))
    for name, op, data, source in rows:
        print(f"  {paint.name(f'{name:<{w_name}}')}  {op:<{w_op}}  {data:>{w_data}}  {source}")
    print()
    count = f"{len(steps)} step{'s' if len(steps) != 1 else ''}"
    print(paint.bold("backward pass") + paint.dim(f"  (the chain rule, one edge at a time: "
                                                  f"{count})"))
    width = len(str(len(steps)))
    for i, step in enumerate(steps, 1):
        print(f"  {i:>{width}}. {step}")
    if not steps:
        print("  (no steps: the formula has no operation on a name)")
    print()
    print(paint.bold("gradients") + paint.dim(f"  (d{root.label or 'L'}/d input)"))
    for name, leaf in graph.inputs.items():
        value = format_number(leaf.grad)
        print(f"  {paint.name(name)}.grad = {paint.sign(leaf.grad, value)}")
    if not graph.inputs:
        print("  (no names in the formula: nothing to differentiate)")

    if out_dir is not None:
        from autograd.draw import draw_dot, render
        from autograd.steps_html import save_steps_html

        out_dir.mkdir(parents=True, exist_ok=True)
        written = render(draw_dot(root), out_dir / "graph", formats=("svg", "png"))
        written.append(save_steps_html(root, out_dir / "steps.html", title=formula.text))
        print()
        for path in written:
            print(f"wrote {path}")
    return 0


# ---------------------------------------------------------------------------------------------
# chainrule demo


def demos_dir() -> Path | None:
    """The demos folder: beside the package in a source checkout, else ./demos."""
    for folder in (REPO_ROOT / "demos", Path.cwd() / "demos"):
        if folder.is_dir() and any(folder.glob("[0-9][0-9]_*.py")):
            return folder
    return None


def _demo_summary(path: Path) -> str:
    """The first line of a demo's docstring, without its leading "NN — "."""
    try:
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    except (OSError, SyntaxError, ValueError):
        return ""
    line = doc.strip().splitlines()[0] if doc.strip() else ""
    number, sep, rest = line.partition(" — ")
    return rest if sep and number.strip().isdigit() else line


def _find_demo(name: str, demos: list[Path]) -> Path:
    """A demo by number ("1", "01"), by name ("one_neuron"), by file name, or by a unique
    start of its name ("one")."""
    key = name.strip().lower().removesuffix(".py")
    titles = {path: path.stem.partition("_")[2] for path in demos}
    for path in demos:
        number = path.stem.partition("_")[0]
        if key in (path.stem.lower(), titles[path].lower()) or (
            key.isdigit() and int(key) == int(number)
        ):
            return path
    starts = [path for path in demos if titles[path].lower().startswith(key)]
    if len(starts) == 1:
        return starts[0]
    close = difflib.get_close_matches(key, [*titles.values(), *(p.stem for p in demos)], n=2)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    if len(starts) > 1:
        hint = f"; it could be {' or '.join(p.stem for p in starts)}"
    raise UsageError(f"no demo {name!r}{hint} ('{PROG} demo' lists them)")


def _demo_parser() -> _Parser:
    p = _Parser(prog=f"{PROG} demo", description="List the teaching demos, or run one.",
                epilog=f"examples: {PROG} demo;  {PROG} demo 01;  {PROG} demo one_neuron")
    p.add_argument("name", metavar="NAME", nargs="?", help="a demo's number or name")
    p.add_argument("--out", metavar="DIR", help="where the demo writes its pictures "
                   "(default: out/)")
    return p


def _demo(ns: argparse.Namespace) -> int:
    folder = demos_dir()
    if folder is None:
        raise UsageError(
            "no demos found: they are not installed with the package but live in the demos/ "
            "folder of chainrule's source repository; clone it and run this from its root"
        )
    demos = sorted(folder.glob("[0-9][0-9]_*.py"))
    if ns.name is None:
        paint = Paint(sys.stdout)
        print(paint.bold("demos") + paint.dim(f"  ({folder})"))
        width = max(len(path.stem) for path in demos)
        for path in demos:
            print(f"  {paint.name(f'{path.stem:<{width}}')}  {_demo_summary(path)}")
        print(f"\nrun one:  {PROG} demo {demos[0].stem.partition('_')[0]}")
        return 0
    path = _find_demo(ns.name, demos)
    out = _out_dir(ns.out)
    print(f"running {path}", flush=True)
    command = [sys.executable, str(path), *([str(out)] if out is not None else [])]
    return subprocess.run(command, check=False).returncode


# ---------------------------------------------------------------------------------------------
# chainrule train


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
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"--lr {text!r}: not a number (try --lr 0.02)") from None
    if not (math.isfinite(value) and 0.0 < value <= 100.0):
        raise UsageError(f"--lr {text!r}: the learning rate must be > 0 and at most 100")
    return value


def _train_parser() -> _Parser:
    p = _Parser(
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
    if value in choices:
        return value
    close = difflib.get_close_matches(value, choices, n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    raise UsageError(f"{flag}{value!r} is not one of {', '.join(choices)} ({hint}"
                     f"'{PROG} train --help' explains each)")


def _train(ns: argparse.Namespace) -> int:
    dataset = _choice("", ns.dataset, DATASETS)
    hidden = _hidden(ns.hidden)
    activation = _choice("--activation ", ns.activation, ACTIVATIONS)
    epochs = _int_in("--epochs", ns.epochs, 1, MAX_EPOCHS)
    lr = _learning_rate(ns.lr)
    seed = _int_in("--seed", ns.seed, 0, 2**32 - 1)
    samples = _int_in("--samples", ns.samples, MIN_SAMPLES, MAX_SAMPLES)
    out_dir = _out_dir(ns.out)

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
        _fail(f"{e} (try a smaller --lr than {lr:g})")
        return 1
    print(f"{paint.bold('done')}: loss {history.loss[-1]:.4f}, training accuracy "
          f"{history.accuracy[-1]:.1%} after {history.epochs} epochs ({history.stopped})")

    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        written = [model.save(out_dir / "model.json")]
        notes = []
        try:
            written.append(nn.plot_history(history, out_dir / "history.png",
                                           title=f"{dataset}, MLP {shape}"))
            written.append(nn.plot_decision_boundary(model, X, y, out_dir / "boundary.png"))
            written.append(nn.plot_grad_norms(history, out_dir / "grad_norms.png"))
        except ImportError as e:  # the plots extra (matplotlib) is not installed
            notes.append(f"no plots: {e}")
        try:
            from autograd.draw import render

            written += render(nn.draw_network(model), out_dir / "network", formats=("svg",))
        except (GraphvizMissingError, ValueError) as e:
            notes.append(f"no network picture: {e}")
        for path in written:
            print(f"wrote {path}")
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
    return 0


# ---------------------------------------------------------------------------------------------
# Dispatch.

COMMANDS: dict[str, tuple[Callable[[], _Parser], Callable[[argparse.Namespace], int]]] = {
    "explain": (_explain_parser, _explain),
    "demo": (_demo_parser, _demo),
    "train": (_train_parser, _train),
}


def _protect_dashes(args: list[str], options: set[str]) -> tuple[list[str], dict[str, str]]:
    """A formula or value may start with '-' ("-x*y"), which argparse would take for an
    option: every such argument that is not one of `options` is swapped for a placeholder
    and put back after parsing. Arguments like "--name" stay options (a misspelt option is
    reported as one)."""
    kept: dict[str, str] = {}
    protected = []
    for i, arg in enumerate(args):
        looks_like_option = arg[:2] == "--" and arg[2:3].isalpha()
        if arg.startswith("-") and not looks_like_option and arg.split("=", 1)[0] not in options:
            placeholder = f"\x00{i}"
            kept[placeholder] = arg
            arg = placeholder
        protected.append(arg)
    return protected, kept


def _restore(value: object, kept: dict[str, str]) -> object:
    if isinstance(value, str):
        return kept.get(value, value)
    if isinstance(value, list):
        return [kept.get(v, v) if isinstance(v, str) else v for v in value]
    return value


def _run(args: list[str]) -> int:
    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE, end="")
        return 0 if args else 2
    if args[0] == "--version":
        from importlib.metadata import PackageNotFoundError, version

        try:
            print(f"{PROG} {version('chainrule')}")
        except PackageNotFoundError:
            print(f"{PROG} (not installed as a package)")
        return 0
    command, rest = args[0], args[1:]
    if command not in COMMANDS:
        close = difflib.get_close_matches(command, COMMANDS, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise UsageError(f"unknown command {command!r}{hint} (commands: "
                         f"{', '.join(COMMANDS)}; see '{PROG} --help')")
    make_parser, handler = COMMANDS[command]
    parser = make_parser()
    kept: dict[str, str] = {}
    if command == "explain":
        options = {s for a in parser._actions for s in a.option_strings}
        rest, kept = _protect_dashes(rest, options)
    ns = parser.parse_intermixed_args(rest)
    for key, value in vars(ns).items():
        setattr(ns, key, _restore(value, kept))
    return handler(ns)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (see the module docstring)."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        return _run(args)
    except UsageError as e:
        _fail(str(e))
        return 2
    except FormulaError as e:
        _fail(str(e), e.pointer())
        return 2
    except GraphvizMissingError as e:
        _fail(str(e))
        return 1
    except KeyboardInterrupt:
        _fail("interrupted")
        return 130
    except BrokenPipeError:  # e.g. `chainrule explain ... | head`: the reader left; fine
        # Python flushes stdout again at exit, which would fail loudly: point it at devnull.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except Exception as e:
        if os.environ.get("CHAINRULE_DEBUG"):
            raise
        _fail(f"internal error, a bug in chainrule: {type(e).__name__}: {e} (run again with "
              "CHAINRULE_DEBUG=1 to see the traceback, and please report it)")
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
