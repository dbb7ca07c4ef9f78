"""save_steps_html: one self-contained page that steps through backward, checked in real Chromium.

The browser tests use the `browser_page` fixture of conftest.py (Debian's headless Chromium).
"""

import re
import shutil
from pathlib import Path

import pytest

from autograd import Value, backward_steps, save_steps_html, topological_order
from autograd.draw import GraphvizMissingError
from autograd.snapshot import graph_snapshot
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
