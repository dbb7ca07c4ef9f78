"""The step-through page as an exercise: save_steps_html(root, path, quiz=True).

Before each step's contribution is shown the student types it; the page checks it against the
engine's number with the rule stated in steps.js (`accepts`, stated again in Python below), a
wrong answer gets a hint and another try, Show reveals the step unscored, and the end gives a
score. A leaf's final gradient can be predicted, and is checked once the pass makes it final.

Checked in real headless Chromium (the `browser_page` fixture of conftest.py); the checking
function of steps.js is also run in Chromium over many numbers (hypothesis) and compared with
the Python statement of its rule.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import dags, replay, value_leaves

from autograd import RULES, Value, backward_steps, save_steps_html, topological_order
from autograd.formula import build
from autograd.snapshot import graph_snapshot
from autograd.steps_html import DECIMALS, fresh_pass, page_data, precise
from autograd.trace import format_number

ROOT = Path(__file__).resolve().parents[1]
STEPS_JS = ROOT / "autograd" / "steps.js"
LECTURE = "tanh(x1*w1 + x2*w2 + b)"
LECTURE_VALUES = {"x1": 2, "x2": 0, "w1": -3, "w2": 1, "b": 6.8813735870195432}

# ---------------------------------------------------------------------------------------------
# The rule, stated in Python (steps.js `accepts` states it in JavaScript; they must agree).

SIGNIFICANT = 4  # the quiz asks for 4 significant digits
SLACK = 1e-9  # relative, on the half unit: an answer rounded at an exact tie counts either way
NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def accepts(answer: float, value: float) -> bool:
    """An answer counts when it is within half a unit of the 4th significant digit of the
    engine's number: |answer - value| <= 5 * 10^(E - 4), E the exponent of the leading digit
    of `value` as written in its shortest form (repr). Only 0 counts for 0."""
    if value == 0:
        return answer == 0
    exponent = Decimal(repr(value)).adjusted()  # 12345.678 -> 4, -1.5 -> 0, 1e-06 -> -6
    half_unit = float(f"5e{exponent - SIGNIFICANT}")
    return abs(answer - value) <= half_unit * (1 + SLACK)


def parse(text: str) -> float | None:
    """What the page reads as a number: optional sign, digits with one optional '.', optional
    exponent; spaces, tabs and newlines around it ignored, '−' (U+2212) read as '-'. None if
    it is not one, or too large for a float."""
    text = text.strip(" \t\n\r").replace("\u2212", "-")
    if NUMBER.fullmatch(text) is None:
        return None
    number = float(text)
    return number if abs(number) != float("inf") else None


# ---------------------------------------------------------------------------------------------
# Graphs, pages and what the page shows


def lecture():
    return build(LECTURE, LECTURE_VALUES).root


def small(a: float = 1.25, b: float = -0.37, c: float = 0.2):
    """L = tanh(a*b + c) with numbers that show up distinctly in a hint."""
    a, b, c = Value(a, "a"), Value(b, "b"), Value(c, "c")
    out = (a * b + c).tanh()
    out.label = "L"
    return out


def quiz_page(root: Value, tmp_path: Path, name: str = "quiz.html") -> Path:
    return save_steps_html(root, tmp_path / name, quiz=True)


def page_json(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    return json.loads(re.search(r'id="steps-data">(.*?)</script>', text, re.S).group(1))


READ_QUIZ = """() => {
  const q = (s) => document.querySelector(s);
  const text = (s) => (q(s) ? q(s).textContent : null);
  const grads = {};
  document.querySelectorAll("#graph g.node").forEach((g) => {
    const t = Array.from(g.querySelectorAll("text"))
      .filter((x) => x.textContent.startsWith("grad "));
    if (t.length) grads[g.id] = t[t.length - 1].textContent;
  });
  const edges = {};
  document.querySelectorAll("#graph g.edge").forEach((g) => {
    edges[g.id] = Array.from(g.querySelectorAll("text")).map((t) => t.textContent).join(" ");
  });
  return {
    sentence: text("#sentence"), counter: text("#counter"), feedback: text("#feedback"),
    hint: text("#quiz-hint"), score: text("#score"), fanout: text("#fanout"),
    label: text("label[for=answer]"), answer: q("#answer").value,
    answerDisabled: q("#answer").disabled, quizShown: !q("#quiz-form").hidden,
    focused: document.activeElement ? document.activeElement.id : null,
    done: !q("#done").hidden, finalScore: text("#final-score"), grads, edges,
  };
}"""


def read(page) -> dict:
    return page.evaluate(READ_QUIZ)


def answer(page, text: str) -> None:
    """Type `text` into the answer box and press Enter."""
    page.fill("#answer", text)
    page.press("#answer", "Enter")


def right(step) -> str:
    """A right answer for a step, as a student would write it: 6 significant digits."""
    return f"{step.contribution:.6g}"


def wrong(step) -> str:
    """A wrong answer: off by far more than the 4th digit allows."""
    return f"{step.contribution * 1.1 + 0.5:.6g}"


def expected_grads(root: Value, k: int, asking: bool = False) -> dict[str, str]:
    """The grad text of every box after the first k steps of one fresh pass; k = 0 is the
    forward pass (no grad yet), unless the page is `asking` for step 1 (the root's grad is 1)."""
    order = topological_order(root)
    index = {node: i for i, node in enumerate(order)}
    if k == 0 and not asking:
        return {f"n{i}": "grad \u2014" for i in range(len(order))}
    for node in order:  # a fresh pass: leaves accumulate across passes
        node.grad = 0.0
    steps = list(backward_steps(root))
    shown = {f"n{i}": "grad " + format_number(0.0) for i in range(len(order))}
    shown[f"n{index[root]}"] = "grad " + format_number(1.0)
    for step in steps[:k]:
        shown[f"n{index[step.parent]}"] = "grad " + format_number(step.parent_grad)
    return shown


# ---------------------------------------------------------------------------------------------
# The data behind the quiz (Python)


def test_page_data_says_whether_it_is_a_quiz(tmp_path):
    run = fresh_pass(small())
    assert page_data(run)["quiz"] is False
    assert page_data(run, quiz=True)["quiz"] is True
    assert page_json(save_steps_html(small(), tmp_path / "plain.html"))["quiz"] is False
    assert page_json(quiz_page(small(), tmp_path))["quiz"] is True


def test_a_quiz_page_is_titled_as_one(tmp_path):
    text = quiz_page(small(), tmp_path).read_text(encoding="utf-8")
    assert "<title>Backpropagation through L: work out each chain-rule step</title>" in text


@settings(max_examples=60, deadline=None)
@given(dag=dags())
def test_each_steps_question_is_its_sentence_without_the_numbers(dag):
    """The question ("a.grad += d.grad × ∂d/∂a") is exactly the start of the step's sentence,
    in every decimals form: the quiz asks about the very step the page then shows."""
    _, root = replay(dag, value_leaves(dag.leaves))
    run = fresh_pass(root)
    data = page_data(run, quiz=True)
    assert len(data["steps"]) == len(run.steps)
    for record, step in zip(data["steps"], run.steps):
        for d in DECIMALS:
            assert record["sentence"][str(d)].startswith(record["question"] + " = ")
        assert record["question"] == str(step).split(" = ")[0]  # labels here have no " = "
        upstream_name, local_name = record["question"].split(" += ")[1].split(" \u00d7 ", 1)
        assert record["hint"] == {"upstream": precise(step.upstream),
                                  "local": precise(step.local_grad),
                                  "upstream_name": upstream_name, "local_name": local_name}
        assert record["value"] == step.contribution


def test_a_square_asks_for_each_operand_by_name():
    x = Value(3.0, "x")
    y = x * x
    y.label = "y"
    questions = [s["question"] for s in page_data(fresh_pass(y), quiz=True)["steps"]]
    assert questions == ["x.grad += y.grad \u00d7 \u2202y/\u2202x (1st operand)",
                         "x.grad += y.grad \u00d7 \u2202y/\u2202x (2nd operand)"]


def test_precise_numbers_have_six_significant_digits():
    assert precise(0.7071067811865476) == "0.707107"
    assert precise(-3.0) == "-3"
    assert precise(0.5) == "0.5"
    assert precise(-0.0) == "0"
    assert precise(1.2345678e-9) == "1.23457e-09"


MAGNITUDES = st.floats(1e-30, 1e30).flatmap(lambda x: st.sampled_from([x, -x]))


@given(upstream=MAGNITUDES, local=MAGNITUDES)
def test_multiplying_the_hints_numbers_gives_an_answer_that_counts(upstream, local):
    """Why the hint shows 6 significant digits: each then errs by at most 5e-6 relative, the
    product by about 1e-5, inside the 4-digit rule's narrowest margin (5e-5 relative, when the
    leading digits are 9.999)."""
    typed = float(precise(upstream)) * float(precise(local))
    assert accepts(typed, upstream * local)


# ---------------------------------------------------------------------------------------------
# The checking function of steps.js, run in Chromium


@pytest.fixture(scope="module")
def checker(browser):
    """A blank page with steps.js imported as a module (its exports on window.steps)."""
    page = browser.new_page()
    page.set_content("<!DOCTYPE html><title>checker</title>")
    page.evaluate("""async (source) => {
        const url = URL.createObjectURL(new Blob([source], {type: "text/javascript"}));
        window.steps = await import(url);
    }""", STEPS_JS.read_text(encoding="utf-8"))
    yield lambda pairs: page.evaluate(
        "(pairs) => pairs.map(([text, value]) => window.steps.checkAnswer(text, value))", pairs)
    page.close()


EXAMPLES = [  # (typed, engine's number, counts?)
    ("-1.5", -1.5, True), ("-1.500", -1.5, True), ("-1.4996", -1.5, True),
    ("-1.5004", -1.5, True), ("-1.49", -1.5, False), ("1.5", -1.5, False),
    ("-1.4994", -1.5, False), ("0", 0.0, True), ("-0", 0.0, True), ("0", -0.0, True),
    ("0.0001", 0.0, False), ("12350", 12345.678, True), ("12340", 12345.678, False),
    ("1.235e4", 12345.678, True), ("1e-3", 0.001, True), ("1E-3", 0.0010004, True),
    ("0.001001", 0.001, False), ("+2.5", 2.5, True), (".5", 0.5, True), ("5.", 5.0, True),
    ("\u22121.5", -1.5, True), ("  -1.5 ", -1.5, True), ("1e-6", 1e-6, True),
    # a tie: 0.0078125 is 0.007812|5, so both neighbours written with 4 digits count
    ("0.007812", 0.0078125, True), ("0.007813", 0.0078125, True),
    ("0.5", 0.4999999999999998, True), ("1", 0.9999999999999996, True),
    # just below a power of ten: 0.09999999999999999 is 0.1000 to 4 digits, so E = -2 there
    # (its leading digit's), and 0.09999 is off by 2 units of the 4th digit
    ("0.1", 0.09999999999999999, True), ("0.09999", 0.09999999999999999, False),
]


def test_the_rule_at_its_edges(checker):
    results = checker([[text, value] for text, value, _ in EXAMPLES])
    for (text, value, counts), result in zip(EXAMPLES, results):
        assert "error" not in result, (text, result)
        assert result["right"] is counts, (text, value, result)
        assert accepts(float(text.strip().replace("\u2212", "-")), value) is counts, text


def test_blank_or_not_a_number_gets_a_message_not_a_mark(checker):
    texts = ["", "   ", "abc", "1,5", "1.2.3", "--1", "1e", "e5", "0x10", "inf", "nan", "1e999",
             "1 000", "½"]
    results = checker([[text, 1.0] for text in texts])
    for text, result in zip(texts, results):
        assert set(result) == {"error"}, (text, result)
        assert result["error"].endswith("."), result  # one sentence: what is wrong, what to do
    messages = dict(zip(texts, (r["error"] for r in results)))
    assert messages[""] == "Type a number first, for example -1.5 or 2e-3."
    assert messages["abc"] == ("\u201cabc\u201d is not a number: type one such as -1.5, 0.25 "
                               "or 2e-3.")
    assert messages["1,5"] == "Write the decimal point as a dot: 1.5, not 1,5."
    assert "too large" in messages["1e999"]


FINITE = st.floats(allow_nan=False, allow_infinity=False)
NEAR = st.floats(-3e-3, 3e-3)  # relative offsets around the rule's margin (5e-5 to 5e-4)
FORMATS = ["{:r}", "{:.3e}", "{:.4g}", "{:.5g}", "{:.3g}", "{:.6f}", "{:.2e}", "{:e}"]


@st.composite
def typed_answers(draw) -> list:
    """(text, engine's number): the number, near misses and near hits written in several
    ways, and now and then any text at all."""
    value = draw(st.one_of(FINITE, st.sampled_from([0.0, -0.0, 1e-6, 12345.678, -1.5])))
    if draw(st.integers(0, 9)) == 0:
        return [draw(st.text(max_size=12)), value]
    near = value * (1 + draw(NEAR)) if draw(st.booleans()) else value
    form = draw(st.sampled_from(FORMATS))
    text = repr(near) if form == "{:r}" else form.format(near)
    return [text, value]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pairs=st.lists(typed_answers(), min_size=1, max_size=40))
