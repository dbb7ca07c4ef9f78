"""The `chainrule` command line (a stub until the command-line issue lands)."""

from __future__ import annotations

import sys

USAGE = """usage: chainrule COMMAND ...

commands (coming soon):
  explain EXPR [NAME=VALUE ...] [--out DIR]   show a formula's graph and every backward step
  demo [NAME]                                 run a teaching demo, or list them
  train DATASET [options]                     train an MLP on a built-in dataset
"""


def main(argv: list[str] | None = None) -> int:
    """Print the usage; the subcommands arrive with the command-line issue."""
    args = sys.argv[1:] if argv is None else argv
    print(USAGE, end="")
    return 0 if not args or args[0] in ("-h", "--help") else 2


if __name__ == "__main__":
    raise SystemExit(main())
