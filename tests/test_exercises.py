"""`chainrule exercises`: the worksheet, its answer key and answers.json.

The answers are checked against an oracle that shares nothing with the engine: each formula's
text is evaluated here by a tiny evaluator over Python's `ast` and PyTorch float64 ops.
"""

from __future__ import annotations

import ast
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from chainrule import cli
from chainrule.console import UsageError
from chainrule.exercises import command, sheets
from chainrule.exercises.generate import (
    KINDS,
    LEVELS,
    MAX_MAGNITUDE,
    MIN_MAGNITUDE,
    POOLS,
    TABLES,
    generate,
)

FILES = {"exercises.html", "exercises.pdf", "answers.html", "answers.json"}
TOLERANCE = 1e-12  # relative (absolute below 1): float64 against float64


def make(tmp_path: Path, *args: str, name: str = "out") -> Path:
    """Run the command in-process into a fresh folder; returns the folder."""
    out = tmp_path / name
    assert cli.main(["exercises", *args, "--out", str(out)]) == 0
    return out


# ---------------------------------------------------------------------------------------------
# The oracle: the formula's text on PyTorch float64


TORCH_FUNCTIONS = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu,
                   "exp": torch.exp, "log": torch.log}
TORCH_OPERATORS = {ast.Add: torch.add, ast.Sub: torch.sub, ast.Mult: torch.mul,
                   ast.Div: torch.div, ast.Pow: torch.pow}


def torch_eval(node: ast.AST, leaves: dict[str, torch.Tensor]) -> torch.Tensor | float:
    """The value of an expression tree of names, numbers, + - * / **, unary - and the
    functions above; anything else is a test failure."""
    if isinstance(node, ast.Expression):
        return torch_eval(node.body, leaves)
    if isinstance(node, ast.Name):
        return leaves[node.id]
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in TORCH_OPERATORS:
        left, right = torch_eval(node.left, leaves), torch_eval(node.right, leaves)
        if not isinstance(left, torch.Tensor):
            left = torch.tensor(left, dtype=torch.float64)
        return TORCH_OPERATORS[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -torch_eval(node.operand, leaves)
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in TORCH_FUNCTIONS and len(node.args) == 1):
        return TORCH_FUNCTIONS[node.func.id](torch_eval(node.args[0], leaves))
    raise AssertionError(f"the oracle cannot evaluate {ast.dump(node)}")


def torch_answer(formula: str, values: dict[str, float]) -> tuple[float, dict[str, float]]:
    """The output and every input's gradient of `formula` ("L = expr") at `values`."""
    _, expression = formula.split("=", 1)
    leaves = {name: torch.tensor(float(v), dtype=torch.float64, requires_grad=True)
              for name, v in values.items()}
    output = torch_eval(ast.parse(expression.strip(), mode="eval"), leaves)
    output.backward()
    grads = {name: leaf.grad.item() if leaf.grad is not None else 0.0
             for name, leaf in leaves.items()}
    return output.item(), grads


def close(a: float, b: float) -> bool:
    return abs(a - b) <= TOLERANCE * max(1.0, abs(b))


# ---------------------------------------------------------------------------------------------
# The files


