"""save_steps_html: one self-contained page that steps through backward, checked in real Chromium.

The browser tests use the `browser_page` fixture of conftest.py (Debian's headless Chromium).
"""

import html
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograd import Value, backward_steps, save_steps_html, topological_order
from autograd.draw import GraphvizMissingError
from autograd.formula import build
from autograd.snapshot import graph_snapshot
from autograd.steps_html import fresh_pass, page_data, question, steps_page
from autograd.trace import format_number

# Everything the page shows at one moment, read in a single round trip to the browser.
READ_STATE = """() => {
  const text = (id) => document.getElementById(id).textContent;
  const grads = {};
  document.querySelectorAll("#graph g.node").forEach((g) => {
    const t = Array.from(g.querySelectorAll("text"))
      .filter((x) => x.textContent.startsWith("grad "));
    if (t.length) grads[g.id] = t[t.length - 1].textContent;
  });
  return {
    sentence: text("sentence"), fanout: text("fanout"), counter: text("counter"), grads,
    edges: Array.from(document.querySelectorAll(".hl-edge")).map((e) => e.id),
    receiving: Array.from(document.querySelectorAll(".hl-recv")).map((e) => e.id),
    done: !document.getElementById("done").hidden,
    prev: !document.getElementById("prev").disabled,
    next: !document.getElementById("next").disabled,
  };
}"""


