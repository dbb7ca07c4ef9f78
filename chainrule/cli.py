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

NOTE: layering. This package is the top floor: it imports `nn` and `autograd`, never the other
way. Each command lives in a module of its own (chainrule.explain, .demo, .train), imported
only when it runs, so `chainrule explain` never imports `nn`.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing at start-up
if TYPE_CHECKING:
    import threading
    from collections.abc import Sequence

PROG = "chainrule"

USAGE = f"""usage: {PROG} COMMAND ...

commands:
  explain EXPR [NAME=VALUE ...] [--out DIR]   a formula's graph and every backward step
  demo [NAME]                                 list the teaching demos, or run one
  train DATASET [options]                     train an MLP on a built-in dataset
  serve [--host H] [--port P] [--no-browser]  the live lab: a formula's gradients in a browser
  exercises [--level 1|2|3] --out DIR         a worksheet of chain-rule exercises and its key
  twin MODEL.json                             print a saved model's PyTorch twin, as a script

'{PROG} COMMAND --help' shows a command's options.
"""



class Terminated(BaseException):
    """SIGTERM or SIGHUP, raised the way Ctrl-C raises KeyboardInterrupt, so that every cleanup
    runs: by default these signals end the process at once and leave temporary files behind.
    (Defined here, not in chainrule.signals, so that main's `except` can name it even when a
    signal arrives before anything else is imported.)"""

    def __init__(self, name: str, signum: int) -> None:
        super().__init__(name)
        self.name, self.signum = name, signum


# Signals: Ctrl-C, SIGTERM and SIGHUP unwind the command as exceptions, so its cleanup runs.
# NOTE: here, not in chainrule.signals: the handlers go in before main imports anything (a
# signal handled inside importlib's finalizers would otherwise be swallowed).


def stop_signals() -> list[int]:
    import signal

    return [getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
            if hasattr(signal, name)]


class StopOnSignals:
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
        for signum in stop_signals():
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



# command -> the module that runs it: its `parser()` reads the arguments, its `run(ns)` acts
COMMANDS = {
    "explain": "chainrule.explain",
    "demo": "chainrule.demo",
    "train": "chainrule.train",
    "serve": "chainrule.serve",
    "exercises": "chainrule.exercises.command",
    "twin": "chainrule.twin",
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
    from chainrule.console import UsageError

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
    import importlib

    module = importlib.import_module(COMMANDS[command])
    parser = module.parser()
    kept: dict[str, str] = {}
    if command == "explain":
        options = {s for a in parser._actions for s in a.option_strings}
        rest, kept = _protect_dashes(rest, options)
    ns = parser.parse_intermixed_args(rest)
    for key, value in vars(ns).items():
        setattr(ns, key, _restore(value, kept))
    return module.run(ns)


def _run_and_report(args: list[str], signals: StopOnSignals) -> int:
    """Run one command; report a failure in one line; return the exit status."""
    from chainrule.signals import stop_behind

    try:
        return _run(args)
    except Exception as e:
        stop = stop_behind(e) or signals.swallowed
        if stop is not None:  # the stop is what happened; the error only followed from it
            raise stop from None
        return _report(e)


def _report(error: Exception) -> int:
    from autograd.draw import GraphvizError
    from autograd.formula import FormulaError
    from chainrule.console import OutputError, UsageError, fail

    if isinstance(error, UsageError):
        fail(str(error))
        return 2
    if isinstance(error, FormulaError):
        fail(str(error), error.pointer())
        return 2
    if isinstance(error, (GraphvizError, OutputError)):
        fail(str(error))
        return 1
    if isinstance(error, BrokenPipeError):  # `chainrule explain ... | head`: the reader left
        # Python flushes stdout again at exit, which would fail loudly: point it at devnull.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    if isinstance(error, OSError) and _stdout_fails(error):
        # `chainrule explain ... > /dev/full`: say so, then let Python's last flush at exit go
        # to devnull, where it cannot fail again
        fail(f"could not write to standard output ({error.strerror or error}); write it "
             "somewhere with room, or use --out DIR")
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    if os.environ.get("CHAINRULE_DEBUG"):
        raise error
    fail(f"internal error, a bug in chainrule: {type(error).__name__}: {error} (run again "
         "with CHAINRULE_DEBUG=1 to see the traceback, and please report it)")
    return 1


def _stdout_fails(error: OSError) -> bool:
    """Whether the OSError a command raised came from standard output (a full disk, /dev/full,
    a closed descriptor) rather than from one of its files (those are OutputErrors by then):
    one more line written there fails too. (A failed write leaves nothing to flush, so the
    probe is a line: a stdout that works gets one blank line more before the error.)"""
    import errno

    if error.filename is not None or error.errno not in (errno.ENOSPC, errno.EIO, errno.EBADF):
        return False
    try:
        print(file=sys.stdout, flush=True)
    except (OSError, ValueError, AttributeError):  # (ValueError: closed; None: no stdout)
        return True
    return False


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
        signals = StopOnSignals()
        return _run_and_report(list(sys.argv[1:] if argv is None else argv), signals)
    except KeyboardInterrupt:
        if signals is not None:
            signals.quiet = True
        _discard_unfinished_output()
        from chainrule.console import fail

        fail("interrupted")
        return _stopped(130, own_process=argv is None)
    except Terminated as e:
        if signals is not None:
            signals.quiet = True
        _discard_unfinished_output()
        from chainrule.console import fail

        fail(f"terminated ({e.name})")
        return _stopped(128 + e.signum, own_process=argv is None)
    finally:
        if signals is not None:
            signals.quiet = True
            if argv is not None:
                signals.restore()


def _discard_unfinished_output() -> None:
    """After a stop: remove any --out folder the command's own cleanup missed (the stop landed
    where no `finally` covered it yet). Nothing to do unless a command prepared one."""
    outdir = sys.modules.get("chainrule.outdir")
    if outdir is not None:
        outdir.discard_unfinished()


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
