"""A backward pass seeded with the gradient a larger graph sends back (backward_steps(root,
seed=g), fresh_pass(root, seed=g)): every number is g times the unseeded pass's, and the start
sentence says where g comes from."""

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_trace import random_graph

from autograd import Value, backward_steps, graph_snapshot, topological_order
from autograd.steps_html import fresh_pass, page_data
from autograd.trace import format_number, start_sentence

GRAPHS = dict(seed=st.integers(0, 10**6), n_leaves=st.integers(1, 4), n_ops=st.integers(1, 15))
SEEDS = st.floats(-1e3, 1e3, allow_nan=False).filter(lambda g: g == 0.0 or abs(g) > 1e-3)


def _pass(root: Value, seed: float | None = None) -> tuple[list, dict]:
    """The contributions of one pass from zero grads, and the grads it leaves."""
    order = topological_order(root)
    for node in order:
        node.grad = 0.0
    steps = list(backward_steps(root) if seed is None else backward_steps(root, seed=seed))
    return [s.contribution for s in steps], {node: node.grad for node in order}


@settings(max_examples=60, deadline=None)
@given(seed_g=SEEDS, **GRAPHS)
def test_a_seeded_pass_is_the_unseeded_pass_scaled(seed_g, seed, n_leaves, n_ops):
    root, _ = random_graph(random.Random(seed), n_leaves, n_ops)
    ones, grads_one = _pass(root)
    for node in grads_one:
        node.grad = 0.0
    root.backward()  # and backward() agrees with the unseeded trace
    assert all(node.grad == grads_one[node] for node in grads_one)
    scaled, grads = _pass(root, seed_g)
    assert len(scaled) == len(ones)
    for c, c1 in zip(scaled, ones):
        assert c == pytest.approx(seed_g * c1, rel=1e-12, abs=1e-300)
    assert grads[root] == seed_g
    for node, g1 in grads_one.items():
        assert grads[node] == pytest.approx(seed_g * g1, rel=1e-12, abs=1e-300)


@settings(max_examples=40, deadline=None)
@given(k=st.integers(-8, 8), negative=st.booleans(), **GRAPHS)
def test_a_power_of_two_seed_scales_every_number_exactly(k, negative, seed, n_leaves, n_ops):
    """Multiplying by 2^k rounds nothing: the seeded pass is bit for bit 2^k times the other."""
    g = (-1.0 if negative else 1.0) * 2.0**k
    root, _ = random_graph(random.Random(seed), n_leaves, n_ops)
    ones, grads_one = _pass(root)
    scaled, grads = _pass(root, g)
    assert scaled == [g * c for c in ones]
    assert all(grads[node] == g * grad for node, grad in grads_one.items())


def test_the_default_seed_is_one_and_its_sentences_are_unchanged():
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    d = a * b + a
    d.label = "d"
    plain = [str(s) for s in backward_steps(d)]
    a.grad = b.grad = 0.0
    assert [str(s) for s in backward_steps(d, seed=1.0)] == plain
    assert start_sentence("d") == graph_snapshot(d).start_sentence()
    assert start_sentence("d", 1.0) == ("The backward pass starts at d: d.grad = 1, since d "
                                        "changes one for one with itself.")
    run = fresh_pass(d)
    assert run.seed == 1.0 and page_data(run)["start"] == graph_snapshot(d).start_sentence()


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
def test_a_seed_must_be_finite(bad):
    a = Value(2.0, "a")
    out = a * a
    with pytest.raises(ValueError, match="seed must be a finite number"):
        backward_steps(out, seed=bad)
    a.grad = 0.25
    with pytest.raises(ValueError, match="seed must be a finite number"):
        fresh_pass(out, seed=bad)
    assert a.grad == 0.25  # (nothing was changed)


@pytest.mark.parametrize("bad", ["1", None, True, [1.0]])
def test_a_seed_must_be_a_number(bad):
    with pytest.raises(TypeError, match="seed must be a number"):
        backward_steps(Value(2.0) * 3.0, seed=bad)


def test_a_seeded_start_says_where_its_number_comes_from():
    x = Value(0.5, "x")
    out = x.tanh()
    out.label = "out"
    sentence = start_sentence("out", -0.2381)
    assert sentence.startswith("The backward pass starts at out: out.grad = -0.2381, ")
    assert "1 since" not in sentence and "one for one" not in sentence
    told = start_sentence("out", -0.2381, "what the loss sends back to out")
    assert told == ("The backward pass starts at out: out.grad = -0.2381, what the loss sends "
                    "back to out.")
    run = fresh_pass(out, seed=-0.2381, origin="what the loss sends back to out")
    data = page_data(run)
    assert data["start"] == told
    assert data["one"] == {"2": "-0.24", "4": "-0.2381"}  # the root's grad when the pass starts
    root = data["nodes"][data["root"]]
    assert root["value"] == -0.2381 and root["grad"]["4"] == format_number(-0.2381)
    (step,) = data["steps"]
    assert step["value"] == -0.2381 * (1 - math.tanh(0.5) ** 2)  # the quiz checks against this
    assert step["upstream"]["4"] == "-0.2381"
