"""The lab's HTTP surface: its routes, what a request must hold, and every error as JSON.

    GET  /                 the formula lab (static/lab.html)
    GET  /api/health       {"ok": true}
    POST /api/explain      {"formula", "values", "fill_missing"?} -> values, grads, steps, svg,
                           layout, inputs, output, page (the step-through data)
    POST /api/paths        {"formula", "values", "fill_missing"?, "leaf"} -> every path from
                           leaf to the output, with its product, and their sum
    GET  /static/NAME      the page's JavaScript and CSS, from a fixed list

Everything a request says is checked here, at the boundary, before the engine sees it: the
body is UTF-8 JSON (no NaN or Infinity, no number beyond a float, no key given twice), an
object with known keys of the right types. Each mistake is a 400 whose "error" says what was
wrong and what to send instead ("column" too, when it points into the formula); the engine's
own checks (the formula's syntax and limits, a domain error) arrive as FormulaErrors and are
answered the same way. The work itself runs in the lab's worker threads (`Lab.pool`), bounded
in time: 503 past the bound. No answer is ever a 500; the one handler that could give one
(`last_resort`) counts each time it fires, and the tests check that it never does.

Numbers: the explanation comes from `autograd.explanation.explain`, the one way from a formula
to its graph, steps and pictures that `chainrule explain` and the static page use too.
"""

from __future__ import annotations

import functools
import json
import math
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chainrule.lab.guard import Busy, error_body

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from autograd.explanation import Explanation
    from autograd.formula import Formula
    from chainrule.lab.app import Lab

MAX_MESSAGE = 800  # characters of an error message (it may quote the request)
EXAMPLE = '{"formula": "x*y + 1", "values": {"x": 2, "y": 3}}'


class ApiError(Exception):
    """A request the lab cannot answer: its HTTP status, one sentence, and the formula's column
    (0-based) when the problem is at one place of it."""

    def __init__(self, status: int, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.status, self.column = status, column
        self.message = message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE - 1] + "…"


# ---------------------------------------------------------------------------------------------
# Reading a request: bytes -> JSON -> a checked request.


def content_type_problem(value: str | None) -> str | None:
    """Why a POST with this Content-Type is refused (415), or None for JSON in UTF-8."""
    media, *params = (value or "").split(";")
    if media.strip().lower() != "application/json":
        shown = f"Content-Type {value[:60]!r}" if value else "no Content-Type"
        return f"the lab reads JSON: send the body with Content-Type: application/json ({shown})"
    for param in params:
        name, _, given = param.partition("=")
        if name.strip().lower() == "charset" and given.strip().strip('"').lower() not in (
                "utf-8", "utf8"):
            return (f"the lab reads JSON in UTF-8 only: send Content-Type: application/json "
                    f"(or with charset=utf-8), not charset {given.strip()[:30]!r}")
    return None


def _too_large(text: str) -> ApiError:
    shown = text if len(text) <= 30 else f"{text[:12]}...{text[-6:]} ({len(text)} characters)"
    return ApiError(400, f"the number {shown} is too large for a float (the limit is about "
                    "1.8e308): every number must be a finite float")


def _parse_float(text: str) -> float:
    x = float(text)
    if not math.isfinite(x):  # 1e400 reads as inf
        raise _too_large(text)
    return x


def _parse_int(text: str) -> int:
    if len(text) > 320:  # far past 1.8e308 (and before Python's 4,300-digit limit)
        raise _too_large(text)
    n = int(text)
    try:
        float(n)
    except OverflowError:
        raise _too_large(text) from None
    return n


def _parse_constant(text: str) -> None:
    raise ApiError(400, f"{text} is not a JSON number: every number must be finite")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ApiError(400, f"the key {key!r:.60} is given twice in one JSON object")
        found[key] = value
    return found


