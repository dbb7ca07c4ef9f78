"""backward_steps: the same arithmetic as backward(), one edge at a time, in readable sentences."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value, backward_steps, topological_order


def random_graph(rng: random.Random, n_leaves: int, n_ops: int) -> tuple[Value, list[Value]]:
    """A random DAG over safe ops that reuses nodes, with a non-trivial loss on top."""
    leaves = [Value(rng.uniform(-2, 2), f"x{i}") for i in range(n_leaves)]
    pool = list(leaves)
    for _ in range(n_ops):
        a, b = rng.choice(pool), rng.choice(pool)
        kind = rng.randrange(5)
        if kind == 0:
            out = a + b
        elif kind == 1:
            out = a * b
        elif kind == 2:
            out = a.tanh()
        elif kind == 3:
            out = a - 0.5 * b
        else:
            out = a.sigmoid() * b
        pool.append(out)
    root = ((pool[-1] + pool[-2] * 0.3) + 1.5) ** 2
    return root, leaves


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6), n_leaves=st.integers(1, 5), n_ops=st.integers(1, 25),
       earlier=st.booleans())
def test_steps_leave_exactly_the_grads_of_backward(seed, n_leaves, n_ops, earlier):
    """Also after earlier passes (the leaves then start from the grads they hold): every
    step's parent_grad is what parent.grad holds right after it, and the last step into each
    leaf shows its final grad bit for bit."""
    rng = random.Random(seed)
    root, leaves = random_graph(rng, n_leaves, n_ops)
    order = topological_order(root)
    start = [rng.uniform(-3, 3) if earlier else 0.0 for _ in order]
    for node, grad in zip(order, start):
        node.grad = grad
    root.backward()
    expected = [node.grad for node in order]
    for node, grad in zip(order, start):  # the same start again, then replay
        node.grad = grad
    steps = []
    for step in backward_steps(root):
        assert step.parent.grad == step.parent_grad  # no sentence disagrees with .grad
        steps.append(step)
    assert [node.grad for node in order] == expected  # bit for bit
    assert len(steps) == sum(len(node.parents) for node in order)  # one step per edge
    assert [s.index for s in steps] == list(range(len(steps)))
    assert [s.number for s in steps] == list(range(1, len(steps) + 1))
    last = {s.parent: s for s in steps}
    for leaf in leaves:
        if leaf in last:
            assert last[leaf].parent_grad == leaf.grad  # bit for bit
            assert last[leaf].earlier == start[order.index(leaf)]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6))
def test_each_step_is_one_chain_rule_application(seed):
    root, _ = random_graph(random.Random(seed), 3, 12)
    running: dict[Value, float] = {}
    for step in backward_steps(root):
        assert step.contribution == step.local_grad * step.upstream
        assert step.upstream == step.node.grad  # the node's gradient is complete when used
        before = running.get(step.parent, 0.0)
        assert step.parent_grad == before + step.contribution  # (no earlier pass here)
        running[step.parent] = step.parent_grad
        assert 1 <= step.received <= step.fan_out


def test_fan_out_counts_every_contribution():
    a = Value(3.0, "a")
    b = a * a  # a feeds b twice
    c = a + b  # and c once: three contributions in all
    steps = [s for s in backward_steps(c) if s.parent is a]
    assert [(s.received, s.fan_out) for s in steps] == [(1, 3), (2, 3), (3, 3)]
    assert a.grad == 1 + 2 * 3.0


def test_sentences_name_labels_and_numbers():
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    c = a * b
    c.label = "c"
    loss = (c + 1.0) ** 2
    loss.label = "L"
    sentences = [str(s) for s in backward_steps(loss)]
    # dL/dc = 2*(c+1) = -10; dL/da = -10 * b = 30
    assert ("a.grad += c.grad × ∂c/∂a = -10.0000 × -3.0000 = 30.0000   (a.grad is now 30.0000)"
            in sentences)
    assert ("b.grad += c.grad × ∂c/∂b = -10.0000 × 2.0000 = -20.0000   (b.grad is now -20.0000)"
            in sentences)
    assert sentences[0].startswith("v1.grad += L.grad × ∂L/∂v1 = "), "an unlabelled node: v1"


def test_tiny_and_huge_numbers_switch_to_scientific_notation():
    x = Value(1e-7, "x")
    y = x * 1e8
    y.label = "y"
    (sentence,) = [str(s) for s in backward_steps(y)]
    assert "1.0000e+08" in sentence


def test_contract_example_sentence():
    a = Value(2.0, "a")
    b = Value(-3.0, "b")
    c = a * b
    c.label = "c"
    first = str(next(iter(backward_steps(c))))
    assert first == ("a.grad += c.grad × ∂c/∂a = 1.0000 × -3.0000 = -3.0000   "
                     "(a.grad is now -3.0000)")


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6), n_leaves=st.integers(1, 4), n_ops=st.integers(1, 20))
def test_two_passes_give_exactly_twice_the_leaf_grads(seed, n_leaves, n_ops):
    """CONTRACT: leaves accumulate, and exactly (bit for bit), even when reused many times;
    interior nodes show one pass's gradient. Same through backward_steps."""
    root, leaves = random_graph(random.Random(seed), n_leaves, n_ops)
    interior = [n for n in topological_order(root) if n.parents]
    root.backward()
    once = [leaf.grad for leaf in leaves]
    once_interior = [n.grad for n in interior]
    for _ in backward_steps(root):
        pass
    assert [leaf.grad for leaf in leaves] == [2 * g for g in once]
    assert [n.grad for n in interior] == once_interior


