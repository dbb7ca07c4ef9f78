"""10 — real data: an MLP reads handwritten digits (scikit-learn's 8x8 images), 95%+ held out.

Let's leave toy points behind. scikit-learn ships 1,797 handwritten digits, each an 8x8 grid of
ink levels: 64 numbers in, one of 10 classes out. Let's hold a fifth of them back, train

    MLP(64, [32, 10]) with relu, softmax + cross-entropy, Adam (lr 0.005), batches of 32

on the rest, and then judge it only on the digits it never saw: its accuracy, a confusion
matrix (which digit gets mistaken for which), and the misclassified images themselves.

Needs scikit-learn (pip install 'chainrule[digits]').
Run:  python demos/10_digits.py [OUT_DIR]     (pictures land in out/ by default)
      CHAINRULE_FAST=1 python demos/10_digits.py     (300 training digits, 2 epochs, for tests)
"""

import os
import sys
from pathlib import Path

from matplotlib.figure import Figure

from autograd import no_grad
from nn import MLP, Adam, cross_entropy, datasets, fit, plot_history
from nn.plots import save_figure

out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out")
FAST = os.environ.get("CHAINRULE_FAST") == "1"
EPOCHS = 2 if FAST else 20

X, y = datasets.digits()
X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_fraction=0.2, seed=0)
if FAST:
    X_train, y_train = X_train[:300], y_train[:300]
print(f"{len(X)} digits: {len(X_train)} to train on, {len(X_test)} held out\n")

# What the network sees: 64 numbers in [0, 1]. Here is the first training digit, drawn in text.
print(f"the first training digit, a {y_train[0]}:")
for row in range(8):
    print("   " + "".join(" .:-=+*#%@"[min(9, int(v * 10))] * 2 for v in X_train[0][8 * row:][:8]))
print()


def predict(model, x):
    """The class with the largest score (softmax would not change which one that is)."""
    with no_grad():  # no graph needed just to read the answer
        scores = model(x)
    return max(range(10), key=lambda k: scores[k].data)


def held_out_accuracy(model):
    return sum(predict(model, x) == t for x, t in zip(X_test, y_test)) / len(y_test)


model = MLP(64, [32, 10], activation="relu", seed=0)
print(f"{model}")


def report(epoch, history):
    print(f"   epoch {epoch:2d}: training loss {history.loss[-1]:.4f}, training accuracy "
          f"{history.accuracy[-1]:.1%}, held out {held_out_accuracy(model):.1%}", flush=True)


history = fit(model, X_train, y_train, cross_entropy, Adam(model.parameters(), lr=0.005),
              epochs=EPOCHS, batch_size=32, seed=0, quiet=True, on_epoch=report)
predicted = [predict(model, x) for x in X_test]
accuracy = sum(p == t for p, t in zip(predicted, y_test)) / len(y_test)
print(f"\nheld-out accuracy: {accuracy:.1%} on {len(y_test)} digits it never trained on\n")

# The confusion matrix: row = the true digit, column = what the network said.
confusion = [[0] * 10 for _ in range(10)]
for p, t in zip(predicted, y_test):
    confusion[t][p] += 1
mistakes = sorted(((confusion[t][p], t, p) for t in range(10) for p in range(10) if t != p),
                  reverse=True)
print("most frequent mistakes: " + ", ".join(
    f"{t} read as {p} ({n}x)" for n, t, p in mistakes[:3] if n))


def save(fig, name):
    """Write the PNG to a temporary file beside its final name, then rename: never half one."""
    return save_figure(fig, out_dir / name)


fig = Figure(figsize=(5.6, 5.0), layout="constrained")
ax = fig.subplots()
image = ax.imshow(confusion, cmap="Blues")
largest = max(max(row) for row in confusion)
for t in range(10):
    for p in range(10):
        if confusion[t][p]:
            colour = "white" if confusion[t][p] > largest / 2 else "black"
            ax.text(p, t, str(confusion[t][p]), ha="center", va="center", fontsize=8,
                    color=colour if t == p else "#d62728")
ax.set_xticks(range(10))
ax.set_yticks(range(10))
ax.set(xlabel="predicted digit", ylabel="true digit",
       title=f"held-out confusion matrix ({accuracy:.1%} correct)")
fig.colorbar(image, ax=ax, shrink=0.8, label="digits")
written = [save(fig, "10_digits_confusion.png")]

all_wrong = [(x, t, p) for x, t, p in zip(X_test, y_test, predicted) if t != p]
wrong = all_wrong[:32]  # at most 4 rows of 8
columns = 8
rows = max(1, -(-len(wrong) // columns))
fig = Figure(figsize=(columns * 1.1, rows * 1.3 + 0.4), layout="constrained")
axes = fig.subplots(rows, columns, squeeze=False)
for i, ax in enumerate(a for row in axes for a in row):
    ax.axis("off")
    if i < len(wrong):
        x, t, p = wrong[i]
        ax.imshow([x[8 * r:8 * r + 8] for r in range(8)], cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(f"{t} -> {p}", fontsize=9, color="#d62728")
shown = f"the first {len(wrong)} of " if len(wrong) < len(all_wrong) else "the "
fig.suptitle(f"{shown}{len(all_wrong)} misclassified held-out digits (true -> predicted)"
             if wrong else "no held-out digit was misclassified", fontsize=10)
written.append(save(fig, "10_digits_misclassified.png"))
written.append(plot_history(history, out_dir / "10_digits_history.png"))
for path in written:
    print(f"wrote {path}")

if not FAST and accuracy < 0.95:
    sys.exit(f"held-out accuracy {accuracy:.1%} is below the 95% this demo promises")
