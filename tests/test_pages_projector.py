"""The pages on a projector: the step-through page, the training replay and the gallery, measured
in real headless Chromium (the `browser_page` fixture of conftest.py) at the two screens a
lecture room has, 1920x1080 and 1280x800.

What "projector-ready" means here, each checked at both sizes: the whole lecture-neuron graph
is inside the window when the page opens, at the largest size the window allows (up to the
16 px node text we aim for); the sentence and every control are above the fold; clicker keys
(PageDown / PageUp, Space, Home / End, and the arrows) move the steps; a play-speed control,
a decimals choice (2 or 4, both written by Python) and a presentation toggle (larger text).
`test_print_the_figures` prints what it measured (run pytest with -s to see them).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from autograd import backward_steps, render, save_steps_html, topological_order
from autograd.draw import draw_dot
from autograd.formula import build
from autograd.trace import format_number
from nn import MLP, SGD, TrainingRecorder, fit, hinge_loss, save_training_replay
from nn.datasets import moons, to_pm1

ROOT = Path(__file__).resolve().parents[1]
SCREENS = [(1920, 1080), (1280, 800)]
TARGET_TEXT = 16.0  # px: node text readable from the back of a lecture room, at 1920x1080
GRAPH_TEXT = 11.0  # draw_dot's node text, in the SVG's own units
LECTURE = "tanh(x1*w1 + x2*w2 + b)"
LECTURE_VALUES = {"x1": 2, "x2": 0, "w1": -3, "w2": 1, "b": 6.8813735870195432}
CONTROLS = ["#prev", "#next", "#play", "#speed", "#decimals", "#present", "#zoom", "#counter",
            "#sentence"]

# The graph's box, the window, and the rendered size of every node text of the picture: its
# font size after the SVG's scaling (getScreenCTM) and its box's height.
MEASURE_GRAPH = """(selector) => {
  const svg = document.querySelector(selector);
  const r = svg.getBoundingClientRect();
  const texts = Array.from(svg.querySelectorAll("g.node text")).map((t) => ({
    size: parseFloat(t.getAttribute("font-size")) * t.getScreenCTM().a,
    height: t.getBoundingClientRect().height,
  }));
  return {
    box: [r.left, r.top, r.right, r.bottom],
    viewport: [window.innerWidth, window.innerHeight],
    scrollWidth: document.documentElement.scrollWidth,
    minSize: Math.min(...texts.map((t) => t.size)),
    minHeight: Math.min(...texts.map((t) => t.height)),
    viewBox: [svg.viewBox.baseVal.width, svg.viewBox.baseVal.height],
    frame: document.querySelector(selector).parentElement.clientWidth,
  };
}"""

BOTTOMS = """(selectors) => selectors.map((s) => {
  const r = document.querySelector(s).getBoundingClientRect();
  return [s, r.top, r.bottom, r.right, r.width > 0 && r.height > 0];
})"""


def lecture_graph():
    """The lecture neuron as the CLI builds it (`chainrule explain` with these values)."""
    return build(LECTURE, LECTURE_VALUES).root


@pytest.fixture(scope="module")
def lecture_page(tmp_path_factory) -> Path:
    return save_steps_html(lecture_graph(), tmp_path_factory.mktemp("steps") / "neuron.html")


def open_at(browser_page, path: Path, size: tuple[int, int]) -> None:
    width, height = size
    browser_page.page.set_viewport_size({"width": width, "height": height})
    browser_page.open(path)


def stop_the_clock(page) -> None:
    """From now on the page's time moves only when the test runs it (Playwright's fake clock,
    installed before the page loaded; without the pause it would also follow real time)."""
    page.clock.pause_at(page.evaluate("Date.now()") + 1000)


def assert_inside(box: list[float], viewport: list[int]) -> None:
    left, top, right, bottom = box
    width, height = viewport
    assert 0 <= left and 0 <= top and right <= width and bottom <= height, (box, viewport)


def assert_above_the_fold(page, selectors: list[str]) -> None:
    height = page.evaluate("window.innerHeight")
    width = page.evaluate("window.innerWidth")
    for selector, top, bottom, right, shown in page.evaluate(BOTTOMS, selectors):
        assert shown, f"{selector} is not shown"
        assert 0 <= top and bottom <= height and right <= width, \
            f"{selector} is below the fold or off the side: {top}..{bottom} of {height}"


# ---------------------------------------------------------------------------------------------
# The step-through page


@pytest.mark.parametrize("size", SCREENS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_step_page_shows_the_whole_graph_as_large_as_the_window_allows(
        size, lecture_page, browser_page):
    open_at(browser_page, lecture_page, size)
    page = browser_page.page
    m = page.evaluate(MEASURE_GRAPH, "#graph svg")
    assert_inside(m["box"], m["viewport"])
    assert m["scrollWidth"] <= m["viewport"][0]  # no sideways scrolling either
    assert_above_the_fold(page, CONTROLS)
    # The text is 16 px, or as large as the picture's width lets it be in the window: the
    # graph is fitted to its frame, never shrunk further (draw_dot's layout sets the rest).
    widest = GRAPH_TEXT * m["frame"] / m["viewBox"][0]
    assert m["minSize"] >= min(TARGET_TEXT, widest) - 0.05, m
    assert m["minHeight"] >= 0.9 * m["minSize"]  # the box of a text is about its size
    # nothing important below the fold after a few steps either, nor with the grads table
    for _ in range(3):
        page.keyboard.press("PageDown")
    assert_above_the_fold(page, CONTROLS + ["#graph svg"])
    assert browser_page.errors == []
    assert browser_page.external_requests == []


def test_clicker_keys_and_arrows_move_the_steps(lecture_page, browser_page):
    open_at(browser_page, lecture_page, SCREENS[0])
    page = browser_page.page
    last = len(list(backward_steps(lecture_graph())))
    counter = lambda: page.text_content("#counter")  # noqa: E731
    page.keyboard.press("PageDown")
    page.keyboard.press("PageDown")
    assert counter() == f"Step 2 of {last}"
    page.keyboard.press("PageUp")
    assert counter() == f"Step 1 of {last}"
    page.keyboard.press("Space")
    assert counter() == f"Step 2 of {last}"
    page.keyboard.press("Shift+Space")
    assert counter() == f"Step 1 of {last}"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowLeft")
    assert counter() == f"Step 2 of {last}"
    page.keyboard.press("End")
    assert counter() == f"Step {last} of {last}"
    page.keyboard.press("Home")
    assert counter().startswith("Forward pass")
    # Space on a focused button presses that button, once: on Next one step (not two), on
    # Presentation the toggle (a keyboard user's Space, not a step)
    page.focus("#next")
    page.keyboard.press("Space")
    assert counter() == f"Step 1 of {last}"
    page.focus("#present")
    page.keyboard.press("Space")
    assert counter() == f"Step 1 of {last}"
    assert page.get_attribute("#present", "aria-pressed") == "true"
    assert page.evaluate("window.scrollY") == 0  # the keys never scrolled the page
    assert browser_page.errors == []


def test_keys_leave_the_settings_alone(lecture_page, browser_page):
    """Arrows and PageDown on a focused select change the select, not the step."""
    open_at(browser_page, lecture_page, SCREENS[1])
    page = browser_page.page
    page.focus("#speed")
    page.keyboard.press("PageDown")
    assert page.text_content("#counter").startswith("Forward pass")


def test_buttons_have_the_contracts_accessible_names(lecture_page, browser_page):
    open_at(browser_page, lecture_page, SCREENS[1])
    page = browser_page.page
    for name in ["Prev", "Next", "Play", "Presentation"]:
        assert page.get_by_role("button", name=name, exact=True).count() == 1, name
    page.get_by_role("button", name="Play", exact=True).click()
    assert page.get_by_role("button", name="Pause", exact=True).count() == 1
    page.get_by_role("button", name="Pause", exact=True).click()
    assert page.get_by_role("combobox", name="Speed").count() == 1
    assert page.get_by_role("combobox", name="Decimals").count() == 1


def grads_after(k: int, decimals: int) -> dict[str, str]:
    """What each box's grad text says after the first k steps of one fresh pass through the
    lecture neuron, as Python writes it."""
    root = lecture_graph()
    order = topological_order(root)
    index = {node: i for i, node in enumerate(order)}
    grads = {f"n{i}": "grad \u2014" if k == 0 else "grad " + format_number(0.0, decimals)
             for i in range(len(order))}
    if k:
        grads[f"n{index[root]}"] = "grad " + format_number(1.0, decimals)
    for step in list(backward_steps(root))[:k]:
        grads[f"n{index[step.parent]}"] = "grad " + format_number(step.parent_grad, decimals)
    return grads


READ_NUMBERS = """() => {
  const out = {data: {}, grad: {}, edges: {}};
  document.querySelectorAll("#graph g.node").forEach((g) => {
    for (const t of g.querySelectorAll("text")) {
      if (t.textContent.startsWith("data ")) out.data[g.id] = t.textContent;
      if (t.textContent.startsWith("grad ")) out.grad[g.id] = t.textContent;
    }
  });
  document.querySelectorAll("#graph g.edge").forEach((g) => {
    out.edges[g.id] = Array.from(g.querySelectorAll("text")).map((t) => t.textContent).join(" ");
  });
  return out;
}"""


def test_decimals_switch_shows_the_two_decimal_form_of_the_same_step(lecture_page,
                                                                      browser_page):
    root = lecture_graph()
    steps = list(backward_steps(root))
    order = topological_order(root)
    index = {node: i for i, node in enumerate(order)}
    open_at(browser_page, lecture_page, SCREENS[0])
    page = browser_page.page
    for _ in range(3):
        page.keyboard.press("PageDown")
    assert page.text_content("#sentence") == str(steps[2])
    page.select_option("#decimals", "2")
    assert page.text_content("#counter") == f"Step 3 of {len(steps)}"  # the same step
    assert page.text_content("#sentence") == steps[2].describe(2)
    shown = page.evaluate(READ_NUMBERS)
    assert shown["data"] == {f"n{index[n]}": "data " + format_number(n.data, 2) for n in order}
    assert shown["grad"] == grads_after(3, 2)
    edges_seen: dict = {}
    for step in steps:  # each edge's label: its local derivative, with 2 decimals
        k = edges_seen.setdefault(step.node, 0)
        edges_seen[step.node] = k + 1
        label = shown["edges"][f"e{index[step.node]}_{k}"]
        assert format_number(step.local_grad, 2) in label
        assert format_number(step.local_grad, 4) not in label
    page.keyboard.press("PageDown")
    assert page.text_content("#sentence") == steps[3].describe(2)
    assert page.evaluate(READ_NUMBERS)["grad"] == grads_after(4, 2)
    page.select_option("#decimals", "4")
    assert page.text_content("#sentence") == str(steps[3])
    assert page.evaluate(READ_NUMBERS)["grad"] == grads_after(4, 4)
    page.keyboard.press("End")  # the table follows the choice too
    page.select_option("#decimals", "2")
    table = page.eval_on_selector_all("#grads td.grad", "tds => tds.map(td => td.textContent)")
    assert sorted(table) == sorted(format_number(n.grad, 2) for n in order)  # one pass ran
    assert browser_page.errors == []


def sentence_font(page) -> float:
    return page.evaluate("parseFloat(getComputedStyle(document.getElementById('sentence'))"
                         ".fontSize)")


@pytest.mark.parametrize("size", SCREENS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_presentation_toggle_enlarges_the_sentence_and_keeps_it_all_in_view(
        size, lecture_page, browser_page):
    open_at(browser_page, lecture_page, size)
    page = browser_page.page
    page.keyboard.press("PageDown")
    before = sentence_font(page)
    page.click("#present")
    assert page.get_attribute("#present", "aria-pressed") == "true"
    assert sentence_font(page) >= 1.4 * before
    # pressed, and with the mouse still over it, the button's name stays readable
    ink, paper = page.evaluate("""() => { const s = getComputedStyle(
        document.getElementById('present')); return [s.color, s.backgroundColor]; }""")
    assert (ink, paper) == ("rgb(255, 255, 255)", "rgb(31, 41, 55)")
    m = page.evaluate(MEASURE_GRAPH, "#graph svg")
    assert_inside(m["box"], m["viewport"])
    assert_above_the_fold(page, CONTROLS)
    page.click("#present")
    assert sentence_font(page) == before
    assert browser_page.errors == []


def test_play_speed_sets_the_time_between_steps(lecture_page, browser_page):
    """Playwright's clock stands in for the real one: the timers run when the test says."""
    page = browser_page.page
    page.clock.install()
    open_at(browser_page, lecture_page, SCREENS[1])
    stop_the_clock(page)
    page.select_option("#speed", label="fast")
    fast = int(page.input_value("#speed"))
    page.click("#play")
    page.clock.run_for(2 * fast + 10)
    assert page.text_content("#counter").startswith("Step 2 of")
    page.select_option("#speed", label="slow")  # while playing: the next step waits longer
    slow = int(page.input_value("#speed"))
    assert slow > 2 * fast
    page.clock.run_for(slow - 10)
    assert page.text_content("#counter").startswith("Step 2 of")
    page.clock.run_for(20)
    assert page.text_content("#counter").startswith("Step 3 of")
    assert page.text_content("#play") == "Pause"
    assert browser_page.errors == []


