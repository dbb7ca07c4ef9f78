"""The lab's HTTP API against a real uvicorn on 127.0.0.1 (tests/lab_server.py): the answers
agree with a fresh backward(), a slider move never runs dot, and every mistake a request can
make gets a 4xx with a JSON "error" that says what was wrong, never a 500."""

from __future__ import annotations

import json
import re
import socket
import threading

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value, backward_steps, no_grad
from autograd.explanation import explain
from autograd.formula import MAX_LENGTH, FormulaError, build
from autograd.snapshot import graph_snapshot
from chainrule.lab.guard import Served
from chainrule.lab.layouts import LayoutCache, make_template, structure_key

NEURON = "o = tanh(x1*w1 + x2*w2 + b)"
NEURON_VALUES = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}
JSON = {"content-type": "application/json"}

pytest_plugins = ["lab_server"]  # `lab`: one real server for this module; `lab_with`: others


def post(lab, path: str, body: object = None, *, content: bytes | None = None,
         headers: dict[str, str] | None = None) -> httpx.Response:
    if content is None:  # (json.dumps writes a lone surrogate as an escape; httpx would fail)
        content = json.dumps(body).encode("ascii")
    return httpx.post(lab.url + path, content=content, headers={**JSON, **(headers or {})},
                      timeout=30)


def fresh_grads(formula: str, values: dict[str, float]) -> dict[str, float]:
    """Every named node's gradient from a fresh graph and backward(), as a student gets it."""
    graph = build(formula, values)
    graph.root.backward()
    snap = graph_snapshot(graph.root)
    return {snap.names[node]: node.grad for node in snap.order}


def assert_error(response: httpx.Response, status: int, *words: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["error"], str) and body["error"], body
    for word in words:
        assert word in body["error"], body
    return body


def raw_request(lab, data: bytes, *, close_write: bool = True) -> tuple[int, bytes]:
    """Send bytes as they are (what httpx would not send) and read the answer to its end."""
    port = int(lab.url.rsplit(":", 1)[1].strip("/"))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        if close_write:
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


# ---------------------------------------------------------------------------------------------
# What the answers hold


def test_health_answers_ok(lab):
    response = httpx.get(lab.url + "api/health")
    assert response.status_code == 200
    assert response.json() == {"ok": True}


def test_the_lecture_neuron_matches_a_fresh_backward_everywhere(lab):
    response = post(lab, "api/explain", {"formula": NEURON, "values": NEURON_VALUES})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["grads"] == pytest.approx(fresh_grads(NEURON, NEURON_VALUES), rel=1e-15)
    assert answer["grads"]["x1"] == pytest.approx(-1.5)
    assert answer["output"] == "o"
    assert answer["inputs"] == [{"name": n, "value": NEURON_VALUES[n]}
                                for n in ("x1", "w1", "x2", "w2", "b")]
    graph = build(NEURON, NEURON_VALUES)
    snap = graph_snapshot(graph.root)
    assert answer["values"] == {snap.names[node]: node.data for node in snap.order}
    assert answer["steps"] == [str(step) for step in backward_steps(graph.root)]
    # the page data is the static page's, built by the same function
    assert answer["page"] == explain(NEURON, NEURON_VALUES).page_data()
    assert answer["svg"].startswith("<svg") and 'id="n0"' in answer["svg"]
    assert "grad &#45;1.5000" in answer["svg"]  # x1's box, as dot writes it
    assert "<?xml" not in answer["svg"] and "<!--" not in answer["svg"]