def test_the_pages_checking_function_follows_the_rule(checker, pairs):
    for (text, value), result in zip(pairs, checker(pairs)):
        number = parse(text)
        if number is None:
            assert set(result) == {"error"}, (text, value, result)
        else:  # (Playwright hands an integral number back as an int: compare as floats)
            assert set(result) == {"right", "answer"}, (text, value, result)
            assert result["right"] is accepts(number, value), (text, value)
            assert float(result["answer"]) == number, (text, value)


@settings(max_examples=100, deadline=None)
@given(values=st.lists(FINITE.filter(lambda v: 1e-300 < abs(v) < 1e300), min_size=1,
                       max_size=40))
def test_any_number_written_to_four_significant_digits_counts(checker, values):
    four = [[f"{v:.3e}", v] for v in values]
    assert all(r["right"] for r in checker(four)), four
    # and one unit of the 4th digit away (twice the margin) does not
    units = [float(f"1e{Decimal(repr(v)).adjusted() - 3}") for v in values]
    off = [[repr(v + 2.2 * u), v] for v, u in zip(values, units)]
    assert not any(r["right"] for r in checker(off)), off


# ---------------------------------------------------------------------------------------------
# The quiz in the page


def test_next_asks_before_it_shows(tmp_path, browser_page):
    root = small()
    steps = list(backward_steps(root))
    browser_page.open(quiz_page(root, tmp_path))
    page = browser_page.page
    state = read(page)
    assert state["sentence"] == graph_snapshot(root).start_sentence()  # the engine's words
    assert not state["quizShown"]
    page.click("#next")
    state = read(page)
    assert state["counter"] == f"Step 1 of {len(steps)}"
    question = str(steps[0]).split(" = ")[0]
    assert state["sentence"] == question + " = ?"
    assert state["quizShown"] and not state["answerDisabled"]
    assert state["label"] == "Contribution of step 1"
    assert state["focused"] == "answer"  # ready to type
    assert state["grads"] == expected_grads(root, 0, asking=True)  # only the root's, 1
    assert format_number(steps[0].local_grad) not in state["edges"]["e5_0"]  # not given away
    assert "\u00d7?" in state["edges"]["e5_0"]
    assert browser_page.errors == []


