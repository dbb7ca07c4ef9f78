"""What every command shares: its one-line errors, its argument parser, its colours.

Imports stay inside the functions that need them (see the NOTE on start-up in chainrule.cli).
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing at start-up
if TYPE_CHECKING:
    import argparse
    from typing import NoReturn, TextIO

PROG = "chainrule"


class UsageError(Exception):
    """Bad input on the command line: reported in one line, exit status 2."""


class OutputError(Exception):
    """Writing the --out files failed (a full disk, say): reported in one line, exit status 1."""


def make_parser(**kwargs: str) -> argparse.ArgumentParser:
    """An argparse parser whose errors become one-line UsageErrors instead of a usage dump."""
    import argparse

    parser = argparse.ArgumentParser(**kwargs)

    def error(message: str) -> NoReturn:
        if message.startswith("the following arguments are required: EXPR"):
            message = f'a formula is needed, e.g. {PROG} explain "x * (y + 1)" x=2 y=3'
        raise UsageError(f"{message}  (see '{parser.prog} --help')")

    parser.error = error  # argparse reports every bad argument through self.error(message)
    return parser


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


def fail(message: str, detail: str = "") -> None:
    """The one-line error on stderr (and, for a formula, the caret under its column)."""
    print(f"{PROG}: error: {message}", file=sys.stderr)
    for line in detail.splitlines():
        print(f"  {line}", file=sys.stderr)


