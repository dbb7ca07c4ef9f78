"""The formula lab in headless Chromium, against a real server (tests/lab_server.py): what the
page shows is what a fresh backward() computes, a slider changes the numbers in the same SVG
(never laid out again), the step-through runs to its end, the path view lists the chain rule
along every path, errors appear under the formula with a caret and break nothing, and the page
asks nothing of any address but the lab's own.

The page runs under the lab's Content-Security-Policy (no eval), so the tests wait on
selectors (the body's data-explain / data-paths attributes say "idle" once an answer is
shown) and read the page with evaluate, never with wait_for_function's eval.
"""

from __future__ import annotations

import re

import pytest

from autograd.formula import build
from autograd.snapshot import graph_snapshot
from autograd.trace import backward_steps, format_number

pytest_plugins = ["lab_server"]

NEURON = "tanh(x1*w1 + x2*w2 + b)"
NEURON_VALUES = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}

# every box of the graph: {id: [its texts]}, and every edge: {id: [its texts]}
READ_GRAPH = """() => {
  const read = (cls) => Object.fromEntries([...document.querySelectorAll(
      '#graph svg g.' + cls)].map((g) => [g.id, [...g.querySelectorAll('text')]
      .map((t) => t.textContent)]));
  return {nodes: read('node'), edges: read('edge')};
}"""


# Chromium's own log line for any answer of status 400, which the lab gives a bad formula: the
# network's, not the page's. Only the tests that send a bad formula may see it.
REFUSED = ("console: Failed to load resource: the server responded with a status of 400 "
           "(Bad Request)")


def open_lab(browser_page, lab, refusals: bool):
    browser_page.page.goto(lab.url)
    wait_idle(browser_page.page)
    yield browser_page
    assert [e for e in browser_page.errors if not (refusals and e == REFUSED)] == []
    # every request the page made went to the lab itself, on 127.0.0.1
    assert browser_page.external_requests, "the page asked the lab for nothing"
    assert [url for url in browser_page.external_requests if not url.startswith(lab.url)] == []


@pytest.fixture
def lab_page(browser_page, lab):
    """The lab's page, open and showing its first graph (the lecture neuron)."""
    yield from open_lab(browser_page, lab, refusals=False)


@pytest.fixture
def refused_lab_page(browser_page, lab):
    """The same, for a test that sends a bad formula (Chromium logs each 400 it gets)."""
    yield from open_lab(browser_page, lab, refusals=True)


def wait_idle(page, paths: bool = False) -> None:
    page.wait_for_selector('body[data-explain="idle"][data-answers]', state="attached")
    if paths:
        page.wait_for_selector('body[data-paths="idle"]', state="attached")


def type_formula(page, text: str) -> None:
    box = page.get_by_role("textbox", name="Formula")
    box.fill(text)
    box.press("Enter")
    wait_idle(page)


def set_values(page, values: dict[str, float]) -> None:
    for name, x in values.items():
        page.get_by_role("spinbutton", name=name, exact=True).fill(repr(x))
        wait_idle(page)


def press_outside_fields(page, key: str) -> None:
    """A key pressed with no field focused (in a field, the keys are the field's)."""
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.keyboard.press(key)


def expected(formula: str, values: dict[str, float],
             decimals: int = 4) -> dict[str, dict[str, list[str]]]:
    """What the graph must show, from a fresh graph and backward(): each box's name, data and
    grad, each edge's local derivative, as draw_dot writes them (with `decimals`)."""
    graph = build(formula, values)
    graph.root.backward()
    snap = graph_snapshot(graph.root)
    nodes, edges = {}, {}
    for i, node in enumerate(snap.order):
        nodes[f"n{i}"] = [snap.names[node], f"data {format_number(node.data, decimals)}",
                          f"grad {format_number(node.grad, decimals)}"]
        for k, local in enumerate(node.local_grads):
            edges[f"e{i}_{k}"] = [f"×{format_number(local, decimals)}"]
    return {"nodes": nodes, "edges": edges}


