"""11 — graduating to PyTorch: the same network in both, gradient for gradient, step for step.

Everything chainrule does one Value at a time, PyTorch does a tensor at a time. Let's check
that it is the same mathematics, not just the same idea: `nn.to_torch(model)` builds the
model's twin,

    MLP(2, [4, 4, 1]) with tanh  ->  Sequential(Linear(2, 4), Tanh(), Linear(4, 4), Tanh(),
                                                Linear(4, 1)), in float64, the same weights

(neuron j of a layer is row j of its Linear's weight, its bias is bias[j]). Then:

1. the same loss on the same data: every parameter's gradient side by side, with the largest
   difference (a few units in the 16th digit: the two sum their terms in another order);
2. the same training run in both, SGD on the same minibatches in the same order: the two end
   with the same weights, and `nn.from_torch` brings PyTorch's back into chainrule.

Needs PyTorch (pip install 'chainrule[torch]'); without it, this demo says so and stops.
Run:  python demos/11_graduating_to_pytorch.py [OUT_DIR]     (pictures land in out/ by default)
      CHAINRULE_FAST=1 python demos/11_graduating_to_pytorch.py     (fewer epochs, for tests)
"""

import os
import random
import sys
from pathlib import Path

try:
    import torch
except ImportError:
    print("This demo runs the same network in chainrule and in PyTorch, and PyTorch is not")
    print("installed here. Install it with:  pip install 'chainrule[torch]'")
    sys.exit(0)

from matplotlib.figure import Figure

import nn
from nn.plots import save_figure

out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out")
FAST = os.environ.get("CHAINRULE_FAST") == "1"
EPOCHS = 8 if FAST else 40
BATCH = 8
LR = 0.3
F = torch.nn.functional

X, y = nn.datasets.moons(n=48 if FAST else 96, noise=0.15, seed=2)
X_t = torch.tensor(X, dtype=torch.float64)  # the same numbers, as one (n, 2) tensor
y_t = torch.tensor(y, dtype=torch.float64)

model = nn.MLP(2, [4, 4, 1], activation="tanh", seed=0)
twin = nn.to_torch(model)
print(model)
print(twin)
print()


def linear_layers(sequential):
    """The Linear modules of a Sequential, with their index in it."""
    return [(i, m) for i, m in enumerate(sequential) if isinstance(m, torch.nn.Linear)]


def torch_names_and_tensors(sequential):
    """Each parameter of the twin, in chainrule's order (layer by layer, neuron by neuron,
    weights then bias): its name in PyTorch, and the tensor and index that hold it."""
    found = []
    for i, linear in linear_layers(sequential):
        for j in range(linear.out_features):
            for k in range(linear.in_features):
                found.append((f"twin[{i}].weight[{j},{k}]", linear.weight, (j, k)))
            found.append((f"twin[{i}].bias[{j}]", linear.bias, (j,)))
    return found


# Part 1: one loss, one backward pass in each.
#
# chainrule: a graph of Values, one per number; PyTorch: one tensor per layer. The loss is the
# same formula in both, binary cross-entropy on the logit, averaged over the batch.
loss = nn.binary_cross_entropy_with_logits([model(x) for x in X], y)
model.zero_grad()
loss.backward()

loss_t = F.binary_cross_entropy_with_logits(twin(X_t)[:, 0], y_t)
loss_t.backward()

print(f"the loss:  chainrule {loss.data!r}   PyTorch {loss_t.item()!r}")
print(f"every gradient of it, the {len(model.parameters())} parameters side by side:\n")
print(f"  {'chainrule':<10} {'PyTorch':<20} {'chainrule grad':>23} {'PyTorch grad':>23}  "
      f"{'|difference|':>12}")
largest = (0.0, "")
for p, (name, tensor, index) in zip(model.parameters(), torch_names_and_tensors(twin)):
    theirs = tensor.grad[index].item()
    difference = abs(p.grad - theirs)
    largest = max(largest, (difference, p.label))
    print(f"  {p.label:<10} {name:<20} {p.grad:>23.16e} {theirs:>23.16e}  {difference:>12.1e}")
biggest_grad = max(abs(p.grad) for p in model.parameters())
print(f"\nlargest difference: {largest[0]:.1e} (at {largest[1]}), with gradients up to "
      f"{biggest_grad:.2f}")
print("The same numbers to the 15th or 16th digit: the two add the same terms in another order")
print("(a matrix product sums as it likes), and a float64 sum is rounded at about 1e-16.")

# Why float64? PyTorch's default is float32, which keeps about 7 digits. Let's see how far its
# gradients are from chainrule's (whose Values are Python floats, float64).
twin32 = nn.to_torch(model).float()
F.binary_cross_entropy_with_logits(twin32(X_t.float())[:, 0], y_t.float()).backward()
gap32 = max(abs(p.grad - tensor.grad[index].item()) for p, (_, tensor, index)
            in zip(model.parameters(), torch_names_and_tensors(twin32)))
print(f"(The same twin in float32, PyTorch's default, differs by up to {gap32:.1e}: that is why")
print("to_torch builds it in float64.)\n")


# Part 2: the same training run in both.
#
# The loops read the same line for line: zero the gradients, a forward pass on a minibatch,
# the loss, backward, one SGD step (w <- w - lr * dL/dw). Both take the minibatches in the same
# order: one shuffle per epoch, drawn from the same seeded generator.
def minibatches(epoch):
    order = list(range(len(X)))
    random.Random(epoch).shuffle(order)
    return [order[k:k + BATCH] for k in range(0, len(order), BATCH)]