def make_in_a_process(tmp_path: Path, *args: str, name: str, hash_seed: str) -> Path:
    """Run the command in a process of its own, with its own PYTHONHASHSEED (the order of a
    set of strings changes with it); returns the folder."""
    out = tmp_path / name
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run([sys.executable, "-m", "chainrule.cli", "exercises", *args, "--out",
                           str(out)], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    return out


def test_the_same_seed_gives_the_same_bytes_in_fresh_folders(tmp_path):
    args = ("--seed", "11", "--count", "3", "--level", "2", "--students", "2")
    first = make_in_a_process(tmp_path, *args, name="first", hash_seed="1")
    again = make_in_a_process(tmp_path, *args, name="again", hash_seed="2")
    assert {p.name for p in first.iterdir()} == FILES | {"key.json"}
    for name in sorted(FILES | {"key.json"}):
        assert (first / name).read_bytes() == (again / name).read_bytes(), name
    other = make(tmp_path, "--seed", "12", "--count", "3", "--level", "2", name="other")
    assert (other / "answers.json").read_bytes() != (first / "answers.json").read_bytes()


@pytest.mark.parametrize("level", LEVELS)
def test_every_answer_agrees_with_pytorch_float64(tmp_path, level):
    out = make(tmp_path, "--seed", str(100 + level), "--count", "8", "--level", str(level))
    records = json.loads((out / "answers.json").read_text(encoding="utf-8"))
    assert len(records) == 8
    for record in records:
        assert set(record) >= {"formula", "values", "grads"}
        assert set(record["grads"]) == set(record["values"])
        output, grads = torch_answer(record["formula"], record["values"])
        assert close(record["forward"][record["output"]], output), record["formula"]
        for name, grad in grads.items():
            assert close(record["grads"][name], grad), (record["formula"], name)


def test_the_oracle_itself_knows_a_hand_computed_answer():
    # d/dx of (x + y) * z is z, d/dz is x + y
    output, grads = torch_answer("L = (x + y) * z", {"x": 2, "y": -0.5, "z": 3})
    assert output == 4.5 and grads == {"x": 3.0, "y": 3.0, "z": 1.5}


def test_the_worksheet_shows_no_answer_and_the_key_shows_them_all(tmp_path):
    out = make(tmp_path, "--seed", "3", "--count", "4", "--level", "2")
    sheet = (out / "exercises.html").read_text(encoding="utf-8")
    key = (out / "answers.html").read_text(encoding="utf-8")
    # the graph on the sheet has names and ops only: no "data ..." or "grad ..." in a box
    assert sheet.count("<svg") == 4 and key.count("<svg") == 4
    assert not re.search(r">(data|grad) -?[0-9]", sheet)
    assert re.search(r">data -?[0-9]", key) and re.search(r">grad -?[0-9]", key)
    for record in json.loads((out / "answers.json").read_text(encoding="utf-8")):
        assert f"<code class=\"formula\">{record['formula']}</code>" in sheet
        for step in record["steps"]:
            assert step.replace("&", "&amp;") in key or step in key


def test_an_input_never_takes_a_name_the_engine_gives_an_intermediate():
    # the engine names intermediates v1, v2, ... and the output L; an input called v1 would
    # push the intermediate to "v1_", which reads as a typo on a sheet
    for level in LEVELS:
        for sheet in generate(0, len(KINDS[level]), level):
            for exercise in sheet.exercises:
                names = exercise.explanation.run.snapshot.names.values()
                assert not [name for name in names if name.endswith("_")], exercise.formula


# ---------------------------------------------------------------------------------------------
# Well-posed exercises


def _numbers_of(exercise):  # noqa: ANN001, ANN202
    e = exercise.explanation
    order = e.run.snapshot.order
    yield from ((f"value of {e.names[n]}", n.data) for n in order)
    yield from ((f"grad of {e.names[n]}", e.grads[n]) for n in order)
    yield from ((f"a local derivative of {e.names[n]}", g) for n in order for g in n.local_grads)
    yield from ((f"step {s.number}'s contribution", s.contribution) for s in e.steps)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32), level=st.sampled_from(LEVELS),
       count=st.integers(1, 12))
def test_every_exercise_is_well_posed(seed, level, count):
    sheets = generate(seed, count, level)
    exercises = sheets[0].exercises
    assert len(exercises) == count
    for exercise in exercises:
        assert all(v in POOLS[level] for v in exercise.values.values())
        # no domain error: PyTorch, knowing nothing of our checks, gets finite numbers
        output, grads = torch_answer(exercise.formula, exercise.values)
        assert math.isfinite(output) and all(math.isfinite(g) for g in grads.values())
        # nothing zero (no trivial step) and nothing out of range
        for what, x in _numbers_of(exercise):
            assert MIN_MAGNITUDE <= abs(x) <= MAX_MAGNITUDE, (exercise.formula, what, x)
        # every function value the student needs is in the printed table
        for node in exercise.explanation.run.snapshot.order:
            if node.op in TABLES:
                assert node.parents[0].data in TABLES[node.op].grid, exercise.formula


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32), level=st.sampled_from(LEVELS))
def test_thirty_students_get_thirty_variants_of_the_same_kinds(seed, level):
    sheets = generate(seed, 4, level, students=30)
    assert [sheet.student for sheet in sheets] == list(range(1, 31))
    kinds = [[ex.kind for ex in sheet.exercises] for sheet in sheets]
    assert all(k == kinds[0] for k in kinds)
    variants = {tuple(tuple(ex.values.items()) for ex in sheet.exercises) for sheet in sheets}
    assert len(variants) == 30
    again = generate(seed, 4, level, students=30)
    assert [[ex.values for ex in s.exercises] for s in again] == [
        [ex.values for ex in s.exercises] for s in sheets]


