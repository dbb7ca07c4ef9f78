"""What reaches Graphviz is text, never markup, and every `dot` run ends (issue 11, items 4-5).

Item 4: a label, an op name, a cluster name or a rule is user text. Graphviz reads a string
wrapped in <...> as an HTML-like label, whose <table href="..."> becomes a link in the SVG (and
in the step-through page), and dot has limits of its own (a quoted string of 16,384 bytes or
more is a syntax error; a NUL ends it; entities such as &#1; put control characters into the
SVG). Whatever the text, the picture shows it and holds no link, or we raise GraphvizError.

Item 5: every `dot` run goes through `run_dot`, which stops dot after a time limit and says
what to do; and a Value used by many ops (x*x*...*x) no longer makes dot take minutes.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from unittest.mock import patch

import graphviz
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from autograd import RULES, Value, draw_dot, render, save_steps_html, topological_order
from autograd.draw import (
    DOT_TIMEOUT,
    FANOUT_LIMIT,
    LABEL_CHARS,
    GraphvizError,
    GraphvizMissingError,
    GraphvizTimeoutError,
    run_dot,
    visible,
)
from autograd.trace import format_number

SVG = "{http://www.w3.org/2000/svg}"
TITLE = "{http://www.w3.org/1999/xlink}title"
# everything Graphviz's SVG renderer writes for our pictures; <a> only for tooltips
GRAPHVIZ_TAGS = {"svg", "g", "title", "text", "path", "polygon", "polyline", "ellipse", "a"}

# An HTML-like label whose table is a link: before the fix, under cluster="label-prefix" or as
# an op name, this became <a xlink:href="javascript:alert(1)"> in the SVG.
TABLE_LINK = '<<table href="javascript:alert(1)"><tr><td>x</td></tr></table>>'
ANCHOR = '<a href="javascript:alert(1)">x</a>'  # the example (dot rejected it outright)

ODD_TEXT = [
    TABLE_LINK, ANCHOR, '"', 'say "hi"', "\\", "ends with a backslash\\", "\\\\", "\\N \\G \\E",
    "\\n", "two\nlines", "nul\x00here", "\ud800", "a\udfffb", "\U0001f600 \U00010348",
    "&#1;", "&#0;", "&#xD800;", "&amp;", "&lt;b&gt;", "tab\there", "\x7f\x85\u200d\u202e",
    "\ufffe\uffff", "{record|syntax}<port>", " ", "",
]


def safe_svg(svg: bytes) -> ET.Element:
    """The SVG parsed as XML (it must be well-formed), after checking it holds no link, script
    or event handler: only Graphviz's own elements, and <a> only with a tooltip (xlink:title)."""
    root = ET.fromstring(svg)
    for element in root.iter():
        tag = element.tag.removeprefix(SVG)
        assert tag in GRAPHVIZ_TAGS, tag
        if tag == "a":
            assert set(element.attrib) == {TITLE}, element.attrib
        for name, value in element.attrib.items():
            assert "href" not in name.lower() and not name.lower().startswith("on"), name
            if name != TITLE:  # a tooltip is shown as text, so it may say anything
                assert "javascript:" not in value.lower(), (name, value)
    return root


def group(root: ET.Element, element_id: str) -> ET.Element:
    (found,) = [g for g in root.iter(SVG + "g") if g.get("id") == element_id]
    return found


def texts(element: ET.Element) -> list[str]:
    return [t.text or "" for t in element.iter(SVG + "text")]


def name_in(box: ET.Element) -> str:
    """The name a Value's box shows, as `as_drawn` gives it ('' when it is blank: dot then
    writes no text for that field, only data and grad)."""
    lines = texts(box)
    return as_drawn(lines[0]) if len(lines) == 3 else ""


def tooltip(element: ET.Element) -> str | None:
    anchors = list(element.iter(SVG + "a"))
    return anchors[0].get(TITLE) if anchors else None


def as_drawn(text: str) -> str:
    """Text as dot writes it in the SVG: it turns every other space of a run into a no-break
    space and drops a record field's outer spaces."""
    return " ".join(text.replace("\u00a0", " ").split())