def lecture_neuron() -> tuple[Value, list[Value]]:
    """o = tanh(x1*w1 + x2*w2 + b), with the numbers of micrograd's lecture (o = 0.7071)."""
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2 = Value(-3.0, "w1"), Value(1.0, "w2")
    b = Value(6.8813735870195432, "b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, [x1, x2, w1, w2, b]


def reused_node() -> tuple[Value, list[Value]]:
    """a feeds a*a twice and a + a*a once: three contributions; a non-trivial loss on top."""
    a = Value(3.0, "a")
    sq = a * a
    c = a + sq
    c.label = "c"
    loss = (c + 1.0) ** 2
    loss.label = "L"
    return loss, [a]


def expected_steps(root: Value) -> list[dict]:
    """What the page must show after each step, from an independent run of backward_steps.

    Leaves root's graph with the grads of one backward() from zero grads.
    """
    index = {node: i for i, node in enumerate(topological_order(root))}
    return [
        {
            "sentence": str(step),
            "received": step.received,
            "fan_out": step.fan_out,
            "parent": f"n{index[step.parent]}",
            "grad": "grad " + format_number(step.parent_grad),
        }
        for step in backward_steps(root)
    ]


@pytest.mark.parametrize("make_graph", [lecture_neuron, reused_node])
def test_next_to_the_end_and_back_shows_every_step(make_graph, tmp_path, browser_page):
    root, _ = make_graph()
    order = topological_order(root)
    path = save_steps_html(root, tmp_path / "steps.html")
    assert all(node.grad == 0.0 for node in order)  # the page did not change the graph
    expected = expected_steps(root)  # now every grad is that of one backward()
    last = len(expected)
    assert last == sum(len(node.parents) for node in order)

    start = graph_snapshot(root).start_sentence()  # the engine's words, not the page's
    browser_page.open(path)
    page = browser_page.page

    # the forward values: every data shown, no grad yet, nothing highlighted
    state = page.evaluate(READ_STATE)
    assert state["sentence"] == start
    assert state["counter"] == f"Forward pass ({last} backward steps to go)"
    assert set(state["grads"]) == {f"n{i}" for i in range(len(order))}
    assert set(state["grads"].values()) == {"grad \u2014"}
    assert state["edges"] == [] and state["receiving"] == []
    assert not state["prev"] and state["next"] and not state["done"]
    svg_text = page.text_content("#graph svg")
    for node in order:
        assert "data " + format_number(node.data) in svg_text

    # Next to the end (button and arrow key in turn), checking each step against backward_steps
    for k, step in enumerate(expected, start=1):
        if k % 2:
            page.click("#next")
        else:
            page.keyboard.press("ArrowRight")
        state = page.evaluate(READ_STATE)
        assert state["sentence"] == step["sentence"]
        assert state["counter"] == f"Step {k} of {last}"
        noun = "contribution" if step["fan_out"] == 1 else "contributions"
        assert f"{step['received']} of {step['fan_out']} {noun} received" in state["fanout"]
        assert state["grads"][step["parent"]] == step["grad"]  # the running sum, on its box
        assert state["receiving"] == [step["parent"]]
        assert len(state["edges"]) == 1 and re.fullmatch(r"e\d+_\d+", state["edges"][0])
        assert state["done"] == (k == last)
    assert not state["next"]

    # the final table: every Value's grad, as backward() leaves it
    rows = page.evaluate(
        """() => Array.from(document.querySelectorAll("#grads tbody tr")).map((tr) =>
             [tr.dataset.node, tr.querySelector("td.grad").textContent])"""
    )
    assert dict(rows) == {f"n{i}": format_number(node.grad) for i, node in enumerate(order)}
    assert page.is_visible("#grads")

    # and back to the start with ArrowLeft and Prev in turn
    for k in range(last - 1, -1, -1):
        if k % 2:
            page.keyboard.press("ArrowLeft")
        else:
            page.click("#prev")
        state = page.evaluate(READ_STATE)
        if k:
            assert state["sentence"] == expected[k - 1]["sentence"]
            assert not state["done"]
    assert state["sentence"] == start
    assert set(state["grads"].values()) == {"grad \u2014"}
    assert not state["prev"]

    assert browser_page.errors == []
    assert browser_page.external_requests == []


def test_reused_node_counts_its_contributions(tmp_path, browser_page):
    root, (a,) = reused_node()
    browser_page.open(save_steps_html(root, tmp_path / "reused.html"))
    page = browser_page.page
    seen = []
    for _ in range(len(list(backward_steps(root)))):
        page.keyboard.press("ArrowRight")
        fanout = page.text_content("#fanout")
        if fanout.startswith("a:"):
            seen.append(fanout)
    assert seen == [
        "a: 1 of 3 contributions received",
        "a: 2 of 3 contributions received",
        "a: 3 of 3 contributions received \u2014 its gradient is final",
    ]
    assert page.text_content("#grads tbody tr[data-node='n0'] td.grad") == format_number(a.grad)
    assert a.grad == 2 * (3.0 + 9.0 + 1.0) * (1 + 2 * 3.0)  # dL/dc * dc/da, c = a + a*a
    assert browser_page.errors == []


def test_play_steps_by_itself_and_pauses(tmp_path, browser_page):
    root, _ = lecture_neuron()
    browser_page.open(save_steps_html(root, tmp_path / "play.html"))
    page = browser_page.page
    page.click("#play")
    assert page.text_content("#play") == "Pause"
    page.wait_for_function(
        "document.getElementById('counter').textContent.startsWith('Step 1 of')", timeout=5000
    )
    page.click("#play")
    assert page.text_content("#play") == "Play"
    assert browser_page.errors == []


def test_labels_and_title_are_text_never_markup(tmp_path, browser_page):
    evil = "</script><b>x"
    a = Value(2.0, evil)
    out = a * 3.0
    out.label = "<i>y</i> & z"
    path = save_steps_html(out, tmp_path / "evil.html", title="<script>alert(1)</script>")
    source = path.read_text(encoding="utf-8")
    assert evil not in source and "<script>alert" not in source

    browser_page.open(path)
    page = browser_page.page
    assert page.evaluate("document.querySelectorAll('b, i').length") == 0
    assert page.title() == "<script>alert(1)</script>"
    assert evil in page.text_content("#graph svg")
    names = page.eval_on_selector_all("#grads td.name", "tds => tds.map(td => td.textContent)")
    assert evil in names and "<i>y</i> & z" in names
    page.keyboard.press("ArrowRight")
    assert page.text_content("#sentence") == str(next(iter(backward_steps(out))))
    assert browser_page.errors == []


def test_page_holds_everything_and_no_address(tmp_path):
    root, _ = lecture_neuron()
    path = save_steps_html(root, str(tmp_path / "neuron.html"))
    assert isinstance(path, Path) and path.exists()
    text = path.read_text(encoding="utf-8")
    assert re.search(r"https?:|\b(?:src|href)\s*=|<link|@import|url\(", text, re.I) is None
    assert text.count("<svg") == 1 and text.count('id="steps-data"') == 1
    for node_id in ["n0", "n9", "n9_op", "n9_out", "e9_0"]:
        assert f'id="{node_id}"' in text
    assert [p.name for p in tmp_path.iterdir()] == ["neuron.html"]  # no temporary file left


def test_grads_are_left_as_they_were(tmp_path):
    root, leaves = lecture_neuron()
    order = topological_order(root)
    for i, node in enumerate(order):
        node.grad = 0.25 * i - 1.0  # earlier passes' leftovers, interior ones too
    before = [node.grad for node in order]
    save_steps_html(root, tmp_path / "x.html")
    assert [node.grad for node in order] == before


def test_refuses_a_graph_beyond_max_nodes(tmp_path):
    y = Value(0.1, "y")
    for _ in range(600):
        y = y.tanh()
    with pytest.raises(ValueError, match=r"more than max_nodes=500 Values"):
        save_steps_html(y, tmp_path / "big.html", max_nodes=500)
    a = Value(1.0, "a")
    many = a * a * a * a  # 6 edges over 4 Values
    with pytest.raises(ValueError, match=r"more than max_edges=5 edges"):
        save_steps_html(many, tmp_path / "big.html", max_edges=5)
    assert list(tmp_path.iterdir()) == []


def test_without_dot_says_how_to_install_and_changes_nothing(monkeypatch, tmp_path):
    root, leaves = lecture_neuron()
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(GraphvizMissingError, match="apt-get install graphviz"):
        save_steps_html(root, tmp_path / "x.html")
    assert list(tmp_path.iterdir()) == []
    assert all(leaf.grad == 0.0 for leaf in leaves)


def test_rewriting_replaces_the_page_whole(tmp_path):
    root, _ = lecture_neuron()
    path = tmp_path / "page.html"
    path.write_text("old page")
    save_steps_html(root, path, title="second")
    assert "<title>second</title>" in path.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]


