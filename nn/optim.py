"""Optimizers: turn the gradients of a backward pass into a step for every parameter.

    opt = SGD(model.parameters(), lr=0.05, momentum=0.9)
    for k in range(100):
        opt.zero_grad()
        loss = ...
        loss.backward()
        opt.step()

Names and update rules are PyTorch's (`torch.optim.SGD`, `torch.optim.Adam`), step for step.
What an optimizer remembers between steps (momentum, running averages) lives in the optimizer,
in `state[i]` for parameter i, never on the parameters themselves.

A step is all or nothing: every new value is computed and checked first, so a nan or inf
gradient (or an update that overflows) raises `StepRefused` (a `FloatingPointError`) and
changes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from numbers import Integral, Real

from autograd import Value

Schedule = Callable[[int], float]
"""A learning-rate schedule: the number of steps taken so far (0 on the first step) -> lr."""


def _number(x: object, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"{what} must be a number, got {type(x).__name__}")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{what} must be finite, got {x}")
    return x


# ---------------------------------------------------------------------------------------------
# Schedules.


@dataclass(frozen=True)
class LinearDecay:
    """lr(k) = start - (start - end) * k / steps for k < steps, then end."""

    start: float
    end: float
    steps: int

    def __call__(self, step: int) -> float:
        if step >= self.steps:
            return self.end
        return self.start - (self.start - self.end) * step / self.steps


def linear_decay(start: float, end: float, steps: int) -> LinearDecay:
    """A schedule falling in a straight line from `start` (step 0) to `end` (step `steps` on).

    micrograd's demo, lr = 1.0 - 0.9*k/100, is `linear_decay(1.0, 0.1, 100)`.
    """
    start = _number(start, "linear_decay: start")
    end = _number(end, "linear_decay: end")
    if start <= 0.0:
        raise ValueError(f"linear_decay: start must be > 0, got {start!r}")
    if end < 0.0:
        raise ValueError(f"linear_decay: end must be >= 0, got {end!r}")
    if isinstance(steps, bool) or not isinstance(steps, Integral):
        raise TypeError(f"linear_decay: steps must be an int, got {type(steps).__name__}")
    if steps < 1:
        raise ValueError(f"linear_decay: steps must be >= 1, got {steps}")
    return LinearDecay(start, end, int(steps))


# ---------------------------------------------------------------------------------------------
# The base class: parameters, learning rate, zero_grad, and the all-or-nothing step.


def _check_params(params: Iterable[Value]) -> list[Value]:
    if isinstance(params, Value):
        raise TypeError("params must be a list of Values, got one Value: wrap it in a list")
    try:
        params = list(params)
    except TypeError:
        hint = " (pass model.parameters())" if hasattr(params, "parameters") else ""
        raise TypeError(
            f"params must be an iterable of Values, got {type(params).__name__}{hint}"
        ) from None
    if not params:
        raise ValueError("params is empty: an optimizer needs at least one parameter")
    first_seen: dict[Value, int] = {}
    for i, p in enumerate(params):
        if not isinstance(p, Value):
            raise TypeError(f"params[{i}] is a {type(p).__name__}, not a Value")
        if p.parents:
            raise ValueError(
                f"params[{i}] was computed by the op {p.op!r}: only leaves (Values made with "
                "Value(...), not results of ops) can be optimized"
            )
        if p in first_seen:
            raise ValueError(
                f"params[{i}] is the same Value as params[{first_seen[p]}]: "
                "each parameter may appear once (it would be stepped twice)"
            )
        first_seen[p] = i
    return params


def _check_lr(lr: float | Schedule) -> float | Schedule:
    if callable(lr):
        return lr
    lr = _number(lr, "lr")
    if lr <= 0.0:
        raise ValueError(f"lr must be > 0, got {lr!r}")
    return lr


def _check_fraction(x: object, what: str) -> float:
    """A number in [0, 1): a momentum or a decay rate."""
    x = _number(x, what)
    if not 0.0 <= x < 1.0:
        raise ValueError(f"{what} must be in [0, 1), got {x!r}")
    return x


def _check_non_negative(x: object, what: str) -> float:
    x = _number(x, what)
    if x < 0.0:
        raise ValueError(f"{what} must be >= 0, got {x!r}")
    return x


class StepRefused(FloatingPointError):
    """A step would have written nan or inf into the weights, so nothing was changed.

    `reason` is what went wrong, without the advice that ends the message: `nn.fit` wraps it
    into its own "diverged at epoch N: <reason>. Lower the learning rate."
    """

    def __init__(self, reason: str, advice: str) -> None:
        super().__init__(f"{reason} {advice}")
        self.reason = reason


class Optimizer:
    """Holds the parameters, the learning rate and the per-parameter state; subclasses give the
    update of one parameter in `_update`.

    `lr` is a number > 0, or a schedule: any callable `step -> lr`, called before each step with
    `step_count`, the number of steps taken so far (0 on the first step).
    """

    def __init__(self, params: Iterable[Value], lr: float | Schedule) -> None:
        self.params: list[Value] = _check_params(params)
        self.lr = lr
        self.step_count = 0
        self.state: list[dict[str, float]] = [{} for _ in self.params]

    @property
    def lr(self) -> float | Schedule:
        """The learning rate: a number, or a schedule `step -> lr`. Assigning is checked."""
        return self._lr

    @lr.setter
    def lr(self, lr: float | Schedule) -> None:
        self._lr = _check_lr(lr)

    def current_lr(self) -> float:
        """The learning rate the next `step()` uses (a schedule evaluated at `step_count`)."""
        if not callable(self._lr):
            return self._lr
        what = f"the learning-rate schedule at step {self.step_count}"
        lr = _number(self._lr(self.step_count), what)
        if lr < 0.0:
            raise ValueError(f"{what} gave {lr!r}; a learning rate must be >= 0")
        return lr

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0.0 (leaves accumulate across backward passes)."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Move every parameter one step against its gradient, or raise and change nothing."""
        lr = self.current_lr()
        name = type(self).__name__
        for i, p in enumerate(self.params):
            if not math.isfinite(p.grad):
                raise StepRefused(
                    f"{name}.step: parameter {i}{_label(p)} has gradient {p.grad}; refusing to "
                    "write it into the weights (nothing was changed).",
                    f"The loss has probably blown up: lower the learning rate (now {lr!r}) or "
                    "rescale the inputs.",
                )
        updates = []
        for i, p in enumerate(self.params):
            data, state = self._update(p.data, p.grad, self.state[i], lr)
            if not (math.isfinite(data) and all(map(math.isfinite, state.values()))):
                raise StepRefused(
                    f"{name}.step: the update of parameter {i}{_label(p)} (data {p.data!r}, "
                    f"gradient {p.grad!r}) overflows (new value {data}, state {state}); nothing "
                    "was changed.",
                    f"Lower the learning rate (now {lr!r}).",
                )
            updates.append((data, state))
        for i, (p, (data, state)) in enumerate(zip(self.params, updates)):
            p.data = data
            self.state[i] = state
        self.step_count += 1

    def _update(
        self, data: float, grad: float, state: dict[str, float], lr: float
    ) -> tuple[float, dict[str, float]]:
        """One parameter's new value and new state; must not modify `state` in place."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.params)} parameters, lr={self._lr!r})"


def _label(p: Value) -> str:
    return f" ({p.label!r})" if p.label else ""


# ---------------------------------------------------------------------------------------------
# The optimizers.


class SGD(Optimizer):
    """Stochastic gradient descent with momentum and weight decay, as `torch.optim.SGD`:

    g = grad + weight_decay * p
    b = momentum * b + g            (b = g on the first step)
    g = g + momentum * b if nesterov else b      (when momentum > 0)
    p = p - lr * g
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float | Schedule,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = _check_fraction(momentum, "SGD: momentum")
        self.weight_decay = _check_non_negative(weight_decay, "SGD: weight_decay")
        if not isinstance(nesterov, bool):
            raise TypeError(f"SGD: nesterov must be True or False, got {nesterov!r}")
        if nesterov and self.momentum == 0.0:
            raise ValueError("SGD: nesterov=True needs a momentum > 0")
        self.nesterov = nesterov

    def _update(
        self, data: float, grad: float, state: dict[str, float], lr: float
    ) -> tuple[float, dict[str, float]]:
        g = grad + self.weight_decay * data if self.weight_decay else grad
        if not self.momentum:
            return data - lr * g, state
        b = state.get("momentum_buffer")
        b = g if b is None else self.momentum * b + g
        if self.nesterov:
            g = g + self.momentum * b
        else:
            g = b
        return data - lr * g, {"momentum_buffer": b}