def shown(page) -> dict[str, dict[str, list[str]]]:
    graph = page.evaluate(READ_GRAPH)
    return {"nodes": {k: v for k, v in graph["nodes"].items() if not k.endswith("_op")},
            "edges": {k: v for k, v in graph["edges"].items() if not k.endswith("_out")}}


def values_shown(page) -> dict[str, float]:
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
        '.input-row')].map((row) => [row.querySelector('label').textContent,
        Number(row.querySelector('input[type=number]').value)]))""")


def test_the_lecture_neuron_shows_every_data_and_grad_of_a_fresh_backward(lab_page):
    page = lab_page.page
    type_formula(page, NEURON)
    set_values(page, NEURON_VALUES)
    assert values_shown(page) == NEURON_VALUES
    assert shown(page) == expected(NEURON, NEURON_VALUES)
    x1 = page.evaluate("() => document.querySelector('#graph #n0').textContent")
    assert "grad -1.5000" in x1


def test_a_slider_changes_every_number_in_the_same_svg_and_runs_no_dot(lab_page, lab):
    page = lab_page.page
    type_formula(page, NEURON)
    set_values(page, NEURON_VALUES)
    page.evaluate("""() => { document.querySelector('#graph svg').labTag = 'laid out once';
        document.querySelector('#panel').labTag = 'mounted once'; }""")
    runs = lab.app.state.lab.layouts.stats.dot_runs
    slider = page.get_by_role("slider", name="x1 slider")
    slider.focus()
    step, start = float(slider.get_attribute("step")), float(slider.input_value())
    for _ in range(7):  # a hand on the slider: seven moves, at most one request in flight
        page.keyboard.press("ArrowRight")
    wait_idle(page)
    values = values_shown(page)
    # where the hand left it: seven steps on, in the slider and in its number field alike
    assert float(slider.input_value()) == values["x1"] == pytest.approx(start + 7 * step)
    assert shown(page) == expected(NEURON, values)
    assert page.evaluate("() => document.querySelector('#graph svg').labTag") == "laid out once"
    # the step-through was given the numbers (view.update), not mounted again
    assert page.evaluate("() => document.querySelector('#panel').labTag") == "mounted once"
    assert lab.app.state.lab.layouts.stats.dot_runs == runs
    # the table of every grad under the step-through follows too
    table = page.evaluate("""() => [...document.querySelectorAll('#grads tbody tr')]
        .map((tr) => [...tr.cells].map((c) => c.textContent))""")
    x1_row = next(row for row in table if row[0] == "x1")
    graph = build(NEURON, values)
    graph.root.backward()
    assert x1_row[2:] == [format_number(values["x1"]),
                          format_number(graph.inputs["x1"].grad)]
    # and so does the printable list of every step
    handout = page.locator("#handout-steps li").all_text_contents()
    assert handout == [str(step) for step in backward_steps(build(NEURON, values).root)]


def test_a_new_formula_of_another_structure_is_laid_out_anew(lab_page):
    page = lab_page.page
    page.evaluate("() => { document.querySelector('#graph svg').labTag = 'old'; }")
    type_formula(page, "y = exp(a) * a")
    assert page.evaluate("() => document.querySelector('#graph svg').labTag") is None
    assert shown(page) == expected("y = exp(a) * a", {"a": 1.0})  # a new name starts at 1
    assert [row for row in values_shown(page)] == ["a"]


def test_the_step_through_goes_from_the_forward_pass_to_the_last_step(lab_page):
    page = lab_page.page
    type_formula(page, NEURON)
    set_values(page, NEURON_VALUES)
    graph = build(NEURON, NEURON_VALUES)
    sentences = [str(step) for step in backward_steps(graph.root)]
    counter = page.locator("#counter")
    assert counter.text_content() == f"Step {len(sentences)} of {len(sentences)}"  # all shown
    press_outside_fields(page, "Home")
    assert counter.text_content().startswith("Forward pass")
    assert "grad —" in page.evaluate("() => document.querySelector('#graph #n0').textContent")
    next_button = page.get_by_role("button", name="Next")
    for number, sentence in enumerate(sentences, 1):
        next_button.click()
        assert counter.text_content() == f"Step {number} of {len(sentences)}"
        assert page.locator("#sentence").text_content() == sentence
    assert next_button.is_disabled()
    assert page.locator("#done").is_visible()
    page.get_by_role("button", name="Prev").click()
    assert counter.text_content() == f"Step {len(sentences) - 1} of {len(sentences)}"
    assert page.get_by_role("button", name="Play").is_visible()


def test_a_slider_moved_mid_steps_keeps_the_step_and_shows_the_new_numbers(lab_page):
    page = lab_page.page
    type_formula(page, NEURON)
    set_values(page, NEURON_VALUES)
    press_outside_fields(page, "Home")
    for _ in range(3):
        page.get_by_role("button", name="Next").click()
    page.get_by_role("spinbutton", name="b", exact=True).fill("1.5")
    wait_idle(page)
    assert page.locator("#counter").text_content() == "Step 3 of 9"
    values = dict(NEURON_VALUES, b=1.5)
    graph = build(NEURON, values)
    assert page.locator("#sentence").text_content() == str(list(backward_steps(graph.root))[2])


def test_the_path_view_of_x1_is_one_path_of_product_minus_1_5_highlighted_in_the_graph(
        lab_page, lab):
    page = lab_page.page
    type_formula(page, NEURON)
    set_values(page, NEURON_VALUES)
    page.get_by_label("Paths from").select_option("x1")
    wait_idle(page, paths=True)
    items = page.locator("#path-list li")
    assert items.count() == 1
    assert items.first.text_content().endswith("= -1.5000")
    assert "= x1.grad" in page.locator("#path-sum").text_content()
    items.first.hover()
    lit = page.evaluate("() => [...document.querySelectorAll('#graph .path-hl')].map(e => e.id)")
    # x1 -> v1 -> v3 -> v4 -> o: its boxes, the ops between and every edge along it
    assert {"n0", "e2_0", "n2_op", "n2", "n9"} <= set(lit)
    assert "n1" not in lit  # w1 is not on x1's path
    page.mouse.move(0, 0)
    assert page.evaluate("() => document.querySelectorAll('#graph .path-hl').length") == 0
    items.first.focus()  # the keyboard reaches it too
    assert page.evaluate("() => document.querySelectorAll('#graph .path-hl').length") == len(lit)


def test_the_paths_of_a_in_d_equals_a_b_plus_a_are_two_and_sum_to_its_grad(lab_page):
    page = lab_page.page
    type_formula(page, "d = a*b + a")
    set_values(page, {"a": 2.0, "b": -3.0})
    page.get_by_label("Paths from").select_option("a")
    wait_idle(page, paths=True)
    sentences = page.locator("#path-list li").all_text_contents()
    assert len(sentences) == 2
    products = [float(re.search(r"= (-?[\d.]+)$", s).group(1)) for s in sentences]
    graph = build("d = a*b + a", {"a": 2.0, "b": -3.0})
    graph.root.backward()
    assert sum(products) == pytest.approx(graph.inputs["a"].grad)
    assert f"= {format_number(graph.inputs['a'].grad)} = a.grad" in (
        page.locator("#path-sum").text_content())
    # a new value: the paths follow
    page.get_by_role("spinbutton", name="b", exact=True).fill("5")
    wait_idle(page, paths=True)
    assert "= 6.0000 = a.grad" in page.locator("#path-sum").text_content()


def test_a_bad_formula_is_shown_under_the_box_with_a_caret_and_the_graph_stays(
        refused_lab_page):
    page = refused_lab_page.page
    type_formula(page, NEURON)
    page.evaluate("() => { document.querySelector('#graph svg').labTag = 'kept'; }")
    before = shown(page)
    type_formula(page, "tanh(x1*w1 +* b)")
    alert = page.get_by_role("alert")
    assert alert.is_visible()
    where = page.locator("#formula-where").text_content().split("\n")
    assert where[0] == "tanh(x1*w1 +* b)"
    assert where[1].endswith("^") and "*" in where[0][len(where[1]) - 1:len(where[1]) + 1]
    assert page.locator("#formula-message").text_content()
    assert page.get_by_role("textbox", name="Formula").get_attribute("aria-invalid") == "true"
    # the last good graph is still there, the same SVG, marked stale
    assert page.evaluate("() => document.querySelector('#graph svg').labTag") == "kept"
    assert shown(page) == before
    assert page.locator("#steps").get_attribute("class").split().count("stale") == 1
    assert page.locator("#stale-note").is_visible()
    type_formula(page, NEURON)
    assert not alert.is_visible()
    assert "stale" not in page.locator("#steps").get_attribute("class")


def test_a_value_outside_the_domain_points_at_the_op(refused_lab_page):
    page = refused_lab_page.page
    type_formula(page, "y = 2*x + log(x)")
    page.get_by_role("spinbutton", name="x", exact=True).fill("-1")
    wait_idle(page)
    where = page.locator("#formula-where").text_content().split("\n")
    assert where[1] == " " * "y = 2*x + log(x)".index("log") + "^"
    assert "log" in page.locator("#formula-message").text_content()
    page.get_by_role("spinbutton", name="x", exact=True).fill("2")
    wait_idle(page)
    assert not page.get_by_role("alert").is_visible()


def test_the_quiz_toggle_mounts_the_steps_as_an_exercise_and_back(lab_page):
    page = lab_page.page
    quiz = page.get_by_role("button", name="Quiz")
    svg_before = page.evaluate("() => { const s = document.querySelector('#graph svg'); "
                               "s.labTag = 'same'; return true; }")
    assert svg_before
    quiz.click()
    assert quiz.get_attribute("aria-pressed") == "true"
    assert page.locator("#counter").text_content().startswith("Forward pass")  # from step 0
    assert page.get_by_role("button", name="Next").count() == 1  # mounted once, not twice
    quiz.click()
    assert quiz.get_attribute("aria-pressed") == "false"
    assert page.locator("#counter").text_content() == "Step 9 of 9"
    assert page.evaluate("() => document.querySelector('#graph svg').labTag") == "same"
    # keys reach one step-through only: Home then one Right is step 1, not 2
    press_outside_fields(page, "Home")
    press_outside_fields(page, "ArrowRight")
    assert page.locator("#counter").text_content() == "Step 1 of 9"


def test_the_address_keeps_the_formula_and_values_for_a_reload(lab_page):
    page = lab_page.page
    type_formula(page, "q = x*y")
    set_values(page, {"x": 4.0, "y": 0.5})
    page.reload()
    wait_idle(page)
    assert page.get_by_role("textbox", name="Formula").input_value() == "q = x*y"
    assert values_shown(page) == {"x": 4.0, "y": 0.5}
    assert shown(page) == expected("q = x*y", {"x": 4.0, "y": 0.5})


def test_the_controls_are_reached_by_the_keyboard_with_a_visible_focus(lab_page):
    page = lab_page.page
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("Tab")  # the header's link to the network lab comes first
    assert page.evaluate("() => document.activeElement.textContent") == "Network lab"
    page.keyboard.press("Tab")
    focused = page.evaluate("() => [document.activeElement.id, "
                            "getComputedStyle(document.activeElement).outlineWidth]")
    assert focused[0] == "formula" and float(focused[1].rstrip("px")) >= 2
    for _ in range(3):  # Draw, then the first input's number field and slider
        page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.getAttribute('aria-label')") == (
        "x1 slider")


def test_the_quiz_in_the_lab_asks_each_step_and_checks_it_against_the_engine(lab_page):
    page = lab_page.page
    type_formula(page, NEURON)
    set_values(page, NEURON_VALUES)
    page.get_by_role("button", name="Quiz").click()
    page.get_by_role("spinbutton", name="b", exact=True).fill("1.5")  # new numbers, new quiz
    wait_idle(page)
    values = dict(NEURON_VALUES, b=1.5)
    steps = list(backward_steps(build(NEURON, values).root))
    # no edge gives its local derivative away (nor an old one), no grad but the output's
    assert set(sum(shown(page)["edges"].values(), [])) == {"×?"}
    page.get_by_role("button", name="Next").click()
    page.fill("#answer", "123")
    page.press("#answer", "Enter")
    assert "Not quite" in page.locator("#feedback").text_content()
    assert page.locator("#quiz-hint").text_content()  # the rule and the numbers to multiply
    page.fill("#answer", f"{steps[0].contribution:.6g}")  # right to 4 significant digits
    page.press("#answer", "Enter")
    assert page.locator("#sentence").text_content() == str(steps[0])  # revealed: the engine's


def test_a_slider_and_a_new_formula_keep_the_decimals_and_the_presentation_mode(lab_page):
    page = lab_page.page
    type_formula(page, NEURON)
    set_values(page, NEURON_VALUES)
    page.select_option("#decimals", "2")
    page.get_by_role("button", name="Presentation").click()

    def kept() -> bool:
        return (page.locator("#decimals").input_value() == "2" and
                page.get_attribute("#present", "aria-pressed") == "true" and
                "presenting" in page.get_attribute("#steps", "class").split())

    page.get_by_role("spinbutton", name="b", exact=True).fill("1.5")  # the same layout
    wait_idle(page)
    assert kept()
    assert shown(page) == expected(NEURON, dict(NEURON_VALUES, b=1.5), decimals=2)
    type_formula(page, "y = exp(a) * a")  # a new layout: mounted again
    assert kept()
    assert shown(page) == expected("y = exp(a) * a", {"a": 1.0}, decimals=2)
    assert page.locator("#counter").text_content() == "Step 3 of 3"


def test_the_quiz_keeps_its_answers_for_the_same_numbers_and_starts_again_for_new_ones(
        lab_page):
    page = lab_page.page
    type_formula(page, NEURON)
    set_values(page, NEURON_VALUES)
    page.get_by_role("button", name="Quiz").click()
    steps = list(backward_steps(build(NEURON, NEURON_VALUES).root))
    page.get_by_role("button", name="Next").click()
    page.fill("#answer", f"{steps[0].contribution:.6g}")
    page.press("#answer", "Enter")
    answers = int(page.locator("body").get_attribute("data-answers"))
    b = page.get_by_role("spinbutton", name="b", exact=True)
    b.fill(repr(NEURON_VALUES["b"]))  # typed again: an answer with the same numbers
    wait_idle(page)
    assert int(page.locator("body").get_attribute("data-answers")) == answers + 1
    assert page.locator("#counter").text_content() == "Step 1 of 9"
    assert page.locator("#feedback").text_content() == "\u2713 Right at the first try."
    b.fill("1.5")  # new numbers: a new quiz, on them
    wait_idle(page)
    assert page.locator("#counter").text_content().startswith("Forward pass")
    assert page.locator("#score").text_content() == "Score: nothing answered yet (9 steps)"
    new_steps = list(backward_steps(build(NEURON, dict(NEURON_VALUES, b=1.5)).root))
    page.get_by_role("button", name="Next").click()
    page.fill("#answer", f"{new_steps[0].contribution:.6g}")
    page.press("#answer", "Enter")
    assert page.locator("#sentence").text_content() == str(new_steps[0])