def test_opens_with_the_whole_picture_and_zoom_makes_its_text_readable(tmp_path, browser_page):
    y = Value(0.5, "x")
    for _ in range(12):  # 25 boxes and ops in a row: too wide for 16 px text in 1,280 px
        y = y.tanh()
    browser_page.open(save_steps_html(y, tmp_path / "zoom.html"))
    page = browser_page.page
    svg_box = """() => { const r = document.querySelector('#graph svg').getBoundingClientRect();
        const t = document.querySelector('#graph g.node text');
        return {right: r.right, bottom: r.bottom, frame: document.getElementById('graph')
          .getBoundingClientRect().right, text: 11 * t.getScreenCTM().a}; }"""
    # it opens fitted: all of the picture inside its frame and the window, however small
    fitted = page.evaluate(svg_box)
    assert page.get_attribute("#graph", "class") == "steps-graph"
    assert page.text_content("#zoom") == "Zoom in"
    assert fitted["right"] <= fitted["frame"] and fitted["bottom"] <= 800
    assert fitted["text"] < 16
    page.click("#zoom")  # zoomed in: 16 px text, the frame scrolls to follow the step
    zoomed = page.evaluate(svg_box)
    assert page.text_content("#zoom") == "Fit to window"
    assert abs(zoomed["text"] - 16) < 0.1 and zoomed["right"] > zoomed["frame"]
    page.keyboard.press("PageDown")  # step 1: the edge into the output, far to the right
    page.wait_for_function("document.getElementById('graph').scrollLeft > 0")
    page.keyboard.press("End")
    assert page.text_content("#counter") == "Step 12 of 12"
    page.click("#zoom")
    assert page.evaluate(svg_box) == fitted
    page.keyboard.press("Home")
    assert page.text_content("#sentence") == graph_snapshot(y).start_sentence()
    assert browser_page.errors == []


