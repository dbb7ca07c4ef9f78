"""Assembling one self-contained HTML page from a template, data, a picture and asset files.

The static pages (the step-through page here, the training replay in `nn.replay`) are written
once and opened anywhere, offline: their JavaScript and CSS are real files in the package
(served as they are by the live lab) and are pasted into the saved page, with the graph's SVG
and the data as JSON. Each piece lands in a different part of the HTML, where the HTML parser
(not JavaScript, CSS or JSON) decides where an element ends, so each gets its own escaping:

- `fill`: the template's {{NAME}} placeholders, replaced in one pass;
- `script_json`: data inside <script type="application/json">;
- `inline_svg`: Graphviz's SVG document as an element of the page;
- `inline_css`, `inline_js`: a stylesheet or a script file inside <style> / <script>.

Text (titles, labels) goes through `html.escape` before `fill`; that is the caller's part.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

_PLACEHOLDER = re.compile(r"\{\{([A-Z]+)\}\}")


def fill(template: str, **values: str) -> str:
    """Replace each {{NAME}} of `template` by `values[NAME]`, in one pass.

    One pass, so text put in is never scanned again: a title "{{DATA}}" stays those eight
    characters. A placeholder without a value is a bug in the caller: KeyError naming it.
    """

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"the template has {{{{{name}}}}} but no value was given for it")
        return values[name]

    return _PLACEHOLDER.sub(value, template)


def script_json(data: object) -> str:
    """JSON to put inside <script type="application/json">.

    There the HTML parser, not JSON, decides where the element ends: '</script>' would end it
    and '<!--<script>' would make the parser run past its end into the next script. So no '<',
    '>' or '&' survives, nor the line separators U+2028 / U+2029; each becomes its \\u escape,
    which JSON.parse reads back. (Outside strings JSON has none of these characters, so only
    strings change.) nan and inf are refused: JSON has no such numbers.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return re.sub("[<>&\u2028\u2029]", lambda m: f"\\u{ord(m.group()):04x}", text)


def inline_svg(svg: str) -> str:
    """Graphviz's SVG document as an element for an HTML page.

    The XML prolog, DOCTYPE and comments go, and so do the xmlns attributes: the HTML parser
    puts <svg> in the SVG namespace by itself, and the page then holds no URL at all.
    """
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<!--.*?-->\n?", "", svg, flags=re.DOTALL)
    return re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg, count=2)


def inline_css(css: str) -> str:
    """A stylesheet's text, safe inside <style>: '</style' would end the element early.

    CSS reads '<\\/style' back as '</style' (a backslash before '/' is the character itself).
    """
    return re.sub(r"</(style)", r"<\\/\1", css, flags=re.IGNORECASE)


def inline_js(js: str) -> str:
    """A script's text, safe inside <script>.

    '</script' would end the element early, and '<!--' followed by '<script' would keep the
    parser from ending it at all. Both can only sit in a string, a regular expression, a
    template literal or a comment, where JavaScript reads '<\\/script' and '\\x3C!--' back as
    the same characters.
    """
    js = re.sub(r"</(script)", r"<\\/\1", js, flags=re.IGNORECASE)
    return js.replace("<!--", "\\x3C!--")


def asset(module_file: str, name: str) -> str:
    """The text of the file `name` next to the module `module_file` (pass `__file__`)."""
    return Path(module_file).with_name(name).read_text(encoding="utf-8")