def read_json(body: bytes) -> Any:
    """The request body as JSON: UTF-8, finite numbers only, no key twice in one object."""
    if not body.strip():
        raise ApiError(400, f"the request body is empty: send a JSON object such as {EXAMPLE}")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ApiError(400, f"the request body is not UTF-8 text (byte {e.start} is not "
                       "valid): send JSON in UTF-8") from None
    try:
        return json.loads(text, parse_float=_parse_float, parse_int=_parse_int,
                          parse_constant=_parse_constant, object_pairs_hook=_object)
    except json.JSONDecodeError as e:
        raise ApiError(400, f"the request body is not valid JSON: {e.msg} (line {e.lineno}, "
                       f"column {e.colno}); send an object such as {EXAMPLE}") from None
    except RecursionError:
        raise ApiError(400, "the request's JSON is nested too deeply: send an object such as "
                       f"{EXAMPLE}") from None


def _kind(value: object) -> str:
    """A JSON value's type, as a sentence names it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


def _name(key: str) -> str:
    """A name as the formula's parser reads it (Python normalizes names to NFKC)."""
    return unicodedata.normalize("NFKC", key)


@dataclass(frozen=True)
class ExplainRequest:
    """A checked POST /api/explain: a formula, a value for names, and whether to fill in the
    names without one (with 1.0) and drop the values of names the formula lacks."""

    formula: str
    values: dict[str, float]
    fill_missing: bool = False
    layout: str | None = None  # the layout the page shows already: its SVG is not sent again


@dataclass(frozen=True)
class PathsRequest:
    """A checked POST /api/paths: an explain request and the input whose paths are asked for."""

    explain: ExplainRequest
    leaf: str


EXPLAIN_KEYS = ("formula", "values", "fill_missing", "layout")
PATHS_KEYS = ("formula", "values", "fill_missing", "leaf")


