"""07 — three classes: softmax turns scores into probabilities, cross-entropy trains them (spiral).

Let's give the network one output per class. For an input it produces three scores (logits)
z0, z1, z2; softmax turns them into probabilities p_k = exp(z_k) / sum_j exp(z_j), and the loss
for a point of class k is the cross-entropy  -log p_k: small when the right class is likely.
Its gradient with respect to the logits is simply  p - onehot(k).

Then let's train an MLP(2, [16, 16, 3]) with Adam on three spiral arms and draw the regions it
gives each class.

Run:  python demos/07_spiral_softmax.py [OUT_DIR]     (pictures land in out/ by default)
      CHAINRULE_FAST=1 python demos/07_spiral_softmax.py     (8 epochs instead of 60, for tests)
"""

import os
import sys
from pathlib import Path

from autograd import softmax
from nn import (
    MLP,
    Adam,
    cross_entropy,
    datasets,
    evaluate,
    fit,
    plot_decision_boundary,
    plot_history,
)

out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out")
FAST = os.environ.get("CHAINRULE_FAST") == "1"
EPOCHS = 8 if FAST else 60

X, y = datasets.spiral(n_per_class=60, classes=3, noise=0.2, seed=0)
model = MLP(2, [16, 16, 3], activation="relu", seed=0)

# Before training: one point, its three scores, their softmax, and its loss.
x, k = X[0], y[0]
logits = model(x)
probs = softmax(logits)
loss = cross_entropy(logits, k)
loss.backward()
print(f"one point of class {k}, before training:")
print("   logits z       = " + "  ".join(f"{z.data:7.4f}" for z in logits))
print("   softmax p      = " + "  ".join(f"{p.data:7.4f}" for p in probs)
      + f"   (sum {sum(p.data for p in probs):.4f})")
print(f"   loss -log p_{k}  = {loss.data:.4f}")
print("   ∂loss/∂z       = " + "  ".join(f"{z.grad:7.4f}" for z in logits))
print("   p - onehot(k)  = " + "  ".join(f"{p.data - (j == k):7.4f}" for j, p in enumerate(probs)))
print("   (the same numbers; a descent step subtracts them: the true class's score goes up,")
print("    the others' go down, each in proportion to how wrong it is)\n")

optimizer = Adam(model.parameters(), lr=0.02)
history = fit(model, X, y, cross_entropy, optimizer, epochs=EPOCHS, batch_size=30, quiet=True)
for epoch in sorted({1, *range(10, EPOCHS + 1, 10), EPOCHS}):
    print(f"   epoch {epoch:3d}: loss {history.loss[epoch - 1]:.4f}, "
          f"accuracy {history.accuracy[epoch - 1]:.0%}")
print(f"training accuracy: {evaluate(model, X, y):.0%}  (chance: 33%)\n")

written = [
    plot_decision_boundary(model, X, y, out_dir / "07_spiral_boundary.png",
                           title="spiral: MLP(2, [16, 16, 3]), cross-entropy"),
    plot_history(history, out_dir / "07_spiral_history.png"),
]
for path in written:
    print(f"wrote {path}")
