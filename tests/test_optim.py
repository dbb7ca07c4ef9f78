"""Optimizers: the same parameter trajectories as torch.optim on the same gradients, schedules,
zero_grad, the all-or-nothing step (nan refused), state kept in the optimizer, and the checks
on every constructor argument.
"""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value, dot
from nn.losses import l2_penalty, mse_loss
from nn.optim import SGD, Adam, LinearDecay, Optimizer, linear_decay

f64 = torch.float64

# Both sides evaluate the same update formulas in IEEE double and differ by a few roundings per
# step (torch's `lerp` for Adam's mean, an fma in a vectorized add), each ~1e-16 of the size of
# the parameter or of its step. The tolerance is 1e-12 of that: 4 orders of margin, while a
# wrong formula (a missing bias correction, momentum applied twice) is off by 1e-3 or more.
#
# NOTE: before each step torch's parameters are set to ours, so both step from the same point;
# the optimizer state (momentum, running averages) is never synced, so it is compared over the
# whole run. Without the sync a rounding difference would be fed back through weight decay, and
# Adam's step is scale-free: a gradient known to 1e-9 relative (wd * p just after p cancelled to
# ~1e-8) gives a step known only to lr * 1e-9, a true ill-conditioning, not a wrong formula.
TRAJECTORY_RTOL = 1e-12

# ---------------------------------------------------------------------------------------------
# Run both optimizers on one list of gradients per step.


def our_trajectory(make, start, grads):
    """The parameters after each step of `make(params)`, fed `grads[k]` at step k."""
    params = [Value(x) for x in start]
    opt = make(params)
    path = []
    for gs in grads:
        for p, g in zip(params, gs):
            p.grad = g
        opt.step()
        path.append([p.data for p in params])
    return path


def torch_trajectory(make, start, grads, ours, lrs=None):
    """The same with torch.optim; each step starts from our parameters (see the NOTE above)
    with the learning rate `lrs[k]` if given."""
    params = [torch.tensor(x, dtype=f64, requires_grad=True) for x in start]
    opt = make(params)
    path = []
    for k, gs in enumerate(grads):
        with torch.no_grad():
            for p, x in zip(params, ours[k - 1] if k else start):
                p.fill_(x)
        for p, g in zip(params, gs):
            p.grad = torch.tensor(g, dtype=f64)
        if lrs is not None:
            for group in opt.param_groups:
                group["lr"] = lrs[k]
        opt.step()
        path.append([p.item() for p in params])
    return path


def assert_same_trajectory(ours, theirs, start):
    for k, (row, torch_row) in enumerate(zip(ours, theirs, strict=True)):
        before = ours[k - 1] if k else start
        for i, (a, b) in enumerate(zip(row, torch_row, strict=True)):
            # the size of the parameter plus the size of its step
            bound = TRAJECTORY_RTOL * max(1.0, abs(before[i]) + abs(b - before[i]))
            assert abs(a - b) <= bound, f"step {k + 1}, parameter {i}: chainrule {a!r}, torch {b!r}"


@st.composite
def problems(draw):
    """Starting parameters and a sequence of gradients for each step."""
    n = draw(st.integers(1, 4))
    start = draw(st.lists(st.floats(-5.0, 5.0), min_size=n, max_size=n))
    steps = draw(st.integers(1, 6))
    grad = st.floats(-10.0, 10.0)
    grads = draw(st.lists(st.lists(grad, min_size=n, max_size=n), min_size=steps, max_size=steps))
    return start, grads


# ---------------------------------------------------------------------------------------------
# Against torch.optim.


@settings(max_examples=60, deadline=None)
@given(
    problems(),
    st.floats(1e-4, 1.0),
    st.one_of(st.just(0.0), st.floats(0.0, 0.99)),
    st.one_of(st.just(0.0), st.floats(0.0, 0.5)),
    st.booleans(),
)
def test_sgd_follows_torch(problem, lr, momentum, weight_decay, nesterov):
    start, grads = problem
    nesterov = nesterov and momentum > 0.0
    kwargs = dict(lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov)
    ours = our_trajectory(lambda ps: SGD(ps, **kwargs), start, grads)
    theirs = torch_trajectory(
        lambda ps: torch.optim.SGD(ps, foreach=False, **kwargs), start, grads, ours
    )
    assert_same_trajectory(ours, theirs, start)