def _fields(data: object, keys: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ApiError(400, f"the request must be a JSON object such as {EXAMPLE}, not "
                       f"{_kind(data)}")
    for key in data:
        if key not in keys:
            raise ApiError(400, f"unknown key {key!r:.60}: a request has the keys "
                           f"{', '.join(keys)}")
    return data


def explain_request(data: object, keys: tuple[str, ...] = EXPLAIN_KEYS) -> ExplainRequest:
    """The JSON of a request, checked: formula a string, values an object of names to finite
    numbers (not true or false), fill_missing true or false."""
    fields = _fields(data, keys)
    if "formula" not in fields:
        raise ApiError(400, f"the request has no formula: send one such as {EXAMPLE}")
    formula = fields["formula"]
    if not isinstance(formula, str):
        raise ApiError(400, f"formula must be a string such as \"x*y + 1\", not {_kind(formula)}")
    if "values" not in fields:
        raise ApiError(400, "the request has no values: send an object of names to numbers, "
                       "such as {\"x\": 2, \"y\": 3} ({} when the formula has no names)")
    given = fields["values"]
    if not isinstance(given, dict):
        raise ApiError(400, "values must be an object of names to numbers, such as "
                       f"{{\"x\": 2, \"y\": 3}}, not {_kind(given)}")
    values: dict[str, float] = {}
    for key, value in given.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ApiError(400, f"the value of {key!r:.60} must be a number, not {_kind(value)}")
        name = _name(key)
        if name in values:
            raise ApiError(400, f"{name!r:.60} is given two values (names are compared as the "
                           "formula reads them)")
        values[name] = float(value)  # finite: the JSON reader refused anything else
    fill_missing = fields.get("fill_missing", False)
    if not isinstance(fill_missing, bool):
        raise ApiError(400, f"fill_missing must be true or false, not {_kind(fill_missing)}")
    layout = fields.get("layout")
    if layout is not None and not isinstance(layout, str):
        raise ApiError(400, f"layout must be the layout key of an earlier answer (a string), "
                       f"not {_kind(layout)}")
    return ExplainRequest(formula, values, fill_missing, layout)


def paths_request(data: object) -> PathsRequest:
    """An explain request plus "leaf", the name of one of the formula's inputs."""
    explain = explain_request(data, PATHS_KEYS)
    leaf = data.get("leaf")  # data is a dict: explain_request checked it
    if leaf is None:
        raise ApiError(400, "the request has no leaf: name the input whose paths to list, as "
                       "in \"leaf\": \"x\"")
    if not isinstance(leaf, str):
        raise ApiError(400, f"leaf must be the name of an input (a string), not {_kind(leaf)}")
    return PathsRequest(explain, _name(leaf))


# ---------------------------------------------------------------------------------------------
# Answering: a checked request -> the engine -> JSON.


@functools.lru_cache(maxsize=64)
def _parsed(text: str) -> Formula:
    """`autograd.formula.parse(text)`, remembered: a slider sends the same text again and again.
    (A Formula is immutable, and building a graph from it only reads it; a FormulaError is
    raised again each time, never remembered.)"""
    from autograd.formula import parse

    return parse(text)


def _explanation(request: ExplainRequest) -> Explanation:
    from autograd.explanation import explain
    from autograd.formula import FormulaError

    try:
        formula = _parsed(request.formula)
        return explain(formula, request.values, fill_missing=request.fill_missing)
    except FormulaError as e:
        raise ApiError(400, e.message, e.column) from None
    except OverflowError as e:  # the backward pass overflowed: these values are too steep
        raise ApiError(400, str(e)) from None


def _finite(x: float, what: str) -> float:
    if not math.isfinite(x):
        raise ApiError(400, f"{what} is too large for a float; try smaller values")
    return x


def explain_answer(request: ExplainRequest, lab: Lab, deadline: float) -> dict[str, Any]:
    """POST /api/explain: every node's value and grad, the steps, the picture, the page data."""
    from autograd.draw import MAX_EDGES, MAX_NODES, GraphvizError, refuse_if_too_big

    explanation = _explanation(request)
    try:  # (a formula within the length limit stays far below draw_dot's limits)
        refuse_if_too_big(explanation.root, MAX_NODES, MAX_EDGES, edges_are="edges",
                          why="too big to draw; try a smaller formula")
    except ValueError as e:
        raise ApiError(400, str(e)) from None
    try:
        layout, svg = lab.layouts.svg(explanation, deadline, shown=request.layout)
    except GraphvizError as e:  # dot is missing, failed or ran out of time: not the request's
        raise ApiError(503, str(e)) from None
    snap = explanation.run.snapshot
    names, grads = snap.names, explanation.grads
    return {
        "values": {names[node]: node.data for node in snap.order},
        "grads": {names[node]: grads[node] for node in snap.order},
        "steps": [str(step) for step in explanation.steps],
        "svg": svg,  # None when the request's layout is this one: the page has the picture
        "layout": layout,
        "inputs": [{"name": name, "value": leaf.data}
                   for name, leaf in explanation.graph.inputs.items()],
        "output": snap.root_name,
        "page": explanation.page_data(),
    }


def paths_answer(request: PathsRequest, lab: Lab, deadline: float) -> dict[str, Any]:
    """POST /api/paths: every path from the leaf to the output, and the sum of their products."""
    from autograd.formula import FormulaError

    explanation = _explanation(request.explain)
    try:
        found = explanation.paths(request.leaf)
    except FormulaError as e:  # not an input, or more paths than the limit (it names the count)
        raise ApiError(400, e.message) from None
    snap = explanation.run.snapshot
    index, leaf = snap.index, explanation.graph.inputs[request.leaf]
    paths = []
    for path in found:
        paths.append({
            "names": list(path.names),
            "nodes": [f"n{index[node]}" for node in path.nodes],
            "edges": [f"e{index[path.nodes[h + 1]]}_{k}" for h, k in enumerate(path.operands)],
            "local_grads": list(path.local_grads),
            "product": _finite(path.product, "a path's product"),
            "sentence": str(path),
        })
    total = _finite(sum(path["product"] for path in paths), "the sum of the products")
    grad, edges = explanation.grads[leaf], sum(len(node.parents) for node in snap.order)
    return {
        "leaf": request.leaf,
        "output": snap.root_name,
        "grad": grad,
        "sum": total,
        "count": len(paths),
        "backward_edges": edges,
        "paths": paths,
        "summary": _summary(request.leaf, len(paths), total, grad),
        "saving": _saving(edges, found),
    }


def _summary(leaf: str, count: int, total: float, grad: float) -> str:
    """The sum over paths, in words: "2 paths; the sum of their products = 4.0000 = a.grad"."""
    from autograd.trace import format_number

    if count == 0:
        return f"No path leads from {leaf} to the output: {leaf}.grad = 0."
    products = "its product" if count == 1 else "the sum of their products"
    return (f"{count} path{'s' if count != 1 else ''}; {products} = {format_number(total)} = "
            f"{leaf}.grad (the backward pass gives {format_number(grad)}).")


def _saving(edges: int, found: list[Any]) -> str:
    """Why backprop shares the work (as `chainrule explain --paths` says it)."""
    factors = sum(len(path.local_grads) for path in found)
    products = f"{len(found)} product{'s' if len(found) != 1 else ''}"
    return (f"The backward pass visits each of the graph's {edges} edges once; the sum over "
            f"paths has {products} of {factors} local derivatives in all.")


def _encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, allow_nan=False,
                      separators=(",", ":")).encode("utf-8")


