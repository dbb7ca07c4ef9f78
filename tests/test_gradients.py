"""Backprop checked against central finite differences, and the chain rule's bookkeeping:
reused nodes, repeated backward passes, topological order, conventions at kinks, a known
answer, a million-deep graph, extreme logits, `no_grad` and `gradcheck`.

Every gradient test puts the loss L = 0.7 * (out + 1.5)^2 on top of the output (see
`strategies.loss`), so backward does not start from a bare 1.0 at the op under test.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from strategies import (
    CHAIN_RTOL,
    FD_RTOL,
    KNOWN_RTOL,
    OPS,
    Dag,
    central_differences,
    dags,
    fd_close,
    loss,
    loss_of,
    replay,
    value_leaves,
)

import autograd
from autograd import (
    GradcheckError,
    GradcheckReport,
    Value,
    dot,
    gradcheck,
    log_softmax,
    logsumexp,
    no_grad,
    softmax,
    topological_order,
)


def assert_matches_finite_differences(build, xs) -> None:
    """dL/dx_i from backprop equals the central difference of L, for every input x_i."""
    leaves = value_leaves(xs)
    L = loss(build(leaves))
    L.backward()
    numeric = central_differences(loss_of(build), xs)
    for leaf, fd in zip(leaves, numeric):
        assert fd_close(leaf.grad, fd, L.data), (
            f"{leaf.label} = {leaf.data!r}: backprop {leaf.grad!r}, finite differences {fd!r}"
        )


# ---------------------------------------------------------------------------------------------
# Every op of the table.


@pytest.mark.parametrize("op", OPS, ids=repr)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_op_gradient_matches_finite_differences(op, data):
    """Each op, each input: backprop through L = loss(op(inputs)) equals central differences."""
    xs = data.draw(op.inputs(), label="inputs")
    assert_matches_finite_differences(lambda leaves: op.value_fn(*leaves), xs)


@pytest.mark.parametrize("op", [op for op in OPS if op.arity > 1], ids=repr)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_op_with_one_leaf_in_every_slot(op, data):
    """op(a, a, ..., a): the one leaf collects a contribution along every edge (a/a, a**a, dot)."""
    x = data.draw(op.domains[0].strategy(), label="a")
    assume(all(d.contains(x) for d in op.domains))
    assert_matches_finite_differences(lambda leaves: op.value_fn(*(leaves * op.arity)), [x])


def test_table_covers_every_op_with_a_derivative_rule():
    """Every op the engine registers in autograd.RULES is exercised by some entry of the table.
    (Read in a fresh interpreter: nn may register rules of its own, tested with nn.)"""
    engine_rules = subprocess.run(
        [sys.executable, "-c", "import autograd, json; print(json.dumps(sorted(autograd.RULES)))"],
        capture_output=True, text=True, check=True,
    ).stdout
    ops_seen = set()
    for op in OPS:
        xs = [d.lo if d.lo > -math.inf else 0.5 for d in op.domains]
        for node in topological_order(op.value_fn(*value_leaves(xs))):
            ops_seen.add(node.op)
    assert set(json.loads(engine_rules)) <= ops_seen


# ---------------------------------------------------------------------------------------------
# Random graphs that reuse nodes.


@settings(max_examples=150, deadline=None)
@given(dag=dags())
def test_random_dag_gradient_matches_finite_differences(dag: Dag):
    """Random DAGs with shared subexpressions: every leaf's dL/dx equals central differences."""
    assert_matches_finite_differences(lambda leaves: replay(dag, leaves)[1], dag.leaves)


@settings(max_examples=100, deadline=None)
@given(dag=dags())
def test_topological_order_invariant(dag: Dag):
    """The order lists exactly the nodes reachable from the root, each once, each after all
    of its parents, with the root last."""
    _, root = replay(dag, value_leaves(dag.leaves))
    order = topological_order(root)

    reachable, stack = {root}, [root]
    while stack:
        for parent in stack.pop().parents:
            if parent not in reachable:
                reachable.add(parent)
                stack.append(parent)

    assert len(order) == len(set(order)), "a node is listed twice"
    assert set(order) == reachable
    assert order[-1] is root
    position = {node: i for i, node in enumerate(order)}
    for node in order:
        for parent in node.parents:
            assert position[parent] < position[node]


def postorder(root: Value) -> list[Value]:
    """The reference order, written the obvious (recursive) way: each node after its
    parents, which are visited in argument order (the first parent's subgraph first)."""
    order, seen = [], set()

    def visit(node: Value) -> None:
        if node in seen:
            return
        seen.add(node)
        for parent in node.parents:
            visit(parent)
        order.append(node)

    visit(root)
    return order