def test_students_get_a_key_saying_which_variant_is_whose(tmp_path):
    out = make(tmp_path, "--seed", "8", "--count", "2", "--students", "3")
    key = json.loads((out / "key.json").read_text(encoding="utf-8"))
    assert [v["variant"] for v in key["variants"]] == [1, 2, 3]
    records = json.loads((out / "answers.json").read_text(encoding="utf-8"))
    assert [(r["variant"], r["exercise"]) for r in records] == [
        (1, 1), (1, 2), (2, 1), (2, 2), (3, 1), (3, 2)]
    assert len({json.dumps(r["values"]) for r in records}) == 6
    assert "Who has which variant" in (out / "answers.html").read_text(encoding="utf-8")


def test_names_from_a_file_are_printed_on_their_sheets(tmp_path):
    names = tmp_path / "class.txt"
    names.write_text("Ada Lovelace\n\nAlan Turing\n", encoding="utf-8")
    out = make(tmp_path, "--seed", "1", "--count", "1", "--names", str(names))
    sheet = (out / "exercises.html").read_text(encoding="utf-8")
    assert "Ada Lovelace" in sheet and "Alan Turing" in sheet
    key = json.loads((out / "key.json").read_text(encoding="utf-8"))
    assert [v["student"] for v in key["variants"]] == ["Ada Lovelace", "Alan Turing"]
    # every exercise says whose it is: a page that comes loose from its sheet is still known
    headings = re.findall(r"<h2>.*?</h2>", sheet)
    assert len(headings) == 2
    assert "Ada Lovelace" in headings[0] and "Alan Turing" in headings[1]


# ---------------------------------------------------------------------------------------------
# The boundary


