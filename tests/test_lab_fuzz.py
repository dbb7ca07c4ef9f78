"""The lab's API under random requests (hypothesis): whatever the method, path, headers and body,
every answer is a 2xx, or a 4xx whose JSON body holds an "error", never a 5xx; the last-resort
handler never fires; and the server still answers /api/health afterwards."""

from __future__ import annotations

import json

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

pytest_plugins = ["lab_server"]

ASCII = st.characters(min_codepoint=32, max_codepoint=126)
# what an HTTP client can put in a header: printable ASCII, no space at either end
HEADER_TEXT = st.text(ASCII, min_size=1, max_size=30).map(str.strip).filter(bool)
NAMES = st.sampled_from(["x", "y", "w1", "b", "o", "a", "ｘ", "tanh", "__class__", "", "x y"])
NUMBERS = (st.integers() | st.floats(allow_nan=False, allow_infinity=False)
           | st.sampled_from([0, -0.0, 1e308, -1e308, 5e-324, 2**53 + 1, 10**300]))
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | NUMBERS | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


def formula_texts() -> st.SearchStrategy[str]:
    atoms = NAMES | st.sampled_from(["2", "0", "1e308", "-1", "0.5", "9**9**9"])

    def combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        ops = st.sampled_from(["+", "-", "*", "/", "**", "^", "%", "//", " ", "=", ","])
        funcs = st.sampled_from(["tanh", "exp", "log", "sqrt", "relu", "leaky_relu", "abs",
                                 "sigmoid", "sin", "max", "print", "__import__"])
        return (st.tuples(children, ops, children).map("".join)
                | st.tuples(funcs, children).map(lambda t: f"{t[0]}({t[1]})")
                | children.map(lambda c: f"({c})") | children.map(lambda c: f"-{c}"))

    grammar = st.recursive(atoms, combine, max_leaves=10)
    return grammar | grammar.map(lambda t: f"o = {t}") | st.text(max_size=40)


ANY_REQUEST = st.fixed_dictionaries({}, optional={
    "formula": formula_texts() | JSON_VALUES,
    "values": st.dictionaries(NAMES | st.text(max_size=6), NUMBERS | JSON_VALUES, max_size=5)
    | JSON_VALUES,
    "fill_missing": st.booleans() | JSON_VALUES,
    "leaf": NAMES | JSON_VALUES,
    "extra": JSON_VALUES,
})


def good_formulas() -> st.SearchStrategy[str]:
    """Formulas the engine accepts (their values may still be out of its domain)."""
    atoms = st.sampled_from(["x", "y", "w1", "b", "2", "0.5"])

    def combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        ops = st.sampled_from([" + ", " - ", "*", "/", "**"])
        funcs = st.sampled_from(["tanh", "exp", "log", "sqrt", "relu", "sigmoid", "sin", "abs",
                                 "leaky_relu"])
        return (st.tuples(children, ops, children).map(lambda t: f"({t[0]}{t[1]}{t[2]})")
                | st.tuples(funcs, children).map(lambda t: f"{t[0]}({t[1]})"))

    return st.recursive(atoms, combine, max_leaves=10)


PLAUSIBLE_REQUEST = st.builds(
    lambda formula, values, fill, leaf: {"formula": formula, "values": values,
                                         "fill_missing": fill, **leaf},
    good_formulas(),
    st.dictionaries(st.sampled_from(["x", "y", "w1", "b"]),
                    st.floats(-5, 5) | NUMBERS, max_size=4),
    st.booleans() | st.just(True),
    st.just({}) | st.sampled_from(["x", "y", "w1", "b", "o"]).map(lambda n: {"leaf": n}),
)
REQUESTS = PLAUSIBLE_REQUEST | ANY_REQUEST


def _json_text(data: object) -> bytes:
    return json.dumps(data).encode("utf-8")


BODIES = st.one_of(
    REQUESTS.map(_json_text),
    REQUESTS.map(lambda r: _json_text(r)[: len(_json_text(r)) // 2]),  # cut short
    JSON_VALUES.map(_json_text),
    st.binary(max_size=200),
    st.sampled_from([b"", b"NaN", b'{"formula": "x", "values": {"x": Infinity}}',
                     b'{"formula": "x", "values": {"x": 1e999}}', b"[" * 5000,
                     b'{"formula": "x", "values": {"x": 1}, "values": {}}',
                     b'{"formula": "\\ud800", "values": {}}',
                     b'{"formula": "x", "values": {"\\udfff": 1}, "fill_missing": true}']),
)
CONTENT_TYPES = st.one_of(
    st.just("application/json"),
    st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain",
                     "application/json; charset=latin-1", "", "application/json;;;",
                     "APPLICATION/JSON", "application/json; charset"]),
    HEADER_TEXT,
)
PATHS = st.one_of(
    st.sampled_from(["/api/explain", "/api/paths"]),
    st.sampled_from(["/api/explain", "/api/paths", "/api/health", "/", "/static/lab.js",
                     "/static/steps.css", "/static/nothing", "/network", "/api"]),
    st.text(st.sampled_from("abcz/._-%~"), max_size=20).map(lambda p: "/" + p),
)
METHODS = st.sampled_from(["GET", "POST", "POST", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"])


def origins(url: str) -> st.SearchStrategy[str | None]:  # mostly none or ours, as a page's
    return st.one_of(st.none(), st.none(), st.just(url.rstrip("/")), st.just(url.rstrip("/")),
                     st.sampled_from(["null", "http://evil.example", "file://"]),
                     HEADER_TEXT)


def hosts(url: str) -> st.SearchStrategy[str | None]:
    here = url[len("http://"):].rstrip("/")
    return st.one_of(st.none(), st.none(), st.none(), st.just(here),
                     st.just("localhost:" + here.split(":")[1]),
                     HEADER_TEXT)


@pytest.fixture(scope="module")
def client(lab):
    with httpx.Client(base_url=lab.url, timeout=30) as http:
        yield http


def check(response: httpx.Response) -> None:
    status = response.status_code
    event(f"status {status}")  # (--hypothesis-show-statistics shows how the answers spread)
    assert 200 <= status < 300 or 400 <= status < 500, (status, response.text[:300])
    if status >= 400:
        assert response.headers["content-type"].startswith("application/json"), response.text
        body = response.json()
        assert isinstance(body.get("error"), str) and body["error"], body


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.data_too_large])
@given(data=st.data())
def test_every_answer_is_2xx_or_a_4xx_with_a_json_error(lab, client, data):
    method, path = data.draw(METHODS), data.draw(PATHS)
    headers = {}
    content_type = data.draw(CONTENT_TYPES)
    if content_type:
        headers["content-type"] = content_type
    origin, host = data.draw(origins(lab.url)), data.draw(hosts(lab.url))
    if origin is not None:
        headers["origin"] = origin
    if host is not None:
        headers["host"] = host
    body = data.draw(BODIES) if method in ("POST", "PUT", "PATCH", "DELETE") else b""
    check(client.request(method, path, content=body, headers=headers))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(request=REQUESTS, path=st.sampled_from(["/api/explain", "/api/paths"]))
def test_every_request_object_is_answered_with_json(client, request, path):
    response = client.post(path, content=_json_text(request),
                           headers={"content-type": "application/json"})
    check(response)
    if response.status_code == 200:
        answer = response.json()
        assert ("grads" in answer) if path == "/api/explain" else ("paths" in answer)


def test_after_the_fuzz_the_lab_still_answers_and_the_last_resort_never_fired(lab, client):
    assert client.get("/api/health").json() == {"ok": True}
    assert lab.app.state.lab.internal_errors == 0