@settings(max_examples=60, deadline=None)
@given(
    problems(),
    st.floats(1e-4, 1.0),
    # NOTE: beta1 is kept out of (0, 0.5): there torch's `lerp` computes 1 - (1 - beta1), whose
    # rounding is large next to a tiny beta1 (1e-9 relative at beta1 = 1e-7), and a zero
    # gradient (v ~ 0, so the step is m / eps) amplifies it past any sensible tolerance.
    st.tuples(st.one_of(st.just(0.0), st.floats(0.5, 0.999)), st.floats(0.0, 0.9999)),
    st.one_of(st.just(1e-8), st.floats(1e-10, 1.0)),
    st.one_of(st.just(0.0), st.floats(0.0, 0.5)),
)
def test_adam_follows_torch(problem, lr, betas, eps, weight_decay):
    start, grads = problem
    kwargs = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
    ours = our_trajectory(lambda ps: Adam(ps, **kwargs), start, grads)
    theirs = torch_trajectory(
        lambda ps: torch.optim.Adam(ps, foreach=False, **kwargs), start, grads, ours
    )
    assert_same_trajectory(ours, theirs, start)


def test_adam_defaults_are_torchs():
    p = Value(1.0)
    opt = Adam([p])
    reference = torch.optim.Adam([torch.zeros(1, requires_grad=True)]).defaults
    assert opt.lr == reference["lr"] == 0.001
    assert opt.betas == reference["betas"]
    assert opt.eps == reference["eps"]
    assert opt.weight_decay == reference["weight_decay"]


def data_fit(params):
    """A small model and a loss: mean squared error of tanh(w . x + b) over four points."""
    *w, b = params
    xs = [[0.5, -1.0], [1.5, 0.3], [-0.7, 0.8], [0.0, 2.0]]
    ys = [0.2, -0.5, 0.9, 0.1]
    return mse_loss([dot(w, x, b).tanh() for x in xs], ys)


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (
            lambda ps: SGD(ps, lr=linear_decay(0.5, 0.05, 20), momentum=0.9, weight_decay=1e-2),
            lambda ps: torch.optim.SGD(ps, lr=0.5, momentum=0.9, weight_decay=1e-2, foreach=False),
        ),
        (
            lambda ps: SGD(ps, lr=linear_decay(0.5, 0.05, 20), momentum=0.5, nesterov=True),
            lambda ps: torch.optim.SGD(ps, lr=0.5, momentum=0.5, nesterov=True, foreach=False),
        ),
        (
            lambda ps: Adam(ps, lr=linear_decay(0.1, 0.01, 20), weight_decay=1e-3),
            lambda ps: torch.optim.Adam(ps, lr=0.1, weight_decay=1e-3, foreach=False),
        ),
    ],
    ids=["sgd-momentum-decay", "sgd-nesterov", "adam"],
)
def test_training_follows_torch_with_a_schedule(ours, theirs):
    """30 steps of a real loss: our backward gives the gradients, both optimizers take them."""
    start = [0.3, -0.2, 0.1]
    params = [Value(x) for x in start]
    opt = ours(params)
    path, grads, lrs, losses = [], [], [], []
    for _ in range(30):
        opt.zero_grad()
        L = data_fit(params)
        L.backward()
        losses.append(L.data)
        grads.append([p.grad for p in params])
        lrs.append(opt.current_lr())
        opt.step()
        path.append([p.data for p in params])
    assert opt.step_count == 30
    assert losses[-1] < losses[0]  # it does learn
    assert_same_trajectory(path, torch_trajectory(theirs, start, grads, path, lrs), start)


