"""Signals, the parts a command uses: holding them over the steps that must not be cut in two,
and finding the stop behind an error. (What turns them into exceptions, `StopOnSignals`, is in
chainrule.cli: it must be in place before anything is imported.)"""

from __future__ import annotations

from chainrule.cli import Terminated, stop_signals


class SignalsHeld:
    """Within this block SIGINT, SIGTERM and SIGHUP wait, and arrive as it ends: for the steps
    that must not be cut in two (moving the finished files in, cleaning up). It blocks them for
    the calling thread, which in this single-threaded command is the whole process; where there
    is no pthread_sigmask (Windows) it changes nothing."""

    def __enter__(self) -> None:
        import signal

        self.previous = None
        if hasattr(signal, "pthread_sigmask"):
            self.previous = signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals())

    def __exit__(self, *exc_info: object) -> None:
        import signal

        if self.previous is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, self.previous)



def stop_behind(error: BaseException) -> BaseException | None:
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


def raise_a_stop_behind(error: BaseException) -> None:
    """Raise the Ctrl-C or SIGTERM behind `error`, if any, before treating `error` as a mere
    note. (A C extension interrupted while Python imports it, as matplotlib's ft2font can be,
    turns the KeyboardInterrupt into an ImportError: it is not a missing matplotlib.)"""
    stop = stop_behind(error)
    if stop is not None:
        raise stop from None


