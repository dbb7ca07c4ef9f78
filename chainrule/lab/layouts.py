"""Layout once, numbers many times: the lab's cache of graphs laid out by `dot`.

Laying a graph out is the slow part of a picture (`dot` takes tens of milliseconds for a small
graph, seconds for a big one), and a slider move changes no structure, only numbers. So the
SVG of each structure is made once, and turned into a template: the SVG text cut at every
number that depends on the values, the data and grad of each box (`n{i}`) and the local
derivative on each edge (`e{i}_{k}`, in its label or, where draw_dot moved it there, its
tooltip). A later request with the same structure gets the template filled with its own
numbers, written as dot writes them: the same SVG a fresh `dot` run would give, except that the
boxes keep the widths laid out for the first numbers.

The key is the structure itself, as draw_dot sees it: every node's op, its operands' places and
its name, in topological order (hashed). So "x*w + b" and "x * w+b" share a layout, while a
different constant (x*2 vs x*3) or value shares it too: constants are no nodes, only numbers.

Bounded: at most `max_entries` layouts and `max_bytes` of SVG text, the least recently used
going first; at most `dot_slots` dot processes at once, each stopped after `dot_timeout`
seconds, and a structure dot could not lay out in that time is refused at once the next time.
Two requests for a structure not laid out yet run dot once: the second waits for the first.
The cache holds no file and reads none: everything is in memory.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from autograd.draw import GraphvizTimeoutError, run_dot
from autograd.html_page import inline_svg
from autograd.trace import format_number
from chainrule.lab.guard import Busy

if TYPE_CHECKING:
    from autograd.explanation import Explanation
    from autograd.snapshot import GraphSnapshot

DOT_TIMEOUT = 8.0  # seconds: a formula the CLI accepts lays out in well under one

# A node or edge group of dot's SVG: <g id="n3" class="node"> or <g id="e3_0" class="edge">.
# Anything up to the next such group (or a cluster) belongs to it, its tooltip's <a> included.
_GROUP = re.compile(r'<g id="([^"]+)" class="(node|edge|cluster)">')
_NODE_ID = re.compile(r"n(\d+)")
_EDGE_ID = re.compile(r"e(\d+)_(\d+)")
_BOX_NUMBER = re.compile(r">(data|grad) ([^<]*)</text>")
_EDGE_NUMBER = re.compile(r'(?:>×([^<]*)</text>)|(?:xlink:title="×([^"]*)")')


def structure_key(snapshot: GraphSnapshot) -> str:
    """A key of what `dot` lays out: each node's op, its operands (by place) and its name."""
    index = snapshot.index
    parts = [f"{node.op}|{','.join(str(index[p]) for p in node.parents)}|{snapshot.names[node]}"
             for node in snapshot.order]
    return hashlib.sha256("\n".join(parts).encode("utf-8", "backslashreplace")).hexdigest()[:20]


def svg_number(x: float) -> str:
    """A number as dot writes it into SVG text: format_number's text, '-' as &#45;."""
    return format_number(x).replace("-", "&#45;")


# A slot: which number goes there. ("data", i) / ("grad", i): node i's; ("local", i, k): the
# local derivative of node i with respect to its operand k.
Slot = tuple


@dataclass(frozen=True)
class SvgTemplate:
    """An SVG cut at its numbers: text, slot, text, slot, ..., text."""

    texts: tuple[str, ...]
    slots: tuple[Slot, ...]

    def fill(self, explanation: Explanation) -> str:
        """The SVG with `explanation`'s numbers (a graph of the same structure)."""
        order, grads = explanation.run.snapshot.order, explanation.grads
        out = [self.texts[0]]
        for slot, text in zip(self.slots, self.texts[1:]):
            kind, i = slot[0], slot[1]
            node = order[i]
            if kind == "data":
                x = node.data
            elif kind == "grad":
                x = grads[node]
            else:
                x = node.local_grads[slot[2]]
            out.append(svg_number(x))
            out.append(text)
        return "".join(out)

    @property
    def size(self) -> int:
        return sum(map(len, self.texts))