def test_a_right_answer_reveals_the_step_and_counts(tmp_path, browser_page):
    root = lecture()
    steps = list(backward_steps(root))
    browser_page.open(quiz_page(root, tmp_path))
    page = browser_page.page
    page.click("#next")
    answer(page, right(steps[0]))
    state = read(page)
    assert state["sentence"] == str(steps[0])  # revealed: the step's own sentence
    assert state["grads"] == expected_grads(root, 1)
    assert state["feedback"] == "\u2713 Right at the first try."
    assert state["hint"] == ""
    assert state["answerDisabled"] and state["answer"] == right(steps[0])
    assert state["score"] == "Score so far: 1 of 1 right at the first try (9 steps)"
    assert state["focused"] == "next"  # Enter again goes on
    assert "1 of 1 contribution received" in state["fanout"]
    assert browser_page.errors == []


def test_a_wrong_answer_gets_a_hint_and_another_try(tmp_path, browser_page):
    root = small()
    steps = list(backward_steps(root))
    data = page_json(quiz_page(root, tmp_path))
    browser_page.open(tmp_path / "quiz.html")
    page = browser_page.page
    for step in steps[:3]:
        page.click("#next")
        answer(page, right(step))
    page.click("#next")  # step 4: a*b sends to a: upstream × b
    k = 3
    step = steps[k]
    assert step.parent.label == "a"
    before = read(page)
    answer(page, "-0.37")  # the local derivative alone: a classic slip
    state = read(page)
    assert state["feedback"] == "\u2717 Not quite: -0.37 is not it. Try again."
    rule = RULES["*"]
    assert data["steps"][k]["rule"] == rule
    assert rule in state["hint"]
    assert precise(step.upstream) in state["hint"] and precise(step.local_grad) in state["hint"]
    assert state["hint"] == (
        f"Hint: the rule for *: {rule}. Multiply the upstream v1.grad = "
        f"{precise(step.upstream)} by the local \u2202v1/\u2202a = {precise(step.local_grad)}.")
    # the step is not revealed: same question, same boxes, the edge still hides its number
    assert state["sentence"] == before["sentence"] == str(step).split(" = ")[0] + " = ?"
    assert state["grads"] == before["grads"] == expected_grads(root, k)
    assert state["counter"] == f"Step {k + 1} of {len(steps)}"
    assert not state["answerDisabled"] and state["focused"] == "answer"
    # Next does not move past it: it puts the cursor in the answer box
    page.focus("#next")
    page.click("#next")
    state = read(page)
    assert state["counter"] == f"Step {k + 1} of {len(steps)}" and state["focused"] == "answer"
    page.keyboard.press("Escape")
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("ArrowRight")
    assert read(page)["counter"] == f"Step {k + 1} of {len(steps)}"
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("End")
    assert read(page)["counter"] == f"Step {k + 1} of {len(steps)}"
    # then right: revealed, but not counted as right at the first try
    answer(page, right(step))
    state = read(page)
    assert state["sentence"] == str(step)
    assert state["feedback"] == "\u2713 Right, at the 2nd try."
    assert state["hint"] == ""
    assert state["score"] == "Score so far: 3 of 4 right at the first try (5 steps)"
    assert browser_page.errors == []


