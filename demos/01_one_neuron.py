"""01 — one neuron, by hand and by backprop.

Let's build the neuron from the lecture:  o = tanh(x1*w1 + x2*w2 + b),  with
x1 = 2, x2 = 0, w1 = -3, w2 = 1, b = 6.8813735870195432 (chosen so that n = 0.8814 and o = 0.7071).
Then let's walk backward through it one chain-rule step at a time, and draw the graph.

Run:  python demos/01_one_neuron.py [OUT_DIR]     (pictures land in out/ by default)
"""

import sys
from pathlib import Path

from autograd import Value, backward_steps, draw_dot, render

out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out")

# The inputs and the neuron's parameters are leaves: Values nobody computed.
x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
w1, w2 = Value(-3.0, "w1"), Value(1.0, "w2")
b = Value(6.8813735870195432, "b")

# The forward pass records every op into the graph.
x1w1 = x1 * w1
x1w1.label = "x1w1"
x2w2 = x2 * w2
x2w2.label = "x2w2"
x1w1x2w2 = x1w1 + x2w2
x1w1x2w2.label = "x1w1x2w2"
n = x1w1x2w2 + b
n.label = "n"
o = n.tanh()
o.label = "o"
print(f"forward:  n = {n.data:.4f},  o = tanh(n) = {o.data:.4f}\n")

# The backward pass, one edge at a time. Each line is the chain rule:
#   (gradient of o with respect to the parent) += (gradient so far) * (local derivative)
print("backward, one chain-rule step per edge:")
for step in backward_steps(o):
    print("  ", step)

print("\ngradients:")
for leaf in (x1, w1, x2, w2, b):
    print(f"   do/d{leaf.label:<2} = {leaf.grad: .4f}")
print("\nw2's gradient is 0 because x2 = 0: nudging w2 changes nothing.")

# Let's draw it. Each edge shows the local derivative (×...) and what it contributes on the
# way back (upstream × local = contribution); colour and width show |grad| on a log scale.
written = render(
    draw_dot(o, show_contributions=True, color_by_grad=True),
    out_dir / "01_one_neuron", formats=("svg", "png"),
)
# And one step on its own: step 5 sends x1 its gradient through the product x1*w1.
written += render(draw_dot(o, highlight=5), out_dir / "01_one_neuron_step", formats=("svg", "png"))
for path in written:
    print(f"wrote {path}")