def test_l2_penalty_equals_weight_decay_step_for_step():
    start = [0.8, -1.5, 0.4]
    a, b = [Value(x) for x in start], [Value(x) for x in start]
    with_penalty = SGD(a, lr=0.1, momentum=0.9)
    with_decay = SGD(b, lr=0.1, momentum=0.9, weight_decay=0.2)
    for _ in range(10):
        with_penalty.zero_grad()
        (data_fit(a) + l2_penalty(a, 0.1)).backward()
        with_penalty.step()
        with_decay.zero_grad()
        data_fit(b).backward()
        with_decay.step()
    for p, q in zip(a, b):
        assert p.data == pytest.approx(q.data, rel=1e-12, abs=1e-14)


# ---------------------------------------------------------------------------------------------
# The update rules by hand, for a step or two.


def test_sgd_plain_step():
    p = Value(1.0)
    p.grad = 0.5
    SGD([p], lr=0.1).step()
    assert p.data == 1.0 - 0.1 * 0.5


def test_sgd_momentum_buffer_starts_at_the_first_gradient():
    p = Value(0.0)
    opt = SGD([p], lr=1.0, momentum=0.5)
    p.grad = 1.0
    opt.step()
    assert p.data == -1.0  # buf = g on the first step (not (1 - momentum) * g)
    assert opt.state[0] == {"momentum_buffer": 1.0}
    opt.step()  # the grad is still 1.0 (nothing zeroed it): buf = 0.5 * 1 + 1
    assert opt.state[0] == {"momentum_buffer": 1.5}
    assert p.data == -2.5


def test_adam_first_step_is_lr_times_the_sign_of_the_gradient():
    p, q = Value(1.0), Value(-2.0)
    opt = Adam([p, q], lr=0.01, eps=1e-12)
    p.grad, q.grad = 3.0, -1e-3
    opt.step()
    # m_hat = g, v_hat = g^2: the step is lr * g / (|g| + eps), about lr whatever the size of g
    assert p.data == pytest.approx(1.0 - 0.01 * 3.0 / (3.0 + 1e-12), rel=1e-15)
    assert q.data == pytest.approx(-2.0 + 0.01 * 1e-3 / (1e-3 + 1e-12), rel=1e-15)
    assert set(opt.state[0]) == {"exp_avg", "exp_avg_sq"}


# ---------------------------------------------------------------------------------------------
# Schedules.


def test_linear_decay_is_micrograd_demo_schedule_bit_for_bit():
    schedule = linear_decay(1.0, 0.1, 100)
    for k in range(100):
        assert schedule(k) == 1.0 - 0.9 * k / 100
    assert schedule(100) == schedule(1000) == 0.1
    assert isinstance(schedule, LinearDecay)


def test_a_schedule_is_called_with_the_number_of_steps_taken():
    p = Value(0.0)
    seen = []

    def schedule(k):
        seen.append(k)
        return 0.1 * (k + 1)

    opt = SGD([p], lr=schedule)
    for _ in range(3):
        p.grad = 1.0
        opt.step()
    assert seen == [0, 1, 2]
    assert p.data == pytest.approx(-(0.1 + 0.2 + 0.3), rel=1e-15)
    assert opt.step_count == 3
    assert opt.current_lr() == pytest.approx(0.4)


@pytest.mark.parametrize("bad", [lambda k: -0.1, lambda k: math.nan, lambda k: "0.1"])
def test_a_schedule_giving_a_bad_rate_raises_and_changes_nothing(bad):
    p = Value(1.0)
    p.grad = 1.0
    opt = SGD([p], lr=bad, momentum=0.9)
    with pytest.raises((ValueError, TypeError), match="schedule at step 0"):
        opt.step()
    assert p.data == 1.0 and opt.step_count == 0 and opt.state == [{}]