def test_blank_input_and_words_get_a_message_and_no_mark(tmp_path, browser_page):
    root = small()
    steps = list(backward_steps(root))
    browser_page.open(quiz_page(root, tmp_path))
    page = browser_page.page
    page.click("#next")
    answer(page, "")
    state = read(page)
    assert state["feedback"] == "Type a number first, for example -1.5 or 2e-3."
    assert state["hint"] == "" and state["sentence"].endswith(" = ?")
    answer(page, "abc")
    assert read(page)["feedback"].startswith("\u201cabc\u201d is not a number")
    page.click("#check")  # the button does what Enter does
    assert read(page)["feedback"].startswith("\u201cabc\u201d is not a number")
    answer(page, right(steps[0]))
    state = read(page)
    assert state["feedback"] == "\u2713 Right at the first try."  # no try was spent
    assert state["score"].startswith("Score so far: 1 of 1 right at the first try")
    assert browser_page.errors == []


def test_show_reveals_the_step_unscored(tmp_path, browser_page):
    root = small()
    steps = list(backward_steps(root))
    browser_page.open(quiz_page(root, tmp_path))
    page = browser_page.page
    page.click("#next")
    answer(page, wrong(steps[0]))
    page.get_by_role("button", name="Show", exact=True).click()
    state = read(page)
    assert state["sentence"] == str(steps[0])
    assert state["grads"] == expected_grads(root, 1)
    assert state["feedback"] == f"Shown: {format_number(steps[0].contribution)} (not scored)."
    assert state["hint"] == "" and state["answerDisabled"]
    assert state["score"] == "Score so far: 0 of 1 right at the first try (5 steps)"
    assert state["focused"] == "next"
    assert format_number(steps[0].local_grad) in state["edges"]["e5_0"]  # the edge's number
    assert browser_page.errors == []