class Adam(Optimizer):
    """Adam (Kingma & Ba), as `torch.optim.Adam`. At step t = 1, 2, ...:

        g = grad + weight_decay * p
        m = beta1 * m + (1 - beta1) * g          running mean of the gradient
        v = beta2 * v + (1 - beta2) * g^2        running mean of its square
        p = p - lr * m_hat / (sqrt(v_hat) + eps),   m_hat = m / (1 - beta1^t),
                                                    v_hat = v / (1 - beta2^t)

    computed in PyTorch's order: p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps).
    The bias corrections m_hat, v_hat undo the pull toward 0 of starting from m = v = 0.
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float | Schedule = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
            raise TypeError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (
            _check_fraction(betas[0], "Adam: betas[0]"),
            _check_fraction(betas[1], "Adam: betas[1]"),
        )
        self.eps = _number(eps, "Adam: eps")
        if self.eps <= 0.0:
            raise ValueError(f"Adam: eps must be > 0, got {self.eps!r}")
        self.weight_decay = _check_non_negative(weight_decay, "Adam: weight_decay")

    def _update(
        self, data: float, grad: float, state: dict[str, float], lr: float
    ) -> tuple[float, dict[str, float]]:
        beta1, beta2 = self.betas
        t = self.step_count + 1
        g = grad + self.weight_decay * data if self.weight_decay else grad
        m = beta1 * state.get("exp_avg", 0.0) + (1.0 - beta1) * g
        v = beta2 * state.get("exp_avg_sq", 0.0) + (1.0 - beta2) * g * g
        step_size = lr / (1.0 - beta1**t)
        denom = math.sqrt(v) / math.sqrt(1.0 - beta2**t) + self.eps
        return data - step_size * (m / denom), {"exp_avg": m, "exp_avg_sq": v}