def test_a_lone_leaf_has_no_steps_and_a_grad_of_one(tmp_path, browser_page):
    x = Value(4.0, "x")
    browser_page.open(save_steps_html(x, tmp_path / "leaf.html"))
    page = browser_page.page
    assert page.is_disabled("#next") and page.is_disabled("#prev")
    assert page.text_content("#grads td.grad") == "1.0000"
    assert browser_page.errors == []


ROOT = Path(__file__).resolve().parents[1]


def package_data() -> dict[Path, list[str]]:
    """pyproject.toml's [tool.setuptools.package-data]: each package's folder -> its files."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: pytest itself depends on tomli there
        import tomli as tomllib
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "tool"]["setuptools"]
    folders = setuptools.get("package-dir", {})
    return {ROOT / folders.get(package, package.replace(".", "/")): files
            for package, files in setuptools["package-data"].items()}


def test_the_pages_files_ship_in_the_package():
    """A wheel carries what the pages paste in (and what the live lab serves)."""
    shipped = package_data()
    for folder, files in shipped.items():
        for name in files:
            assert (folder / name).is_file(), f"{folder / name} is listed but missing"
    assert {"steps_page.html", "steps.js", "steps.css"} <= set(shipped[ROOT / "autograd"])
    assert {"replay.js", "replay.css"} <= set(shipped[ROOT / "nn"])


def test_page_inlines_the_packages_script_and_stylesheet(tmp_path):
    from autograd.html_page import inline_css, inline_js

    root, _ = lecture_neuron()
    text = save_steps_html(root, tmp_path / "page.html").read_text(encoding="utf-8")
    package = ROOT / "autograd"
    assert inline_css((package / "steps.css").read_text(encoding="utf-8")) in text
    assert inline_js((package / "steps.js").read_text(encoding="utf-8")) in text
    assert "{{" not in text.replace("{{DATA}}", "")  # every placeholder filled
    assert re.search(r"\b(?:src|href)\s*=", text) is None  # nothing loaded from a file


def test_a_graph_with_earlier_passes_gets_the_page_of_one_fresh_pass(tmp_path):
    root, _ = lecture_neuron()
    fresh = save_steps_html(root, tmp_path / "fresh.html").read_text(encoding="utf-8")
    root.backward()
    root.backward()  # the leaves now hold two passes' grads
    again = save_steps_html(root, tmp_path / "again.html").read_text(encoding="utf-8")
    assert again == fresh


# ---------------------------------------------------------------------------------------------
# view.update(data): the same graph with new numbers, as the live lab sends when a slider moves

NEURON = "o = tanh(x1*w1 + x2*w2 + b)"
NEURON_VALUES = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}
MOUNT = "mountSteps(JSON.parse("

# Everything the view shows, as text: the picture's texts, tooltips and classes, the panel, the
# printable list, the final table, what is lit and which buttons are live.
READ_VIEW = """() => {
  const root = document.getElementById("steps");
  const svg = root.querySelector("svg");
  const byId = (id) => document.getElementById(id);
  return {
    texts: Array.from(svg.querySelectorAll("text"), (t) => t.textContent),
    tips: Array.from(svg.querySelectorAll("a"), (a) => a.getAttribute("xlink:title")),
    classes: Array.from(svg.querySelectorAll("text"), (t) => t.getAttribute("class") || ""),
    lit: Array.from(root.querySelectorAll(".hl-edge, .hl-recv, .hl-send, .hl-op"),
      (e) => e.id + " " + e.getAttribute("class")),
    panel: byId("panel").textContent, handout: byId("handout").textContent,
    done: byId("done").textContent, doneHidden: byId("done").hidden,
    decimals: byId("decimals").value, prev: byId("prev").disabled, next: byId("next").disabled,
  };
}"""


def neuron_data(values: dict[str, float], quiz: bool = False) -> dict:
    """The page data of the lecture neuron with these values (what the lab's server sends)."""
    return page_data(fresh_pass(build(NEURON, values).root), quiz=quiz)


def page_with_view(root: Value, path: Path, quiz: bool = False) -> Path:
    """root's static page, its view kept as window.view and its module's mountSteps as
    window.mountSteps: update() and destroy() run through the page's own inlined module."""
    text = save_steps_html(root, path, quiz=quiz).read_text(encoding="utf-8")
    assert text.count(MOUNT) == 1
    path.write_text(text.replace(MOUNT, "window.mountSteps = mountSteps;\nwindow.view = " + MOUNT),
                    encoding="utf-8")
    return path


def drawn_texts(root: Value, tmp_path: Path) -> tuple[list[str], list[str]]:
    """The texts and tooltips of root's picture as draw_dot draws them (its saved page's SVG)."""
    text = save_steps_html(root, tmp_path / "drawn.html").read_text(encoding="utf-8")
    svg = text[text.index("<svg"):text.index("</svg>")]
    return ([html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)],
            [html.unescape(t) for t in re.findall(r'xlink:title="([^"]*)"', svg)])


