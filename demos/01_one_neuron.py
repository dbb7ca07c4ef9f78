"""01 — one neuron, by hand and by backprop.

Let's build the neuron from the lecture:  o = tanh(x1*w1 + x2*w2 + b),  with
x1 = 2, x2 = 0, w1 = -3, w2 = 1, b = 6.8813735870195432 (chosen so that n = 0.8814 and o = 0.7071).
Then let's walk backward through it one chain-rule step at a time, and draw the graph.

Run:  python demos/01_one_neuron.py [OUT_DIR]     (pictures land in out/ by default)
"""

import sys
from pathlib import Path

from autograd import Value, backward_steps, draw_dot, render, start_sentence
from autograd.draw import GraphvizMissingError

out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out")

# The inputs and the neuron's parameters are leaves: Values nobody computed.
x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
w1, w2 = Value(-3.0, "w1"), Value(1.0, "w2")
b = Value(6.8813735870195432, "b")

# The forward pass records every op into the graph:  n = x1*w1 + x2*w2 + b.
x1w1 = x1 * w1
x1w1.label = "x1w1"  # the product x1*w1
x2w2 = x2 * w2
x2w2.label = "x2w2"  # the product x2*w2
s = x1w1 + x2w2
s.label = "s"  # the sum of the two products (not a product: s = x1w1 + x2w2)
n = s + b
n.label = "n"
o = n.tanh()
o.label = "o"
print(f"forward:  n = {n.data:.4f},  o = tanh(n) = {o.data:.4f}\n")

# The backward pass, one edge at a time. Each line is the chain rule along one edge:
#   parent.grad += node.grad × ∂node/∂parent   (upstream × local derivative)
# where .grad is the gradient of o gathered so far, and ∂node/∂parent one op's local derivative.
steps = list(backward_steps(o))  # (the same grads as o.backward())
print("backward, one chain-rule step per edge:")
print("   " + start_sentence("o"))
for step in steps:
    print(f"   {step.number}. {step}")

print("\ngradients:")
for leaf in (x1, w1, x2, w2, b):
    print(f"   {leaf.label}.grad = ∂o/∂{leaf.label:<2} = {leaf.grad: .4f}")
print("\nw2's gradient is 0 because x2 = 0: nudging w2 changes nothing.")

# Let's draw it. Each edge shows the local derivative (×...) and what it contributes on the
# way back (upstream × local = contribution); colour and width show |grad| on a log scale.
x1_step = next(step for step in steps if step.parent is x1)
print(f"\nstep {x1_step.number} on its own: {x1_step}")
# The pictures need Graphviz's `dot` program: without it, say how to get it and go on.
written = []
try:
    written += render(
        draw_dot(o, show_contributions=True, color_by_grad=True),
        out_dir / "01_one_neuron", formats=("svg", "png"),
    )
    # And one step on its own: the one that sends x1 its gradient through the product x1*w1
    # (step 6, as the list above numbers it; the picture labels its edge "step 6").
    written += render(draw_dot(o, highlight=x1_step), out_dir / "01_one_neuron_step",
                      formats=("svg", "png"))
except GraphvizMissingError as e:
    print(f"no pictures 01_one_neuron and 01_one_neuron_step: {e}")
for path in written:
    print(f"wrote {path}")
