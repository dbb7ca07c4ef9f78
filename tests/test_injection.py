"""Hostile text never becomes markup or script in the pages chainrule writes.

The training replay (nn.save_training_replay), the step-through page (autograd.save_steps_html)
and the gallery (demos/gallery.py) put user text into HTML: titles, Value labels and op names,
demo docstrings and file names. Each attempt below is opened in real headless Chromium (the
`browser_page` fixture of conftest.py) with alert / confirm / prompt hooked: nothing may run,
the page reports no error, the text shows literally, and the page still works. Hypothesis then
draws titles and checks the HTML itself in Python: exactly the expected <script> elements, the
title as text, and the JSON block parsing back to the data.
"""

from __future__ import annotations

import html.parser
import importlib.util
import json
import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograd import Value, save_steps_html
from autograd.html_page import fill, inline_css, inline_js
from nn import MLP, SGD, TrainingRecorder, fit, hinge_loss, save_training_replay
from nn.datasets import moons, to_pm1

ROOT = Path(__file__).resolve().parents[1]

HOSTILE = [
    "%DATA%",
    "%DATA% <img src=x onerror=alert(1)>",
    "%SVG%",
    "%TITLE%",
    "{{DATA}}",
    "{{SVG}} {{TITLE}}",
    "</script><script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<!--<script>",
    "\"'><svg onload=alert(1)>",
    "a\u2028b\u2029c",
    "</title><script>alert(1)</script>",
    "&lt;b&gt; &amp; \\u003c",
]

# Before any page script: every dialog is recorded instead of shown, so a test can see it ran.
HOOKS = """
window.__alerts = [];
for (const name of ["alert", "confirm", "prompt"]) {
  window[name] = (m) => { window.__alerts.push(name + ": " + String(m)); return null; };
}
"""

# dot runs once per example (no deadline: that would time it); tmp_path is reused on purpose
PROPERTY = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
# Titles for hypothesis: any text, with the hostile pieces mixed in often.
TITLES = st.lists(st.sampled_from(HOSTILE) | st.text(max_size=12), max_size=4).map("".join)


def hooked(browser_page, path: Path) -> None:
    browser_page.page.add_init_script(HOOKS)
    browser_page.open(path)


def assert_nothing_ran(browser_page) -> None:
    page = browser_page.page
    assert page.evaluate("window.__alerts") == []
    assert browser_page.errors == []
    assert browser_page.external_requests == []
    # no element a hostile string could have smuggled in
    assert page.evaluate("document.querySelectorAll('img, iframe').length") == 0
    assert page.evaluate("document.querySelectorAll('[onerror], [onload]').length") == 0


class Outline(html.parser.HTMLParser):
    """What a page's HTML holds, as Python's HTML parser reads it: the tags outside inline SVG,
    each script element (its type and text), and the texts of <title> and <h1>."""

    VOID = {"meta", "input", "br", "img", "link", "hr", "source", "wbr"}

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[tuple[str | None, str]] = []
        self.texts: dict[str, str] = {"title": "", "h1": ""}
        self.tags: list[str] = []  # outside <svg> (Graphviz gives each node a <title>)
        self._open: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if "svg" not in self._open:
            self.tags.append(tag)
        if tag == "script":
            self.scripts.append((dict(attrs).get("type"), ""))
        if tag not in self.VOID:
            self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._open:
            while self._open.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self._open and self._open[-1] == "script":
            kind, text = self.scripts[-1]
            self.scripts[-1] = (kind, text + data)
        if "svg" not in self._open:
            for tag in self.texts:
                if tag in self._open:
                    self.texts[tag] += data


# ---------------------------------------------------------------------------------------------
# The training replay


@pytest.fixture(scope="module")
def recorder() -> TrainingRecorder:
    X, y = moons(n=16, noise=0.1, seed=2)
    y = to_pm1(y)
    model = MLP(2, [3, 1], seed=0)
    # parameter labels never reach the page; hostile ones prove it
    for p in model.parameters():
        p.label = "<img src=x onerror=alert(1)>%DATA%"
    rec = TrainingRecorder(model, X, y, resolution=6)
    fit(model, X, y, hinge_loss, SGD(model.parameters(), lr=0.5), epochs=3, quiet=True,
        on_epoch=rec)
    return rec


