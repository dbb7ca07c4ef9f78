"""04 — gradient descent walks downhill on a loss surface, one gradient step at a time.

Let's take a loss of two parameters, a long narrow bowl with its lowest point at (1, 0.5):

    L(w1, w2) = (w1 - 1)^2 + 10 (w2 - 0.5)^2

Starting from (-1.5, 1.5), each step asks backprop for (dL/dw1, dL/dw2) and moves against it:
w <- w - lr * dL/dw. Let's draw the path on a contour plot, for two learning rates: a small
one that slides down the steep wall and then creeps along the flat floor, and a larger one that
overshoots across the steep direction, zig-zags, and still gets there first.

Run:  python demos/04_gradient_descent.py [OUT_DIR]     (pictures land in out/ by default)
"""

import sys
from pathlib import Path

from matplotlib.colors import LogNorm
from matplotlib.figure import Figure  # no pyplot: the Agg canvas, no window

from autograd import Value
from nn.plots import save_figure

out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out")
STEPS = 40


def loss(w1, w2):
    """Works on plain floats (for the contour plot) and on Values (for backprop)."""
    return (w1 - 1) ** 2 + 10 * (w2 - 0.5) ** 2


def descend(lr, start=(-1.5, 1.5), steps=STEPS):
    w1, w2 = Value(start[0], "w1"), Value(start[1], "w2")
    path = [(w1.data, w2.data, loss(w1.data, w2.data))]
    for k in range(steps):
        L = loss(w1, w2)
        w1.grad = w2.grad = 0.0  # leaves accumulate across passes: start each step from zero
        L.backward()
        if k < 3:
            print(f"   step {k}: L = {L.data:8.4f}   dL/dw1 = {w1.grad:8.4f}   "
                  f"dL/dw2 = {w2.grad:8.4f}")
        w1.data -= lr * w1.grad
        w2.data -= lr * w2.grad
        path.append((w1.data, w2.data, loss(w1.data, w2.data)))
    return path


paths = {}
for lr in (0.02, 0.09):
    print(f"lr = {lr}:")
    paths[lr] = descend(lr)
    w1, w2, L = paths[lr][-1]
    print(f"   after {STEPS} steps: w = ({w1:.4f}, {w2:.4f}),  L = {L:.2e}\n")

print("The steep direction (w2, curvature 20) and the shallow one (w1, curvature 2) share one")
print("learning rate: lr = 0.09 is nearly too large for w2 (it flips sign each step) and still")
print("small for w1. Above lr = 0.1 = 2/20, w2 would swing further out every step: divergence.\n")

# Let's draw: the contours of L, the two paths, and L step by step.
fig = Figure(figsize=(11, 4.6), layout="constrained")
surface, curve = fig.subplots(1, 2, width_ratios=[1.25, 1])
n = 200
g1 = [-2.0 + 4.0 * i / (n - 1) for i in range(n)]
g2 = [-0.5 + 2.5 * j / (n - 1) for j in range(n)]
grid = [[loss(a, b) for a in g1] for b in g2]
levels = [10 ** (k / 4) for k in range(-12, 10)]
filled = surface.contourf(g1, g2, grid, levels=levels, cmap="viridis_r", norm=LogNorm())
surface.contour(g1, g2, grid, levels=levels, colors="white", linewidths=0.4, alpha=0.6)
fig.colorbar(filled, ax=surface, label="L(w1, w2), log scale")
styles = {0.02: ("#f59322", "o"), 0.09: ("#d62728", "s")}
for lr, path in paths.items():
    colour, marker = styles[lr]
    surface.plot([p[0] for p in path], [p[1] for p in path], color=colour, marker=marker,
                 markersize=3.5, lw=1.4, label=f"lr = {lr}")
    curve.plot(range(len(path)), [max(p[2], 1e-12) for p in path], color=colour, lw=2,
               label=f"lr = {lr}")
surface.plot([1.0], [0.5], marker="*", color="white", markersize=16, markeredgecolor="black",
             label="minimum (1, 0.5)")
surface.plot([-1.5], [1.5], marker="o", color="black", markersize=6)
surface.annotate("start", (-1.5, 1.5), textcoords="offset points", xytext=(6, 6))
surface.set(xlabel="w1", ylabel="w2", title="L = (w1 - 1)² + 10 (w2 - 0.5)²  and the steps")
surface.legend(loc="lower right", fontsize=8)
curve.set_yscale("log")
curve.set(xlabel="step", ylabel="L (log scale)", title="loss per step")
curve.grid(alpha=0.3, which="both")
curve.legend(fontsize=8)

out_dir.mkdir(parents=True, exist_ok=True)
target = out_dir / "04_gradient_descent.png"
save_figure(fig, target)  # to a temporary file, then renamed
print(f"wrote {target}")
