"""05 — vanishing gradients and dead ReLUs: why deep sigmoid nets learn slowly and relu units die.

Let's take one deep net, 2 inputs -> 8 hidden layers of 16 -> 1 output, with three activations,
and measure each layer's gradient norm ||dL/dW|| after one backward pass. On the way back, each
sigmoid layer multiplies the gradient by sigmoid'(z) <= 0.25, so it shrinks layer after layer;
tanh (slope up to 1) and relu (slope 1 where active) keep it alive.

Then let's see relu's own failure: a unit whose input is negative for every sample outputs 0 and
gets gradient 0 (relu'(z) = 0 for z <= 0), so it never comes back. A too-large step kills many.

Run:  python demos/05_vanishing_gradients.py [OUT_DIR]     (pictures land in out/ by default)
      CHAINRULE_FAST=1 python demos/05_vanishing_gradients.py     (fewer epochs, for tests)
"""

import os
import sys
from pathlib import Path

from matplotlib.figure import Figure

from autograd import no_grad, render
from autograd.draw import GraphvizMissingError
from nn import MLP, SGD, datasets, draw_network, fit, mse_loss, plot_grad_norms
from nn.plots import save_figure
from nn.train import layer_grad_norms

out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out")
FAST = os.environ.get("CHAINRULE_FAST") == "1"
EPOCHS = 4 if FAST else 30
written = []

X, y = datasets.moons(n=100, noise=0.1, seed=0)
y = datasets.to_pm1(y)  # regress onto -1 / +1 with the mean squared error

# Part 1: one backward pass through three deep nets that differ only in their activation.
WIDTHS = [16] * 8 + [1]
norms = {}
for activation in ("sigmoid", "tanh", "relu"):
    model = MLP(2, WIDTHS, activation=activation, seed=0)
    loss = mse_loss([model(x) for x in X], y)
    loss.backward()
    norms[activation] = layer_grad_norms(model)
    first, last = norms[activation][0], norms[activation][-1]
    print(f"{activation:>7}:  ||dL/dW|| layer 1 = {first:.1e},  output layer = {last:.1e},  "
          f"ratio {first / last:.1e}")
shrink = norms["sigmoid"][-1] / norms["sigmoid"][0]
print(f"The sigmoid net's first layer gets a gradient {shrink:,.0f} times smaller than its output")
print("layer's: with one learning rate for all layers, its early layers barely move.\n")

fig = Figure(figsize=(6.4, 4.0), layout="constrained")
ax = fig.subplots()
colours = {"sigmoid": "#d62728", "tanh": "#0877bd", "relu": "#f59322"}
layers = range(1, len(WIDTHS) + 1)
for activation, row in norms.items():
    ax.plot(layers, row, marker="o", lw=2, color=colours[activation], label=activation)
ax.set_yscale("log")
ax.set(xlabel="layer (1 = next to the inputs, 9 = output)",
       ylabel="||dL/dW||  (log scale)",
       title="gradient norm per layer, one backward pass, 8 hidden layers of 16")
ax.set_xticks(list(layers))
ax.grid(alpha=0.3, which="both")
ax.legend()
out_dir.mkdir(parents=True, exist_ok=True)
target = out_dir / "05_grad_norms_by_layer.png"
save_figure(fig, target)  # to a temporary file, then renamed
written.append(target)

# Does it stay that way while training? Let's train the sigmoid net and follow every layer.
model = MLP(2, WIDTHS, activation="sigmoid", seed=0)
history = fit(model, X, y, mse_loss, SGD(model.parameters(), lr=0.1), epochs=EPOCHS,
              batch_size=10, quiet=True)
print(f"sigmoid net after {EPOCHS} epochs: loss {history.loss[-1]:.3f}, "
      f"training accuracy {history.accuracy[-1]:.0%}")
written.append(plot_grad_norms(history, out_dir / "05_sigmoid_grad_norms_training.png"))


# Part 2: dead ReLUs. A unit is dead when its input w.x + b <= 0 for every sample.
def count_dead(model):
    """Dead relu units per hidden layer, over the whole dataset."""
    with no_grad():
        alive = [[False] * layer.nout for layer in model.layers[:-1]]
        for x in X:
            h = x
            for k, layer in enumerate(model.layers[:-1]):
                h = layer(h)
                for j, out in enumerate(h):
                    alive[k][j] = alive[k][j] or out.data > 0.0
    return [row.count(False) for row in alive]


print()
for lr in (0.05, 0.2):
    model = MLP(2, [16, 16, 16, 16, 1], activation="relu", seed=0)
    before = count_dead(model)
    history = fit(model, X, y, mse_loss, SGD(model.parameters(), lr=lr), epochs=EPOCHS,
                  batch_size=10, quiet=True)
    after = count_dead(model)
    print(f"relu net, lr = {lr}:  dead units per hidden layer {before} before -> {after} after "
          f"{EPOCHS} epochs ({sum(after)} of 64 dead), training accuracy "
          f"{history.accuracy[-1]:.0%}")
print("Some units start dead (their bias is 0 and their inputs happen to make w.x <= 0 for every")
print("sample). A dead unit's own weights get zero gradient, so no step of its own revives it;")
print("only a change in the layers below could.")
print("The network picture greys out the dead units of the lr = 0.2 net.\n")
try:  # the network picture needs Graphviz's `dot` program: without it, say how to get it
    written += render(draw_network(model, X=X), out_dir / "05_dead_relus_network",
                      formats=("svg", "png"))
except GraphvizMissingError as e:
    print(f"no picture 05_dead_relus_network: {e}")
for path in written:
    print(f"wrote {path}")
