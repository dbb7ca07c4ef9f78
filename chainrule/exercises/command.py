"""`chainrule exercises [--seed N] [--count K] [--level 1|2|3] [--students S] [--names FILE]
--out DIR`: a worksheet of chain-rule exercises and its answer key.

DIR gets exercises.html (and exercises.pdf when Chromium is there), answers.html, answers.json
and, with --students or --names, key.json (which variant is whose). The same arguments give
the same bytes."""

from __future__ import annotations

from chainrule.console import PROG, OutputError, UsageError, make_parser

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from pathlib import Path

    from chainrule.exercises.generate import Sheet
    from chainrule.exercises.sheets import About

MAX_COUNT = 30  # exercises per sheet: more is a book, not a worksheet
MAX_STUDENTS = 60  # sheets: a large class, or two
MAX_NAME = 60  # characters in a student's name
SEED_DIGITS = 6  # a seed drawn for the user has at most this many digits
MAX_SEED = 10**20 - 1  # a seed the user gives: it is printed on every sheet, so 20 digits at most
MAX_NAMES_BYTES = 2**20  # a class list of names is a few kilobytes


def parser() -> argparse.ArgumentParser:
    p = make_parser(
        prog=f"{PROG} exercises",
        description="Write a worksheet of chain-rule exercises (forward values, every "
        "backward step, every gradient, each with its graph) and its answer key.",
        epilog=f"example: {PROG} exercises --level 2 --count 6 --seed 7 --out out/week3",
    )
    p.add_argument("--seed", type=int, metavar="N", help="the random seed, a whole number from "
                   "0: the same seed gives the same files (default: a new one, printed)")
    p.add_argument("--count", type=int, default=5, metavar="K",
                   help=f"exercises per sheet, 1 to {MAX_COUNT} (default 5)")
    p.add_argument("--level", type=int, default=1, choices=(1, 2, 3), metavar="1|2|3",
                   help="1: a single chain of ops; 2: a neuron or a reused name; 3: two "
                   "layers and a squared loss (default 1)")
    p.add_argument("--students", type=int, metavar="S", help=f"one variant per student, 1 to "
                   f"{MAX_STUDENTS}: the same kinds of exercise with other numbers, and "
                   "key.json saying which is whose")
    p.add_argument("--names", metavar="FILE", help="the students' names, one per line: a "
                   "variant each, with the name printed on it")
    p.add_argument("--out", metavar="DIR", required=True, help="the folder to write into")
    return p


def _check(ns: argparse.Namespace) -> list[str]:
    """The arguments' limits, each a one-line UsageError; returns the names from --names."""
    # NOTE: random.Random(-n) is random.Random(n), so a negative seed would silently give the
    # sheets of another seed.
    if ns.seed is not None and not 0 <= ns.seed <= MAX_SEED:
        raise UsageError(f"--seed {ns.seed}: give a whole number from 0 to {MAX_SEED}")
    if not 1 <= ns.count <= MAX_COUNT:
        raise UsageError(f"--count {ns.count}: give 1 to {MAX_COUNT} exercises per sheet")
    if ns.students is not None and not 1 <= ns.students <= MAX_STUDENTS:
        raise UsageError(f"--students {ns.students}: give 1 to {MAX_STUDENTS} students "
                         "(a variant each)")
    names = _read_names(ns.names) if ns.names is not None else []
    if names and ns.students is not None and ns.students != len(names):
        raise UsageError(f"--students {ns.students} but --names {ns.names} has {len(names)} "
                         "names; give one of the two, or make them agree")
    return names


def _read_names(path: str) -> list[str]:
    """The names in the file, one per line (blank lines skipped); UsageError when unusable."""
    try:
        text = _read_text(path)
    except (OSError, UnicodeDecodeError, ValueError) as e:
        reason = getattr(e, "strerror", None) or str(e)
        raise UsageError(f"--names {path}: cannot read it ({reason}); give a UTF-8 text file "
                         "with one name per line") from None
    names = [" ".join(line.split()) for line in text.splitlines()]
    names = [name for name in names if name]
    if not names:
        raise UsageError(f"--names {path}: the file has no names; write one per line")
    if len(names) > MAX_STUDENTS:
        raise UsageError(f"--names {path}: {len(names)} names, more than {MAX_STUDENTS}; "
                         "split the class into several runs")
    for name in names:
        if len(name) > MAX_NAME or not name.isprintable():
            raise UsageError(f"--names {path}: {name[:40]!r} is not a name of at most "
                             f"{MAX_NAME} printable characters; fix that line")
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise UsageError(f"--names {path}: {twice[0]!r} is there twice; each student needs a "
                         "name of their own (add an initial)")
    return names