def make_template(svg: str, explanation: Explanation) -> SvgTemplate | None:
    """`svg` (draw_dot's picture of `explanation`, laid out) cut at its numbers; None when some
    number is not where draw_dot puts it (then the picture is not reused, never patched wrong).
    """
    order = explanation.run.snapshot.order
    cuts: list[tuple[int, int, Slot]] = []
    starts = list(_GROUP.finditer(svg))
    found_boxes, found_edges = set(), set()
    for n, match in enumerate(starts):
        begin, end = match.end(), starts[n + 1].start() if n + 1 < len(starts) else len(svg)
        group, kind = match.group(1), match.group(2)
        if kind == "node" and (m := _NODE_ID.fullmatch(group)):
            i = int(m.group(1))
            numbers = list(_BOX_NUMBER.finditer(svg, begin, end))
            if i >= len(order) or [x.group(1) for x in numbers] != ["data", "grad"]:
                return None
            for x, name in zip(numbers, ("data", "grad")):
                cuts.append((x.start(2), x.end(2), (name, i)))
            found_boxes.add(i)
        elif kind == "edge" and (m := _EDGE_ID.fullmatch(group)):
            i, k = int(m.group(1)), int(m.group(2))
            numbers = list(_EDGE_NUMBER.finditer(svg, begin, end))
            if i >= len(order) or k >= len(order[i].parents) or len(numbers) != 1:
                return None
            which = 1 if numbers[0].group(1) is not None else 2
            cuts.append((numbers[0].start(which), numbers[0].end(which), ("local", i, k)))
            found_edges.add((i, k))
    edges = {(i, k) for i, node in enumerate(order) for k in range(len(node.parents))}
    if found_boxes != set(range(len(order))) or found_edges != edges:
        return None
    cuts.sort()
    texts, slots, at = [], [], 0
    for begin, end, slot in cuts:
        texts.append(svg[at:begin])
        slots.append(slot)
        at = end
    texts.append(svg[at:])
    template = SvgTemplate(tuple(texts), tuple(slots))
    return template if template.fill(explanation) == svg else None


@dataclass
class _Entry:
    template: SvgTemplate
    size: int


@dataclass
class CacheStats:
    """What the cache did: requests served from a layout (hits), layouts made (dot runs)."""

    hits: int = 0
    dot_runs: int = 0
    unpatchable: int = 0  # pictures whose numbers could not be found (laid out every time)
    evicted: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, name: str) -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + 1)


class LayoutCache:
    """Laid-out SVG templates by structure key, least recently used first out."""

    def __init__(self, max_entries: int = 128, max_bytes: int = 48 * 1024 * 1024,
                 dot_slots: int = 2, dot_timeout: float = DOT_TIMEOUT) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self.dot_timeout = dot_timeout
        self.stats = CacheStats()
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._in_progress: dict[str, threading.Event] = {}
        self._dot = threading.BoundedSemaphore(dot_slots)
        # structures dot could not lay out within its time: refused at once the next time
        # (a student pressing Enter again, or a slider on it, would cost dot_timeout each)
        self._too_slow: OrderedDict[str, str] = OrderedDict()

    def svg(self, explanation: Explanation, deadline: float,
            shown: str | None = None) -> tuple[str, str | None]:
        """(layout key, SVG) of `explanation`'s picture with its numbers; dot runs only for a
        structure not laid out yet. `deadline` (time.monotonic()) bounds waiting and dot.
        When `shown`, the key of the picture the page shows already, is this one, the SVG is
        None: the page writes the numbers into the picture it has.
        Raises Busy when dot cannot start before the deadline, and dot's own errors
        (GraphvizError, GraphvizTimeoutError, GraphvizMissingError)."""
        key = structure_key(explanation.run.snapshot)
        if key == shown:
            return key, None
        while True:
            with self._lock:
                if key in self._too_slow:
                    raise GraphvizTimeoutError(self._too_slow[key])
                entry = self._entries.get(key)
                if entry is not None:
                    self._entries.move_to_end(key)
                    self.stats.count("hits")
                    return key, entry.template.fill(explanation)
                waiting = self._in_progress.get(key)
                if waiting is None:
                    done = self._in_progress[key] = threading.Event()
                    break
            # another request is laying this structure out: wait for it, then look again
            if not waiting.wait(_left(deadline)):
                raise Busy("the lab is still laying out this graph; try again in a moment")
        try:
            full_time = _left(deadline) >= self.dot_timeout  # (not cut short by the request's)
            try:
                svg = self._lay_out(explanation, deadline)
            except GraphvizTimeoutError as too_slow:
                if full_time:
                    with self._lock:
                        self._too_slow[key] = str(too_slow)
                        if len(self._too_slow) > self.max_entries:
                            self._too_slow.popitem(last=False)
                raise
            template = make_template(svg, explanation)
            if template is None:
                self.stats.count("unpatchable")
            else:
                self._store(key, template)
            return key, svg
        finally:
            with self._lock:
                del self._in_progress[key]
            done.set()

    def _lay_out(self, explanation: Explanation, deadline: float) -> str:
        picture = explanation.picture()
        if not self._dot.acquire(timeout=_left(deadline)):
            raise Busy("the lab is laying out other graphs; try again in a moment")
        try:
            self.stats.count("dot_runs")
            timeout = max(0.1, min(self.dot_timeout, _left(deadline)))
            return inline_svg(run_dot(picture, "svg", timeout=timeout).decode("utf-8"))
        finally:
            self._dot.release()

    def _store(self, key: str, template: SvgTemplate) -> None:
        size = template.size
        if size > self.max_bytes:
            return
        with self._lock:
            self._entries[key] = _Entry(template, size)
            self._bytes += size
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, old = self._entries.popitem(last=False)
                self._bytes -= old.size
                self.stats.count("evicted")

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


def _left(deadline: float, clock: Callable[[], float] = time.monotonic) -> float:
    return max(0.0, deadline - clock())