@pytest.mark.parametrize("args, says", [
    (["--level", "4"], "--level"),
    (["--level", "0"], "--level"),
    (["--count", "0"], "--count 0"),
    (["--count", str(command.MAX_COUNT + 1)], f"--count {command.MAX_COUNT + 1}"),
    (["--students", str(command.MAX_STUDENTS + 1)], "--students"),
    (["--students", "0"], "--students 0"),
    (["--seed", "x"], "--seed"),
])
def test_bad_arguments_are_one_line_exit_2_and_write_nothing(tmp_path, capsys, args, says):
    out = tmp_path / "out"
    assert cli.main(["exercises", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()


def test_without_chromium_there_is_no_pdf_but_a_note_and_success(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CHAINRULE_CHROMIUM", str(tmp_path / "no-such-chromium"))
    out = make(tmp_path, "--seed", "1", "--count", "1")
    assert {p.name for p in out.iterdir()} == FILES - {"exercises.pdf"}
    assert "no exercises.pdf" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------
# In Chromium


@pytest.mark.parametrize("level", LEVELS)
def test_the_sheets_open_in_chromium_without_errors_and_print(tmp_path, browser_page, level):
    out = make(tmp_path, "--seed", "5", "--count", "3", "--level", str(level))
    assert (out / "exercises.pdf").read_bytes().startswith(b"%PDF-")
    for name in ("exercises.html", "answers.html"):
        browser_page.open(out / name)
        assert browser_page.page.locator("article.exercise").count() == 3
        assert browser_page.page.locator("svg").count() == 3
        assert browser_page.page.pdf(prefer_css_page_size=True).startswith(b"%PDF-")
    assert browser_page.errors == []
    assert browser_page.external_requests == []


def pdf_pages(pdf: bytes) -> int:
    """The number of pages of a PDF as Chromium writes it (a /Type /Page object per page)."""
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))


def test_a_level_3_sheet_prints_each_exercise_on_a_page_of_its_own_at_most(tmp_path):
    # six exercises cover every level-3 kind (the kinds go round before any repeats); the
    # first page holds the instructions and the tables, then no exercise may spill over
    out = make(tmp_path, "--seed", "5", "--count", str(len(KINDS[3])), "--level", "3")
    assert pdf_pages((out / "exercises.pdf").read_bytes()) <= 1 + len(KINDS[3])


def test_a_second_run_into_the_same_folder_leaves_nothing_of_the_first(tmp_path, monkeypatch):
    # an exercises.pdf or key.json of an earlier run beside new sheets would be a wrong handout
    out = make(tmp_path, "--seed", "1", "--count", "1", "--students", "2")
    assert {p.name for p in out.iterdir()} == FILES | {"key.json"}
    monkeypatch.setenv("CHAINRULE_CHROMIUM", str(tmp_path / "no-such-chromium"))
    make(tmp_path, "--seed", "2", "--count", "1")
    assert {p.name for p in out.iterdir()} == FILES - {"exercises.pdf"}


def printed_scale(svg: str) -> float:
    """How much an SVG of dot's shrinks to fit A4's text width (184 mm, 521 pt) and the
    height the key gives a graph (225 mm, 638 pt): a page less the heading."""
    width, height = (float(x) for x in re.search(
        r'<svg[^>]*\swidth="([0-9.]+)pt"\s+height="([0-9.]+)pt"', svg).groups())
    return min(1.0, 521 / width, 638 / height)


@pytest.mark.parametrize("level", LEVELS)
def test_the_key_prints_each_graph_with_every_number_large_enough_to_read(level):
    # dot's 9 pt edge labels shrunk below 5.4 pt can hardly be read on paper
    drawn = sheets.draw_all(generate(5, len(KINDS[level]), level))[0]
    for picture in drawn:
        assert printed_scale(picture.answer) >= 0.6, picture.exercise.formula


@pytest.mark.parametrize("level", LEVELS)
def test_every_kind_of_exercise_fits_on_one_printed_page(tmp_path, browser_page, level):
    # A4 less sheet.css's margins: 184 mm of text width, 269 mm of height; at 96 px an inch
    out = make(tmp_path, "--seed", "9", "--count", str(len(KINDS[level])), "--level", str(level))
    page = browser_page.page
    page.set_viewport_size({"width": round(184 / 25.4 * 96), "height": 1000})
    browser_page.open(out / "exercises.html")
    page.emulate_media(media="print")
    heights = page.evaluate("""() => [...document.querySelectorAll('article.exercise')]
        .map(a => a.getBoundingClientRect().height / 96 * 25.4)""")
    assert len(heights) == len(KINDS[level])
    assert max(heights) <= 269 - 5, heights  # less the space above an exercise


# ---------------------------------------------------------------------------------------------
# The careless and the hostile user


def exercises_cli(*args: str) -> subprocess.CompletedProcess:
    """The console script in a process of its own; the timeout only stops a hang from
    hanging the suite (a hang is a failure)."""
    script = Path(sys.executable).parent / "chainrule"
    return subprocess.run([str(script), "exercises", *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "NO_COLOR": "1"})


@pytest.mark.parametrize("kind", ["fifo", "device", "folder"])
def test_names_that_is_no_regular_file_is_one_line_exit_2(tmp_path, kind):
    """A named pipe would block the read until a writer came (forever), /dev/zero would read
    a megabyte of NULs: both are refused at once, as a folder is."""
    if kind == "fifo":
        path = tmp_path / "names.fifo"
        os.mkfifo(path)
    else:
        path = Path("/dev/zero") if kind == "device" else tmp_path
    out = tmp_path / "out"
    result = exercises_cli("--names", str(path), "--out", str(out))
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"chainrule: error: --names {path}: ") and "not a text file" in line
    assert not out.exists()


def test_a_names_file_saved_with_a_byte_order_mark_reads_as_its_names(tmp_path):
    """Windows Notepad starts a UTF-8 file with a byte-order mark (and ends lines with CR LF):
    the first name is still 'Ada', not '\\ufeffAda' refused as unprintable."""
    names = tmp_path / "class.txt"
    names.write_bytes("Ada\r\nAlan\r\n".encode("utf-8-sig"))
    out = make(tmp_path, "--seed", "1", "--count", "1", "--names", str(names))
    key = json.loads((out / "key.json").read_text(encoding="utf-8"))
    assert [v["student"] for v in key["variants"]] == ["Ada", "Alan"]


