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