def go_to(page, step: int) -> None:
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("Home")
    for _ in range(step):
        page.keyboard.press("ArrowRight")


@pytest.fixture(scope="module")
def neuron_page(tmp_path_factory) -> Path:
    root = build(NEURON, NEURON_VALUES).root
    return page_with_view(root, tmp_path_factory.mktemp("update") / "neuron.html")


SMALL_NUMBERS = st.floats(-3, 3, allow_nan=False).map(lambda x: round(x, 3))


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(values=st.fixed_dictionaries({name: SMALL_NUMBERS for name in NEURON_VALUES}),
       step=st.integers(0, 9), decimals=st.sampled_from(["2", "4"]))
def test_update_shows_what_a_fresh_mount_of_the_new_numbers_shows(
        neuron_page, browser_page, values, step, decimals):
    browser_page.open(neuron_page)
    page = browser_page.page
    page.select_option("#decimals", decimals)
    go_to(page, step)
    new = neuron_data(values)
    page.evaluate("(data) => window.view.update(data)", new)
    updated = page.evaluate(READ_VIEW)
    assert updated["decimals"] == decimals  # the reader's choice and step are kept
    assert page.text_content("#counter") == (f"Step {step} of 9" if step else
                                             "Forward pass (9 backward steps to go)")
    # a fresh view of the new numbers, at the same step in the same decimals, shows the same
    page.evaluate("""([data, decimals]) => { window.view.destroy();
        window.view = window.mountSteps({...data, shown_decimals: decimals},
                                        document.getElementById("steps")); }""", [new, decimals])
    go_to(page, step)
    assert page.evaluate(READ_VIEW) == updated
    assert browser_page.errors == []


def test_update_of_a_seeded_pass_starts_the_root_at_the_new_seed(neuron_page, browser_page):
    """A seeded pass (the network lab's opened neuron: its output starts at what the loss sends
    back) gets a new seed for another point: the first step shown after update() has the
    root at the new seed's grad, as a fresh mount of the new data does."""
    browser_page.open(neuron_page)
    page = browser_page.page
    root = build(NEURON, NEURON_VALUES).root
    first, second = (page_data(fresh_pass(root, seed=seed)) for seed in (-0.25, 3.0))
    page.evaluate("""(data) => { window.view.destroy();
        window.view = window.mountSteps(data, document.getElementById("steps")); }""", first)
    go_to(page, 1)
    page.evaluate("(data) => window.view.update(data)", second)
    updated = page.evaluate(READ_VIEW)
    assert "grad 3.0000" in updated["texts"] and "grad -0.2500" not in updated["texts"]
    page.evaluate("""(data) => { window.view.destroy();
        window.view = window.mountSteps(data, document.getElementById("steps")); }""", second)
    go_to(page, 1)
    assert page.evaluate(READ_VIEW) == updated
    assert browser_page.errors == []