def test_lr_can_be_changed_between_steps_and_is_checked():
    p = Value(0.0)
    opt = SGD([p], lr=0.1)
    opt.lr = 0.5
    p.grad = 1.0
    opt.step()
    assert p.data == -0.5
    opt.lr = linear_decay(1.0, 0.5, 2)
    assert opt.current_lr() == 0.75  # step_count is 1
    with pytest.raises(ValueError, match="lr must be > 0"):
        opt.lr = 0.0


@pytest.mark.parametrize(
    "args, error, message",
    [
        ((0.0, 0.1, 10), ValueError, "start must be > 0"),
        ((1.0, -0.1, 10), ValueError, "end must be >= 0"),
        ((1.0, 0.1, 0), ValueError, "steps must be >= 1"),
        ((1.0, 0.1, 2.5), TypeError, "steps must be an int"),
        ((1.0, math.inf, 10), ValueError, "finite"),
        (("1", 0.1, 10), TypeError, "start must be a number"),
    ],
)
def test_linear_decay_checks_its_arguments(args, error, message):
    with pytest.raises(error, match=message):
        linear_decay(*args)


# ---------------------------------------------------------------------------------------------
# zero_grad, the refused step, and where the state lives.


def test_zero_grad_zeroes_every_parameter():
    ps = [Value(1.0), Value(2.0)]
    (ps[0] * ps[1]).backward()
    assert [p.grad for p in ps] == [2.0, 1.0]
    Adam(ps).zero_grad()
    assert [p.grad for p in ps] == [0.0, 0.0]


@pytest.mark.parametrize("bad_grad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize(
    "make", [lambda ps: SGD(ps, lr=0.1, momentum=0.9), lambda ps: Adam(ps)], ids=["sgd", "adam"]
)
def test_a_nan_or_inf_gradient_is_refused_and_nothing_changes(make, bad_grad):
    ps = [Value(1.0), Value(2.0, "w"), Value(3.0)]
    opt = make(ps)
    for p in ps:
        p.grad = 0.5
    opt.step()
    data, state = [p.data for p in ps], [dict(s) for s in opt.state]
    ps[1].grad = bad_grad
    with pytest.raises(FloatingPointError, match=r"parameter 1 \('w'\).*lower the learning rate"):
        opt.step()
    assert [p.data for p in ps] == data
    assert opt.state == state
    assert opt.step_count == 1


def test_an_update_that_overflows_is_refused_and_nothing_changes():
    ps = [Value(1.0), Value(-1e308)]
    ps[0].grad, ps[1].grad = 1.0, 1e308
    opt = SGD(ps, lr=10.0)
    with pytest.raises(FloatingPointError, match="parameter 1.*Lower the learning rate"):
        opt.step()
    assert [p.data for p in ps] == [1.0, -1e308]
    assert opt.step_count == 0


def test_state_lives_in_the_optimizer_not_on_the_parameters():
    p = Value(0.0)
    first = SGD([p], lr=1.0, momentum=0.5)
    p.grad = 1.0
    first.step()
    first.step()
    assert first.state[0] == {"momentum_buffer": 1.5}
    # a second optimizer over the same parameter starts from nothing: its first step is plain g
    second = SGD([p], lr=1.0, momentum=0.5)
    before = p.data
    second.step()
    assert p.data == before - 1.0
    assert second.state[0] == {"momentum_buffer": 1.0}
    # the parameter is still a plain leaf: Value has __slots__, so nothing could be stuck on it
    assert (p.op, p.parents, p.local_grads, p.label) == ("", (), (), "")
    with pytest.raises(AttributeError):
        p.momentum_buffer = 1.0


def test_an_optimizer_is_an_optimizer():
    opt = SGD([Value(1.0)], lr=0.1)
    assert isinstance(opt, Optimizer)
    assert "SGD(1 parameters, lr=0.1)" == repr(opt)
    with pytest.raises(NotImplementedError):
        Optimizer([Value(1.0)], lr=0.1).step()


# ---------------------------------------------------------------------------------------------
# Every constructor argument is checked.

x, y = Value(1.0), Value(2.0)

