"""Printing the step-through page makes a handout: the graph fitted to the paper's width, no
buttons, and every step's sentence as a numbered list (in the page for print, hidden on
screen). Checked in real headless Chromium (the `browser_page` fixture of conftest.py) with the
print media emulated, and by printing a PDF with Chromium's own `page.pdf()`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from autograd import backward_steps, save_steps_html
from autograd.formula import build
from autograd.snapshot import graph_snapshot

LECTURE = "tanh(x1*w1 + x2*w2 + b)"
LECTURE_VALUES = {"x1": 2, "x2": 0, "w1": -3, "w2": 1, "b": 6.8813735870195432}

HANDOUT = "Array.from(document.querySelectorAll('#handout-steps li')).map(li => li.textContent)"
VISIBLE_CONTROLS = """() => Array.from(document.querySelectorAll('button, select, input'))
  .filter((e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; })
  .map((e) => e.id || e.tagName)"""
WIDTHS = """() => {
  const body = document.body, style = getComputedStyle(body);
  const content = body.clientWidth - parseFloat(style.paddingLeft)
    - parseFloat(style.paddingRight);
  return [document.querySelector('#graph svg').getBoundingClientRect().width, content];
}"""


def lecture():
    return build(LECTURE, LECTURE_VALUES).root


@pytest.fixture(scope="module")
def lecture_page(tmp_path_factory) -> Path:
    return save_steps_html(lecture(), tmp_path_factory.mktemp("print") / "neuron.html")


def test_on_screen_the_handout_list_is_hidden(lecture_page, browser_page):
    browser_page.open(lecture_page)
    page = browser_page.page
    assert not page.is_visible("#handout")
    assert page.is_visible("#next") and page.is_visible("#prev")


@pytest.mark.parametrize("decimals", [4, 2])
def test_print_media_has_no_buttons_every_sentence_and_the_graph_within_the_page(
        decimals, lecture_page, browser_page):
    browser_page.open(lecture_page)
    page = browser_page.page
    page.set_viewport_size({"width": 1920, "height": 1080})  # the screen it was shown on
    page.select_option("#decimals", str(decimals))
    page.keyboard.press("PageDown")
    page.emulate_media(media="print")
    assert page.evaluate(VISIBLE_CONTROLS) == []
    assert page.is_visible("#handout")
    steps = list(backward_steps(lecture()))
    assert page.evaluate(HANDOUT) == [step.describe(decimals) for step in steps]
    assert page.evaluate("document.querySelector('#handout-steps').tagName") == "OL"
    # the handout opens with the engine's own first sentence of the pass
    assert page.text_content("#handout p") == graph_snapshot(lecture()).start_sentence()
    svg, content = page.evaluate(WIDTHS)
    assert 0 < svg <= content
    assert page.is_visible("#grads")  # the table of every grad is part of the handout
    page.emulate_media(media="screen")
    assert page.is_visible("#next") and not page.is_visible("#handout")
    assert browser_page.errors == []


def page_count(pdf: bytes) -> int:
    """The pages of a PDF as Chromium writes it: one '/Type /Page' object each."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def test_pdf_of_the_lecture_neuron_is_a_short_handout(lecture_page, browser_page, tmp_path):
    browser_page.open(lecture_page)
    page = browser_page.page
    pdf = page.pdf(path=tmp_path / "handout.pdf", prefer_css_page_size=True,
                   print_background=True)
    assert pdf.startswith(b"%PDF-")
    assert 1 <= page_count(pdf) <= 3, page_count(pdf)
    assert (tmp_path / "handout.pdf").stat().st_size == len(pdf)
    assert browser_page.errors == []


def test_pdf_of_a_graph_with_many_steps_has_one_item_per_step(tmp_path, browser_page):
    from autograd import Value

    x = Value(0.5, "x")
    y = x
    for _ in range(30):  # 30 steps, more than a page of sentences
        y = y * 1.01 + x
    path = save_steps_html(y, tmp_path / "long.html")
    browser_page.open(path)
    page = browser_page.page
    page.emulate_media(media="print")
    assert len(page.evaluate(HANDOUT)) == len(list(backward_steps(y)))
    pdf = page.pdf(prefer_css_page_size=True)
    assert 1 <= page_count(pdf) <= 12