def test_prev_and_home_still_work_and_keep_the_answers(tmp_path, browser_page):
    root = small()
    steps = list(backward_steps(root))
    browser_page.open(quiz_page(root, tmp_path))
    page = browser_page.page
    for step in steps[:2]:
        page.click("#next")
        answer(page, right(step))
    page.click("#next")  # step 3, unanswered
    page.click("#prev")
    state = read(page)
    assert state["counter"] == "Step 2 of 5" and state["sentence"] == str(steps[1])
    assert state["feedback"] == "\u2713 Right at the first try." and state["answerDisabled"]
    page.keyboard.press("Home")
    assert read(page)["sentence"] == graph_snapshot(root).start_sentence()
    page.keyboard.press("End")  # as far as the answers go: the first unanswered step
    state = read(page)
    assert state["counter"] == "Step 3 of 5" and state["sentence"].endswith(" = ?")
    assert state["focused"] == "answer"  # where keys edit the answer, so leave it first
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")  # answered steps go by as on the plain page
    page.keyboard.press("ArrowRight")
    assert read(page)["sentence"] == str(steps[1])
    assert browser_page.errors == []


def test_the_end_gives_the_score(tmp_path, browser_page):
    root = lecture()
    steps = list(backward_steps(root))
    assert len(steps) == 9
    browser_page.open(quiz_page(root, tmp_path))
    page = browser_page.page
    for k, step in enumerate(steps):
        page.click("#next")
        if k == 1:
            answer(page, wrong(step))
            answer(page, right(step))
        elif k == 2:
            page.click("#reveal")
        else:
            answer(page, right(step))
        assert read(page)["done"] == (k == len(steps) - 1)
    state = read(page)
    final = "7 of 9 right at the first try (1 after a hint, 1 shown)."
    assert state["score"] == final
    assert state["finalScore"] == final
    assert state["focused"] == "final-score"
    assert state["grads"] == expected_grads(root, 9)
    rows = page.evaluate("""() => Array.from(document.querySelectorAll("#grads tbody tr"))
        .map((tr) => [tr.dataset.node, tr.querySelector("td.grad").textContent])""")
    order = topological_order(lecture())
    lecture_root = order[-1]
    lecture_root.backward()
    assert dict(rows) == {f"n{i}": format_number(n.grad) for i, n in enumerate(order)}
    assert page.is_visible("#grads")
    assert browser_page.errors == []
    assert browser_page.external_requests == []


def test_predicting_a_leafs_gradient(tmp_path, browser_page):
    root = small()  # order: a, b, v1, c, v2, L; a, b, c are leaves
    steps = list(backward_steps(root))
    grads = {n.label: n.grad for n in topological_order(root) if not n.parents}
    browser_page.open(quiz_page(root, tmp_path))
    page = browser_page.page
    leaves = page.eval_on_selector_all("#predict-leaf option", "os => os.map(o => o.textContent)")
    assert sorted(leaves) == ["a", "b", "c"]
    page.select_option("#predict-leaf", label="c")
    page.fill("#predict-value", f"{grads['c']:.4g}")
    page.press("#predict-value", "Enter")
    page.select_option("#predict-leaf", label="a")
    page.fill("#predict-value", "abc")
    page.click("#predict-go")
    assert page.text_content("#predict-status").startswith("\u201cabc\u201d is not a number")
    page.fill("#predict-value", "3")  # wrong
    page.click("#predict-go")
    assert page.text_content("#predict-status") == "Noted your prediction: a.grad = 3."
    items = lambda: page.eval_on_selector_all(  # noqa: E731
        "#predictions li", "ls => ls.map(l => [l.dataset.leaf, l.textContent])")
    assert items() == [
        ["c", f"c: you said {grads['c']:.4g}; checked when c's gradient is final."],
        ["a", "a: you said 3; checked when a's gradient is final."]]
    # c gets its only contribution at step 3; a at step 4 (the order of backward_steps)
    final_step = {leaf: max(k for k, s in enumerate(steps) if s.parent.label == leaf)
                  for leaf in grads}
    assert final_step["c"] < final_step["a"]
    for k, step in enumerate(steps):
        page.click("#next")
        answer(page, right(step))
        shown = dict(items())
        if k == final_step["c"]:
            assert shown["c"] == (f"c: you said {grads['c']:.4g}: \u2713 right, c.grad = "
                                  f"{format_number(grads['c'])}.")
            assert shown["a"].endswith("checked when a's gradient is final.")
            # a leaf whose gradient is known is no longer offered
            assert "c" not in page.eval_on_selector_all(
                "#predict-leaf option", "os => os.map(o => o.textContent)")
        if k == final_step["a"]:
            assert shown["a"] == f"a: you said 3: \u2717 not right, a.grad = " \
                                 f"{format_number(grads['a'])}."
    state = read(page)
    assert state["finalScore"] == ("5 of 5 right at the first try. Predictions: 1 of 2 "
                                   "right.")
    assert page.is_disabled("#predict-go")  # every leaf is known now, and it says so
    assert page.eval_on_selector_all(
        "#predict-leaf option", "os => os.map(o => o.textContent)") == ["no leaf left"]
    assert page.text_content("#predict-status") == "Every leaf's gradient is known now."
    assert browser_page.errors == []