@pytest.mark.parametrize("title", HOSTILE)
def test_replay_title_is_text_and_the_page_still_works(title, recorder, tmp_path, browser_page):
    path = save_training_replay(tmp_path / "replay.html", recorder, title=title)
    hooked(browser_page, path)
    page = browser_page.page
    assert page.evaluate("document.title") == title
    assert page.text_content("h1") == title
    assert page.evaluate("document.scripts.length") == 2
    assert page.text_content("#epoch-label") == "epoch 0 / 3"
    page.fill("#slider", "3")
    assert page.text_content("#epoch-label") == "epoch 3 / 3"
    assert page.locator("#loss-so-far").count() == 1
    assert page.locator("#network svg").count() == 1
    assert_nothing_ran(browser_page)


@PROPERTY
@given(title=TITLES)
def test_replay_html_holds_the_title_as_text_and_the_data_as_json(title, recorder, tmp_path):
    path = save_training_replay(tmp_path / "replay.html", recorder, title=title)
    text = path.read_bytes().decode("utf-8")  # read_text would turn a "\r" into "\n"
    outline = Outline(text)
    assert [kind for kind, _ in outline.scripts] == ["application/json", "module"]
    assert outline.tags.count("h1") == outline.tags.count("title") == 1
    assert outline.tags.count("svg") == 1  # the network (replay.js draws the loss curve)
    assert outline.texts["title"] == outline.texts["h1"] == title
    data = json.loads(outline.scripts[0][1])
    assert data["title"] == title
    assert len(data["frames"]) == len(recorder.frames) and len(data["points"]) == len(recorder.X)
    assert "</" not in outline.scripts[0][1] and "<!--" not in outline.scripts[0][1]


# ---------------------------------------------------------------------------------------------
# The step-through page


def hostile_graph(text: str) -> Value:
    """A graph whose labels hold `text` and whose hand-made op is the brief's <img> attempt."""
    a = Value(2.0, label="a" + text)
    b = Value(1.0, op="<img src=x onerror=alert(1)>", parents=(a,), local_grads=(1.0,))
    c = b * Value(3.0, label="{{DATA}}")
    c.label = "c" + text
    return c


@pytest.mark.parametrize("title", HOSTILE)
def test_steps_title_labels_and_ops_are_text(title, tmp_path, browser_page):
    root = hostile_graph(title)
    path = save_steps_html(root, tmp_path / "steps.html", title=title)
    hooked(browser_page, path)
    page = browser_page.page
    assert page.evaluate("document.title") == title
    assert page.text_content("h1") == title
    assert page.evaluate("document.scripts.length") == 2
    names = page.eval_on_selector_all("#grads td.name", "tds => tds.map(td => td.textContent)")
    assert "a" + title in names and "c" + title in names and "{{DATA}}" in names
    ops = page.eval_on_selector_all("#grads td.op", "tds => tds.map(td => td.textContent)")
    assert "<img src=x onerror=alert(1)>" in ops
    page.click("#next")
    assert page.text_content("#counter") == "Step 1 of 3"
    assert_nothing_ran(browser_page)


@PROPERTY
@given(title=TITLES)
def test_steps_html_holds_the_title_as_text_and_the_data_as_json(title, tmp_path):
    root = hostile_graph(title)
    path = save_steps_html(root, tmp_path / "steps.html", title=title)
    text = path.read_bytes().decode("utf-8")
    outline = Outline(text)
    assert [kind for kind, _ in outline.scripts] == ["application/json", "module"]
    assert outline.tags.count("h1") == outline.tags.count("title") == 1
    assert outline.texts["title"] == outline.texts["h1"] == title
    data = json.loads(outline.scripts[0][1])
    assert {node["name"] for node in data["nodes"]} >= {"a" + title, "c" + title, "{{DATA}}"}


# ---------------------------------------------------------------------------------------------
# The gallery