def test_update_keeps_presentation_zoom_and_play(neuron_page, browser_page):
    browser_page.open(neuron_page)
    page = browser_page.page
    page.click("#present")
    page.click("#zoom")
    page.select_option("#speed", "300")
    page.click("#play")
    page.wait_for_function("document.getElementById('counter').textContent.startsWith('Step')")
    values = dict(NEURON_VALUES, b=1.5)
    page.evaluate("(data) => window.view.update(data)", neuron_data(values))
    assert page.get_attribute("#present", "aria-pressed") == "true"
    assert "presenting" in page.get_attribute("#steps", "class").split()
    assert page.text_content("#zoom") == "Fit to window"
    assert page.text_content("#play") == "Pause"  # still playing, on to the end
    page.wait_for_function("document.getElementById('counter').textContent === 'Step 9 of 9'")
    assert page.text_content("#play") == "Play"
    steps = list(backward_steps(build(NEURON, values).root))
    assert page.text_content("#sentence") == str(steps[-1])  # the new numbers' last step
    assert browser_page.errors == []


def fan(x: float) -> Value:
    """x feeds 18 factors: a fan, so draw_dot puts every edge's number in its tooltip."""
    a = Value(x, "a")
    y = a
    for _ in range(17):
        y = y * a
    y.label = "y"
    return y


@pytest.mark.parametrize("graph", ["neuron", "fan"])
def test_edge_labels_and_tooltips_come_from_the_data(graph, tmp_path, browser_page):
    """A picture drawn for other numbers than the data it shows (the lab lays a structure out
    once, for its first numbers): each edge shows the data's local derivative."""
    if graph == "neuron":
        drawn_root, shown_root = (build(NEURON, NEURON_VALUES).root,
                                  build(NEURON, dict(NEURON_VALUES, x1=-0.5, w2=4.0)).root)
    else:
        drawn_root, shown_root = fan(1.5), fan(-0.75)
    text = save_steps_html(drawn_root, tmp_path / "drawn.html").read_text(encoding="utf-8")
    svg = text[text.index("<svg"):text.index("</svg>") + len("</svg>")]
    path = tmp_path / "page.html"
    path.write_text(steps_page("t", svg, page_data(fresh_pass(shown_root))), encoding="utf-8")
    browser_page.open(path)
    page = browser_page.page
    read_edges = """() => Object.fromEntries(Array.from(document.querySelectorAll(
        "#graph g.edge"), (g) => [g.id, [...Array.from(g.querySelectorAll("text"),
        (t) => t.textContent), ...Array.from(g.querySelectorAll("a"),
        (a) => a.getAttribute("xlink:title"))]]))"""
    index = {node: i for i, node in enumerate(topological_order(shown_root))}
    for decimals in (4, 2):
        page.select_option("#decimals", str(decimals))
        edges = page.evaluate(read_edges)
        for node, i in index.items():
            for k, local in enumerate(node.local_grads):
                assert edges[f"e{i}_{k}"] == [f"\u00d7{format_number(local, decimals)}"]
    assert browser_page.errors == []


def test_after_update_destroy_leaves_the_picture_drawn_for_the_new_numbers(tmp_path,
                                                                         browser_page):
    browser_page.open(page_with_view(fan(1.5), tmp_path / "fan.html"))
    page = browser_page.page
    page.keyboard.press("End")
    page.evaluate("""(data) => { window.view.update(data); window.view.destroy(); }""",
                  page_data(fresh_pass(fan(-0.75))))
    texts, tips = drawn_texts(fan(-0.75), tmp_path)
    shown = page.evaluate("""() => { const svg = document.querySelector("#steps svg");
        return [Array.from(svg.querySelectorAll("text"), (t) => t.textContent),
                Array.from(svg.querySelectorAll("a"), (a) => a.getAttribute("xlink:title"))];
    }""")
    assert shown == [texts, tips]
    assert page.evaluate("document.querySelectorAll('#panel, #handout, #done').length") == 0
    assert browser_page.errors == []