def test_keyboard_only(tmp_path, browser_page):
    root = small()
    steps = list(backward_steps(root))
    browser_page.open(quiz_page(root, tmp_path))
    page = browser_page.page
    focused = lambda: page.evaluate("document.activeElement.id")  # noqa: E731

    def tab_to(element_id: str, back: bool = False) -> None:
        for _ in range(30):
            page.keyboard.press("Shift+Tab" if back else "Tab")
            if focused() == element_id:
                return
        pytest.fail(f"#{element_id} cannot be reached with Tab")

    # a prediction first: the leaf chosen with the arrow keys, the number typed, Enter
    tab_to("predict-leaf")
    first = page.input_value("#predict-leaf")
    page.keyboard.press("ArrowDown")
    assert page.input_value("#predict-leaf") != first
    page.keyboard.press("Tab")
    assert focused() == "predict-value"
    page.keyboard.type("0.1")
    page.keyboard.press("Enter")
    assert page.eval_on_selector_all("#predictions li", "ls => ls.length") == 1
    # the steps: Tab to Next, Enter; type, Enter; Enter; ...
    tab_to("next", back=True)
    page.keyboard.press("Enter")
    assert focused() == "answer"
    page.keyboard.type(right(steps[0]))
    page.keyboard.press("Enter")
    assert read(page)["sentence"] == str(steps[0])
    assert focused() == "next"
    page.keyboard.press("Enter")
    assert focused() == "answer"
    page.keyboard.type(wrong(steps[1]))
    page.keyboard.press("Enter")
    assert read(page)["hint"].startswith("Hint:")
    page.keyboard.press("Tab")
    assert focused() == "check"
    page.keyboard.press("Tab")
    assert focused() == "reveal"
    page.keyboard.press("Enter")  # Show
    assert read(page)["sentence"] == str(steps[1])
    assert focused() == "next"
    page.keyboard.press("Space")  # a focused button's own key presses it: one step on
    assert read(page)["counter"] == "Step 3 of 5" and focused() == "answer"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # focus is visible
    assert browser_page.errors == []


def test_controls_have_accessible_names(tmp_path, browser_page):
    browser_page.open(quiz_page(small(), tmp_path))
    page = browser_page.page
    page.click("#next")
    for role, name in [("textbox", "Contribution of step 1"), ("button", "Check"),
                       ("button", "Show"), ("combobox", "Predict the gradient of"),
                       ("textbox", "Predicted gradient"), ("button", "Predict"),
                       ("button", "Prev"), ("button", "Next"), ("button", "Play")]:
        assert page.get_by_role(role, name=name, exact=True).count() == 1, (role, name)
    assert page.get_by_role("status").count() >= 2  # the answer's and the prediction's
    assert browser_page.errors == []


def test_play_stops_at_the_first_unanswered_step(tmp_path, browser_page):
    root = small()
    steps = list(backward_steps(root))
    page = browser_page.page
    page.clock.install()
    browser_page.open(quiz_page(root, tmp_path))
    page.clock.pause_at(page.evaluate("Date.now()") + 1000)
    page.click("#next")
    answer(page, right(steps[0]))
    page.keyboard.press("Home")
    page.click("#play")
    page.clock.run_for(5000)
    state = read(page)
    assert state["counter"] == "Step 2 of 5" and state["sentence"].endswith(" = ?")
    assert page.text_content("#play") == "Play" and state["focused"] == "answer"
    assert browser_page.errors == []


BOXES = """(selectors) => selectors.map((s) => {
  const r = document.querySelector(s).getBoundingClientRect();
  return [s, r.left, r.top, r.right, r.bottom];
})"""
QUIZ_CONTROLS = ["#graph", "#panel", "#answer", "#check", "#reveal", "#feedback", "#score",
                 "#predict-leaf", "#predict-value", "#predict-go", "#next", "#sentence"]


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 800)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_quiz_page_uses_the_window_as_the_plain_page_does(size, tmp_path, browser_page):
    """The picture as wide as on the plain page, and every quiz control above the fold."""
    width, height = size
    page = browser_page.page
    page.set_viewport_size({"width": width, "height": height})
    browser_page.open(save_steps_html(lecture(), tmp_path / "plain.html"))
    plain = page.evaluate(BOXES, ["#graph", "#panel"])
    browser_page.open(quiz_page(lecture(), tmp_path))
    page.click("#next")
    answer(page, "7")  # wrong: the hint takes its room too
    boxes = page.evaluate(BOXES, QUIZ_CONTROLS)
    assert [b[1::2] for b in boxes[:2]] == [b[1::2] for b in plain]  # same left and right
    for selector, left, top, right, bottom in boxes:
        assert 0 <= left and right <= width and 0 <= top and bottom <= height, selector
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert browser_page.errors == []