@settings(max_examples=100, deadline=None)
@given(dag=dags())
def test_topological_order_reads_like_the_formula(dag: Dag):
    """Parents in argument order: in x1*w1 + x2*w2 the first product (and x1, w1) comes
    before the second, so auto names v1, v2, ... and the CLI's table read in formula order."""
    _, root = replay(dag, value_leaves(dag.leaves))
    assert topological_order(root) == postorder(root)


def test_topological_order_of_the_lecture_neuron():
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2 = Value(-3.0, "w1"), Value(1.0, "w2")
    b = Value(6.88, "b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    order = topological_order(o)
    assert [v.label or v.op for v in order] == [
        "x1", "w1", "*", "x2", "w2", "*", "+", "b", "+", "tanh"]


# ---------------------------------------------------------------------------------------------
# Reused nodes.


def test_reused_node_sums_contributions():
    """b = a + a; c = b + b gives dc/da = 4; with the loss on top, dL/da = 1.4 * (c + 1.5) * 4."""
    a = Value(3.0)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0
    assert b.grad == 2.0

    a = Value(3.0)
    b = a + a
    c = b + b
    loss(c).backward()
    assert a.grad == pytest.approx(1.4 * (12.0 + 1.5) * 4.0, rel=KNOWN_RTOL)


def test_square_by_self_multiplication():
    """a * a keeps both edges, (a, a) with local derivatives (a, a), so d(a*a)/da = 2a."""
    a = Value(-1.25)
    sq = a * a
    assert len(sq.parents) == 2 and all(p is a for p in sq.parents)
    assert sq.local_grads == (-1.25, -1.25)
    L = loss(sq)
    L.backward()
    assert sq.grad == pytest.approx(1.4 * (1.5625 + 1.5), rel=KNOWN_RTOL)
    assert a.grad == pytest.approx(1.4 * (1.5625 + 1.5) * 2 * -1.25, rel=KNOWN_RTOL)


@settings(max_examples=100, deadline=None)
@given(dag=dags())
def test_backward_twice_accumulates_leaves_and_resets_interior(dag: Dag):
    """A second backward from the same root gives every leaf exactly twice its grad (leaves
    accumulate, as in PyTorch) while every interior node shows one pass's gradient exactly."""
    _, root = replay(dag, value_leaves(dag.leaves))
    L = loss(root)
    L.backward()
    order = topological_order(L)
    first = {node: node.grad for node in order}
    L.backward()
    for node in order:
        expected = first[node] if node.parents else 2 * first[node]
        assert node.grad == expected, f"{node!r} (op {node.op!r}): first pass {first[node]!r}"


def test_backward_twice_doubles_a_single_use_leaf_exactly():
    """A leaf with one edge gets g + g = 2g exactly; its interior child is reset, not doubled."""
    x = Value(0.37)
    t = x.tanh()
    L = loss(t)
    L.backward()
    once_x, once_t = x.grad, t.grad
    L.backward()
    assert x.grad == 2 * once_x
    assert t.grad == once_t


def test_backward_twice_doubles_a_reused_leaf_exactly():
    """CONTRACT: calling backward twice gives exactly twice the leaf grads, reused leaves too.
    Here a has two edges: pass 1 gives 0.693, and 2 * 0.693 == 1.386 exactly in floats."""
    a = Value(0.5)
    L = loss(a * 0.2 + a * 0.1)
    L.backward()
    once = a.grad
    L.backward()
    assert a.grad == 2 * once


# ---------------------------------------------------------------------------------------------
# Conventions at kinks, pinned.


def test_relu_and_abs_have_zero_derivative_at_zero():
    """relu'(0) = 0 and abs'(0) = 0 (as PyTorch); leaky_relu'(0) is its slope (the left side)."""
    for fn, local in [
        (lambda v: v.relu(), 0.0),
        (abs, 0.0),
        (lambda v: v.leaky_relu(), 0.01),
        (lambda v: v.leaky_relu(0.2), 0.2),
    ]:
        x = Value(0.0)
        out = fn(x)
        assert out.data == 0.0
        assert out.local_grads == (local,)
        loss(out * 2.0).backward()
        assert x.grad == pytest.approx(local * 2.0 * 1.4 * 1.5, rel=KNOWN_RTOL)


# ---------------------------------------------------------------------------------------------
# A known answer: the one neuron of the lecture.

LECTURE_B = 6.8813735870195432


def _check_lecture_neuron(x1, x2, w1, w2, b, o):
    o.backward()
    assert o.data == pytest.approx(math.sqrt(0.5), rel=KNOWN_RTOL)
    assert x1.grad == pytest.approx(-1.5, rel=KNOWN_RTOL)
    assert w1.grad == pytest.approx(1.0, rel=KNOWN_RTOL)
    assert x2.grad == pytest.approx(0.5, rel=KNOWN_RTOL)
    assert w2.grad == 0.0
    assert b.grad == pytest.approx(0.5, rel=KNOWN_RTOL)


def test_lecture_neuron_with_binary_ops():
    """o = tanh(x1*w1 + x2*w2 + b) built from + and *: the lecture's numbers."""
    x1, x2, w1, w2 = Value(2.0), Value(0.0), Value(-3.0), Value(1.0)
    b = Value(LECTURE_B)
    o = (x1 * w1 + x2 * w2 + b).tanh()
    _check_lecture_neuron(x1, x2, w1, w2, b, o)


def test_lecture_neuron_with_dot():
    """The same neuron as one dot node: tanh(dot([w1, w2], [x1, x2], b))."""
    x1, x2, w1, w2 = Value(2.0), Value(0.0), Value(-3.0), Value(1.0)
    b = Value(LECTURE_B)
    o = dot([w1, w2], [x1, x2], b).tanh()
    assert o.op == "tanh" and o.parents[0].op == "dot"
    _check_lecture_neuron(x1, x2, w1, w2, b, o)


# ---------------------------------------------------------------------------------------------
# A million-deep graph.


def test_million_deep_chain():
    """y = x * c * c * ... (10^6 times, one shared c): no RecursionError, and
    dL/dx = L'(y) * c^n, dL/dc = L'(y) * n * x * c^(n-1), with L'(y) = 1.4 * (y + 1.5)."""
    n, x0, c0 = 1_000_000, 0.8, 1.0000001
    with autograd.pause_gc():
        x, c = Value(x0), Value(c0)
        y = x
        for _ in range(n):
            y = y * c
        L = loss(y)
        L.backward()
    upstream = 1.4 * (y.data + 1.5)
    assert y.data == pytest.approx(x0 * c0**n, rel=CHAIN_RTOL)
    assert x.grad == pytest.approx(upstream * c0**n, rel=CHAIN_RTOL)
    assert c.grad == pytest.approx(upstream * n * x0 * c0 ** (n - 1), rel=CHAIN_RTOL)


# ---------------------------------------------------------------------------------------------
# Extreme logits.


def test_softmax_family_with_logits_of_a_thousand():
    """Logits (1000, -1000, 1000, 0): finite values and grads, matching the closed forms.
    logsumexp = 1000 + log 2; softmax = (1/2, 0, 1/2, 0) to double precision (e^-1000
    underflows to exactly 0, so the zeros are compared exactly)."""
    xs = [1000.0, -1000.0, 1000.0, 0.0]
    log2 = math.log(2.0)

    leaves = value_leaves(xs)
    L = loss(logsumexp(leaves))
    L.backward()
    assert L.data == pytest.approx(0.7 * (1000.0 + log2 + 1.5) ** 2, rel=KNOWN_RTOL)
    upstream = 1.4 * (1000.0 + log2 + 1.5)
    assert [v.grad for v in leaves] == pytest.approx(
        [upstream / 2, 0.0, upstream / 2, 0.0], rel=KNOWN_RTOL
    )

    leaves = value_leaves(xs)
    probabilities = softmax(leaves)
    assert [p.data for p in probabilities] == pytest.approx([0.5, 0.0, 0.5, 0.0], rel=KNOWN_RTOL)
    loss(probabilities[0] * 3.0).backward()
    # d softmax_0 / dx_j = s0 * (delta_0j - s_j)
    upstream = 1.4 * (1.5 + 1.5) * 3.0
    expected = [upstream * 0.25, 0.0, upstream * -0.25, 0.0]
    assert [v.grad for v in leaves] == pytest.approx(expected, rel=KNOWN_RTOL)

    leaves = value_leaves(xs)
    logs = log_softmax(leaves)
    assert [v.data for v in logs] == pytest.approx(
        [-log2, -2000.0 - log2, -log2, -1000.0 - log2], rel=KNOWN_RTOL
    )
    loss(logs[1]).backward()
    # d log_softmax_1 / dx_j = delta_1j - s_j
    upstream = 1.4 * (-2000.0 - log2 + 1.5)
    expected = [upstream * -0.5, upstream, upstream * -0.5, 0.0]
    assert [v.grad for v in leaves] == pytest.approx(expected, rel=KNOWN_RTOL)


# ---------------------------------------------------------------------------------------------
# no_grad.


def test_no_grad_records_no_graph():
    """Inside no_grad an op's result is a leaf: no parents, no local grads, op ''; recording
    is switched back on afterwards, even when the block raises."""
    x = Value(2.0)
    with no_grad():
        assert not autograd.is_recording()
        y = (x * 3.0).tanh() + x
    assert autograd.is_recording()
    assert y.parents == () and y.local_grads == () and y.op == ""

    with pytest.raises(ValueError), no_grad():
        Value(-1.0).log()
    assert autograd.is_recording()
    assert (x * 3.0).parents[0] is x


def test_backward_does_not_reach_through_no_grad():
    """z = y * x with y = 3x computed under no_grad: dz/dx is y only (no path through y)."""
    x = Value(2.0)
    with no_grad():
        y = x * 3.0
    L = loss(y * x)
    L.backward()
    upstream = 1.4 * (12.0 + 1.5)
    assert x.grad == pytest.approx(upstream * 6.0, rel=KNOWN_RTOL)  # with a graph it would be 12x
    assert y.grad == pytest.approx(upstream * 2.0, rel=KNOWN_RTOL)
    assert x not in topological_order(y)


# ---------------------------------------------------------------------------------------------
# gradcheck.


def bad_square(x: Value) -> Value:
    """x^2 with a deliberately wrong local derivative (1 instead of 2x)."""
    return Value(x.data**2, "", "sq", (x,), (1.0,))


def test_gradcheck_passes_on_a_correct_function():
    """A correct function gives a report with one passing row per input; inputs untouched."""
    a, b = Value(1.5, "a"), Value(-0.7, "b")
    report = gradcheck(lambda a, b: loss((a * b).tanh() + a.exp() / (b * b + 1.0)), [a, b])
    assert isinstance(report, GradcheckReport)
    assert report.ok
    assert [row.name for row in report.rows] == ["a", "b"]
    assert all(row.ok for row in report.rows)
    assert a.grad == 0.0 and b.grad == 0.0


def test_gradcheck_names_the_worst_input_of_a_wrong_op():
    """A wrong local derivative on input b (not a) raises GradcheckError naming b."""
    a, b = Value(0.5, "a"), Value(3.0, "b")
    with pytest.raises(GradcheckError, match=r"\bb = 3\.0\b") as caught:
        gradcheck(lambda a, b: loss(a * 2.0 + bad_square(b)), [a, b])
    report = caught.value.report
    assert report.worst.name == "b"
    assert [row.ok for row in report.rows] == [True, False]
    # d bad_square(b)/db is taken as 1 instead of 2b = 6
    upstream = 1.4 * (1.0 + 9.0 + 1.5)
    assert report.rows[1].analytic == pytest.approx(upstream * 1.0, rel=KNOWN_RTOL)
    assert report.rows[1].numeric == pytest.approx(upstream * 6.0, rel=FD_RTOL)


def test_a_leaf_roots_backward_sets_its_grad_to_one_each_time():
    """The contract: backward() sets self.grad = 1.0. For a root that is itself a leaf this
    wins over leaf accumulation (d x/d x is 1, however often it is asked)."""
    x = Value(3.0, "x")
    x.backward()
    x.backward()
    assert x.grad == 1.0


def cliff(x: Value) -> Value:
    """+1e308 for x >= 0, else -1e308, with local derivative 0: across x = 0 the central
    difference (1e308 - -1e308) / (2 eps) overflows to inf."""
    return Value(1e308 if x.data >= 0.0 else -1e308, "", "cliff", (x,), (0.0,))


def test_gradcheck_ranks_a_non_finite_difference_worst():
    """Row a passes, row b's finite difference is inf (its excess over tolerance inf - inf is
    nan, which compares false with everything): the error must name b, not a."""
    a, b = Value(1.0, "a"), Value(0.0, "b")
    with pytest.raises(GradcheckError, match=r"failed at b = 0\.0.*say inf \(f jumps") as caught:
        gradcheck(lambda a, b: a * cliff(b), [a, b])
    report = caught.value.report
    assert [row.ok for row in report.rows] == [True, False]
    assert report.worst.name == "b"


def test_pauses_overlapping_in_two_threads_keep_the_collector_off_until_the_last_ends():
    """Thread A pauses, thread B pauses, A ends: B is still building, so the collector stays
    off; it comes back on when B ends (each thread alone would have restored it at its end)."""
    import gc
    import threading

    a_in, b_in, a_out, b_may_end = (threading.Event() for _ in range(4))
    seen = {}

    def a():
        with autograd.pause_gc():
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def b():
        a_in.wait(5)
        with autograd.pause_gc():
            b_in.set()
            a_out.wait(5)
            seen["after A ended, inside B"] = gc.isenabled()
            b_may_end.wait(5)

    assert gc.isenabled()
    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    a_out.wait(5)
    b_may_end.set()
    for t in threads:
        t.join(5)
    assert seen == {"after A ended, inside B": False}
    assert gc.isenabled()
