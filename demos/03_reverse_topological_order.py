"""03 — why backprop walks the graph in reverse topological order: a diamond shows it.

Let's build a diamond: x feeds a, and a feeds both b and c, which meet again in d:

    a = x + 1,   b = 3*a,   c = a**2,   d = b*c        (so d = 3 (x+1)^3,  ∂d/∂x = 9 (x+1)^2)

A node may pass its gradient on only once it holds ALL of it, i.e. after every node that uses
it has been processed. Reverse topological order guarantees that. Let's see what happens when a
walk visits a too early: a depth-first walk that handles each node the moment it meets it.

Run:  python demos/03_reverse_topological_order.py [OUT_DIR]     (pictures land in out/)
"""

import sys
from pathlib import Path

from autograd import Value, draw_dot, render, save_steps_html, topological_order
from autograd.draw import GraphvizMissingError

out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out")

x = Value(1.0, "x")
a = x + 1
a.label = "a"
b = 3 * a
b.label = "b"
c = a**2
c.label = "c"
d = b * c
d.label = "d"
print(f"forward:  x = {x.data:g}, a = {a.data:g}, b = {b.data:g}, c = {c.data:g}, "
      f"d = {d.data:g}")
print(f"by hand:  the derivative of d = 3 (x+1)^3 is 9 (x+1)^2 = {9 * (x.data + 1) ** 2:g}\n")


# The chain rule, the same loop every time; only the order of the nodes changes. (It also notes,
# for the pictures, the upstream it sent along each edge (node, k) at the moment it sent it.)
def backprop_in(order, root):
    grads = {node: 0.0 for node in order}
    grads[root] = 1.0
    upstreams = {}
    for node in order:
        for k, (parent, local) in enumerate(zip(node.parents, node.local_grads)):
            upstreams[(node, k)] = grads[node]
            grads[parent] += local * grads[node]
    return grads, upstreams


# Right: reverse topological order (every node after all the nodes that use it).
right_order = list(reversed(topological_order(d)))


# Wrong, on purpose: depth first from d, handling each node the first time the walk meets it.
# It goes d -> b -> a -> x before it ever reaches c, so a passes its gradient on to x while
# c's share of it is still missing.
def first_met_order(root):
    order, seen, stack = [], set(), [root]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        order.append(node)
        stack.extend(reversed(node.parents))  # visit the first parent first
    return order


wrong_order = first_met_order(d)
(right, _), (wrong, wrong_upstreams) = backprop_in(right_order, d), backprop_in(wrong_order, d)


def names(order):
    return " -> ".join(node.label for node in order)


print(f"reverse topological order:  {names(right_order)}")
print(f"   a.grad = {right[a]:g},  x.grad = {right[x]:g}   (a had both shares, 12 + 24, in time)")
print(f"first-met (wrong) order:    {names(wrong_order)}")
print(f"   a.grad = {wrong[a]:g},  x.grad = {wrong[x]:g}   <-- x got a's gradient before c's "
      "share of 24 arrived")

d.backward()  # the engine's own pass agrees with the right order
print(f"\nd.backward():  x.grad = {x.grad:g}\n")

# Let's draw the right pass, and the wrong one: the grads the wrong loop left, and on each edge
# what it really sent (x -> a carried a's 12, before c's share of 24 arrived).
# The pictures need Graphviz's `dot` program: without it, say how to get it and go on.
written = []
try:
    written += render(draw_dot(d, show_contributions=True), out_dir / "03_diamond",
                      formats=("svg", "png"))
    written += render(
        draw_dot(d, show_contributions=True, grads=wrong, upstreams=wrong_upstreams,
                 title="WRONG: what a backward loop in first-met (depth-first) order leaves"),
        out_dir / "03_diamond_wrong_order", formats=("svg", "png"),
    )
    written.append(save_steps_html(d, out_dir / "03_diamond_steps.html"))
except GraphvizMissingError as e:
    print(f"no pictures 03_diamond, 03_diamond_wrong_order and 03_diamond_steps: {e}")
for path in written:
    print(f"wrote {path}")