# ---------------------------------------------------------------------------------------------
# Printing: a worksheet, never the answers

VISIBLE_CONTROLS = """() => Array.from(document.querySelectorAll('button, select, input'))
  .filter((e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; })
  .map((e) => e.id || e.tagName)"""
PRINTED_SVG_TEXT = """() => Array.from(document.querySelectorAll('#graph text'))
  .filter((t) => getComputedStyle(t).visibility !== 'hidden').map((t) => t.textContent)"""


def test_printing_a_quiz_page_gives_a_worksheet_without_the_answers(tmp_path, browser_page):
    root = lecture()
    steps = list(backward_steps(root))
    browser_page.open(quiz_page(root, tmp_path))
    page = browser_page.page
    for step in steps[:3]:  # part of the way through: the printout still gives nothing away
        page.click("#next")
        answer(page, right(step))
    page.emulate_media(media="print")
    assert page.evaluate(VISIBLE_CONTROLS) == []
    items = page.evaluate(
        "Array.from(document.querySelectorAll('#handout-steps li')).map(li => li.textContent)")
    assert items == [str(step).split(" = ")[0] + " = ________" for step in steps]
    assert not page.is_visible("#grads") and not page.is_visible("#done")
    printed = page.evaluate(PRINTED_SVG_TEXT)
    order = topological_order(root)
    for node in order:  # names and data stay; every grad and local derivative is blank
        assert "data " + format_number(node.data) in printed
    assert not any(t.startswith("grad ") or t.startswith("\u00d7") for t in printed), printed
    # and no trace of where the student was: the current step's highlight is not printed
    lit = page.evaluate("""() => [".hl-recv > polygon", ".hl-send > polygon", ".hl-op ellipse",
        ".hl-edge path"].map((s) => { const e = document.querySelector(s);
          const c = getComputedStyle(e); return [s, c.fill, c.stroke, c.strokeWidth]; })""")
    assert lit == [[".hl-recv > polygon", "none", "rgb(0, 0, 0)", "1px"],
                   [".hl-send > polygon", "none", "rgb(0, 0, 0)", "1px"],
                   [".hl-op ellipse", "none", "rgb(0, 0, 0)", "1px"],
                   [".hl-edge path", "none", "rgb(0, 0, 0)", "1px"]], lit
    handout = page.text_content("#handout")
    assert graph_snapshot(root).start_sentence() in handout
    for step in steps:
        assert format_number(step.contribution) not in " ".join(items)
    page.emulate_media(media="screen")
    assert page.is_visible("#answer") or page.is_visible("#next")
    assert browser_page.errors == []


def test_a_plain_page_has_no_quiz(tmp_path, browser_page):
    browser_page.open(save_steps_html(small(), tmp_path / "plain.html"))
    page = browser_page.page
    assert page.evaluate("document.querySelectorAll('#quiz-form, #predict, input').length") == 0
    page.keyboard.press("ArrowRight")
    assert page.text_content("#sentence") == str(next(iter(backward_steps(small()))))
    assert browser_page.errors == []


def test_the_lab_can_mount_again_with_the_quiz_switched_off(tmp_path, browser_page):
    """The lab calls mountSteps on data from its server and mounts again when its quiz toggle
    changes: destroy() takes the first view away whole (its elements, its listeners, the
    picture's texts as drawn), so the second is the only one."""
    root = small()
    path = quiz_page(root, tmp_path)
    text = path.read_text(encoding="utf-8")
    svg = text[text.index("<svg"):text.index("</svg>") + len("</svg>")]
    page = browser_page.page
    page.set_content('<!DOCTYPE html><div id="steps" class="steps">'
                     '<div class="steps-graph"></div></div>')
    result = page.evaluate("""async ([source, data, svg]) => {
        // count the listeners the views leave on document and window
        const live = new Set();
        for (const target of [document, window]) {
          const add = target.addEventListener.bind(target);
          const remove = target.removeEventListener.bind(target);
          target.addEventListener = (type, f, o) => { live.add(f); add(type, f, o); };
          target.removeEventListener = (type, f, o) => { live.delete(f); remove(type, f, o); };
        }
        const url = URL.createObjectURL(new Blob([source], {type: "text/javascript"}));
        const { mountSteps } = await import(url);
        const root = document.getElementById("steps");
        const texts = () => Array.from(root.querySelectorAll("svg text"), (t) => t.textContent);
        const first = mountSteps({...data, svg}, root);
        const mounted = live.size;
        const asked = texts();
        first.destroy();
        const restored = texts();
        const left = live.size;
        window.view = mountSteps({...data, quiz: false}, root);
        return {mounted, asked, restored, left, again: live.size};
    }""", [STEPS_JS.read_text(encoding="utf-8"), page_json(path), svg])
    assert "grad \u2014" in result["asked"] and "\u00d7?" in result["asked"]  # the quiz's
    assert result["restored"] == re.findall(r"<text[^>]*>([^<]*)</text>",  # back as drawn
                                            svg.replace("&#45;", "-"))
    assert result["left"] == 0 and result["again"] == result["mounted"] > 0
    assert page.evaluate("document.querySelectorAll('#panel, #done, #handout').length") == 3
    assert page.evaluate("document.querySelectorAll('#quiz-form, #predict').length") == 0
    page.keyboard.press("ArrowRight")
    assert page.text_content("#counter") == "Step 1 of 5"
    assert page.text_content("#sentence") == str(next(iter(backward_steps(root))))
    assert browser_page.errors == []


