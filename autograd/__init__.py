"""chainrule's engine: scalar reverse-mode automatic differentiation, made to be read.

    >>> from autograd import Value
    >>> a, b = Value(2.0, "a"), Value(-3.0, "b")
    >>> c = a * b; c.label = "c"
    >>> c.backward()
    >>> a.grad, b.grad
    (-3.0, 2.0)
"""

from autograd.draw import draw_dot, render
from autograd.gcpause import pause_gc
from autograd.gradcheck import GradcheckError, GradcheckReport, gradcheck
from autograd.graph import topological_order
from autograd.nary import affine, dot, log_softmax, logsumexp, softmax, vsum
from autograd.paths import GradientPath, paths
from autograd.snapshot import GraphSnapshot, graph_snapshot, start_sentence
from autograd.steps_html import save_steps_html
from autograd.trace import BackwardStep, backward_steps
from autograd.value import NO_GRAPH, RULES, Value, is_recording, no_grad

__all__ = [
    "NO_GRAPH",
    "RULES",
    "BackwardStep",
    "GradcheckError",
    "GraphSnapshot",
    "GradcheckReport",
    "GradientPath",
    "Value",
    "affine",
    "backward_steps",
    "dot",
    "draw_dot",
    "gradcheck",
    "graph_snapshot",
    "is_recording",
    "log_softmax",
    "logsumexp",
    "no_grad",
    "paths",
    "pause_gc",
    "render",
    "save_steps_html",
    "softmax",
    "start_sentence",
    "topological_order",
    "vsum",
]