def shortened(text: str) -> str:
    text = visible(text)
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def dot_children() -> list[str]:
    """The `dot` processes that are children of this one (zombies included): none must be left
    after a run, finished or stopped."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # it ended while we looked
            continue
        command, rest = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:]
        if command == "dot" and int(rest.split()[1]) == os.getpid():
            found.append(entry.name)
    return found


# --- item 4: user text is text --------------------------------------------------------------


@pytest.mark.parametrize("prefix", [TABLE_LINK, ANCHOR])
def test_an_html_like_cluster_name_is_drawn_as_text_not_as_a_link(prefix):
    w = Value(1.5, prefix + ".w0")
    out = w * 2.0
    out.backward()
    root = safe_svg(run_dot(draw_dot(out, cluster="label-prefix")))
    (cluster,) = [g for g in root.iter(SVG + "g") if g.get("class") == "cluster"]
    assert as_drawn(" ".join(texts(cluster))) == as_drawn(shortened(prefix))
    cut = len(prefix) > LABEL_CHARS  # then the picture shows the start, the tooltip it all
    assert tooltip(cluster) == (prefix if cut else None)
    assert name_in(group(root, "n0")) == as_drawn(shortened(prefix + ".w0"))


@pytest.mark.parametrize("op", [TABLE_LINK, ANCHOR])
def test_an_html_like_op_name_is_drawn_as_text_in_the_picture_and_the_step_page(op, tmp_path):
    a = Value(1.5, "a")
    out = Value(3.0, op=op, parents=(a,), local_grads=(2.0,))
    for show_rules in (False, True):
        root = safe_svg(run_dot(draw_dot(out, show_rules=show_rules)))
        assert as_drawn(texts(group(root, "n1_op"))[0]) == as_drawn(shortened(op))
    page = save_steps_html(out, tmp_path / "steps.html").read_text(encoding="utf-8")
    svg = page[page.index("<svg"):page.index("</svg>") + len("</svg>")]
    assert 'href="' not in svg  # the op's own href=&quot; is text
    safe_svg(svg.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg" '
                         'xmlns:xlink="http://www.w3.org/1999/xlink"', 1).encode())


def test_the_step_page_of_an_html_like_op_has_no_link_to_click(tmp_path, browser_page):
    a = Value(1.5, ANCHOR + ".w0")
    out = Value(3.0, op=TABLE_LINK, parents=(a,), local_grads=(2.0,))
    browser_page.open(save_steps_html(out, tmp_path / "steps.html"))
    page = browser_page.page
    assert page.evaluate("document.querySelectorAll('#graph [href], #graph a[*|href]').length") == 0
    shown = page.eval_on_selector_all("#graph text", "ts => ts.map(t => t.textContent)")
    assert shortened(TABLE_LINK) in shown and shortened(ANCHOR + ".w0") in shown
    page.keyboard.press("ArrowRight")  # the page still steps through the pass
    assert page.text_content("#counter") != ""
    assert browser_page.errors == []


def test_a_rule_written_by_hand_is_text_in_its_tooltip_and_label():
    a = Value(1.5, "a")
    out = Value(3.0, op="myop", parents=(a,), local_grads=(2.0,))
    with patch.dict(RULES, {"myop": TABLE_LINK + "\\N\n&#1;"}):
        root = safe_svg(run_dot(draw_dot(out, show_rules=True)))
    op = group(root, "n1_op")
    assert tooltip(op) == TABLE_LINK + "\\N\n&#1;"  # the newline is the rule's own
    assert texts(op)[0] == "myop" and as_drawn(texts(op)[1]) == as_drawn(shortened(TABLE_LINK))


@pytest.mark.parametrize("label", ODD_TEXT)
def test_odd_labels_render_as_themselves(label):
    """Quotes, backslashes (a last one too), newlines, NUL, lone surrogates, emoji, entities,
    controls and record syntax: the box shows the label, non-printable characters written as
    their Python escapes (NUL as \\x00, a newline as \\n), and the step line names it too."""
    a = Value(2.0, label)
    out = a * a
    out.backward()
    for highlight in (None, 1):
        root = safe_svg(run_dot(draw_dot(out, highlight=highlight, show_contributions=True)))
        assert name_in(group(root, "n0")) == as_drawn(shortened(label or "leaf1"))
    step = " ".join(texts(group(root, "e1_0")))
    assert as_drawn(step).startswith(as_drawn(f"step 1: {shortened(label or 'leaf1')}.grad += "))


def test_a_label_past_dots_limits_is_cut_in_the_box_and_kept_in_the_tooltip():
    """dot 2.43 refuses a quoted string of 16,382 bytes or more ("syntax error ... scanning a
    quoted string (missing endquote? longer than 16384?)"). A box shows LABEL_CHARS characters;
    the tooltip keeps the whole label up to TOOLTIP_CHARS (well inside dot's limit)."""
    from autograd.draw import TOOLTIP_CHARS

    for label in ["x" * 2000 + "end", "é" * 20_000, "\ud800" * 20_000, "&\\" * 20_000]:
        root = safe_svg(run_dot(draw_dot(Value(1.0, label) * 2.0)))
        box = group(root, "n0")
        assert texts(box)[0] == shortened(label) and len(texts(box)[0]) == LABEL_CHARS
        tip, whole = tooltip(box), visible(label)
        if len(whole) <= TOOLTIP_CHARS:
            assert tip == whole
        else:
            assert len(tip) == TOOLTIP_CHARS and tip == whole[:TOOLTIP_CHARS - 1] + "…"


def test_draw_network_passes_its_text_through_the_same_escaping():
    import nn

    model = nn.MLP(2, [2, 1], seed=0)
    for neuron in model.layers[0].neurons:  # a subclass could name its activation anything
        neuron.activation = TABLE_LINK + "\\"
    root = safe_svg(run_dot(nn.draw_network(model)))
    assert as_drawn(shortened(TABLE_LINK + "\\")) in as_drawn(" ".join(texts(root)))
    assert TABLE_LINK + "\\" in tooltip(group(root, "L0n0"))


labels = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=40),  # surrogates, controls, emoji
    st.sampled_from(ODD_TEXT),
    st.tuples(st.sampled_from(ODD_TEXT + ["ab"]), st.integers(1, 9000)).map(lambda t: t[0] * t[1]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(label=labels, op=labels, prefix=labels, rule=labels)
@example(label="\\", op=TABLE_LINK, prefix=ANCHOR, rule="\ud800")
def test_any_text_gives_a_safe_svg_that_shows_it_or_a_clear_graphviz_error(
    label, op, prefix, rule
):
    a = Value(1.5, label)
    w = Value(-2.0, f"{prefix}.w0")
    out = Value(0.5, op=op, parents=(a, w), local_grads=(1.0, -1.0))
    out.backward()
    with patch.dict(RULES, {op: rule}):
        digraph = draw_dot(out, cluster="label-prefix", show_rules=True, highlight=1,
                           show_contributions=True)
    try:
        svg = run_dot(digraph)
    except GraphvizError as error:  # allowed, if it says what happened
        assert str(error).startswith("Graphviz's dot"), error
        return
    assert b"javascript:" not in svg or any("javascript:" in t for t in (label, op, prefix, rule))
    root = safe_svg(svg)
    order = topological_order(out)
    box = group(root, f"n{order.index(a)}")
    assert name_in(box) == as_drawn(shortened(label or "leaf1"))


# --- item 5: every dot run ends ---------------------------------------------------------------


def product(factors: int) -> Value:
    from autograd.formula import build, parse, parse_assignments

    graph = build(parse("*".join(["x"] * factors)), parse_assignments(["x=2"]))
    graph.root.backward()
    return graph.root


def pathological(steps: int = 150) -> graphviz.Digraph:
    """A chain with labelled edges and one node feeding every link, drawn the way draw_dot drew
    x*x*...*x before the fix: dot takes minutes over it (2.43: 30 s and more for 120 links)."""
    g = graphviz.Digraph()
    g.attr(rankdir="LR")
    for k in range(steps):
        g.edge(f"v{k}", f"v{k + 1}", label="×2")
        g.edge("x", f"v{k + 1}", label="×2")
    return g


def test_a_slow_layout_is_stopped_with_advice_and_leaves_no_dot_process():
    assert dot_children() == []
    with pytest.raises(GraphvizTimeoutError) as stopped:
        run_dot(pathological(), timeout=1.0)
    message = str(stopped.value)
    assert "within 1 s" in message and "show_local_grads=False" in message
    assert "DOT_TIMEOUT" in message
    assert dot_children() == []


def test_a_render_that_runs_out_of_time_writes_no_file(tmp_path):
    a = Value(2.0, "a")
    with pytest.raises(GraphvizTimeoutError, match="within 0.001 s"):
        render(draw_dot(a * a), tmp_path / "graph", formats=("svg", "png"), timeout=0.001)
    assert list(tmp_path.iterdir()) == []
    assert dot_children() == []


def test_dot_failures_become_graphviz_errors_with_dots_own_words(monkeypatch):
    with pytest.raises(GraphvizError, match="syntax error in line 1") as failed:
        run_dot(graphviz.Source("digraph { a -> }"))
    assert not isinstance(failed.value, GraphvizTimeoutError)
    with pytest.raises(GraphvizError, match="UTF-8 cannot encode"):
        run_dot(graphviz.Source('digraph { a [label="\ud800"] }'))
    with pytest.raises(ValueError, match="format"):
        run_dot(draw_dot(Value(1.0)), "svg -o /tmp/x")
    monkeypatch.setenv("PATH", "")  # no dot on PATH: how to install it, never FileNotFoundError
    with pytest.raises(GraphvizMissingError, match="apt-get install graphviz"):
        run_dot(draw_dot(Value(1.0)))


def test_a_sixty_factor_product_draws_within_the_normal_limit(tmp_path):
    """x*x*...*x (60 factors, 119 characters): x feeds 60 ops. Before the fix dot took two
    minutes; now x's edges carry no labels (their numbers are in their tooltips) and weight 0,
    and the graph's other edges none either, see FANOUT_LIMIT. Rendered under DOT_TIMEOUT."""
    root = product(60)
    (svg_path,) = render(draw_dot(root), tmp_path / "product")
    svg = safe_svg(svg_path.read_bytes())
    order = topological_order(root)
    x = order[0]
    assert x.label == "x" and sum(p is x for node in order for p in node.parents) == 60
    ids = {g.get("id") for g in svg.iter(SVG + "g")}
    for i, node in enumerate(order):  # the promised ids are all there
        assert f"n{i}" in ids
        for k in range(len(node.parents)):
            edge = group(svg, f"e{i}_{k}")
            assert texts(edge) == []  # no label ...
            local = node.local_grads[k]  # the number the label would show
            assert tooltip(edge) == f"×{format_number(local)}"
    note = [t for t in texts(svg) if t.startswith("edge numbers are in the edges' tooltips")]
    assert note and "x feeds 60 ops" in as_drawn(note[0])  # the picture says why
    assert DOT_TIMEOUT >= 20


def test_a_fan_out_up_to_the_limit_keeps_its_labels():
    root = product(FANOUT_LIMIT)  # x feeds FANOUT_LIMIT op inputs (x*x counts two)
    source = draw_dot(root).source
    assert source.count("label=\"×") == 2 * (FANOUT_LIMIT - 1) and "weight=0" not in source
    assert "tooltips" not in source
    more = draw_dot(product(FANOUT_LIMIT + 1)).source
    assert "label=\"×" not in more and more.count("weight=0") == FANOUT_LIMIT + 1
    highlighted = draw_dot(product(FANOUT_LIMIT + 1), highlight=1).source
    assert highlighted.count('label="step 1:') == 1  # the step asked for is still spelled out


def test_chainrule_explain_draws_the_sixty_factor_product(tmp_path, capsys):
    from chainrule.cli import main

    formula = "*".join(["x"] * 60)
    assert len(formula) == 119
    assert main(["explain", formula, "x=2", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.png", "graph.svg", "steps.html"]
    assert re.search(r"x\.grad = ", capsys.readouterr().out)