def test_a_new_value_reuses_the_layout_and_never_runs_dot(lab):
    layouts = lab.app.state.lab.layouts
    first = post(lab, "api/explain", {"formula": "y = exp(a*k) - a", "values": {"a": 0.5,
                                                                               "k": 2}}).json()
    runs = layouts.stats.dot_runs
    for a in (0.25, -1.0, 3.5, 0.0):
        values = {"a": a, "k": 2}
        answer = post(lab, "api/explain", {"formula": "y = exp(a*k) - a", "values": values})
        answer = answer.json()
        assert answer["layout"] == first["layout"]
        assert answer["grads"] == pytest.approx(fresh_grads("y = exp(a*k) - a", values))
        assert f"data {svg_text(a)}" in answer["svg"]
    assert layouts.stats.dot_runs == runs  # four requests, no dot


def svg_text(x: float) -> str:
    from autograd.trace import format_number

    return format_number(x).replace("-", "&#45;")


def test_a_page_that_has_the_layout_gets_no_svg_again(lab):
    request = {"formula": NEURON, "values": NEURON_VALUES}
    first = post(lab, "api/explain", request).json()
    again = post(lab, "api/explain", {**request, "layout": first["layout"]}).json()
    assert again["svg"] is None and again["layout"] == first["layout"]
    assert again["grads"] == first["grads"]
    other = post(lab, "api/explain", {"formula": "x*y", "values": {"x": 1, "y": 2},
                                      "layout": first["layout"]}).json()
    assert other["svg"].startswith("<svg")  # another structure: its picture
    assert_error(post(lab, "api/explain", {**request, "layout": 5}), 400, "layout")


def test_the_layout_key_is_the_structure_not_the_spelling(lab):
    def key(formula: str) -> str:
        response = post(lab, "api/explain", {"formula": formula, "values": {}, "fill_missing":
                                             True})
        return response.json()["layout"]

    assert key("x*w + b") == key("x * w+b") == key("(x*w) + b") == key("x*w + b  ")
    assert key("x*w + b") != key("x*w - b") != key("x*(w + b)")
    assert key("x*2") == key("x*3")  # a constant is a number on the edge, not a node


def test_fill_missing_gives_new_names_one_and_drops_the_others(lab):
    answer = post(lab, "api/explain", {"formula": "x*y", "values": {"x": 3, "gone": 5},
                                       "fill_missing": True}).json()
    assert answer["inputs"] == [{"name": "x", "value": 3.0}, {"name": "y", "value": 1.0}]
    assert answer["grads"]["x"] == 1.0 and answer["grads"]["y"] == 3.0


def test_paths_of_x1_in_the_lecture_neuron_are_one_path_of_product_minus_1_5(lab):
    answer = post(lab, "api/paths", {"formula": NEURON, "values": NEURON_VALUES,
                                     "leaf": "x1"}).json()
    assert answer["count"] == 1
    (path,) = answer["paths"]
    assert path["product"] == pytest.approx(-1.5)
    assert path["names"][0] == "x1" and path["names"][-1] == "o"
    assert len(path["edges"]) == len(path["nodes"]) - 1 == len(path["local_grads"])
    assert answer["sum"] == pytest.approx(answer["grad"]) == pytest.approx(-1.5)


def test_paths_of_a_in_d_equals_a_times_b_plus_a_sum_to_its_grad(lab):
    values = {"a": 2.0, "b": -3.0}
    answer = post(lab, "api/paths", {"formula": "d = a*b + a", "values": values,
                                     "leaf": "a"}).json()
    assert answer["count"] == 2
    products = [path["product"] for path in answer["paths"]]
    assert sum(products) == pytest.approx(fresh_grads("d = a*b + a", values)["a"])
    assert answer["sum"] == pytest.approx(answer["grad"])
    # the ids are the picture's: a -> v1 -> d through the first operands, a -> d directly
    assert [path["edges"] for path in answer["paths"]] == [["e2_0", "e3_0"], ["e3_1"]]
    assert [path["nodes"] for path in answer["paths"]] == [["n0", "n2", "n3"], ["n0", "n3"]]
    assert answer["backward_edges"] == 4