def _read_text(path: str) -> str:
    """The text of the regular file at `path`, as UTF-8 (a byte-order mark, which Windows
    Notepad writes, dropped). UsageError for anything else, or more than MAX_NAMES_BYTES.

    NOTE: opened without blocking and checked with fstat on the open file: a named pipe would
    block `open` and `read` until a writer came, /dev/zero would read without end."""
    import os
    import stat

    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UsageError(f"--names {path}: not a text file (a folder, a pipe or a device); "
                             "give a UTF-8 text file with one name per line")
        with os.fdopen(os.dup(fd), "rb") as f:
            raw = f.read(MAX_NAMES_BYTES + 1)
    finally:
        os.close(fd)
    if len(raw) > MAX_NAMES_BYTES:
        raise UsageError(f"--names {path}: over {MAX_NAMES_BYTES // 2**20} MiB, too large for a "
                         "list of names; give a text file with one name per line")
    return raw.decode("utf-8-sig")


def files(per_student: bool) -> tuple[str, ...]:
    """The files written into --out (exercises.pdf only when Chromium is there)."""
    names = ("exercises.html", "exercises.pdf", "answers.html", "answers.json")
    return names + ("key.json",) if per_student else names


def run(ns: argparse.Namespace) -> int:
    import secrets

    from chainrule.exercises import generate as generating
    from chainrule.exercises.sheets import About
    from chainrule.outdir import OutDir

    names = _check(ns)
    students = len(names) or ns.students or 0
    seed = ns.seed if ns.seed is not None else secrets.randbelow(10**SEED_DIGITS)
    about = About(seed=seed, level=ns.level, count=ns.count, names=tuple(names))
    out = OutDir.prepare(ns.out, files(students > 0))  # before any work: a typo fails at once
    try:
        try:
            sheets = generating.generate(seed, ns.count, ns.level, students)
        except generating.GenerationError as e:
            raise UsageError(f"{e}; ask for fewer exercises or fewer students") from None
        notes: list[str] = []
        written = out.write(lambda folder: _write(sheets, about, folder, notes))
        removed, theirs = _remove_stale(out.path, written)
        for stale in removed:
            notes.append(f"removed {stale}, left by an earlier run (these sheets have none)")
        for path in theirs:
            notes.append(f"kept {path}, which {PROG} did not write (these sheets have none)")
        drawn = [] if ns.seed is not None else [
            f"seed {seed} (give --seed {seed} to make these files again)"]
        _report([*drawn, *(f"wrote {path}" for path in written), *notes])
    finally:
        out.discard()  # does nothing once the files are in place
    return 0


def _report(lines: list[str]) -> None:
    """Print what was done. The files are in place by now: a stdout that cannot take the lines
    (a full disk) is an OutputError that says so, not an internal error; a reader that left
    (`| head -1`) is no failure (BrokenPipeError goes on to main, which ends quietly)."""
    import sys

    try:
        for line in lines:
            print(line)
        if sys.stdout is not None:
            sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as e:
        raise OutputError(f"the files are written, but not the list of them to standard output "
                          f"({e.strerror or e})") from None


def _remove_stale(folder: Path, written: list[Path]) -> tuple[list[Path], list[Path]]:
    """Remove the files of ours that an earlier run left in `folder` and this one did not write
    (an exercises.pdf when Chromium was there then, a key.json of per-student sheets): beside
    the new sheets they would be a handout of other exercises. A file of the same name that we
    did not write is the user's own, and stays. Returns (what it removed, what it kept)."""
    kept = {path.name for path in written}
    removed, theirs = [], []
    for name in files(per_student=True):
        path = folder / name
        if name not in kept and path.is_file():
            if _written_by_us(path):
                path.unlink()
                removed.append(path)
            else:
                theirs.append(path)
    return removed, theirs


# How the files of ours that a run may leave out begin or contain: key.json's command (JSON
# with sorted keys: "command" comes first) and the PDF's title, which Chromium takes from the
# page's <title>. Both are ASCII.
OUR_MARKS = {"key.json": b'"command": "chainrule exercises ',
             "exercises.pdf": b"/Title (Chain-rule exercises, level "}
MAX_STALE_BYTES = 64 * 2**20  # more is not a file of ours


def _written_by_us(path: Path) -> bool:
    """Whether the file at `path` is one that `chainrule exercises` wrote (see OUR_MARKS)."""
    try:
        with open(path, "rb") as f:
            content = f.read(MAX_STALE_BYTES + 1)
    except OSError:
        return False
    return len(content) <= MAX_STALE_BYTES and OUR_MARKS[path.name] in content


def _write(sheets: list[Sheet], about: About, folder: Path, notes: list[str]) -> list[Path]:
    from autograd.files import write_atomically
    from chainrule.exercises import sheets as pages

    drawn = pages.draw_all(sheets)
    worksheet = pages.exercises_page(sheets, drawn, about)
    written = [write_atomically(folder / "exercises.html", worksheet)]
    try:
        pdf = pages.print_pdf(worksheet)
    except pages.PdfUnavailable as why:
        notes.append(f"no exercises.pdf: {why}; print exercises.html from a browser instead")
    else:
        written.append(write_atomically(folder / "exercises.pdf", pdf))
    written.append(write_atomically(folder / "answers.html",
                                    pages.answers_page(sheets, drawn, about)))
    written.append(write_atomically(folder / "answers.json", pages.answers_json(sheets, about)))
    if any(sheet.student for sheet in sheets):
        written.append(write_atomically(folder / "key.json", pages.key_json(sheets, about)))
    return written