def load_gallery():
    spec = importlib.util.spec_from_file_location("gallery", ROOT / "demos" / "gallery.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tiny_png() -> bytes:
    """A valid 1x1 PNG, so the browser can say whether each <img> loaded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\x20\x60\xa0")) + chunk(b"IEND", b""))


# demo file name -> its docstring's first line; demo 02 has no pictures (its own message)
HOSTILE_DEMOS = {
    "01_<img src=x onerror=alert(1)>.py": "</h2><script>alert(1)</script> one & two",
    "02_\"'><svg onload=alert(1)>.py": "<!--<script> {{DATA}} %DATA%",
}
# picture and page names in the out folder, all of demo 01
HOSTILE_FILES = [
    "01_a#b.png", "01_100%.png", "01_what?x=1.png", "01_two words.png", "01_say \"hi\" it's.png",
    "01_<img src=x onerror=alert(1)>.png", "01_%DATA%.html", "01_a#b.html",
    "01_q\"'><svg onload=alert(1)>.html", "01_%41.html",
]


def hostile_gallery(tmp_path: Path) -> Path:
    demos, out = tmp_path / "demos", tmp_path / "out"
    demos.mkdir()
    out.mkdir()
    for name, line in HOSTILE_DEMOS.items():
        (demos / name).write_text(f'"""{line}\n\nMore words."""\n', encoding="utf-8")
    for name in HOSTILE_FILES:
        if name.endswith(".png"):
            (out / name).write_bytes(tiny_png())
        else:  # a page that says which file it is
            (out / name).write_text(f"<!DOCTYPE html><title>{json.dumps(name)}</title>",
                                    encoding="utf-8")
    (out / "01_a#b.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="2" '
                                    'height="2"><title>"01_a#b.svg"</title></svg>',
                                    encoding="utf-8")
    return load_gallery().build(out, demos_dir=demos)


def test_gallery_of_hostile_names_and_docstrings_runs_nothing(tmp_path, browser_page):
    index = hostile_gallery(tmp_path)
    hooked(browser_page, index)
    page = browser_page.page
    headings = page.eval_on_selector_all("h2", "hs => hs.map(h => h.textContent)")
    assert headings == [f"{line} demos/{name}" for name, line in HOSTILE_DEMOS.items()]
    codes = page.eval_on_selector_all("code", "cs => cs.map(c => c.textContent)")
    assert f"python demos/{list(HOSTILE_DEMOS)[1]}" in codes  # demo 02: no pictures yet
    shown = page.eval_on_selector_all("figure a:first-child",
                                      "as => as.map(a => a.textContent)")
    pages = sorted(n for n in HOSTILE_FILES if n.endswith(".html"))
    assert [s for s in shown if s] == [f"open {n}" for n in pages]
    assert page.evaluate("document.scripts.length") == 0
    assert page.evaluate("window.__alerts") == []
    assert page.evaluate("document.querySelectorAll('[onerror], [onload], script').length") == 0
    assert browser_page.errors == []
    assert browser_page.external_requests == []


# ---------------------------------------------------------------------------------------------
# The page's own files pasted in: a script or a stylesheet can hold '</script' or '<!--' too


ENDS = st.lists(st.sampled_from(["</script", "</SCRIPT>", "<!--", "<script>", "</style",
                                 "</StYlE >", "-->", "\\", '"', "x"]), max_size=8).map("".join)


@settings(max_examples=200, deadline=None)
@given(text=ENDS | st.text(max_size=30))
def test_inlined_script_and_style_cannot_end_their_element(text):
    js = inline_js(f"const s = {json.dumps(text)};")
    assert "</script" not in js.lower() and "<!--" not in js
    css = inline_css(f'p::after {{ content: {json.dumps(text)}; }}')
    assert "</style" not in css.lower()
    page = Outline(f"<script>{js}</script><p>after</p>")
    assert page.scripts == [(None, js)] and page.tags == ["script", "p"]


def test_inlined_script_and_style_read_back_as_written(tmp_path, browser_page):
    """The escapes are undone by JavaScript and CSS themselves: the same strings come back."""
    hostile = "</script><!--<script>alert(1)</script>--></style>"
    page_text = fill(
        "<!DOCTYPE html><html><head><style>{{CSS}}</style></head><body><p id=p>x</p>"
        "<script>{{JS}}</script></body></html>",
        CSS=inline_css(f"#p::after {{ content: {json.dumps(hostile)}; }}"),
        JS=inline_js(f"window.__s = {json.dumps(hostile)}; window.__r = /<!--/.test('<!--');"),
    )
    path = tmp_path / "inline.html"
    path.write_text(page_text, encoding="utf-8")
    hooked(browser_page, path)
    page = browser_page.page
    assert page.evaluate("window.__s") == hostile
    assert page.evaluate("window.__r") is True
    content = page.evaluate("getComputedStyle(document.getElementById('p'), '::after').content")
    assert json.loads(content) == hostile
    assert page.evaluate("document.scripts.length") == 1
    assert_nothing_ran(browser_page)


def test_a_placeholder_without_a_value_is_named():
    with pytest.raises(KeyError, match="SVG"):
        fill("<div>{{SVG}}</div>", TITLE="t")