def test_paths_of_a_name_not_in_the_formula_is_a_400_naming_the_inputs(lab):
    response = post(lab, "api/paths", {"formula": "d = a*b + a", "values": {"a": 1, "b": 2},
                                       "leaf": "c"})
    assert_error(response, 400, "'c'", "a, b")
    assert_error(post(lab, "api/paths", {"formula": "a", "values": {"a": 1}}), 400, "leaf")
    assert_error(post(lab, "api/paths", {"formula": "a", "values": {"a": 1}, "leaf": 3}), 400,
                 "leaf", "not a number")


# ---------------------------------------------------------------------------------------------
# The layout cache: what it patches is what dot would draw


ATOMS = st.sampled_from(["a", "b", "c", "2", "0.5"])


def formulas() -> st.SearchStrategy[str]:
    def combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        binary = st.tuples(children, st.sampled_from(["+", "-", "*"]), children).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})")
        unary = st.tuples(st.sampled_from(["tanh", "sigmoid", "exp", "relu", "sin"]),
                          children).map(lambda t: f"{t[0]}({t[1]})")
        return binary | unary

    return st.recursive(ATOMS, combine, max_leaves=8).filter(
        lambda text: any(name in text for name in "abc"))


def texts_by_id(svg: str) -> dict[str, list[str]]:
    """The texts and tooltips of every node and edge group of an SVG, by its id."""
    found = {}
    starts = list(re.finditer(r'<g id="([^"]+)" class="(?:node|edge)">', svg))
    for n, match in enumerate(starts):
        end = starts[n + 1].start() if n + 1 < len(starts) else len(svg)
        part = svg[match.end():end]
        found[match.group(1)] = (re.findall(r">([^<]*)</text>", part)
                                 + re.findall(r'xlink:title="([^"]*)"', part))
    return found


@settings(max_examples=40, deadline=None)
@given(formulas(), st.lists(st.floats(-3, 3).map(lambda x: round(x, 3)), min_size=6,
                            max_size=6))
def test_a_patched_layout_has_the_numbers_a_fresh_dot_run_draws(formula, numbers):
    first = explain(formula, dict(zip("abc", numbers[:3])), fill_missing=True)
    second = explain(formula, dict(zip("abc", numbers[3:])), fill_missing=True)
    cache = LayoutCache()
    key, svg = cache.svg(first, deadline=float("inf"))
    assert make_template(svg, first) is not None  # every number found where draw_dot puts it
    key2, patched = cache.svg(second, deadline=float("inf"))
    assert key2 == key and cache.stats.dot_runs == 1 and cache.stats.hits == 1
    _, fresh = LayoutCache().svg(second, deadline=float("inf"))
    assert texts_by_id(patched) == texts_by_id(fresh)


def test_a_graph_with_a_fan_has_its_edge_numbers_in_tooltips_and_they_are_patched_too():
    formula = " + ".join(["x*y"] * 20)  # x feeds 20 ops: draw_dot moves the numbers to tooltips
    first, second = (explain(formula, {"x": x, "y": 2.0}) for x in (1.0, -0.5))
    cache = LayoutCache()
    _, svg = cache.svg(first, deadline=float("inf"))
    assert 'xlink:title="×' in svg
    _, patched = cache.svg(second, deadline=float("inf"))
    assert cache.stats.dot_runs == 1
    assert texts_by_id(patched) == texts_by_id(LayoutCache().svg(second, float("inf"))[1])


def test_the_layout_cache_is_bounded_and_forgets_the_least_recently_used():
    cache = LayoutCache(max_entries=2)
    graphs = [explain(text, {"x": 1.0}) for text in ("x", "x*x", "tanh(x)")]
    for graph in graphs:
        cache.svg(graph, deadline=float("inf"))
    assert len(cache) == 2 and cache.stats.evicted == 1 and cache.stats.dot_runs == 3
    cache.svg(graphs[2], deadline=float("inf"))  # kept
    cache.svg(graphs[0], deadline=float("inf"))  # forgotten: laid out again
    assert cache.stats.dot_runs == 4
    assert structure_key(graphs[0].run.snapshot) != structure_key(graphs[1].run.snapshot)


