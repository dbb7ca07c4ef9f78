"""08 — gradient checking: compare backprop with finite differences, and catch a planted bug.

Backprop is only as right as each op's local derivative. Let's check it against a method that
knows nothing about graphs, the central difference

    df/dx  ~  (f(x + eps) - f(x - eps)) / (2 eps)

`autograd.gradcheck` does this for every input of a function of Values. Let's run it on a
correct function, then plant a bug, a hand-made sigmoid whose local derivative forgets the
factor (1 - s), and read what a failed check looks like.

Run:  python demos/08_gradient_checking.py [OUT_DIR]     (pictures land in out/ by default)
"""

import math
import sys
from pathlib import Path

from matplotlib.figure import Figure

from autograd import GradcheckError, Value, gradcheck
from nn.plots import save_figure

out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out")


def f(x, y, w):
    """A small function that uses most ops: products, a power, exp, log, tanh, a quotient."""
    return ((x * w + y**2).tanh() + (x / y).exp() * w.log()).sigmoid()


inputs = [Value(0.7, "x"), Value(-1.3, "y"), Value(2.0, "w")]
print("gradcheck on a correct function:")
report = gradcheck(f, inputs)
print(report)
print("every input agrees: backprop and finite differences differ by about 1e-10 or less.\n")


# Now a bug. A sigmoid made by hand, with its local derivative written down wrong:
# d sigmoid(x)/dx = s * (1 - s), but this one says s.
def buggy_sigmoid(x):
    s = 1.0 / (1.0 + math.exp(-x.data))
    return Value(s, op="buggy_sigmoid", parents=(x,), local_grads=(s,))  # BUG: s, not s*(1-s)


def g(x, w):
    return buggy_sigmoid(x * w) * 3.0


print("gradcheck on a function with a planted bug:")
try:
    gradcheck(g, [Value(0.5, "x"), Value(1.5, "w")])
    raise SystemExit("the planted bug was not caught: gradcheck is broken")
except GradcheckError as error:
    print(error)
    print("\nThe message names the worst input and both numbers. Backprop is off by the same")
    print("factor for every input: 1 / (1 - s), the missing factor of the one broken op.\n")

# Let's draw the derivative of sigmoid over x: backprop with the right rule, with the buggy
# one, and finite differences (which agree with the right one everywhere).
xs = [-6.0 + 12.0 * i / 120 for i in range(121)]
right, buggy, numeric = [], [], []
for x0 in xs:
    x = Value(x0, "x")
    x.sigmoid().backward()
    right.append(x.grad)
    x = Value(x0, "x")
    buggy_sigmoid(x).backward()
    buggy.append(x.grad)
    eps = 1e-6
    numeric.append((Value(x0 + eps).sigmoid().data - Value(x0 - eps).sigmoid().data) / (2 * eps))

# And why eps = 1e-6: too large an eps measures a chord, not a tangent (error ~ eps^2); too
# small and the float subtraction f(x+eps) - f(x-eps) loses its digits (error ~ 1e-16 / eps).
epsilons = [10.0 ** (-k / 2) for k in range(2, 29)]
x0 = 0.5
exact = 1 - math.tanh(x0) ** 2  # d tanh(x)/dx
errors = [abs((math.tanh(x0 + e) - math.tanh(x0 - e)) / (2 * e) - exact) or 1e-17
          for e in epsilons]
best = epsilons[errors.index(min(errors))]
print(f"finite differences of tanh at 0.5: the error is smallest near eps = {best:.0e}")

fig = Figure(figsize=(11, 4.2), layout="constrained")
left, right_ax = fig.subplots(1, 2)
left.plot(xs, right, color="#0877bd", lw=2.5, label="backprop, s(1 - s)  (right)")
left.plot(xs, numeric, color="black", ls=":", lw=2, label="finite differences")
left.plot(xs, buggy, color="#d62728", lw=2, label="backprop, s  (planted bug)")
left.set(xlabel="x", ylabel="d sigmoid(x) / dx", title="a wrong local derivative, caught")
left.grid(alpha=0.3)
left.legend(fontsize=8)
right_ax.loglog(epsilons, errors, marker="o", color="#0877bd", markersize=3)
right_ax.axvline(1e-6, color="#f59322", ls="--", label="gradcheck's eps = 1e-6")
right_ax.set(xlabel="eps", ylabel="|finite difference - exact|",
             title="central difference error for tanh'(0.5)")
right_ax.grid(alpha=0.3, which="both")
right_ax.legend(fontsize=8)

out_dir.mkdir(parents=True, exist_ok=True)
target = out_dir / "08_gradient_checking.png"
save_figure(fig, target)  # to a temporary file, then renamed
print(f"wrote {target}")
