"""09 — the learning rate: too small crawls, about right converges, too large diverges.

Let's train the same small network three times, changing only the learning rate lr of plain
gradient descent (w <- w - lr * dL/dw):

    MLP(2, [16, 1]), tanh hidden layer, mean squared error onto -1 / +1 moons, full batch

Too small, and each step is a timid fraction of the way: after all the epochs it is still far.
About right, and the loss drops in a few epochs. Too large, and every step overshoots the valley
by more than it started from: the loss grows by a constant factor each epoch until the numbers no
longer fit in a float, and `fit` stops with `TrainingDiverged` saying so.

Run:  python demos/09_learning_rates.py [OUT_DIR]     (pictures land in out/ by default)
      CHAINRULE_FAST=1 python demos/09_learning_rates.py     (fewer points, for tests)
"""

import math
import os
import sys
from pathlib import Path

from matplotlib.figure import Figure

from nn import MLP, SGD, TrainingDiverged, datasets, fit, mse_loss
from nn.plots import save_figure

out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out")
FAST = os.environ.get("CHAINRULE_FAST") == "1"
EPOCHS = 100

X, y = datasets.moons(n=40 if FAST else 100, noise=0.1, seed=1)
y = datasets.to_pm1(y)

curves, verdicts = {}, {}
for name, lr in (("too small", 0.001), ("about right", 0.3), ("too large", 3.0)):
    model = MLP(2, [16, 1], activation="tanh", seed=0)  # the same starting weights each time
    losses = []  # kept by the hook, so we still have them if fit stops with an error

    def remember(epoch, history, losses=losses):
        losses.append(history.loss[-1])

    print(f"lr = {lr} ({name}):")
    try:
        history = fit(model, X, y, mse_loss, SGD(model.parameters(), lr=lr), epochs=EPOCHS,
                      quiet=True, on_epoch=remember)
        verdicts[lr] = f"loss {losses[-1]:.3f} after {EPOCHS} epochs"
        print(f"   loss {losses[0]:.3f} -> {losses[-1]:.3f}, training accuracy "
              f"{history.accuracy[-1]:.0%}")
    except TrainingDiverged as error:
        verdicts[lr] = f"diverged at epoch {len(losses) + 1}"
        print(f"   loss {losses[0]:.3g} -> {losses[-1]:.3g} after {len(losses)} epochs, then:")
        print(f"   TrainingDiverged: {error}")
    curves[(name, lr)] = losses

growth = curves[("too large", 3.0)][11] / curves[("too large", 3.0)][10]
print(f"\nWith lr = 3.0 the loss grows about {growth:,.0f}-fold every epoch: a straight line on a")
print("log scale, until it overflows. Between too small and too large there is a wide range that")
print("works: try it with other values.\n")

# Let's draw them. The diverging loss spans 300 powers of ten, so it gets its own panel,
# with log10(loss) on its axis.
fig = Figure(figsize=(11, 4.2), layout="constrained")
calm, wild = fig.subplots(1, 2)
colours = {"too small": "#0877bd", "about right": "#2ca02c", "too large": "#d62728"}
for (name, lr), losses in curves.items():
    epochs = range(1, len(losses) + 1)
    label = f"lr = {lr} ({name}): {verdicts[lr]}"
    if name != "too large":
        calm.plot(epochs, losses, lw=2, color=colours[name], label=label)
        continue
    wild.plot(epochs, [math.log10(v) for v in losses], lw=2, color=colours[name], label=label)
    if len(losses) < EPOCHS:
        wild.plot([len(losses)], [math.log10(losses[-1])], marker="X", markersize=12,
                  color=colours[name])
        wild.annotate("TrainingDiverged", (len(losses), math.log10(losses[-1])),
                      textcoords="offset points", xytext=(-120, -4), color=colours[name])
calm.set(xlabel="epoch", ylabel="training loss (mean squared error)",
         title="too small vs about right", xlim=(0, EPOCHS + 2), ylim=(0, None))
wild.set(xlabel="epoch", ylabel="log10(training loss)", title="too large: the loss explodes",
         xlim=(0, EPOCHS + 2))
for ax in (calm, wild):
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper right" if ax is calm else "lower right")

out_dir.mkdir(parents=True, exist_ok=True)
target = out_dir / "09_learning_rates.png"
save_figure(fig, target)  # to a temporary file, then renamed
print(f"wrote {target}")
