"""The n-ary nodes (`vsum`, `dot`, `affine`, `logsumexp`) and the backward pass's shortcut.

- plain numbers among the operands are constants, exactly as in the binary ops: not parents;
- `affine` (a layer's W.x + b) makes exactly the nodes that `dot` per row makes;
- `backward` skips nodes whose gradient is 0, and still leaves exactly the grads that the
  step-by-step trace (which walks every edge) leaves.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value, affine, backward_steps, dot, logsumexp, topological_order, vsum

finite = st.floats(-5.0, 5.0, allow_nan=False)


def values(xs: list[float], prefix: str) -> list[Value]:
    return [Value(x, f"{prefix}{i}") for i, x in enumerate(xs)]


@given(st.lists(st.one_of(finite, finite.map(Value)), min_size=1, max_size=6))
def test_vsum_and_logsumexp_fold_numbers_into_constants(items):
    vs = [item for item in items if isinstance(item, Value)]
    numbers = [item.data if isinstance(item, Value) else item for item in items]
    s = vsum(items)
    assert s.parents == tuple(vs)
    assert s.data == math.fsum(numbers)
    lse = logsumexp(items)
    assert lse.parents == tuple(vs)
    m = max(numbers)
    assert lse.data == pytest.approx(m + math.log(math.fsum(math.exp(x - m) for x in numbers)))
    # each Value's edge carries its own softmax term, even when numbers sit between Values
    total = math.fsum(math.exp(x - m) for x in numbers)
    expected = [math.exp(x.data - m) / total for x in vs]
    assert lse.local_grads == pytest.approx(expected, rel=1e-12)


def test_logsumexp_of_a_value_and_a_number_differentiates_the_value_only():
    x = Value(0.3, "x")
    (2.0 * logsumexp([1.0, x])).backward()
    assert x.grad == pytest.approx(2.0 * math.exp(0.3) / (math.exp(1.0) + math.exp(0.3)))


layer_shapes = st.tuples(st.integers(1, 4), st.integers(1, 4))


@settings(max_examples=60)
@given(layer_shapes, st.data(), st.sampled_from(["values", "numbers", "mixed"]))
def test_affine_makes_the_nodes_dot_makes(shape, data, inputs_kind):
    nin, nout = shape
    rows = [values(data.draw(st.lists(finite, min_size=nin, max_size=nin)), f"w{j}.")
            for j in range(nout)]
    biases = data.draw(st.lists(finite, min_size=nout, max_size=nout))
    if data.draw(st.booleans()):  # Value biases (as in an MLP), else constants
        biases = values(biases, "b")
    xs = data.draw(st.lists(finite, min_size=nin, max_size=nin))
    if inputs_kind == "values":
        inputs = values(xs, "x")
    elif inputs_kind == "mixed":
        inputs = [Value(x, f"x{i}") if i % 2 else x for i, x in enumerate(xs)]
    else:
        inputs = xs
    got = affine(rows, inputs, biases)
    want = [dot(w, inputs, b) for w, b in zip(rows, biases)]
    for g, w in zip(got, want):
        assert (g.op, g.data, g.parents, g.local_grads) == (w.op, w.data, w.parents, w.local_grads)


def test_affine_refuses_ragged_rows_and_missing_biases():
    w = values([1.0, 2.0], "w")
    with pytest.raises(ValueError, match="one bias per row"):
        affine([w, w], [1.0, 2.0], [Value(0.0)])
    with pytest.raises(ValueError, match="every row needs 2 weights, one per input"):
        affine([w[:1]], [1.0, 2.0], [Value(0.0)])
    with pytest.raises(TypeError, match="affine takes Values or numbers, got str"):
        affine([w], [1.0, "2"], [Value(0.0)])


@settings(max_examples=80)
@given(st.lists(st.floats(-2.0, 2.0, allow_nan=False), min_size=6, max_size=6))
def test_backward_skipping_zero_gradients_leaves_what_every_edge_leaves(xs):
    """relu(negative) and a met hinge margin give nodes with gradient 0: backward skips them,
    the trace walks every edge; both must leave the same grads, bit for bit."""

    def build() -> tuple[Value, list[Value]]:
        leaves = values(xs, "a")
        hidden = [dot(leaves[:3], leaves[3:], 0.5).relu(), (leaves[0] * leaves[4]).relu()]
        out = (1.0 - hidden[0] * leaves[5] + hidden[1]).relu() + 0.1 * leaves[1] ** 2
        return out * out + out, leaves

    out, by_backward = build()
    out.backward()
    out2, by_steps = build()
    steps = list(backward_steps(out2))
    # one step per edge, zero-gradient nodes included
    assert len(steps) == sum(len(n.parents) for n in topological_order(out2))
    assert [leaf.grad for leaf in by_backward] == [leaf.grad for leaf in by_steps]



def test_n_ary_ops_take_generators_like_the_builtin_sum():
    xs = values([0.5, -1.0, 2.0], "x")
    assert vsum(x * x for x in xs).data == vsum([x * x for x in xs]).data
    assert logsumexp(x for x in xs).data == logsumexp(xs).data
    from autograd import log_softmax, softmax

    assert [v.data for v in softmax(x for x in xs)] == [v.data for v in softmax(xs)]
    assert [v.data for v in log_softmax(iter(xs))] == [v.data for v in log_softmax(xs)]
    assert dot(iter(xs), (1.0, 2.0, 3.0), 0.5).data == dot(xs, [1.0, 2.0, 3.0], 0.5).data
    with pytest.raises(TypeError, match="vsum takes a list of Values or numbers, got str"):
        vsum("abc")
    with pytest.raises(ValueError, match="softmax needs at least one value"):
        softmax(x for x in [])


def test_an_op_of_numbers_only_is_a_leaf():
    s = vsum([1.0, 2.0])
    assert (s.op, s.parents, s.local_grads, s.data) == ("", (), (), 3.0)
    assert dot([1.0, 2.0], [3.0, 4.0], 0.5).op == ""
