"""`chainrule twin MODEL.json`: print the PyTorch script that builds a saved model's twin, the
same network as a `torch.nn.Sequential` with the same weights (see nn.torch_twin).

Printing is writing text: it needs no PyTorch (running the script does).
"""

from __future__ import annotations

import sys

from chainrule.console import PROG, OutputError, UsageError, make_parser

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


def parser() -> argparse.ArgumentParser:
    p = make_parser(
        prog=f"{PROG} twin",
        description="Print a runnable PyTorch script that builds the same network as a saved "
        "model (a torch.nn.Sequential in float64, with every weight to the bit), and how to "
        "train it.",
        epilog=f"example: {PROG} train moons --out out/moons && "
        f"{PROG} twin out/moons/model.json > moons_twin.py && python moons_twin.py",
    )
    p.add_argument("model", metavar="MODEL.json", help="a model saved by Module.save (or by "
                   f"'{PROG} train ... --out DIR', as DIR/model.json)")
    return p


def run(ns: argparse.Namespace) -> int:
    from nn import load
    from nn.torch_twin import twin_script

    try:
        model = load(ns.model)
        script = twin_script(model, source=ns.model)
    except (ValueError, TypeError, FileNotFoundError) as e:  # a bad file: one line, exit 2
        raise UsageError(str(e)) from None
    _print(script)
    return 0


def _print(script: str) -> None:
    """Write the script to stdout, or raise OutputError when it cannot be written (stdout
    closed, a full disk). A reader that left (`| head`) is no failure of ours: BrokenPipeError
    goes on to main, which ends quietly."""
    if sys.stdout is None:  # started with stdout closed (`chainrule twin m.json >&-`)
        raise OutputError("could not write the script: standard output is closed; redirect it "
                          "to a file, e.g. > twin.py")
    try:
        sys.stdout.write(script)
        sys.stdout.flush()  # here, where a failure can still be reported
    except BrokenPipeError:
        raise
    except OSError as e:
        raise OutputError(f"could not write the script to standard output ({e.strerror or e}); "
                          "free some space or redirect it elsewhere") from None