def answer(body: bytes, read: Callable[[object], Any], respond: Callable[..., dict[str, Any]],
           lab: Lab) -> tuple[int, bytes]:
    """The whole work of one API request, in a worker thread: (status, JSON body)."""
    deadline = time.monotonic() + lab.pool.time_limit
    try:
        return 200, _encode(respond(read(read_json(body)), lab, deadline))
    except ApiError as e:
        return e.status, error_body(e.message, e.column)
    except Busy as e:
        return 503, error_body(str(e))


# ---------------------------------------------------------------------------------------------
# The routes: each a few lines over the functions above.


def _response(status: int, body: bytes, media_type: str = "application/json",
              headers: dict[str, str] | None = None) -> Response:
    from starlette.responses import Response

    return Response(body, status_code=status, media_type=media_type, headers=headers)


async def _api(request: Request, read: Callable[[object], Any],
               respond: Callable[..., dict[str, Any]]) -> Response:
    problem = content_type_problem(request.headers.get("content-type"))
    if problem is not None:
        return _response(415, error_body(problem))
    lab: Lab = request.app.state.lab
    body = await request.body()
    try:
        status, data = await lab.pool.run(lambda: answer(body, read, respond, lab))
    except Busy as e:
        status, data = 503, error_body(str(e))
    return _response(status, data)


async def explain_route(request: Request) -> Response:
    return await _api(request, explain_request, explain_answer)


async def paths_route(request: Request) -> Response:
    return await _api(request, paths_request, paths_answer)


async def health_route(request: Request) -> Response:
    return _response(200, b'{"ok":true}')


async def page_route(request: Request) -> Response:
    return _response(200, request.app.state.lab.page, "text/html; charset=utf-8")


async def static_route(request: Request) -> Response:
    found = request.app.state.lab.static.get(request.path_params["name"])
    if found is None:
        names = ", ".join(request.app.state.lab.static)
        return _response(404, error_body(f"no such file: the lab's files are {names}"))
    content, media_type = found
    return _response(200, content, media_type)


async def http_error(request: Request, error: Exception) -> Response:
    """404, 405 and the like, raised by the router: as JSON, saying where to go instead."""
    status = getattr(error, "status_code", 400)
    path = request.url.path if len(request.url.path) <= 80 else request.url.path[:77] + "..."
    headers = getattr(error, "headers", None)
    if status == 404:
        message = (f"there is nothing at {path}: the formula lab is at /, the network "
                   "lab at /network, the API at /api/explain, /api/paths and /api/health")
    elif status == 405:
        allowed = (headers or {}).get("Allow", "another method")
        message = f"{request.method} is not allowed on {path}; use {allowed}"
    else:
        message = str(getattr(error, "detail", "")) or "the request was refused"
    return _response(status, error_body(message), headers=headers)


async def last_resort(request: Request, error: Exception) -> Response:
    """A bug: something no check above foresaw. Counted (the tests assert it never fires) and
    answered honestly as a 500; uvicorn logs the traceback."""
    request.app.state.lab.count_internal_error()
    return _response(500, error_body(f"internal error, a bug in the lab: {type(error).__name__}"))


def routes() -> list[Any]:
    from starlette.routing import Route

    return [
        Route("/", page_route, methods=["GET"]),
        Route("/api/health", health_route, methods=["GET"]),
        Route("/api/explain", explain_route, methods=["POST"]),
        Route("/api/paths", paths_route, methods=["POST"]),
        Route("/static/{name}", static_route, methods=["GET"]),
    ]
