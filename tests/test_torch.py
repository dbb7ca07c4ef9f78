"""PyTorch (float64) as a second, independent oracle: the same inputs, the same graph, the same
loss L = 0.7 * (out + 1.5)^2 on top, and then L and every gradient must agree.

Why TORCH_RTOL = 1e-9 is tight enough and loose enough: see `strategies.py`.
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import (
    OPS,
    Dag,
    dags,
    loss,
    replay,
    torch_close,
    torch_leaves,
    value_leaves,
)

from autograd import Value, log_softmax, logsumexp, softmax, topological_order


def torch_grad(tensor: torch.Tensor) -> float:
    """A tensor's gradient as a float (0.0 when backward never reached it)."""
    return 0.0 if tensor.grad is None else tensor.grad.item()


def grad_scale(L: Value) -> float:
    """The largest gradient anywhere in L's graph: the size of the terms a gradient sums, which
    sets the absolute part of the tolerance (a sum that cancels to ~0 has no relative accuracy)."""
    return max(abs(node.grad) for node in topological_order(L))


def assert_agrees(ours: float, theirs: float, what: str, scale: float = 1.0) -> None:
    assert torch_close(ours, theirs, scale), f"{what}: chainrule {ours!r}, torch {theirs!r}"


@pytest.mark.parametrize("op", OPS, ids=repr)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_op_matches_torch(op, data):
    """Each op: L and dL/d(every input) equal PyTorch's for the same inputs."""
    xs = data.draw(op.inputs(), label="inputs")
    leaves = value_leaves(xs)
    L = loss(op.value_fn(*leaves))
    L.backward()

    tensors = torch_leaves(xs)
    L_torch = loss(op.torch_fn(*tensors))
    L_torch.backward()

    assert_agrees(L.data, L_torch.item(), "L")
    for leaf, tensor in zip(leaves, tensors):
        assert_agrees(leaf.grad, torch_grad(tensor), f"dL/d{leaf.label}", scale=grad_scale(L))


@settings(max_examples=150, deadline=None)
@given(dag=dags())
def test_random_dag_matches_torch(dag: Dag):
    """Random DAGs with reused nodes, replayed in both engines: L, and the gradient of every
    node of the recipe (leaves and interior nodes alike), equal PyTorch's."""
    leaves = value_leaves(dag.leaves)
    pool, root = replay(dag, leaves)
    L = loss(root)
    L.backward()

    tensors = torch_leaves(dag.leaves)
    torch_pool, torch_root = replay(dag, tensors, on_torch=True)
    for t in torch_pool[len(tensors):]:
        t.retain_grad()
    L_torch = loss(torch_root)
    L_torch.backward()

    assert_agrees(L.data, L_torch.item(), "L")
    scale = grad_scale(L)
    for i, (node, tensor) in enumerate(zip(pool, torch_pool)):
        assert_agrees(node.data, tensor.item(), f"pool[{i}].data", scale=abs(node.data))
        assert_agrees(node.grad, torch_grad(tensor), f"dL/dpool[{i}]", scale=scale)


# Logits drawn from the whole range [-1000, 1000], with the extremes themselves likely.
big_logits = st.lists(
    st.one_of(st.sampled_from([-1000.0, 1000.0]), st.floats(-1000.0, 1000.0)),
    min_size=2,
    max_size=5,
)


@settings(max_examples=100, deadline=None)
@given(logits=big_logits, data=st.data())
def test_softmax_family_with_huge_logits_matches_torch(logits, data):
    """softmax, log_softmax and logsumexp of logits up to +-1000: finite, and equal to
    PyTorch's in value and in gradient (through one component, a weighted sum, and L)."""
    n = len(logits)
    k = data.draw(st.integers(0, n - 1), label="component")
    weights = data.draw(st.lists(st.floats(-2.0, 2.0), min_size=n, max_size=n), label="weights")

    def weighted(items):
        total = items[0] * weights[0]
        for w, item in zip(weights[1:], items[1:]):
            total = total + item * w
        return total

    cases = [
        ("logsumexp", logsumexp, lambda t: torch.logsumexp(t, 0)),
        ("softmax[k]", lambda v: softmax(v)[k], lambda t: torch.softmax(t, 0)[k]),
        ("softmax.w", lambda v: weighted(softmax(v)), lambda t: weighted(torch.softmax(t, 0))),
        ("log_softmax[k]", lambda v: log_softmax(v)[k], lambda t: torch.log_softmax(t, 0)[k]),
        ("log_softmax.w", lambda v: weighted(log_softmax(v)),
         lambda t: weighted(torch.log_softmax(t, 0))),
    ]
    for name, ours, theirs in cases:
        leaves = value_leaves(logits)
        out = ours(leaves)
        L = loss(out)
        L.backward()

        tensors = torch_leaves(logits)
        out_torch = theirs(torch.stack(tensors))
        L_torch = loss(out_torch)
        L_torch.backward()

        # NOTE: softmax is exp(x - logsumexp(x)); with |x| ~ 1000 that subtraction carries an
        # absolute error of ~1000 * 2^-53, so the absolute tolerance grows with the logits.
        size = max(abs(x) for x in logits)
        assert_agrees(out.data, out_torch.item(), f"{name} value", scale=size)
        for leaf, tensor in zip(leaves, tensors):
            assert_agrees(leaf.grad, torch_grad(tensor), f"{name}: dL/d{leaf.label}",
                          scale=size * grad_scale(L))


def test_lecture_neuron_matches_torch():
    """micrograd's own check: the lecture neuron, with the loss on top, against PyTorch."""
    numbers = [2.0, 0.0, -3.0, 1.0, 6.8813735870195432]  # x1, x2, w1, w2, b

    x1, x2, w1, w2, b = ours = [Value(v) for v in numbers]
    L = loss((x1 * w1 + x2 * w2 + b).tanh())
    L.backward()

    x1, x2, w1, w2, b = theirs = torch_leaves(numbers)
    L_torch = loss(torch.tanh(x1 * w1 + x2 * w2 + b))
    L_torch.backward()

    assert_agrees(L.data, L_torch.item(), "L")
    for name, v, t in zip(["x1", "x2", "w1", "w2", "b"], ours, theirs):
        assert_agrees(v.grad, torch_grad(t), f"dL/d{name}")