def test_a_structure_dot_cannot_lay_out_in_time_is_refused_at_once_the_next_time():
    from autograd.draw import GraphvizTimeoutError

    big = explain("+".join(f"tanh(a{i}*b{i})" for i in range(100)), {}, fill_missing=True)
    cache = LayoutCache(dot_timeout=0.1)  # far too little for 500 nodes: dot is stopped
    for _ in range(3):
        with pytest.raises(GraphvizTimeoutError, match="within"):
            cache.svg(big, deadline=float("inf"))
    assert cache.stats.dot_runs == 1
    small = explain("a*b", {"a": 1.0, "b": 2.0})
    assert cache.svg(small, deadline=float("inf"))[1].startswith("<svg")  # others still drawn


# ---------------------------------------------------------------------------------------------
# no_grad() belongs to its thread: the server's graphs are whole while another thread is in one


def test_requests_beside_a_no_grad_thread_get_the_grads_of_a_fresh_backward(lab):
    stop, failures = threading.Event(), []

    def evaluate_without_a_graph() -> None:
        with no_grad():
            while not stop.is_set():
                y = (Value(2.0) * Value(3.0)).tanh() + 1.0
                if y.parents:  # inside no_grad nothing is recorded
                    failures.append("no_grad recorded a graph")
                    return

    thread = threading.Thread(target=evaluate_without_a_graph)
    thread.start()
    try:
        values = [dict(NEURON_VALUES, x1=x / 4) for x in range(-8, 9)]
        answers: list[httpx.Response] = [None] * len(values)

        def ask(i: int) -> None:
            answers[i] = post(lab, "api/explain", {"formula": NEURON, "values": values[i]})

        askers = [threading.Thread(target=ask, args=(i,)) for i in range(len(values))]
        for asker in askers:
            asker.start()
        for asker in askers:
            asker.join()
    finally:
        stop.set()
        thread.join()
    assert failures == []
    for given_values, answer in zip(values, answers):
        assert answer.status_code == 200, answer.text
        assert answer.json()["grads"] == pytest.approx(fresh_grads(NEURON, given_values),
                                                       rel=1e-15)


# ---------------------------------------------------------------------------------------------
# 400: whatever the body holds


