"""The `chainrule` command: explain a formula's backward pass, run a demo, train a small network.

    chainrule explain "tanh(x1*w1 + x2*w2 + b)" x1=2 x2=0 w1=-3 w2=1 b=6.8813735870195432
    chainrule demo [NAME]
    chainrule train moons --hidden 16,16 --epochs 100 --out out/moons

Exit status: 0 done; 2 bad input (a formula, a value, an argument, an --out folder that cannot
be written: one line on stderr, plus a caret under the column when the problem is at one place
of the formula); 1 a failure at run time (Graphviz missing or failing, training diverged, a full
disk, a bug); 130 interrupted (Ctrl-C); 128 + N stopped by signal N (143 for SIGTERM). Never a
traceback, unless CHAINRULE_DEBUG=1 asks for one.

NOTE: start-up. The console script imports this module, then calls main(). A Ctrl-C during an
import at module level would end in Python's raw traceback, before main's try/except exists. So
the module imports only sys and os at its top (the interpreter has loaded both already); every
other import happens inside main's protected region, in the function that needs it.

NOTE: layering. `autograd` never imports `nn` at module level; `train` imports it inside its
handler, so `chainrule explain` and `import autograd` stay standard-library only.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing at start-up
if TYPE_CHECKING:
    import argparse
    import threading
    from collections.abc import Callable, Sequence
    from pathlib import Path
    from typing import NoReturn, TextIO

    from autograd.formula import Formula, Graph
    from autograd.value import Value

PROG = "chainrule"
# demos/ lives beside the package in a source checkout
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))

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
EXPLAIN_FILES = ("graph.svg", "graph.png", "steps.html")
TRAIN_FILES = ("model.json", "history.png", "boundary.png", "grad_norms.png", "network.svg")


class UsageError(Exception):
    """Bad input on the command line: reported in one line, exit status 2."""


class OutputError(Exception):
    """Writing the --out files failed (a full disk, say): reported in one line, exit status 1."""


class Terminated(BaseException):
    """SIGTERM or SIGHUP, raised the way Ctrl-C raises KeyboardInterrupt, so that every cleanup
    runs: by default these signals end the process at once and leave temporary files behind."""

    def __init__(self, name: str, signum: int) -> None:
        super().__init__(name)
        self.name, self.signum = name, signum


def _parser(**kwargs: str) -> argparse.ArgumentParser:
    """An argparse parser whose errors become one-line UsageErrors instead of a usage dump."""
    import argparse

    parser = argparse.ArgumentParser(**kwargs)

    def error(message: str) -> NoReturn:
        if message.startswith("the following arguments are required: EXPR"):
            message = f'a formula is needed, e.g. {PROG} explain "x * (y + 1)" x=2 y=3'
        raise UsageError(f"{message}  (see '{parser.prog} --help')")

    parser.error = error  # argparse reports every bad argument through self.error(message)
    return parser


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


# ---------------------------------------------------------------------------------------------
# Signals: Ctrl-C, SIGTERM and SIGHUP unwind the command as exceptions, so its cleanup runs.


def _stop_signals() -> list[int]:
    import signal

    return [getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
            if hasattr(signal, name)]


class _StopOnSignals:
    """For the length of one command: SIGINT raises KeyboardInterrupt, SIGTERM and SIGHUP raise
    Terminated. A signal that was ignored when chainrule started (SIGHUP under nohup) stays
    ignored; `restore` puts back the handlers that were there before."""

    def __init__(self) -> None:
        import signal

        self.quiet = False  # once the command has ended or is reported stopped: signals do nothing
        self.previous: dict[int, object] = {}
        self.previous_hook = None
        self.swallowed: BaseException | None = None  # a stop that Python swallowed (see below)
        self.resending: list[threading.Timer] = []  # the threads sending it again
        for signum in _stop_signals():
            if signal.getsignal(signum) == signal.SIG_IGN:
                continue
            try:
                self.previous[signum] = signal.signal(signum, self._raise)
            except ValueError:  # not the main thread, where alone Python may set handlers
                return
        self.previous_hook = sys.unraisablehook
        sys.unraisablehook = self._unraisable

    def _raise(self, signum: int, frame: object) -> None:
        import signal

        if self.quiet:
            return
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise Terminated(signal.Signals(signum).name, signum)

    def _unraisable(self, unraisable: sys.UnraisableHookArgs) -> None:
        """A signal handled while Python runs a finalizer (a __del__, a weakref callback such as
        importlib's after each import) raises where nothing can catch it: Python prints
        "Exception ignored in ..." and goes on, and the Ctrl-C is lost. So send it again, a
        moment later, from a thread: by then the main thread is back in ordinary code. (The cut
        finalizer may leave its library broken, failing before then: see _run_and_report.)"""
        import signal
        import threading

        stop = unraisable.exc_value
        if not isinstance(stop, (KeyboardInterrupt, Terminated)):
            self.previous_hook(unraisable)
            return
        self.swallowed = stop
        if not self.quiet and hasattr(signal, "pthread_kill"):
            signum = getattr(stop, "signum", signal.SIGINT)
            main_thread = threading.main_thread().ident
            timer = threading.Timer(0.01, signal.pthread_kill, (main_thread, signum))
            timer.daemon = True
            timer.start()
            self.resending.append(timer)

    def restore(self) -> None:
        import signal

        for timer in self.resending:  # a signal sent meanwhile is handled here, still quiet
            timer.cancel()
            timer.join()
        for signum, handler in self.previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        if self.previous_hook is not None:
            sys.unraisablehook = self.previous_hook
        self.previous, self.previous_hook = {}, None


class _SignalsHeld:
    """Within this block SIGINT, SIGTERM and SIGHUP wait, and arrive as it ends: for the steps
    that must not be cut in two (moving the finished files in, cleaning up). It blocks them for
    the calling thread, which in this single-threaded command is the whole process; where there
    is no pthread_sigmask (Windows) it changes nothing."""

    def __enter__(self) -> None:
        import signal

        self.previous = None
        if hasattr(signal, "pthread_sigmask"):
            self.previous = signal.pthread_sigmask(signal.SIG_BLOCK, _stop_signals())

    def __exit__(self, *exc_info: object) -> None:
        import signal

        if self.previous is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, self.previous)


# ---------------------------------------------------------------------------------------------
# --out DIR: checked before any work, then written whole or not at all.


def _shown(path: str) -> str:
    """A path as an error names it: whole, or its two ends when it is very long."""
    return path if len(path) <= 100 else f"{path[:60]}...{path[-20:]} ({len(path):,} characters)"


class OutDir:
    """The folder named by --out, which gets the command's whole set of files or none of them.

    `OutDir.prepare` checks it before any work: it is a folder, or is missing and can be created
    (it is, at once, empty, with any missing parents), and a file can be made in it. `write` then
    makes the files in a fresh staging folder and moves them in:

    - into a folder this run created, by renaming the staging folder (made beside it) over the
      empty folder: one step, as POSIX rename replaces an empty directory, so the folder is
      empty or complete and never partial;
    - into a folder that was there before, by moving each file in with os.replace, from a
      staging folder made inside it (so on the same file system, even when the folder is a
      mount point). Each file is whole and the moves run with the stop signals held, but they
      are not one atomic step: a crash or SIGKILL amid them can leave some new files beside the
      previous run's.

    `discard` undoes it all when the command fails or is stopped: it removes the staging folder
    and the folders this run created. Only a crash or SIGKILL can leave the new, empty folder or
    a hidden `.chainrule-*.tmp` staging folder behind.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.shown = _shown(str(path))
        self.created: list[Path] = []  # the folders this run made, outermost first
        self.staging: Path | None = None
        self.kept = False

    @classmethod
    def prepare(cls, value: str, names: Sequence[str] = ()) -> OutDir:
        """Check --out before any work; `names` are the files the command writes into it.
        Raises UsageError saying what is wrong with the path, having created nothing."""
        from pathlib import Path

        if not value.strip():
            raise UsageError("--out needs a folder name, e.g. --out out/run1")
        out = cls(Path(value))
        try:
            with _SignalsHeld():  # each folder made is recorded before a signal can stop us
                out._check(names)
        except BaseException:
            out.discard()
            raise
        return out

    def _check(self, names: Sequence[str]) -> None:
        path, problem = self.path, "cannot create this folder"
        try:
            if os.path.isdir(path):
                for name in names:
                    if os.path.isdir(path / name):
                        raise UsageError(f"--out {self.shown}: its {name} is a folder, where "
                                         f"{PROG} writes a file; move it or choose another folder")
            elif os.path.lexists(path):
                raise UsageError(f"--out {self.shown}: exists and is not a directory; choose "
                                 "another name (a missing folder is created)")
            else:
                self._create()
            problem = "cannot write in this folder"
            probe = path / f".chainrule-probe-{os.getpid()}-{os.urandom(4).hex()}"
            os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            os.remove(probe)
        except (OSError, ValueError) as e:  # ValueError: a NUL byte in the name
            raise UsageError(f"--out {self.shown}: {problem} ({self._reason(e)}); choose "
                             "another folder") from None

    def _create(self) -> None:
        """Make the folder and each missing parent, outermost first, recording each one."""
        missing = []
        folder = self.path
        while not os.path.lexists(folder) and folder != folder.parent:
            missing.append(folder)
            folder = folder.parent
        for folder in reversed(missing):
            os.mkdir(folder)
            self.created.append(folder)

    def _reason(self, e: OSError | ValueError) -> str:
        if not isinstance(e, OSError):
            return str(e)
        reason = e.strerror or str(e)
        if isinstance(e, NotADirectoryError):  # say which part of the path is a file
            for parent in self.path.parents:
                if os.path.lexists(parent) and not os.path.isdir(parent):
                    return f"{reason}: {_shown(str(parent))} is a file"
        return reason

    def write(self, make: Callable[[Path], list[Path]]) -> list[Path]:
        """`make(folder)` writes the files into a fresh staging folder and returns their paths;
        then they are all moved into the --out folder. Returns their final paths. An OSError on
        the way (a full disk) becomes an OutputError, with nothing moved in."""
        name = f"chainrule-{os.getpid()}-{os.urandom(4).hex()}.tmp"
        if self.created:  # beside the new folder, to be renamed over it
            self.staging = self.path.parent / f".{self.path.name[:64]}.{name}"
        else:  # inside the folder that was there before
            self.staging = self.path / f".{name}"
        try:
            os.mkdir(self.staging)
            made = make(self.staging)
        except OSError as e:
            raise OutputError(f"--out {self.shown}: could not write the files "
                              f"({e.strerror or e}), so none was kept; free some space or "
                              "choose another folder") from e
        self._move_in(self.staging)
        return [self.path / path.name for path in made]

    def _move_in(self, staging: Path) -> None:
        with _SignalsHeld():
            try:
                if not (self.created and self._rename_over_the_empty_folder(staging)):
                    for name in sorted(os.listdir(staging)):
                        os.replace(staging / name, self.path / name)
                    os.rmdir(staging)
            except OSError as e:
                raise OutputError(f"--out {self.shown}: could not move the finished files "
                                  f"into it ({e.strerror or e}); see what it holds") from e
            self.staging, self.kept = None, True

    def _rename_over_the_empty_folder(self, staging: Path) -> bool:
        try:
            os.replace(staging, self.path)
        except OSError:  # something appeared in it meanwhile: move the files one by one
            return False
        return True

    def keep(self) -> None:
        """Keep the folder as it is (the demo has written into it itself)."""
        self.kept = True

    def discard(self, *, contents: bool = False) -> None:
        """Unless the files were kept, remove the staging folder and the folders this run
        created, each only while it is empty; `contents=True` also removes what was written
        straight into the --out folder this run created (the demo's files)."""
        import shutil

        if self.kept:
            return
        with _SignalsHeld():
            if self.staging is not None:
                shutil.rmtree(self.staging, ignore_errors=True)
                self.staging = None
            for folder in reversed(self.created):
                if contents and folder == self.path:
                    shutil.rmtree(folder, ignore_errors=True)
                try:
                    os.rmdir(folder)
                except OSError:  # gone already, or someone else's files are in it now
                    pass
            self.created = []


# ---------------------------------------------------------------------------------------------
# chainrule explain


def _explain_parser() -> argparse.ArgumentParser:
    p = _parser(
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
    from autograd.formula import FormulaError, build, parse, parse_assignments

    try:
        formula = parse(ns.expr)
    except FormulaError as e:
        if any("=" not in v for v in ns.values):  # the shell split an unquoted formula
            e.message += f'  (put the formula in quotes: {PROG} explain "x * (y + 1)" x=2 y=3)'
        raise
    graph = build(formula, parse_assignments(ns.values))
    out = OutDir.prepare(ns.out, EXPLAIN_FILES) if ns.out is not None else None
    try:
        _print_explanation(formula, graph)
        if out is not None:
            written = out.write(lambda folder: _draw_explanation(graph.root, formula.text,
                                                                 folder))
            print()
            for path in written:
                print(f"wrote {path}")
    finally:
        if out is not None:
            out.discard()  # does nothing once the files are in place
    return 0


def _print_explanation(formula: Formula, graph: Graph) -> None:
    from autograd.graph import topological_order
    from autograd.trace import backward_steps, format_number

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


def _draw_explanation(root: Value, title: str, folder: Path) -> list[Path]:
    from autograd.draw import draw_dot, render
    from autograd.steps_html import save_steps_html

    written = render(draw_dot(root), folder / "graph", formats=("svg", "png"))
    written.append(save_steps_html(root, folder / "steps.html", title=title))
    return written


# ---------------------------------------------------------------------------------------------
# chainrule demo


def demos_dir() -> Path | None:
    """The demos folder: beside the package in a source checkout, else ./demos."""
    from pathlib import Path

    for folder in (Path(REPO_ROOT) / "demos", Path.cwd() / "demos"):
        if folder.is_dir() and any(folder.glob("[0-9][0-9]_*.py")):
            return folder
    return None


def _demo_summary(path: Path) -> str:
    """The first line of a demo's docstring, without its leading "NN — "."""
    import ast

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
    import difflib

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


def _demo_parser() -> argparse.ArgumentParser:
    p = _parser(prog=f"{PROG} demo", description="List the teaching demos, or run one.",
                epilog=f"examples: {PROG} demo;  {PROG} demo 01;  {PROG} demo one_neuron")
    p.add_argument("name", metavar="NAME", nargs="?", help="a demo's number or name")
    p.add_argument("--out", metavar="DIR", help="where the demo writes its pictures "
                   "(default: out/)")
    return p


def _demo(ns: argparse.Namespace) -> int:
    import subprocess

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
    # NOTE: the demo writes its files itself, so they are not staged; a folder created for it
    # is removed again if the demo fails or is stopped.
    out = OutDir.prepare(ns.out) if ns.out is not None else None
    try:
        print(f"running {path}", flush=True)
        command = [sys.executable, str(path), *([str(out.path)] if out is not None else [])]
        status = subprocess.run(command, check=False).returncode
        if status == 0 and out is not None:
            out.keep()
        return status
    finally:
        if out is not None:
            out.discard(contents=True)  # nothing once kept


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
    import math

    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"--lr {text!r}: not a number (try --lr 0.02)") from None
    if not (math.isfinite(value) and 0.0 < value <= 100.0):
        raise UsageError(f"--lr {text!r}: the learning rate must be > 0 and at most 100")
    return value


def _train_parser() -> argparse.ArgumentParser:
    p = _parser(
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


def _train(ns: argparse.Namespace) -> int:
    dataset = _choice("", ns.dataset, DATASETS)
    hidden = _hidden(ns.hidden)
    activation = _choice("--activation ", ns.activation, ACTIVATIONS)
    epochs = _int_in("--epochs", ns.epochs, 1, MAX_EPOCHS)
    lr = _learning_rate(ns.lr)
    seed = _int_in("--seed", ns.seed, 0, 2**32 - 1)
    samples = _int_in("--samples", ns.samples, MIN_SAMPLES, MAX_SAMPLES)
    out = OutDir.prepare(ns.out, TRAIN_FILES) if ns.out is not None else None
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
        _fail(f"{e} (try a smaller --lr than {lr:g})")
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
            _raise_a_stop_behind(e)
            notes.append(f"no plots: {e}")
        try:
            written += render(nn.draw_network(model), folder / "network", formats=("svg",))
        except (GraphvizError, ValueError) as e:
            _raise_a_stop_behind(e)
            notes.append(f"no network picture: {e}")
        return written

    for path in out.write(save):
        print(f"wrote {path}")
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    return 0


# ---------------------------------------------------------------------------------------------
# Dispatch.

COMMANDS: dict[str, tuple[Callable[[], argparse.ArgumentParser],
                          Callable[[argparse.Namespace], int]]] = {
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
        import difflib

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


def _stop_behind(error: BaseException) -> BaseException | None:
    """The Ctrl-C or SIGTERM that `error` was raised while handling, if any. A cleanup cut short
    by a stop can fail in its turn and hide it (argparse's parse_intermixed_args does: its
    `finally` reads attributes that the interrupted `try` never set); the stop is what happened.
    """
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, (KeyboardInterrupt, Terminated)):
            return error
        seen.add(id(error))
        error = error.__context__
    return None


def _raise_a_stop_behind(error: BaseException) -> None:
    """Raise the Ctrl-C or SIGTERM behind `error`, if any, before treating `error` as a mere
    note. (A C extension interrupted while Python imports it, as matplotlib's ft2font can be,
    turns the KeyboardInterrupt into an ImportError: it is not a missing matplotlib.)"""
    stop = _stop_behind(error)
    if stop is not None:
        raise stop from None


def _run_and_report(args: list[str], signals: _StopOnSignals) -> int:
    """Run one command; report a failure in one line; return the exit status."""
    try:
        return _run(args)
    except Exception as e:
        stop = _stop_behind(e) or signals.swallowed
        if stop is not None:  # the stop is what happened; the error only followed from it
            raise stop from None
        return _report(e)


def _report(error: Exception) -> int:
    from autograd.draw import GraphvizError
    from autograd.formula import FormulaError

    if isinstance(error, UsageError):
        _fail(str(error))
        return 2
    if isinstance(error, FormulaError):
        _fail(str(error), error.pointer())
        return 2
    if isinstance(error, (GraphvizError, OutputError)):
        _fail(str(error))
        return 1
    if isinstance(error, BrokenPipeError):  # `chainrule explain ... | head`: the reader left
        # Python flushes stdout again at exit, which would fail loudly: point it at devnull.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    if os.environ.get("CHAINRULE_DEBUG"):
        raise error
    _fail(f"internal error, a bug in chainrule: {type(error).__name__}: {error} (run again "
          "with CHAINRULE_DEBUG=1 to see the traceback, and please report it)")
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (see the module docstring).

    Everything happens inside this try, imports included (see the NOTE on start-up), so that a
    Ctrl-C or SIGTERM at any moment ends in one line. Hence `signals.quiet = True` comes before
    any call in the except and finally blocks: from then on a second signal changes nothing.
    Run for the process's own command line (`argv` None: the console script) the handlers stay
    quiet until the process exits, so that its last moments cannot end in a traceback either;
    called from Python with `argv`, main puts the previous handlers back."""
    signals = None
    try:
        signals = _StopOnSignals()
        return _run_and_report(list(sys.argv[1:] if argv is None else argv), signals)
    except KeyboardInterrupt:
        if signals is not None:
            signals.quiet = True
        _fail("interrupted")
        return _stopped(130, own_process=argv is None)
    except Terminated as e:
        if signals is not None:
            signals.quiet = True
        _fail(f"terminated ({e.name})")
        return _stopped(128 + e.signum, own_process=argv is None)
    finally:
        if signals is not None:
            signals.quiet = True
            if argv is not None:
                signals.restore()


def _stopped(status: int, own_process: bool) -> int:
    """The exit status of a stopped command; for the console script, the end of the process.

    NOTE: a stop can cut a library short in the middle of its import, and some cannot take it:
    matplotlib's ft2font (a pybind11 extension) interrupted while it initialises turns the
    KeyboardInterrupt into an ImportError and then crashes Python's own clean-up at exit
    ("Fatal Python error", SIGABRT). Our files are cleaned up by now, so the console script ends
    at once, without that clean-up; called from Python, main just returns."""
    if not own_process:
        return status
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing more to say there
            pass
    os._exit(status)


if __name__ == "__main__":
    raise SystemExit(main())