# ---------------------------------------------------------------------------------------------
# The training replay


@pytest.fixture(scope="module")
def replay_page(tmp_path_factory) -> Path:
    X, y = moons(n=60, noise=0.1, seed=1)
    y = to_pm1(y)
    model = MLP(2, [16, 16, 1], seed=0)  # the demo's network: the tallest diagram we draw
    recorder = TrainingRecorder(model, X, y, resolution=20)
    fit(model, X, y, hinge_loss, SGD(model.parameters(), lr=0.1), epochs=6, quiet=True,
        on_epoch=recorder)
    return save_training_replay(tmp_path_factory.mktemp("replay") / "replay.html", recorder)


REPLAY_PARTS = ["#play", "#slider", "#epoch-label", "#speed", "#decimals", "#present",
                "#boundary", "#network svg", "#loss", "#stats"]


@pytest.mark.parametrize("size", SCREENS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_replay_shows_its_controls_and_three_panels_in_the_window(size, replay_page,
                                                                  browser_page):
    open_at(browser_page, replay_page, size)
    page = browser_page.page
    assert_above_the_fold(page, REPLAY_PARTS)
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
    # the boundary is drawn at the size it is shown, not stretched from a small canvas
    shown, drawn = page.evaluate("""() => { const c = document.getElementById('boundary');
        return [c.getBoundingClientRect().width, c.width]; }""")
    assert shown >= 300 and drawn >= shown - 1
    page.click("#present")
    assert_above_the_fold(page, REPLAY_PARTS)
    assert browser_page.errors == []
    assert browser_page.external_requests == []


def test_replay_clicker_keys_speed_decimals_and_presentation(replay_page, browser_page):
    page = browser_page.page
    page.clock.install()
    open_at(browser_page, replay_page, SCREENS[1])
    stop_the_clock(page)
    label = lambda: page.text_content("#epoch-label")  # noqa: E731
    page.keyboard.press("PageDown")
    page.keyboard.press("PageDown")
    assert label() == "epoch 2 / 6"
    page.keyboard.press("PageUp")
    page.keyboard.press("Space")
    page.keyboard.press("ArrowRight")
    assert label() == "epoch 3 / 6"
    page.keyboard.press("End")
    assert label() == "epoch 6 / 6"
    page.keyboard.press("Home")
    assert label() == "epoch 0 / 6"
    page.focus("#slider")  # on the slider a clicker's PageDown is one frame too
    page.keyboard.press("PageDown")
    assert label() == "epoch 1 / 6"

    # decimals: the loss as Python wrote it, with 2 and then 4 decimals
    data = page.evaluate("JSON.parse(document.getElementById('replay-data').textContent)")
    loss = data["frames"][1]["loss"]
    assert page.text_content("#stats").startswith("loss " + format_number(loss, 2) + " ")
    page.select_option("#decimals", "4")
    assert page.text_content("#stats").startswith("loss " + format_number(loss, 4) + " ")
    assert label() == "epoch 1 / 6"

    # speed: Play steps once per interval of the chosen speed
    page.select_option("#speed", label="slow")
    slow = int(page.input_value("#speed"))
    page.click("#play")
    assert page.text_content("#play") == "Pause"
    page.clock.run_for(slow + 5)
    assert label() == "epoch 2 / 6"
    page.select_option("#speed", label="fast")
    fast = int(page.input_value("#speed"))
    page.clock.run_for(2 * fast + 5)
    assert label() == "epoch 4 / 6"
    page.click("#play")
    assert page.text_content("#play") == "Play"

    font = "parseFloat(getComputedStyle(document.getElementById('epoch-label')).fontSize)"
    before = page.evaluate(font)
    page.click("#present")
    assert page.evaluate(font) >= 1.2 * before
    assert browser_page.errors == []


# ---------------------------------------------------------------------------------------------
# The gallery


def load_gallery():
    spec = importlib.util.spec_from_file_location("gallery", ROOT / "demos" / "gallery.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def lecture_gallery(tmp_path_factory) -> Path:
    """A gallery of demo 01's lecture-neuron picture (PNG and SVG, as demo 01 draws them)."""
    base = tmp_path_factory.mktemp("gallery")
    demos, out = base / "demos", base / "out"
    demos.mkdir()
    out.mkdir()
    (demos / "01_one_neuron.py").write_text('"""01 - one neuron."""\n', encoding="utf-8")
    root = lecture_graph()
    root.backward()
    render(draw_dot(root), out / "01_one_neuron", ("png", "svg"))
    return load_gallery().build(out, demos_dir=demos)


@pytest.mark.parametrize("size", SCREENS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_gallery_shows_the_lecture_graph_across_the_window(size, lecture_gallery,
                                                           browser_page):
    open_at(browser_page, lecture_gallery, size)
    page = browser_page.page
    page.wait_for_function("Array.from(document.images).every(i => i.complete)")
    box = page.evaluate("""() => { const r = document.querySelector('figure img')
        .getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }""")
    assert_inside(box, list(size))
    assert box[2] - box[0] >= 0.9 * size[0]  # the wide graph uses the projector's width
    assert browser_page.errors == []


def test_gallery_thumbnail_opens_full_size_from_the_keyboard(lecture_gallery, browser_page):
    open_at(browser_page, lecture_gallery, SCREENS[1])
    page = browser_page.page
    page.wait_for_function("Array.from(document.images).every(i => i.complete)")
    shown = page.evaluate("document.querySelector('figure img').getBoundingClientRect().width")
    link = page.locator("figure a.thumb").first
    assert "full size" in link.get_attribute("title")
    for _ in range(40):  # Tab to it, as a keyboard user does
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('figure a.thumb')"):
            break
    else:
        pytest.fail("the thumbnail's link cannot be reached with Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # focus is visible
    natural = page.evaluate("document.querySelector('figure img').naturalWidth")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/01_one_neuron.svg")  # the SVG: full size, and it zooms sharply
    full = page.evaluate("document.documentElement.getBoundingClientRect().width")
    assert abs(full - natural) <= 1  # the picture at its own size, whatever the gallery showed
    assert shown > 0
    assert browser_page.errors == []


def test_gallery_larger_text_switch_works_without_a_script(lecture_gallery, browser_page):
    open_at(browser_page, lecture_gallery, SCREENS[0])
    page = browser_page.page
    assert page.evaluate("document.scripts.length") == 0
    font = "parseFloat(getComputedStyle(document.querySelector('figcaption')).fontSize)"
    before = page.evaluate(font)
    page.get_by_label("Larger text").check()
    assert page.evaluate(font) >= 1.25 * before


# ---------------------------------------------------------------------------------------------


def test_print_the_figures(lecture_page, browser_page, capsys):
    """Not a check of its own: prints the measured sizes (pytest -s) for the issue's note."""
    lines = []
    for size in SCREENS:
        open_at(browser_page, lecture_page, size)
        m = browser_page.page.evaluate(MEASURE_GRAPH, "#graph svg")
        lines.append(f"{size[0]}x{size[1]}: node text {m['minSize']:.1f} px (box height "
                     f"{m['minHeight']:.1f} px), graph box {[round(v) for v in m['box']]} in "
                     f"a {m['viewport'][0]}x{m['viewport'][1]} window, viewBox {m['viewBox']}")
        assert_inside(m["box"], m["viewport"])
    with capsys.disabled():
        print("\n" + "\n".join(lines))