@pytest.mark.parametrize(("body", "words"), [
    (b"", ["empty"]),
    (b"   ", ["empty"]),
    (b"{", ["not valid JSON"]),
    (b'{"formula": "x", "values": {}', ["not valid JSON"]),
    (b"\xff\xfe{}", ["not UTF-8"]),
    (b'\xef\xbb\xbf{"formula": "x", "values": {"x": 1}}', ["not valid JSON"]),
    (b"[1, 2]", ["JSON object", "not an array"]),
    (b'"x*y"', ["JSON object", "not a string"]),
    (b"null", ["not null"]),
    (b'{"formula": "x", "values": {"x": 1}, "extra": 1}', ["unknown key 'extra'"]),
    (b'{"values": {"x": 1}}', ["no formula"]),
    (b'{"formula": "x"}', ["no values"]),
    (b'{"formula": 3, "values": {}}', ["formula must be a string", "not a number"]),
    (b'{"formula": null, "values": {}}', ["formula must be a string", "not null"]),
    (b'{"formula": ["x"], "values": {}}', ["formula must be a string", "not an array"]),
    (b'{"formula": "x", "values": [1]}', ["values must be an object", "not an array"]),
    (b'{"formula": "x", "values": "x=1"}', ["values must be an object", "not a string"]),
    (b'{"formula": "x", "values": {"x": "1"}}', ["'x' must be a number", "not a string"]),
    (b'{"formula": "x", "values": {"x": true}}', ["'x' must be a number", "not true"]),
    (b'{"formula": "x", "values": {"x": null}}', ["'x' must be a number", "not null"]),
    (b'{"formula": "x", "values": {"x": [1]}}', ["'x' must be a number", "not an array"]),
    (b'{"formula": "x", "values": {"x": 1}, "fill_missing": "yes"}', ["fill_missing", "true"]),
    (b'{"formula": "x", "values": {"x": 1e400}}', ["1e400 is too large for a float"]),
    (b'{"formula": "x", "values": {"x": -1e400}}', ["-1e400 is too large"]),
    (b'{"formula": "x", "values": {"x": 1' + b"0" * 400 + b"}}", ["too large for a float"]),
    (b'{"formula": "x", "values": {"x": 9' * 1 + b"9" * 5000 + b"}}", ["too large"]),
    (b'{"formula": "x", "values": {"x": NaN}}', ["NaN is not a JSON number"]),
    (b'{"formula": "x", "values": {"x": Infinity}}', ["Infinity is not a JSON number"]),
    (b'{"formula": "x", "values": {"x": -Infinity}}', ["-Infinity is not a JSON number"]),
    (b'{"formula": "x", "formula": "y", "values": {}}', ["'formula' is given twice"]),
    (b"[" * 20000 + b"]" * 20000, ["nested too deeply"]),
    (b'{"formula": "x", "values": {"x": ' + b"[" * 20000 + b"]" * 20000 + b"}}",
     ["nested too deeply"]),
])
def test_a_malformed_body_is_a_400_that_says_what_is_wrong(lab, body, words):
    assert_error(post(lab, "api/explain", content=body), 400, *words)


@pytest.mark.parametrize(("request_body", "words", "column"), [
    ({"formula": "x*y", "values": {"x": 1}}, ["no value for y"], 2),
    ({"formula": "x*y", "values": {"x": 1, "y": 2, "z": 3}}, ["z is given a value"], None),
    ({"formula": "x*", "values": {"x": 1}}, ["syntax"], "engine's"),
    ({"formula": "x y", "values": {"x": 1, "y": 1}}, ["missing operator"], 2),
    ({"formula": "tanx(x)", "values": {"x": 1}}, ["unknown function 'tanx'", "tanh"], 0),
    ({"formula": "2 + log(x)", "values": {"x": -1}}, ["log"], 4),
    ({"formula": "x / (y - y)", "values": {"x": 1, "y": 2}}, ["division"], 2),
    ({"formula": "exp(x)", "values": {"x": 1000}}, ["exp"], 0),
    ({"formula": "x.real", "values": {"x": 1}}, ["attribute"], 1),
    ({"formula": "__import__('os')", "values": {}}, ["unknown function"], 0),
    ({"formula": "", "values": {}}, ["empty"], None),
    ({"formula": "x" * (MAX_LENGTH + 1), "values": {}}, ["characters long", "limit"], None),
    ({"formula": "(" * 60 + "x" + ")" * 60, "values": {"x": 1}}, ["nested"], 50),
    ({"formula": "x*y + x*y", "values": {"x": 1e-10, "y": 1e308}}, ["overflowed"], None),
    ({"formula": "x", "values": {"x": 1, "\ud800": 2}}, ["is given a value"], None),
])
def test_a_bad_formula_or_value_is_a_400_pointing_at_its_column(lab, request_body, words,
                                                                column):
    body = assert_error(post(lab, "api/explain", request_body), 400, *words)
    if column == "engine's":  # the column the engine gives, whatever its parser decides
        with pytest.raises(FormulaError) as engine:
            explain(request_body["formula"], request_body["values"])
        column = engine.value.column
    assert body.get("column") == column


def test_a_name_is_read_as_the_formula_reads_it(lab):
    answer = post(lab, "api/explain", {"formula": "ｘ*2", "values": {"ｘ": 3}}).json()  # NFKC x
    assert answer["values"]["x"] == 3.0
    assert_error(post(lab, "api/explain", {"formula": "x", "values": {"x": 1, "ｘ": 2}}), 400,
                 "two values")


