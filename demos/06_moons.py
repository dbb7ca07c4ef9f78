"""06 — micrograd's demo: an MLP learns to separate two interleaving moons.

Let's reproduce the demo that ships with karpathy's micrograd, with the same recipe:

    MLP(2, [16, 16, 1]) with relu, weights drawn from U(-1, 1)
    100 moons (noise 0.1), labels -1 / +1
    loss = mean hinge loss max(0, 1 - y * score)  +  1e-4 * sum(p^2)
    SGD, full batch, lr = 1.0 - 0.9 * k / 100 at step k, 100 steps

and draw what it learned: the decision boundary, the network's weights, the loss curve, and a
replay page with a slider over the epochs.

Run:  python demos/06_moons.py [OUT_DIR]     (pictures land in out/ by default)
      CHAINRULE_FAST=1 python demos/06_moons.py     (10 steps instead of 100, for tests)
"""

import os
import sys
from pathlib import Path

from autograd import render
from autograd.draw import GraphvizMissingError
from nn import (
    MLP,
    SGD,
    datasets,
    draw_network,
    evaluate,
    fit,
    hinge_loss,
    linear_decay,
    plot_decision_boundary,
    plot_history,
)
from nn.replay import TrainingRecorder, save_training_replay

out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out")
FAST = os.environ.get("CHAINRULE_FAST") == "1"
EPOCHS = 10 if FAST else 100

X, y = datasets.moons(n=100, noise=0.1, seed=1)
y = datasets.to_pm1(y)  # the hinge loss wants -1 / +1
model = MLP(2, [16, 16, 1], activation="relu", seed=1337, init="uniform")
print(model)

# Let's record a frame after every other epoch for the replay page (and frame 0, untrained).
recorder = TrainingRecorder(model, X, y, every=2)
optimizer = SGD(model.parameters(), lr=linear_decay(1.0, 0.1, 100))
history = fit(model, X, y, hinge_loss, optimizer, epochs=EPOCHS, l2=1e-4, quiet=True,
              on_epoch=recorder)
for epoch in sorted({1, *range(10, EPOCHS + 1, 10), EPOCHS}):
    print(f"   step {epoch:3d}: loss {history.loss[epoch - 1]:.4f}, "
          f"accuracy {history.accuracy[epoch - 1]:.0%}")
print(f"final training accuracy: {evaluate(model, X, y):.0%}\n")

written = [
    plot_decision_boundary(model, X, y, out_dir / "06_moons_boundary.png",
                           title="micrograd's moons: MLP(2, [16, 16, 1]), hinge loss"),
    plot_history(history, out_dir / "06_moons_history.png"),
]
# The weights it learned: blue positive, orange negative, width |w|; dead relu units greyed.
try:  # these need Graphviz's `dot` program: without it, say how to get it and go on
    written += render(draw_network(model, X=X), out_dir / "06_moons_network",
                      formats=("svg", "png"))
    written.append(save_training_replay(out_dir / "06_moons_replay.html", recorder,
                                        title="micrograd's moons, epoch by epoch"))
except GraphvizMissingError as e:
    print(f"no network picture 06_moons_network nor replay 06_moons_replay: {e}")
for path in written:
    print(f"wrote {path}")
