"""02 — a node used twice gets both gradients: the chain rule adds them (+=, never =).

Let's compute  d = a*b + a  with a = 3, b = 2. The leaf a feeds two ops, so on the way back two
contributions reach it: b = 2 through the product and 1 through the sum, so a.grad = 3.
Then let's write the backward loop by hand with `=` instead of `+=`, and watch one of them vanish.

Run:  python demos/02_node_used_twice.py [OUT_DIR]     (pictures land in out/ by default)
"""

import sys
from pathlib import Path

from autograd import (
    Value,
    backward_steps,
    draw_dot,
    render,
    save_steps_html,
    start_sentence,
    topological_order,
)
from autograd.draw import GraphvizMissingError

out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out")

a, b = Value(3.0, "a"), Value(2.0, "b")
c = a * b
c.label = "c"
d = c + a  # a is used a second time here
d.label = "d"
print(f"forward:  c = a*b = {c.data:g},  d = c + a = {d.data:g}\n")

# Let's watch the backward pass: two of its steps land on a.
print("backward, one chain-rule step per edge:")
print("   " + start_sentence("d"))
for step in backward_steps(d):
    mark = "   <-- a receives a contribution" if step.parent is a else ""
    print(f"   {step}{mark}")
print(f"\nwith +=:  a.grad = {a.grad:g}  (2 through c = a*b, plus 1 through d = c + a)")


# Now the same loop written by hand, once with += and once with the classic slip, =.
# (It also notes, for the pictures, the upstream it sent along each edge (node, k), and with =
# which edges' contributions a later one overwrote.)
def hand_backward(root, accumulate):
    grads = {node: 0.0 for node in topological_order(root)}
    grads[root] = 1.0
    upstreams, overwritten, last_edge_into = {}, set(), {}
    for node in reversed(topological_order(root)):
        for k, (parent, local) in enumerate(zip(node.parents, node.local_grads)):
            upstreams[(node, k)] = grads[node]
            if accumulate:
                grads[parent] += local * grads[node]  # right: add every path's share
            else:
                grads[parent] = local * grads[node]  # wrong: the last path overwrites the rest
                if parent in last_edge_into:
                    overwritten.add(last_edge_into[parent])
                last_edge_into[parent] = (node, k)
    return grads, upstreams, overwritten


right, _, _ = hand_backward(d, accumulate=True)
wrong, wrong_upstreams, wrong_overwritten = hand_backward(d, accumulate=False)
print(f"hand loop with +=:  a.grad = {right[a]:g}")
print(f"hand loop with = :  a.grad = {wrong[a]:g}   <-- one of the two paths was overwritten")

# Finite differences don't know about graphs at all; they agree with +=.
h = 1e-6
numeric = (((3 + h) * 2 + (3 + h)) - ((3 - h) * 2 + (3 - h))) / (2 * h)
print(f"finite differences: (d(a+h) - d(a-h)) / 2h = {numeric:.6f}\n")

# Let's draw both. Each edge shows  upstream × local = contribution; a's box holds their sum.
# The pictures need Graphviz's `dot` program: without it, say how to get it and go on.
written = []
try:
    written += render(draw_dot(d, show_contributions=True), out_dir / "02_node_used_twice",
                      formats=("svg", "png"))
    # The wrong picture: the grads the `=` loop left, and what it sent along each edge. Both edges
    # into a carried their share, 1 and 2, but a's box kept only the last one: the other edge is
    # marked overwritten.
    written += render(
        draw_dot(d, show_contributions=True, grads=wrong, upstreams=wrong_upstreams,
                 overwritten=wrong_overwritten,
                 title="WRONG: what a backward loop with = instead of += leaves"),
        out_dir / "02_node_used_twice_wrong", formats=("svg", "png"),
    )
    written.append(save_steps_html(d, out_dir / "02_node_used_twice_steps.html"))
except GraphvizMissingError as e:
    print(f"no pictures 02_node_used_twice, 02_node_used_twice_wrong and "
          f"02_node_used_twice_steps: {e}")
for path in written:
    print(f"wrote {path}")
