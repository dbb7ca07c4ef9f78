"""Losses: value and gradient against PyTorch (float64) and central differences, the extremes
(logits of +-1000), the conventions at the boundaries, and the errors for bad input.

Every gradient is taken through L = 0.7 * (loss + 1.5)^2 (`strategies.loss`), never from a bare
1.0, so a dropped upstream factor shows. Tolerances come from `strategies.py`.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from strategies import loss, torch_close

from autograd import Value, gradcheck, topological_order
from nn.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    l2_penalty,
    mse_loss,
)

f64 = torch.float64
EXAMPLES = settings(max_examples=40, deadline=None)

# ---------------------------------------------------------------------------------------------
# Helpers: the same loss on Values and on tensors, then compare L and every gradient.


def grad_scale(L: Value) -> float:
    """The largest gradient or value anywhere in L's graph: the size of the terms being summed,
    which sets the absolute part of the tolerance (see `strategies.torch_close`)."""
    return max(max(abs(n.grad), abs(n.data)) for n in topological_order(L))


def compare(ours: Value, leaves: list[Value], theirs: torch.Tensor, tensor: torch.Tensor) -> None:
    """Backprop L = loss(ours) and L = loss(theirs); L and d L / d leaf must agree."""
    L = loss(ours)
    L.backward()
    L_torch = loss(theirs)
    L_torch.backward()
    scale = grad_scale(L)
    assert torch_close(L.data, L_torch.item(), scale), (L.data, L_torch.item())
    torch_grads = tensor.grad.flatten().tolist()
    assert len(torch_grads) == len(leaves)
    for i, (leaf, g) in enumerate(zip(leaves, torch_grads)):
        assert torch_close(leaf.grad, g, scale), f"d L/d x{i}: chainrule {leaf.grad!r}, torch {g!r}"


def batches(element: st.SearchStrategy, target: st.SearchStrategy) -> st.SearchStrategy:
    """(batched, predictions, targets): one sample (lists of length 1, batched False) or a batch
    of 1 to 5 samples."""
    return st.booleans().flatmap(
        lambda batched: st.integers(1, 5 if batched else 1).flatmap(
            lambda n: st.tuples(
                st.just(batched),
                st.lists(element, min_size=n, max_size=n),
                st.lists(target, min_size=n, max_size=n),
            )
        )
    )


def run_scalar_loss(our_fn, torch_fn, batched, preds, targets):
    """A loss of one number per sample, on Values and on float64 tensors."""
    leaves = [Value(x) for x in preds]
    tensor = torch.tensor(preds, dtype=f64, requires_grad=True)
    t = torch.tensor(targets, dtype=f64)
    if batched:
        compare(our_fn(leaves, targets), leaves, torch_fn(tensor, t), tensor)
    else:
        compare(our_fn(leaves[0], targets[0]), leaves, torch_fn(tensor[0], t[0]), tensor)


REALS = st.floats(-10.0, 10.0)
PROBS = st.floats(0.01, 0.99)
LABELS = st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0))
SIGNS = st.sampled_from([1.0, -1.0])

# ---------------------------------------------------------------------------------------------
# Against PyTorch.


@EXAMPLES
@given(batches(REALS, REALS))
def test_mse_matches_torch(case):
    run_scalar_loss(mse_loss, F.mse_loss, *case)


@EXAMPLES
@given(st.integers(1, 4), st.integers(1, 3), st.data())
def test_mse_of_vector_samples_is_the_mean_over_every_number(n, width, data):
    preds = data.draw(
        st.lists(st.lists(REALS, min_size=width, max_size=width), min_size=n, max_size=n)
    )
    targets = data.draw(
        st.lists(st.lists(REALS, min_size=width, max_size=width), min_size=n, max_size=n)
    )
    rows = [[Value(x) for x in row] for row in preds]
    tensor = torch.tensor(preds, dtype=f64, requires_grad=True)
    theirs = F.mse_loss(tensor, torch.tensor(targets, dtype=f64))
    compare(mse_loss(rows, targets), [v for row in rows for v in row], theirs, tensor)


@EXAMPLES
@given(batches(PROBS, LABELS))
def test_binary_cross_entropy_matches_torch(case):
    run_scalar_loss(binary_cross_entropy, F.binary_cross_entropy, *case)


@EXAMPLES
@given(batches(st.floats(-40.0, 40.0), LABELS))
def test_binary_cross_entropy_with_logits_matches_torch(case):
    run_scalar_loss(binary_cross_entropy_with_logits, F.binary_cross_entropy_with_logits, *case)


def torch_hinge(s: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    return torch.clamp(1 - t * s, min=0).mean()


@EXAMPLES
@given(batches(st.floats(-3.0, 3.0), SIGNS))
def test_hinge_matches_torch(case):
    _, scores, targets = case
    # away from the kink t*s = 1, where the conventions differ (see the test below)
    assume(all(abs(1.0 - t * s) > 1e-6 for s, t in zip(scores, targets)))
    run_scalar_loss(hinge_loss, torch_hinge, *case)


@EXAMPLES
@given(st.booleans(), st.integers(1, 4), st.integers(1, 5), st.data())
def test_cross_entropy_matches_torch(batched, n, classes, data):
    n = n if batched else 1
    logits = data.draw(
        st.lists(st.lists(REALS, min_size=classes, max_size=classes), min_size=n, max_size=n)
    )
    targets = data.draw(st.lists(st.integers(0, classes - 1), min_size=n, max_size=n))
    rows = [[Value(x) for x in row] for row in logits]
    tensor = torch.tensor(logits, dtype=f64, requires_grad=True)
    k = torch.tensor(targets)
    if batched:
        ours, theirs = cross_entropy(rows, targets), F.cross_entropy(tensor, k)
    else:
        ours, theirs = cross_entropy(rows[0], targets[0]), F.cross_entropy(tensor[0], k[0])
    compare(ours, [v for row in rows for v in row], theirs, tensor)


@EXAMPLES
@given(st.lists(REALS, min_size=1, max_size=6), st.floats(0.0, 2.0))
def test_l2_penalty_matches_torch(params, alpha):
    leaves = [Value(x) for x in params]
    tensor = torch.tensor(params, dtype=f64, requires_grad=True)
    compare(l2_penalty(leaves, alpha), leaves, alpha * (tensor * tensor).sum(), tensor)


# ---------------------------------------------------------------------------------------------
# Against central differences (autograd.gradcheck), the loss seen as a function of the inputs.

GRADCHECK_CASES = {
    "mse": (REALS, REALS, mse_loss),
    "bce": (PROBS, LABELS, binary_cross_entropy),
    "bce_with_logits": (st.floats(-20.0, 20.0), LABELS, binary_cross_entropy_with_logits),
    "hinge": (st.floats(-3.0, 3.0), SIGNS, hinge_loss),
}


@pytest.mark.parametrize("name", GRADCHECK_CASES)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_losses_pass_gradcheck(name, data):
    element, target, fn = GRADCHECK_CASES[name]
    batched, preds, targets = data.draw(batches(element, target))
    if name == "hinge":  # the kink within eps would make finite differences meaningless
        assume(all(abs(1.0 - t * s) > 1e-3 for s, t in zip(preds, targets)))
    if batched:
        gradcheck(lambda *xs: loss(fn(list(xs), targets)), preds)
    else:
        gradcheck(lambda x: loss(fn(x, targets[0])), preds)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 3), st.integers(1, 4), st.data())
def test_cross_entropy_passes_gradcheck(n, classes, data):
    logits = data.draw(st.lists(REALS, min_size=n * classes, max_size=n * classes))
    targets = data.draw(st.lists(st.integers(0, classes - 1), min_size=n, max_size=n))

    def f(*xs):
        rows = [list(xs[i * classes : (i + 1) * classes]) for i in range(n)]
        return loss(cross_entropy(rows, targets))

    gradcheck(f, logits)


# ---------------------------------------------------------------------------------------------
# Extreme logits: finite and exact where a naive formula overflows or loses everything.


@pytest.mark.parametrize("z", [1000.0, -1000.0, 745.0, -745.0, 40.0, -40.0])
@pytest.mark.parametrize("t", [0.0, 1.0, 0.3])
def test_bce_with_logits_is_finite_and_exact_for_huge_logits(z, t):
    ours = Value(z)
    out = binary_cross_entropy_with_logits(ours, t)
    out.backward()
    tensor = torch.tensor(z, dtype=f64, requires_grad=True)
    theirs = F.binary_cross_entropy_with_logits(tensor, torch.tensor(t, dtype=f64))
    theirs.backward()
    assert math.isfinite(out.data) and math.isfinite(ours.grad)
    assert torch_close(out.data, theirs.item(), abs(z))
    assert torch_close(ours.grad, tensor.grad.item())
    # the closed forms: for |z| this large, sigmoid(z) is 0 or 1 to double precision
    if abs(z) >= 40.0:
        wrong = 1.0 - t if z > 0 else t  # the weight on the class the logit argues against
        assert out.data == pytest.approx(abs(z) * wrong, rel=1e-12, abs=1e-12)
        assert ours.grad == pytest.approx((1.0 if z > 0 else 0.0) - t, abs=1e-15)


def test_bce_with_logits_of_mixed_extremes_in_a_batch_matches_torch():
    zs, ts = [1000.0, -1000.0, 0.0, 3.0, -1000.0], [1.0, 1.0, 0.5, 0.0, 0.0]
    leaves = [Value(z) for z in zs]
    tensor = torch.tensor(zs, dtype=f64, requires_grad=True)
    theirs = F.binary_cross_entropy_with_logits(tensor, torch.tensor(ts, dtype=f64))
    compare(binary_cross_entropy_with_logits(leaves, ts), leaves, theirs, tensor)


@pytest.mark.parametrize(
    "logits, k",
    [
        ([1000.0, -1000.0, 0.0], 0),
        ([1000.0, -1000.0, 0.0], 1),
        ([-1000.0, -1000.0], 1),
        ([1000.0, 999.0, -1000.0], 1),
        ([1000.0], 0),
    ],
)
def test_cross_entropy_is_finite_and_exact_for_huge_logits(logits, k):
    leaves = [Value(x) for x in logits]
    out = cross_entropy(leaves, k)
    tensor = torch.tensor(logits, dtype=f64, requires_grad=True)
    compare(out, leaves, F.cross_entropy(tensor, torch.tensor(k)), tensor)
    assert math.isfinite(out.data)
    assert all(math.isfinite(v.grad) for v in leaves)


def test_cross_entropy_of_huge_logits_has_the_closed_form():
    xs = [Value(1000.0), Value(-1000.0), Value(0.0)]
    out = cross_entropy(xs, 1)
    out.backward()
    assert out.data == 2000.0  # logsumexp = 1000 (+ log(1 + e^-1000 + e^-2000) = 0), minus -1000
    assert [x.grad for x in xs] == [1.0, -1.0, 0.0]  # softmax - one_hot


# ---------------------------------------------------------------------------------------------
# Conventions at the boundaries, pinned.


@pytest.mark.parametrize("t", [0.0, 1.0, 0.25, 0.5, 0.3])
def test_bce_with_logits_gradient_at_zero_is_exactly_one_half_minus_t(t):
    # NOTE: built from relu and abs (both with derivative 0 at 0) it would be -t here
    z = Value(0.0)
    out = binary_cross_entropy_with_logits(z, t)
    out.backward()
    assert out.data == math.log(2.0)
    assert z.grad == 0.5 - t


def test_bce_with_logits_gradient_at_zero_in_a_batch_is_divided_by_n():
    zs = [Value(0.0) for _ in range(4)]
    binary_cross_entropy_with_logits(zs, [0.0, 1.0, 0.25, 0.5]).backward()
    assert [z.grad for z in zs] == [0.125, -0.125, 0.0625, 0.0]


@settings(max_examples=40, deadline=None)
@given(st.floats(-30.0, 30.0), LABELS)
def test_bce_of_a_sigmoid_has_the_gradient_of_bce_with_logits(z, t):
    a, b = Value(z), Value(z)
    p = a.sigmoid()
    assume(0.0 < p.data < 1.0)
    binary_cross_entropy(p, t).backward()
    binary_cross_entropy_with_logits(b, t).backward()
    assert a.grad == pytest.approx(b.grad, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("t", [0.0, 1.0])
def test_bce_of_a_saturated_but_right_sigmoid_is_zero_as_in_torch(t):
    z = Value(50.0 if t == 1.0 else -800.0)  # sigmoid rounds to exactly 1.0 / 0.0
    p = z.sigmoid()
    assert p.data == t
    out = binary_cross_entropy(p, t)
    out.backward()
    tensor = torch.tensor(z.data, dtype=f64, requires_grad=True)
    theirs = F.binary_cross_entropy(torch.sigmoid(tensor), torch.tensor(t, dtype=f64))
    theirs.backward()
    assert out.data == theirs.item() == 0.0
    assert z.grad == tensor.grad.item() == 0.0


@pytest.mark.parametrize("p, t", [(0.0, 1.0), (1.0, 0.0), (0.0, 0.5), (1.0, 0.5)])
def test_bce_that_needs_log_of_zero_raises_and_points_to_the_logits_version(p, t):
    with pytest.raises(ValueError, match="binary_cross_entropy_with_logits"):
        binary_cross_entropy(Value(p), t)


def test_bce_of_a_sigmoid_rounded_to_one_with_the_wrong_label_raises():
    with pytest.raises(ValueError, match=r"log\(0\).*with_logits"):
        binary_cross_entropy([Value(0.5), Value(800.0).sigmoid()], [1.0, 0.0])


def test_hinge_at_the_kink_has_derivative_zero():
    # NOTE: relu'(0) = 0; torch.clamp(1 - t*s, min=0) would pass -t here
    s = Value(1.0)
    out = hinge_loss(s, 1.0)
    out.backward()
    assert out.data == 0.0 and s.grad == 0.0


def test_one_sample_is_its_own_loss_and_a_batch_is_the_mean():
    x = Value(3.0)
    single = mse_loss(x, 1.0)
    assert single.op == "**" and single.data == 4.0
    batch = mse_loss([Value(3.0), Value(0.0)], [1.0, 0.0])
    assert batch.op == "/" and batch.data == 2.0
    assert binary_cross_entropy_with_logits(Value(0.0), 1.0).op == "bce_with_logits"


def test_l2_penalty_is_one_dot_node_and_a_product():
    ps = [Value(1.0), Value(-2.0), Value(3.0)]
    out = l2_penalty(ps, 0.5)
    out.backward()
    assert out.data == 7.0
    assert out.op == "*" and out.parents[0].op == "dot"
    assert [p.grad for p in ps] == [1.0, -2.0, 3.0]  # 2 * alpha * p


def test_plain_number_predictions_are_constants():
    out = mse_loss([Value(2.0), 5.0], [0.0, 1.0])
    assert out.data == (4.0 + 16.0) / 2


def test_the_bce_with_logits_rule_is_registered():
    from autograd import RULES

    assert "sigmoid(z) - t" in RULES["bce_with_logits"]


# ---------------------------------------------------------------------------------------------
# Bad input: a clear error naming the problem.

v, w = Value(0.5), Value(-0.5)

BAD_INPUT = [
    (lambda: mse_loss([v], [1.0, 2.0]), ValueError, "1 predictions but 2 targets"),
    (lambda: mse_loss([], []), ValueError, "empty"),
    (lambda: mse_loss(v, [1.0]), TypeError, "one prediction but a list"),
    (lambda: mse_loss([v], 1.0), TypeError, "needs a list of targets"),
    (lambda: mse_loss(v, "1"), TypeError, "must be a number, got str"),
    (lambda: mse_loss(v, None), TypeError, "got NoneType"),
    (lambda: mse_loss(v, v), TypeError, "not a Value"),
    (lambda: mse_loss(v, math.nan), ValueError, "finite"),
    (lambda: mse_loss("x", 1.0), TypeError, "Value or a number"),
    (lambda: mse_loss([[v, w]], [[1.0]]), ValueError, "2 predictions but 1 targets"),
    (lambda: binary_cross_entropy(v, 2.0), ValueError, r"must be in \[0, 1\]"),
    (lambda: binary_cross_entropy(v, -0.1), ValueError, r"must be in \[0, 1\]"),
    (lambda: binary_cross_entropy(Value(1.5), 1.0), ValueError, r"outside \[0, 1\]"),
    (lambda: binary_cross_entropy(w, 1.0), ValueError, r"outside \[0, 1\]"),
    (lambda: binary_cross_entropy(v, True), TypeError, "got bool"),
    (lambda: binary_cross_entropy([v, v], [1.0]), ValueError, "2 predictions but 1"),
    (lambda: binary_cross_entropy_with_logits(v, 1.5), ValueError, r"\[0, 1\]"),
    (lambda: binary_cross_entropy_with_logits([], []), ValueError, "empty"),
    (lambda: binary_cross_entropy_with_logits([v], [0.0, 1.0]), ValueError, "1 predictions"),
    (lambda: cross_entropy([v, w], 2), ValueError, "class index 2.*out of range for 2"),
    (lambda: cross_entropy([v, w], -1), ValueError, "out of range"),
    (lambda: cross_entropy([v, w], 1.0), TypeError, "int class index, got float"),
    (lambda: cross_entropy([v, w], True), TypeError, "int class index, got bool"),
    (lambda: cross_entropy([], 0), ValueError, "empty"),
    (lambda: cross_entropy(v, 0), TypeError, "list of Values"),
    (lambda: cross_entropy([[v, w], [v, w]], [0]), ValueError, "2 samples of logits but 1"),
    (lambda: cross_entropy([[v, w]], 0), TypeError, "list of class indices"),
    (lambda: cross_entropy([], []), ValueError, "empty"),
    (lambda: cross_entropy([[v, w], [v]], [0, 1]), ValueError, "class index 1 .sample 1."),
    (lambda: hinge_loss(v, 0.0), ValueError, r"\+1 or -1, got 0.0"),
    (lambda: hinge_loss([v, w], [1.0, 0.5]), ValueError, "sample 1.*must be \\+1 or -1"),
    (lambda: hinge_loss([], []), ValueError, "empty"),
    (lambda: l2_penalty([], 0.1), ValueError, "no parameters"),
    (lambda: l2_penalty([v], -1.0), ValueError, ">= 0"),
    (lambda: l2_penalty([v], math.inf), ValueError, "finite"),
    (lambda: l2_penalty([v], "0.1"), TypeError, "alpha must be a number"),
    (lambda: l2_penalty(v, 0.1), TypeError, "wrap one in a list"),
    (lambda: l2_penalty([1.0], 0.1), TypeError, "parameter 0 is a float"),
    (lambda: l2_penalty(3, 0.1), TypeError, "iterable of Values"),
]


@pytest.mark.parametrize("call, error, message", BAD_INPUT)
def test_bad_input_raises_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
