"""The gallery (demos/gallery.py -> out/index.html) shows every picture the demos write, a
sentence each, and opens cleanly in real headless Chromium (fixtures in conftest.py)."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_demos import DEMOS, EXPECTED_FILES, ROOT, run_demo, tour_dir

GALLERY = ROOT / "demos" / "gallery.py"


@pytest.fixture(scope="module")
def gallery(tmp_path_factory) -> Path:
    """Every demo (fast setting) into one folder, then the gallery script over it."""
    out_dir = tour_dir(tmp_path_factory)
    for demo in DEMOS:
        run_demo(demo.stem, out_dir)
    result = subprocess.run([sys.executable, str(GALLERY), str(out_dir)], capture_output=True,
                            text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    index = out_dir / "index.html"
    assert f"gallery: {index.resolve()}" in result.stdout  # it prints where it wrote the page
    return index


def test_gallery_lists_every_picture_and_page_with_a_sentence(gallery):
    text = gallery.read_text(encoding="utf-8")
    pictures = sorted(p.name for p in gallery.parent.glob("[0-9][0-9]_*")
                      if p.suffix in (".png", ".html"))
    expected = [n for names in EXPECTED_FILES.values() for n in names if not n.endswith(".svg")]
    assert set(expected) <= set(pictures)
    srcs = re.findall(r'<img src="([^"]+)"', text)
    pages = re.findall(r'<a class="page" href="([^"]+)"', text)
    # a graph is shown from its SVG (sharp at a projector's size), a plot from its PNG
    shown = [Path(n).with_suffix(".svg").name
             if n.endswith(".png") and (gallery.parent / n).with_suffix(".svg").exists() else n
             for n in pictures]
    assert sorted(srcs + pages) == sorted(shown)
    assert any(src.endswith(".svg") for src in srcs) and any(s.endswith(".png") for s in srcs)
    assert 'class="missing-caption"' not in text, "a picture without its sentence"
    assert text.count("<figcaption>") == len(pictures)
    for demo in DEMOS:  # a section per demo, titled with its docstring's first line
        assert f"demos/{demo.name}" in text
    assert "http://" not in text and "https://" not in text  # works offline


def test_gallery_opens_in_chromium_with_every_image_loaded(gallery, browser_page):
    browser_page.open(gallery)
    page = browser_page.page
    # lazy images load as they scroll into view: bring each one in, then wait for them all
    page.evaluate("document.querySelectorAll('img').forEach(i => i.loading = 'eager')")
    page.wait_for_function(
        "Array.from(document.images).every(i => i.complete)", timeout=30_000)
    images = page.evaluate(
        "Array.from(document.images).map(i => [i.getAttribute('src'), i.naturalWidth])")
    assert len(images) == len(list(gallery.parent.glob("[0-9][0-9]_*.png")))
    broken = [src for src, width in images if width == 0]
    assert broken == [], f"images that did not load: {broken}"
    assert browser_page.errors == []
    assert browser_page.external_requests == []


def test_every_step_through_and_replay_page_linked_opens_without_errors(gallery, browser_page):
    text = gallery.read_text(encoding="utf-8")
    pages = re.findall(r'<a class="page" href="([^"]+)"', text)
    assert len(pages) >= 3  # two step-throughs and the moons replay at least
    for name in pages:
        browser_page.open(gallery.parent / name)
        assert browser_page.page.locator("svg").count() >= 1, name
    assert browser_page.errors == []
    assert browser_page.external_requests == []


def test_file_names_with_url_characters_link_to_their_own_files(tmp_path, browser_page):
    """'#', '?', '%', spaces and quotes in a file name: each picture loads and each link opens
    that very file (not a fragment, a query or a percent-decoded other name)."""
    from test_injection import HOSTILE_FILES, hostile_gallery

    index = hostile_gallery(tmp_path)
    browser_page.open(index)
    page = browser_page.page
    page.evaluate("document.querySelectorAll('img').forEach(i => i.loading = 'eager')")
    page.wait_for_function("Array.from(document.images).every(i => i.complete)",
                           timeout=30_000)
    images = page.evaluate("Array.from(document.images).map(i => [i.src, i.naturalWidth])")
    assert all(w > 0 for _, w in images), f"images that did not load: {images}"
    links = page.evaluate("""Array.from(document.querySelectorAll('figure a')).map(a => {
        const url = new URL(a.href);
        return [decodeURIComponent(url.pathname.split('/').pop()), url.search, url.hash];
    })""")
    linked = [name for name, search, fragment in links if search == fragment == ""]
    pngs = [n for n in HOSTILE_FILES if n.endswith(".png")]
    pages = [n for n in HOSTILE_FILES if n.endswith(".html")]
    expected = ["01_a#b.svg"] + [n for n in pngs if n != "01_a#b.png"] + pages
    assert sorted(linked) == sorted(expected)
    srcs = page.evaluate("""Array.from(document.images).map(i =>
        decodeURIComponent(new URL(i.src).pathname.split('/').pop()))""")
    assert sorted(srcs) == sorted("01_a#b.svg" if n == "01_a#b.png" else n for n in pngs)
    opened = []
    for href in page.evaluate("Array.from(document.querySelectorAll('a.page')).map(a => a.href)"):
        page.goto(href, wait_until="load")  # where a click goes: each page names its own file
        opened.append(json.loads(page.title()))
    assert sorted(opened) == sorted(pages)
    assert browser_page.errors == []
    assert browser_page.external_requests == []