def test_a_bad_root_is_refused_at_the_call_not_at_the_first_step():
    with pytest.raises(TypeError, match="backward_steps needs a Value, got str"):
        backward_steps("x")


def test_stopping_the_trace_early_never_wipes_earlier_leaf_grads():
    a, b = Value(2.0, "a"), Value(3.0, "b")
    c = a * b
    c.backward()
    assert (a.grad, b.grad) == (3.0, 2.0)
    steps = backward_steps(c)
    first = next(steps)  # dc/da: a receives 3 again
    assert (a.grad, b.grad) == (6.0, 2.0)  # while paused too: b still shows its earlier grad
    assert first.parent_grad == 6.0 and first.earlier == 3.0
    steps.close()
    assert first.parent is a
    assert (a.grad, b.grad) == (6.0, 2.0)  # earlier grads kept, plus what this pass added


def test_after_an_earlier_backward_the_sentences_show_the_real_grads():
    """The README offers o.backward() as an alternative to the trace: run both, and the
    trace once said (x1.grad = -1.5000) while x1.grad was -3.0."""
    x1, w1 = Value(2.0, "x1"), Value(-3.0, "w1")
    n = x1 * w1 + 6.8813735870195432
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    steps = list(backward_steps(o))
    (into_x1,) = [s for s in steps if s.parent is x1]
    assert into_x1.parent_grad == x1.grad == pytest.approx(-3.0)
    assert "(x1.grad is now -3.0000, with -1.5000 from earlier backward passes)" in str(into_x1)
    (into_n,) = [s for s in steps if s.parent is n]  # interior nodes restart every pass
    assert into_n.earlier == 0.0 and "earlier" not in str(into_n)


def test_an_unlabelled_root_is_L_in_the_sentences_and_the_picture():
    from autograd import draw_dot

    a = Value(2.0, "a")
    out = (a * a).tanh()
    step = next(backward_steps(out))
    assert str(step).startswith("v1.grad += L.grad × ∂L/∂v1 = ")
    assert '"L | data' in draw_dot(out).source


def test_minus_zero_is_printed_as_zero():
    a = Value(-1.0, "a")
    out = a.relu() * -2.0  # relu'(-1) = 0, upstream -2: the contribution is -0.0
    sentences = [str(s) for s in backward_steps(out)]
    assert "-0.0000" not in " ".join(sentences)
    assert sentences[-1].endswith("= 0.0000   (a.grad is now 0.0000)")


def overflowing(root: Value) -> Value:
    """`root` squashed into [-1, 1], times 1e-300, times 1e300 twice: every forward number is
    finite, but d/d(root * 1e-300) = 1e600 is not, so a backward pass from here overflows."""
    return root.tanh() * 1e-300 * 1e300 * 1e300


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6), n_leaves=st.integers(1, 4), n_ops=st.integers(1, 20))
def test_an_overflowing_pass_changes_no_grad(seed, n_leaves, n_ops):
    """Whatever every node held before (a leaf's accumulated grads, an interior node's from an
    earlier pass, or 0), backward() and backward_steps() run to the end raise OverflowError
    and leave every grad exactly as it was."""
    rng = random.Random(seed)
    graph, _ = random_graph(rng, n_leaves, n_ops)
    graph.backward()  # an earlier, good pass: interior nodes hold its gradients
    root = overflowing(graph)
    order = topological_order(root)
    for node in order:
        if rng.random() < 0.5:  # half of them hold some other number (a leaf's accumulation)
            node.grad = rng.choice([0.0, rng.uniform(-5, 5)])
    before = [node.grad for node in order]
    with pytest.raises(OverflowError, match="backward overflowed"):
        root.backward()
    assert [node.grad for node in order] == before
    with pytest.raises(OverflowError, match="backward overflowed"):
        for _ in backward_steps(root):
            pass
    assert [node.grad for node in order] == before


def test_stopping_an_overflowing_trace_early_is_still_a_partial_pass():
    """Only a pass run to its end can fail: one stopped before keeps what it added so far."""
    x = Value(0.5, "x")
    x.grad = 10.0
    root = overflowing(x)
    steps = backward_steps(root)
    first = next(steps)  # the last multiplication: its input receives 1e300
    steps.close()
    assert first.contribution == 1e300 and first.node is root
    assert first.parent.grad == 1e300 and x.grad == 10.0
