"""`chainrule exercises [--seed N] [--count K] [--level 1|2|3] [--students S] [--names FILE]
--out DIR`: a worksheet of chain-rule exercises and its answer key.

DIR gets exercises.html (and exercises.pdf when Chromium is there), answers.html, answers.json
and, with --students or --names, key.json (which variant is whose). The same arguments give
the same bytes."""

from __future__ import annotations

from chainrule.console import PROG, UsageError, make_parser

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


def parser() -> argparse.ArgumentParser:
    p = make_parser(
        prog=f"{PROG} exercises",
        description="Write a worksheet of chain-rule exercises (forward values, every "
        "backward step, every gradient, each with its graph) and its answer key.",
        epilog=f"example: {PROG} exercises --level 2 --count 6 --seed 7 --out out/week3",
    )
    p.add_argument("--seed", type=int, metavar="N", help="the random seed: the same seed "
                   "gives the same files (default: a new one, printed)")
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
        with open(path, encoding="utf-8") as f:
            text = f.read(1_000_000)
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


def files(per_student: bool) -> tuple[str, ...]:
    """The files written into --out (exercises.pdf only when Chromium is there)."""
    names = ("exercises.html", "exercises.pdf", "answers.html", "answers.json")
    return names + ("key.json",) if per_student else names


def run(ns: argparse.Namespace) -> int:
    import secrets

    from chainrule.exercises.generate import generate
    from chainrule.exercises.sheets import About
    from chainrule.outdir import OutDir

    names = _check(ns)
    students = len(names) or ns.students or 0
    seed = ns.seed if ns.seed is not None else secrets.randbelow(10**SEED_DIGITS)
    about = About(seed=seed, level=ns.level, count=ns.count, names=tuple(names))
    sheets = generate(seed, ns.count, ns.level, students)
    out = OutDir.prepare(ns.out, files(students > 0))
    try:
        notes: list[str] = []
        written = out.write(lambda folder: _write(sheets, about, folder, notes))
        for stale in _remove_stale(out.path, written):
            notes.append(f"removed {stale}, left by an earlier run (these sheets have none)")
        if ns.seed is None:
            print(f"seed {seed} (give --seed {seed} to make these files again)")
        for path in written:
            print(f"wrote {path}")
        for note in notes:
            print(note)
    finally:
        out.discard()  # does nothing once the files are in place
    return 0


def _remove_stale(folder: Path, written: list[Path]) -> list[Path]:
    """Remove the files of ours that an earlier run left in `folder` and this one did not write
    (an exercises.pdf when Chromium was there then, a key.json of per-student sheets): beside
    the new sheets they would be a handout of other exercises. Returns what it removed."""
    kept = {path.name for path in written}
    removed = []
    for name in files(per_student=True):
        path = folder / name
        if name not in kept and path.is_file():
            path.unlink()
            removed.append(path)
    return removed


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