def test_a_lone_leaf_has_nothing_to_ask(tmp_path, browser_page):
    browser_page.open(quiz_page(Value(4.0, "x"), tmp_path))
    page = browser_page.page
    assert page.text_content("#quiz-intro") == "x is a single leaf: there is no step to work out."
    assert page.text_content("#final-score") == "" and page.text_content("#score") == ""
    assert page.is_disabled("#next") and page.is_disabled("#predict-go")
    assert page.text_content("#grads td.grad") == "1.0000"
    assert browser_page.errors == []


# ---------------------------------------------------------------------------------------------
# view.update(data) in a quiz: the lab sends new numbers for the same graph when a slider moves


def quiz_view(root: Value, tmp_path: Path) -> Path:
    """A quiz page whose view is kept as window.view, to call update() on."""
    path = quiz_page(root, tmp_path, "view.html")
    text = path.read_text(encoding="utf-8")
    mount = "mountSteps(JSON.parse("
    assert text.count(mount) == 1
    path.write_text(text.replace(mount, "window.view = " + mount), encoding="utf-8")
    return path


READ_PREDICTIONS = "() => Array.from(document.querySelectorAll('#predictions li'), (l) => " \
    "l.textContent)"


def answer_some(page, steps) -> None:
    """Step 1 right, step 2 wrong (so a hint shows), and a prediction of a's gradient."""
    page.click("#next")
    answer(page, right(steps[0]))
    page.click("#next")
    answer(page, wrong(steps[1]))
    page.select_option("#predict-leaf", label="a")
    page.fill("#predict-value", "3")
    page.press("#predict-value", "Enter")


def test_update_with_the_same_numbers_keeps_the_answers(tmp_path, browser_page):
    root = small()
    steps = list(backward_steps(root))
    path = quiz_view(root, tmp_path)
    browser_page.open(path)
    page = browser_page.page
    answer_some(page, steps)
    before, predictions = read(page), page.evaluate(READ_PREDICTIONS)
    assert before["counter"] == "Step 2 of 5" and before["hint"]
    # the same numbers in new objects, as the lab sends them (its page data says quiz: false;
    # the view keeps its own mode)
    page.evaluate("(data) => window.view.update(data)", {**page_json(path), "quiz": False})
    assert read(page) == before
    assert page.evaluate(READ_PREDICTIONS) == predictions == [
        "a: you said 3; checked when a's gradient is final."]
    answer(page, right(steps[1]))  # and the quiz goes on from there
    assert read(page)["feedback"] == "\u2713 Right, at the 2nd try."
    assert browser_page.errors == []


def test_update_with_new_numbers_starts_the_quiz_again_on_them(tmp_path, browser_page):
    root, new_root = small(), small(a=-2.0, b=0.5, c=1.0)
    steps, new_steps = list(backward_steps(root)), list(backward_steps(small(-2.0, 0.5, 1.0)))
    browser_page.open(quiz_view(root, tmp_path))
    page = browser_page.page
    answer_some(page, steps)
    page.evaluate("(data) => window.view.update(data)", page_data(fresh_pass(new_root)))
    updated = read(page)
    assert updated["counter"] == "Forward pass (5 backward steps to go)"
    assert updated["score"] == "Score: nothing answered yet (5 steps)"
    # nothing revealed any more (the edges op -> Value, "_out", carry no label)
    assert {v for k, v in updated["edges"].items() if not k.endswith("_out")} == {"\u00d7?"}
    assert page.evaluate(READ_PREDICTIONS) == []
    # just what a quiz mounted on the new numbers shows
    everything = "document.getElementById('steps').textContent"
    shown = page.evaluate(everything)
    fresh = browser_page.page.context.new_page()
    fresh.goto(quiz_page(new_root, tmp_path, "fresh.html").resolve().as_uri())
    assert {**read(fresh), "focused": None} == {**updated, "focused": None}
    assert fresh.evaluate(everything) == shown
    fresh.close()
    # checked against the new numbers
    page.click("#next")
    answer(page, right(steps[0]))
    assert "Not quite" in read(page)["feedback"]
    answer(page, right(new_steps[0]))
    assert read(page)["sentence"] == str(new_steps[0])
    assert browser_page.errors == []
