"""`chainrule demo [NAME]`: list the teaching demos, or run one."""

from __future__ import annotations

import os
import sys

from chainrule.console import PROG, Paint, UsageError, make_parser
from chainrule.outdir import OutDir

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from pathlib import Path

# Installed, the demos are the package chainrule.demos (pyproject.toml maps the repository's
# demos/ folder into the wheel); in a source checkout they are demos/ beside the packages.
DEMOS_PACKAGE = "chainrule.demos"
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
NOTEBOOK = "tutorial.ipynb"


def _installed_demos() -> Path | None:
    """The folder of the installed chainrule.demos package, if it is installed as files."""
    import importlib.resources
    from pathlib import Path

    try:
        folder = importlib.resources.files(DEMOS_PACKAGE)
    except ModuleNotFoundError:  # a source checkout installed before the demos were packaged
        return None
    # NOTE: a demo runs as a script, so it needs a real file; files() gives a Path for a
    # package on disk (a zipped one would not do, and is never how pip installs a wheel)
    return folder if isinstance(folder, Path) else None


def demos_dir() -> Path | None:
    """The demos folder: the installed package's, else demos/ beside the package in a source
    checkout, else ./demos."""
    from pathlib import Path

    for folder in (_installed_demos(), Path(REPO_ROOT) / "demos", Path.cwd() / "demos"):
        if folder is not None and folder.is_dir() and any(folder.glob("[0-9][0-9]_*.py")):
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


def parser() -> argparse.ArgumentParser:
    p = make_parser(prog=f"{PROG} demo", description="List the teaching demos, or run one.",
                epilog=f"examples: {PROG} demo;  {PROG} demo 01;  {PROG} demo one_neuron")
    p.add_argument("name", metavar="NAME", nargs="?", help="a demo's number or name")
    p.add_argument("--out", metavar="DIR", help="where the demo writes its pictures "
                   "(default: out/)")
    return p


def run(ns: argparse.Namespace) -> int:
    import subprocess

    folder = demos_dir()
    if folder is None:
        raise UsageError(
            f"no demos found: neither the installed package {DEMOS_PACKAGE} nor a demos/ "
            "folder here holds them; reinstall chainrule (pip install --force-reinstall "
            "chainrule), or run this from the root of its source repository"
        )
    demos = sorted(folder.glob("[0-9][0-9]_*.py"))
    if ns.name is None:
        paint = Paint(sys.stdout)
        print(paint.bold("demos") + paint.dim(f"  ({folder})"))
        width = max(len(path.stem) for path in demos)
        for path in demos:
            print(f"  {paint.name(f'{path.stem:<{width}}')}  {_demo_summary(path)}")
        print(f"\nrun one:  {PROG} demo {demos[0].stem.partition('_')[0]}")
        notebook = folder / NOTEBOOK
        if notebook.is_file():
            print(f"the tutorial notebook (open it in Jupyter or upload it to Colab): {notebook}")
        return 0
    path = _find_demo(ns.name, demos)
    # NOTE: the demo writes its files itself, so they are not staged; a folder created for it
    # is removed again if the demo fails or is stopped.
    out = OutDir.prepare(ns.out, direct=True) if ns.out is not None else None
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