def test_a_names_file_too_large_for_a_class_list_is_refused_not_cut(tmp_path, capsys):
    names = tmp_path / "class.txt"
    names.write_text("Ada\n" + " " * 2_000_000 + "\nAlan\n", encoding="utf-8")
    assert cli.main(["exercises", "--names", str(names), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "too large for a list of names" in err and len(err.splitlines()) == 1, err


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(1, 2**70))
def test_a_seed_out_of_range_is_refused_rather_than_aliased(seed):
    """random.Random(-n) is random.Random(n): a negative seed would silently give another
    seed's sheets. A seed beyond 20 digits would fill the sheet's header. Both are refused."""
    for bad in (-seed, command.MAX_SEED + seed):
        ns = command.parser().parse_args(["--seed", str(bad), "--out", "unused"])
        with pytest.raises(UsageError, match=rf"--seed {bad}: give a whole number from 0"):
            command._check(ns)


def test_the_largest_seed_is_accepted(tmp_path):
    out = make(tmp_path, "--seed", str(command.MAX_SEED), "--count", "1")
    assert f"seed {command.MAX_SEED}" in (out / "exercises.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("name, content", [
    ("key.json", b'{"door": "back", "code": 1234}\n'),
    ("exercises.pdf", b"%PDF-1.4 the teacher's own scanned worksheet"),
])
def test_a_file_of_the_users_own_by_a_name_we_use_is_not_removed_as_stale(
        tmp_path, monkeypatch, capsys, name, content):
    """Only what an earlier run of ours left is stale: a key.json or exercises.pdf of the
    user's own, in the folder --out names, stays as it was (and the run says so)."""
    monkeypatch.setenv("CHAINRULE_CHROMIUM", str(tmp_path / "no-such-chromium"))
    out = tmp_path / "class"
    out.mkdir()
    (out / name).write_bytes(content)
    make(tmp_path, "--seed", "1", "--count", "1", name="class")
    assert (out / name).read_bytes() == content
    assert f"kept {out / name}" in capsys.readouterr().out


@pytest.mark.parametrize("level, count, students", [(2, 30, 20), (2, 10, command.MAX_STUDENTS),
                                                    (1, command.MAX_COUNT, command.MAX_STUDENTS)])
def test_the_largest_classes_the_command_allows_get_their_sheets(level, count, students):
    """A kind with few well-posed values runs out of values no other sheet has (level 2's
    tanh(x*w) * x did at 20 students of 30 exercises, an internal error): then its values are
    unique on each sheet, and every sheet is still a variant of its own."""
    sheets = generate(1, count, level, students)
    assert len(sheets) == students
    signatures = set()
    for sheet in sheets:
        on_sheet = [(ex.kind.formula, tuple(ex.values.values())) for ex in sheet.exercises]
        assert len(set(on_sheet)) == count  # no exercise twice on one sheet
        signatures.add(tuple(on_sheet))
    assert len(signatures) == students  # no two students with the same sheet


def test_a_bad_out_is_refused_before_any_exercise_is_drawn(tmp_path, monkeypatch, capsys):
    """Sixty students' sheets at level 3 take seconds to draw: a typo in --out must not wait
    for them (nor waste them)."""
    import chainrule.exercises.generate as generating

    drawn = []
    monkeypatch.setattr(generating, "generate", lambda *args: drawn.append(args) or [])
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine", encoding="utf-8")
    assert cli.main(["exercises", "--level", "3", "--out", str(a_file)]) == 2
    assert "exists and is not a directory" in capsys.readouterr().err
    assert drawn == [] and a_file.read_text(encoding="utf-8") == "mine"