optimizer = nn.SGD(model.parameters(), lr=LR)
optimizer_t = torch.optim.SGD(twin.parameters(), lr=LR)


def largest_weight_difference():
    return max(abs(p.data - tensor[index].item()) for p, (_, tensor, index)
               in zip(model.parameters(), torch_names_and_tensors(twin)))


losses, losses_t, weight_gaps = [], [], []  # per step, per step, per epoch
for epoch in range(1, EPOCHS + 1):
    for batch in minibatches(epoch):
        optimizer.zero_grad()  # chainrule
        loss = nn.binary_cross_entropy_with_logits([model(X[i]) for i in batch],
                                                   [y[i] for i in batch])
        loss.backward()
        optimizer.step()

        optimizer_t.zero_grad()  # PyTorch: the same five lines
        loss_t = F.binary_cross_entropy_with_logits(twin(X_t[batch])[:, 0], y_t[batch])
        loss_t.backward()
        optimizer_t.step()

        losses.append(loss.data)
        losses_t.append(loss_t.item())
    weight_gaps.append(largest_weight_difference())
    if epoch == 1 or epoch % (2 if FAST else 10) == 0:
        n = len(minibatches(epoch))
        print(f"epoch {epoch:2d}: mean minibatch loss  chainrule {sum(losses[-n:]) / n:.12f}   "
              f"PyTorch {sum(losses_t[-n:]) / n:.12f};  largest weight difference "
              f"{weight_gaps[-1]:.1e}")

steps = len(losses)
loss_gap = max(abs(a - b) for a, b in zip(losses, losses_t))
largest_weight = max(abs(p.data) for p in model.parameters())
print(f"\nafter {EPOCHS} epochs ({steps} SGD steps of {BATCH} samples, lr = {LR}):")
print(f"   largest weight difference: {weight_gaps[-1]:.1e}  (weights up to {largest_weight:.2f})")
print(f"   largest loss difference over the run: {loss_gap:.1e}")
accuracy = sum((model.predict(x) > 0) == (t == 1) for x, t in zip(X, y)) / len(X)
with torch.no_grad():
    accuracy_t = ((twin(X_t)[:, 0] > 0) == (y_t == 1)).double().mean().item()
print(f"   training accuracy: chainrule {accuracy:.1%}, PyTorch {accuracy_t:.1%}")

# Train in PyTorch, come home: from_torch gives the MLP back with PyTorch's weights to the bit.
home = nn.from_torch(twin)
same = all(a.data == tensor[index].item() for a, (_, tensor, index)
           in zip(home.parameters(), torch_names_and_tensors(twin)))
print(f"nn.from_torch(twin): {home}; every weight PyTorch's to the bit: {same}")
print("(`chainrule twin model.json` prints a saved model's twin as a PyTorch script.)\n")

# Let's draw the two loss curves, one over the other, and how far apart they are. Each
# minibatch's loss jumps about (each batch is a different handful of points), so the curves are
# each epoch's mean minibatch loss, with the steps' own losses faint behind them.
fig = Figure(figsize=(11, 4.2), layout="constrained")
curves, gaps = fig.subplots(1, 2)
per_epoch = len(minibatches(1))
step_numbers = range(1, steps + 1)
epoch_ends = [k * per_epoch for k in range(1, EPOCHS + 1)]


def epoch_means(per_step):
    return [sum(per_step[k - per_epoch:k]) / per_epoch for k in epoch_ends]


curves.plot(step_numbers, losses, lw=0.6, color="#0877bd", alpha=0.25,
            label="chainrule, each minibatch")
curves.plot(step_numbers, losses_t, lw=0.6, color="#f59322", alpha=0.25, ls="--",
            label="PyTorch, each minibatch")
curves.plot(epoch_ends, epoch_means(losses), "o-", lw=4, ms=8, color="#0877bd", alpha=0.6,
            label="chainrule, mean over the epoch")
curves.plot(epoch_ends, epoch_means(losses_t), "x--", lw=1.5, ms=6, color="#f59322",
            label="PyTorch (the twin), mean over the epoch")
curves.set(xlabel="SGD step", ylabel="loss (binary cross-entropy)",
           title="the same training run in both: one curve over the other", ylim=(0, None))
curves.legend(fontsize=8, loc="upper right")
differences = [abs(a - b) for a, b in zip(losses, losses_t)]
FLOOR = 1e-18  # where an exact 0 is drawn on the log scale
gaps.plot(step_numbers, [max(d, FLOOR) for d in differences], ".", ms=3, color="#555555",
          label="|chainrule loss - PyTorch loss| per step")
gaps.plot(epoch_ends, [max(d, FLOOR) for d in weight_gaps], "o-", color="#d62728",
          label="largest |weight difference|, end of each epoch")
gaps.axhline(2.0**-52, color="#2ca02c", lw=1, ls=":", label="float64 epsilon, 2.2e-16")
gaps.set_yscale("log")
gaps.set(xlabel="SGD step", ylabel="difference (log scale; an exact 0 drawn at 1e-18)",
         title="how far apart: rounding, not mathematics", ylim=(FLOOR / 3, 1e-8))
gaps.legend(fontsize=8, loc="upper left")
for ax in (curves, gaps):
    ax.grid(alpha=0.3)

out_dir.mkdir(parents=True, exist_ok=True)
target = out_dir / "11_graduating_to_pytorch.png"
save_figure(fig, target)
print(f"wrote {target}")