def test_update_refuses_another_graph_and_changes_nothing(neuron_page, browser_page):
    browser_page.open(neuron_page)
    page = browser_page.page
    page.keyboard.press("End")
    before = page.evaluate(READ_VIEW)
    other = page_data(fresh_pass(build("o = tanh(x1*w1 + b)", {"x1": 1, "w1": 2, "b": 3}).root))
    message = page.evaluate("""(data) => { try { window.view.update(data); return null; }
        catch (e) { return e.message; } }""", other)
    assert message is not None and "mountSteps" in message and "destroy()" in message
    assert page.evaluate(READ_VIEW) == before
    assert browser_page.errors == []


def test_settings_give_back_the_readers_choices_and_a_mount_with_them_keeps_them(
        neuron_page, browser_page):
    browser_page.open(neuron_page)
    page = browser_page.page
    data = neuron_data(NEURON_VALUES)
    settings = "() => window.view.settings()"
    assert page.evaluate(settings) == {"shown_decimals": data["shown_decimals"],
                                       "presenting": False}
    page.select_option("#decimals", "2")
    page.click("#present")
    go_to(page, 5)
    chosen = page.evaluate(settings)
    assert chosen == {"shown_decimals": 2, "presenting": True}  # as page_data writes them
    before = page.evaluate(READ_VIEW)
    page.evaluate("""([data, chosen]) => { window.view.destroy();
        window.view = window.mountSteps({...data, ...chosen, shown_step: 5},
                                        document.getElementById("steps")); }""", [data, chosen])
    assert page.evaluate(READ_VIEW) == before  # step 5, in 2 decimals
    assert page.get_attribute("#present", "aria-pressed") == "true"
    assert "presenting" in page.get_attribute("#steps", "class").split()
    assert page.evaluate(settings) == chosen
    assert browser_page.errors == []


def test_a_quiz_mounted_at_a_later_step_opens_at_its_first_unanswered_one(tmp_path,
                                                                        browser_page):
    root = build(NEURON, NEURON_VALUES).root
    browser_page.open(page_with_view(root, tmp_path / "quiz.html", quiz=True))
    page = browser_page.page
    page.evaluate("""(data) => { window.view.destroy();
        window.view = window.mountSteps({...data, quiz: true, shown_step: 5},
                                        document.getElementById("steps")); }""",
                  neuron_data(NEURON_VALUES, quiz=True))
    assert page.text_content("#counter") == "Step 1 of 9"
    first = next(iter(backward_steps(root)))
    assert page.text_content("#sentence") == question(first) + " = ?"  # asked, not shown
    assert browser_page.errors == []


@pytest.mark.parametrize("graph", ["neuron", "fan"])
@pytest.mark.parametrize("quiz", [False, True])
def test_destroy_leaves_the_picture_as_drawn(graph, quiz, tmp_path, browser_page):
    """What the network page relies on: a view taken away, in whatever decimals and at whatever
    step, leaves draw_dot's texts and tooltips (and no class of its own) in the picture."""
    root = build(NEURON, NEURON_VALUES).root if graph == "neuron" else fan(1.5)
    browser_page.open(page_with_view(root, tmp_path / "page.html", quiz=quiz))
    page = browser_page.page
    page.select_option("#decimals", "2")
    go_to(page, 1)
    read = """() => { const svg = document.querySelector("#steps svg");
        return [Array.from(svg.querySelectorAll("text"), (t) => t.textContent),
                Array.from(svg.querySelectorAll("a"), (a) => a.getAttribute("xlink:title")),
                Array.from(svg.querySelectorAll("[class]"), (e) => e.getAttribute("class"))
                  .filter((c) => !["", "graph", "node", "edge", "cluster"].includes(c))];
    }"""
    texts, tips = drawn_texts(root, tmp_path)
    assert page.evaluate(read) != [texts, tips, []]  # the view's own numbers and classes
    page.evaluate("window.view.destroy()")
    assert page.evaluate(read) == [texts, tips, []]
    assert browser_page.errors == []