def test_a_formula_naming_a_file_is_only_a_formula(lab, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert_error(post(lab, "api/explain", {"formula": "/etc/passwd", "values": {}}), 400)
    assert_error(post(lab, "api/explain", {"formula": "open('x')", "values": {}}), 400)
    for path in ("static/lab.html", "static/..%2fapi.py", "static/%2e%2e%2fguard.py",
                 "static/../api.py", "static/..", "static/", "static/steps.js/x",
                 "../pyproject.toml", "static/./lab.js"):
        # sent as they are: an HTTP client would tidy the dots away first
        request = f"GET /{path} HTTP/1.1\r\nHost: {lab.url[7:-1]}\r\nConnection: close\r\n\r\n"
        status, body = raw_request(lab, request.encode())
        assert status == 404 and json.loads(body)["error"], path
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# 403, 404, 405, 413, 415, 503


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1:1",
                                  "127.0.0.1", "localhost.evil.example:{port}",
                                  "127.0.0.2:{port}", "[::2]:{port}", "127.0.0.1:{port}x", ":"])
def test_a_request_for_another_host_is_a_403(lab, host):
    port = lab.url.rsplit(":", 1)[1].strip("/")
    response = httpx.get(lab.url + "api/health", headers={"host": host.format(port=port)})
    assert_error(response, 403, "serves 127.0.0.1:")


@pytest.mark.parametrize("host", ["localhost:{port}", "LOCALHOST:{port}", "[::1]:{port}",
                                  "127.0.0.1:{port}"])
def test_the_names_of_this_machine_are_welcome(lab, host):
    port = lab.url.rsplit(":", 1)[1].strip("/")
    response = httpx.get(lab.url + "api/health", headers={"host": host.format(port=port)})
    assert response.status_code == 200


def test_a_request_without_a_host_header_is_a_403(lab):
    status, body = raw_request(lab, b"GET /api/health HTTP/1.0\r\n\r\n")
    assert status == 403 and b"no Host header" in body


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1",
                                    "https://127.0.0.1:{port}", "http://localhost:{port}"])
def test_a_request_from_another_origin_is_a_403(lab, origin):
    port = lab.url.rsplit(":", 1)[1].strip("/")
    response = post(lab, "api/explain", {"formula": "x", "values": {"x": 1}},
                    headers={"origin": origin.format(port=port)})
    assert_error(response, 403, "another site")


def test_a_request_from_the_labs_own_page_is_welcome(lab):
    response = post(lab, "api/explain", {"formula": "x*2", "values": {"x": 1}},
                    headers={"origin": lab.url.rstrip("/")})
    assert response.status_code == 200


def test_a_host_served_on_every_interface_accepts_ip_addresses_but_no_other_names():
    served = Served("0.0.0.0", 8765)
    for host in ("192.168.1.20:8765", "10.0.0.2:8765", "[fe80::1]:8765", "localhost:8765"):
        assert served.host_problem(host) is None, host
    for host in ("evil.example:8765", "192.168.1.20:8000", "192.168.1.20"):
        assert served.host_problem(host) is not None, host
    assert Served("lab.school.example", 80).host_problem("lab.school.example") is None


def test_unknown_paths_and_methods_are_json_404_and_405(lab):
    assert_error(httpx.get(lab.url + "nothing/here"), 404, "/nothing/here", "/api/explain")
    assert_error(httpx.get(lab.url + "static/nope.js"), 404, "lab.js")
    response = httpx.get(lab.url + "api/explain")
    assert_error(response, 405, "GET", "POST")
    assert response.headers["allow"] == "POST"
    assert_error(httpx.put(lab.url + "api/paths", json={}), 405)
    assert_error(httpx.post(lab.url + "api/health"), 405)