BAD_ARGUMENTS = [
    (lambda: SGD([], lr=0.1), ValueError, "empty"),
    (lambda: SGD(x, lr=0.1), TypeError, "wrap it in a list"),
    (lambda: SGD(3, lr=0.1), TypeError, "iterable of Values, got int"),
    (lambda: SGD([x, 1.0], lr=0.1), TypeError, r"params\[1\] is a float"),
    (lambda: SGD([x, y, x], lr=0.1), ValueError, r"params\[2\] is the same Value as params\[0\]"),
    (lambda: SGD([x * y], lr=0.1), ValueError, "only leaves"),
    (lambda: SGD([x], lr=0.0), ValueError, "lr must be > 0"),
    (lambda: SGD([x], lr=-1.0), ValueError, "lr must be > 0"),
    (lambda: SGD([x], lr=math.nan), ValueError, "finite"),
    (lambda: SGD([x], lr="0.1"), TypeError, "lr must be a number"),
    (lambda: SGD([x], lr=0.1, momentum=1.0), ValueError, r"momentum must be in \[0, 1\)"),
    (lambda: SGD([x], lr=0.1, momentum=-0.1), ValueError, r"momentum must be in \[0, 1\)"),
    (lambda: SGD([x], lr=0.1, weight_decay=-1e-3), ValueError, "weight_decay must be >= 0"),
    (lambda: SGD([x], lr=0.1, nesterov=True), ValueError, "nesterov=True needs a momentum"),
    (lambda: SGD([x], lr=0.1, momentum=0.9, nesterov=1), TypeError, "nesterov must be True"),
    (lambda: Adam([x], lr=0.0), ValueError, "lr must be > 0"),
    (lambda: Adam([x], betas=(1.0, 0.999)), ValueError, r"betas\[0\] must be in \[0, 1\)"),
    (lambda: Adam([x], betas=(0.9, -0.1)), ValueError, r"betas\[1\] must be in \[0, 1\)"),
    (lambda: Adam([x], betas=0.9), TypeError, "betas must be a pair"),
    (lambda: Adam([x], betas=(0.9, 0.99, 0.9)), TypeError, "betas must be a pair"),
    (lambda: Adam([x], eps=0.0), ValueError, "eps must be > 0"),
    (lambda: Adam([x], eps=None), TypeError, "eps must be a number"),
    (lambda: Adam([x], weight_decay=-0.1), ValueError, "weight_decay must be >= 0"),
]


@pytest.mark.parametrize("call, error, message", BAD_ARGUMENTS)
def test_bad_arguments_raise_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


def two_steps(optimizer, **kwargs):
    return our_trajectory(lambda ps: optimizer(ps, **kwargs), [1.0], [[0.5], [0.3]])


def test_every_argument_is_stored_and_used():
    sgd = SGD([x], lr=0.1, momentum=0.5, weight_decay=0.01, nesterov=True)
    assert (sgd.lr, sgd.momentum, sgd.weight_decay, sgd.nesterov) == (0.1, 0.5, 0.01, True)
    adam = Adam([x], lr=0.01, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1)
    assert (adam.lr, adam.betas, adam.eps, adam.weight_decay) == (0.01, (0.8, 0.9), 1e-6, 0.1)
    # "used": changing any one of them changes the first two steps (the torch tests pin how)
    base = dict(lr=0.1, momentum=0.5, weight_decay=0.01, nesterov=True)
    for name, value in [
        ("lr", 0.2),
        ("momentum", 0.6),
        ("weight_decay", 0.02),
        ("nesterov", False),
    ]:
        assert two_steps(SGD, **{**base, name: value}) != two_steps(SGD, **base), name
    base = dict(lr=0.1, betas=(0.8, 0.9), eps=0.1, weight_decay=0.01)
    for name, value in [
        ("lr", 0.2),
        ("betas", (0.7, 0.9)),
        ("betas", (0.8, 0.5)),
        ("eps", 0.2),
        ("weight_decay", 0.02),
    ]:
        assert two_steps(Adam, **{**base, name: value}) != two_steps(Adam, **base), name