def test_a_stdout_that_cannot_take_the_report_is_one_line_exit_1(tmp_path):
    """The files are written first; a full disk under stdout then is said as such, once."""
    out = tmp_path / "out"
    with open("/dev/full", "w") as full:  # every write fails with ENOSPC
        result = subprocess.run([str(Path(sys.executable).parent / "chainrule"), "exercises",
                                 "--seed", "1", "--count", "1", "--out", str(out)],
                                stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert "the files are written, but not the list of them" in line, line
    assert {p.name for p in out.iterdir()} >= FILES - {"exercises.pdf"}


# The child: SIGINT at the ROBUST_AT-th call of a function of Playwright's or of asyncio's (on
# which Playwright runs), in whichever thread makes it; 0: never, and print the count last.
CHILD_IN_PLAYWRIGHT = r"""
import os, signal, sys, threading
AT, count = int(os.environ["ROBUST_AT"]), 0

def profile(frame, event, arg):
    global count
    if event == "call" and ("playwright" in frame.f_code.co_filename
                            or "asyncio" in frame.f_code.co_filename):
        count += 1
        if count == AT:
            open(os.environ["ROBUST_SENT"], "w").close()  # (this run may make fewer calls)
            os.kill(os.getpid(), signal.SIGINT)

from chainrule.cli import main
sys.setprofile(profile)
threading.setprofile(profile)
status = main()  # as the console script calls it
sys.setprofile(None)
if not AT:
    print(count)
sys.exit(status)
"""


def test_ctrl_c_while_chromium_prints_the_pdf_stops_the_command_and_leaves_nothing(tmp_path):
    """A real SIGINT at calls spread over Playwright's last few thousand (printing the page,
    closing the browser, stopping the driver): the command stops, 130, one line, no folder
    left. Playwright's event loop cut short there can wait forever for its driver
    (playwright-python#1150): about one point in ten hung, and then ignored SIGTERM."""
    out = tmp_path / "new" / "sheets"
    args = ["exercises", "--seed", "3", "--count", "1", "--out", str(out)]

    sent = tmp_path / "sent"

    def run(at: int) -> subprocess.CompletedProcess:
        sent.unlink(missing_ok=True)
        return subprocess.run([sys.executable, "-c", CHILD_IN_PLAYWRIGHT, *args],
                              capture_output=True, text=True, timeout=120,
                              env={**os.environ, "NO_COLOR": "1", "ROBUST_AT": str(at),
                                   "ROBUST_SENT": str(sent)})

    counting = run(0)
    assert counting.returncode == 0, counting.stderr
    calls = int(counting.stdout.splitlines()[-1])
    assert calls > 3000  # the PDF was printed through Playwright
    import shutil

    shutil.rmtree(tmp_path / "new")
    stopped = 0
    for at in range(calls - 3000, calls + 1, 100):
        result = run(at)
        if not sent.exists():  # Playwright's calls vary a little from run to run: none sent
            assert result.returncode == 0, result.stderr
            shutil.rmtree(tmp_path / "new")
            continue
        stopped += 1
        assert (result.returncode, result.stderr) == (130, "chainrule: error: interrupted\n"), (
            at, calls, result.stderr[-500:])
        assert not (tmp_path / "new").exists(), at
    assert stopped >= 20


def test_ctrl_c_or_sigterm_at_any_file_system_event_leaves_all_or_nothing(tmp_path,
                                                                           monkeypatch):
    """The --out folder ends whole (every file of a finished run) or absent, never partial,
    whichever file-system event the signal lands on (tests/test_cli_robust.py's child)."""
    import shutil

    from test_cli_robust import CHILD, STOPS, child, count_events, everything_under, finish

    root = tmp_path / "work"
    root.mkdir()
    out = root / "new" / "sheets"
    args = ["exercises", "--seed", "3", "--count", "2", "--students", "2", "--out", str(out)]
    # no PDF, for speed: the folder is the point (the children inherit the environment)
    monkeypatch.setenv("CHAINRULE_CHROMIUM", str(tmp_path / "no-such-chromium"))
    total = count_events(args, root, tmp_path / "count")
    shutil.rmtree(root / "new")
    assert total >= 10
    whole = {"exercises.html", "answers.html", "answers.json", "key.json"}
    for at in range(1, total + 1):
        signal_name, expected = STOPS[at % 2]
        env = {"ROBUST_ROOT": str(root), "ROBUST_AT": str(at), "ROBUST_SIGNAL": signal_name}
        status, _, err = finish(child(CHILD, args, env))
        assert (status, err) == expected, (at, err)
        if out.exists():
            assert set(everything_under(out)) == whole, (at, everything_under(root))
            shutil.rmtree(root / "new")
        assert everything_under(root) == [], (at, everything_under(root))