def test_a_body_over_64_kb_is_a_413_with_content_length(lab):
    response = post(lab, "api/explain", content=b" " * (64 * 1024 + 1))
    assert_error(response, 413, "64 KB")
    response = post(lab, "api/explain", {"formula": "x", "values": {"x": 1}, "pad": "y" * 70000})
    assert_error(response, 413)


def test_a_body_over_64_kb_is_a_413_without_content_length(lab):
    def chunks():  # sent chunked: no Content-Length to trust or refuse
        for _ in range(80):
            yield b" " * 1024

    response = post(lab, "api/explain", content=chunks())
    assert "content-length" not in response.request.headers
    assert_error(response, 413, "64 KB")


def test_a_content_length_over_the_limit_is_refused_before_the_body_arrives(lab):
    head = (f"POST /api/explain HTTP/1.1\r\nHost: {lab.url[7:-1]}\r\n"
            "Content-Type: application/json\r\nContent-Length: 10000000\r\n\r\n").encode()
    status, body = raw_request(lab, head + b'{"formula"', close_write=False)
    assert status == 413 and b"64 KB" in body


def test_a_body_of_exactly_64_kb_is_read(lab):
    body = b'{"formula": "x*2", "values": {"x": 1}}'
    response = post(lab, "api/explain", content=body + b" " * (64 * 1024 - len(body)))
    assert response.status_code == 200


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "application/jsonx", "application/json; charset=latin-1",
                                          "multipart/form-data; boundary=x", ""])
def test_a_body_that_is_not_json_is_a_415(lab, content_type):
    response = httpx.post(lab.url + "api/explain", content=b'{"formula": "x", "values": {}}',
                          headers={"content-type": content_type})
    assert_error(response, 415, "application/json")


def test_json_with_a_utf8_charset_is_json(lab):
    response = httpx.post(lab.url + "api/explain", content=b'{"formula": "x*1", "values": '
                          b'{"x": 1}}', headers={"content-type": "Application/JSON; charset=UTF-8"})
    assert response.status_code == 200


def test_work_past_its_time_bound_is_a_503(lab_with):
    with lab_with(time_limit=0) as slow:
        response = post(slow, "api/explain", {"formula": NEURON, "values": NEURON_VALUES})
        assert_error(response, 503, "within 0 s")
        assert httpx.get(slow.url + "api/health").json() == {"ok": True}
        assert slow.app.state.lab.internal_errors == 0


def test_a_full_pool_is_a_503_and_the_next_request_after_it_is_answered(lab_with):
    with lab_with(workers=1, backlog=0) as small:
        pool, gate = small.app.state.lab.pool, threading.Event()
        pool.submit(gate.wait)  # the one worker, taken
        try:
            response = post(small, "api/explain", {"formula": "x*2", "values": {"x": 1}})
            assert_error(response, 503, "busy")
        finally:
            gate.set()
        for _ in range(200):  # the worker finishes its job
            if pool.pending == 0:
                break
            threading.Event().wait(0.01)
        response = post(small, "api/explain", {"formula": "x*2", "values": {"x": 1}})
        assert response.status_code == 200


def test_every_answer_carries_the_security_headers(lab):
    for response in (httpx.get(lab.url), httpx.get(lab.url + "api/health"),
                     httpx.get(lab.url + "nope"), httpx.get(lab.url + "static/lab.js")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_the_page_and_its_files_are_served_from_memory(lab):
    page = httpx.get(lab.url)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    from importlib.resources import files

    for name, package, path in (("steps.js", "autograd", "steps.js"),
                                ("lab.js", "chainrule.lab", "static/lab.js")):
        response = httpx.get(lab.url + "static/" + name)
        assert response.content == files(package).joinpath(path).read_bytes()
        assert response.headers["content-type"].startswith("text/javascript")


def test_the_last_resort_never_fired(lab):
    assert lab.app.state.lab.internal_errors == 0
