"""02 — a node used twice gets both gradients: the chain rule adds them (+=, never =).

Let's compute  d = a*b + a  with a = 3, b = 2. The leaf a feeds two ops, so on the way back two
contributions reach it: b = 2 through the product and 1 through the sum, so dd/da = 3.
Then let's write the backward loop by hand with `=` instead of `+=`, and watch one of them vanish.

Run:  python demos/02_node_used_twice.py [OUT_DIR]     (pictures land in out/ by default)
"""

import sys
from pathlib import Path

from autograd import Value, backward_steps, draw_dot, render, save_steps_html, topological_order

out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out")

a, b = Value(3.0, "a"), Value(2.0, "b")
c = a * b
c.label = "c"
d = c + a  # a is used a second time here
d.label = "d"
print(f"forward:  c = a*b = {c.data:g},  d = c + a = {d.data:g}\n")

# Let's watch the backward pass: two of its steps land on a.
print("backward, one chain-rule step per edge:")
for step in backward_steps(d):
    mark = "   <-- a receives a contribution" if step.parent is a else ""
    print(f"   {step}{mark}")
print(f"\nwith +=:  dd/da = {a.grad:g}  (2 through c = a*b, plus 1 through d = c + a)")


# Now the same loop written by hand, once with += and once with the classic slip, =.
def hand_backward(root, accumulate):
    grads = {node: 0.0 for node in topological_order(root)}
    grads[root] = 1.0
    for node in reversed(topological_order(root)):
        for parent, local in zip(node.parents, node.local_grads):
            if accumulate:
                grads[parent] += local * grads[node]  # right: add every path's share
            else:
                grads[parent] = local * grads[node]  # wrong: the last path overwrites the rest
    return grads


right, wrong = hand_backward(d, accumulate=True), hand_backward(d, accumulate=False)
print(f"hand loop with +=:  dd/da = {right[a]:g}")
print(f"hand loop with = :  dd/da = {wrong[a]:g}   <-- one of the two paths was overwritten")

# Finite differences don't know about graphs at all; they agree with +=.
h = 1e-6
numeric = (((3 + h) * 2 + (3 + h)) - ((3 - h) * 2 + (3 - h))) / (2 * h)
print(f"finite differences: dd/da = {numeric:.6f}\n")

# Let's draw both. Each edge shows  upstream x local = contribution; a's box holds their sum.
written = render(draw_dot(d, show_contributions=True), out_dir / "02_node_used_twice",
                 formats=("svg", "png"))
# The wrong picture: the same graph with the grads the `=` loop left (then put the right ones
# back). The edges into a still carry 2 and 1, but a's box kept only the last one.
saved = {node: node.grad for node in topological_order(d)}
for node in saved:
    node.grad = wrong[node]
written += render(draw_dot(d, show_contributions=True), out_dir / "02_node_used_twice_wrong",
                  formats=("svg", "png"))
for node, grad in saved.items():
    node.grad = grad
written.append(save_steps_html(d, out_dir / "02_node_used_twice_steps.html"))
for path in written:
    print(f"wrote {path}")
