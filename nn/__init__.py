"""chainrule's neural networks: neurons, layers and MLPs built from autograd Values."""

from nn import datasets
from nn.draw_network import draw_network
from nn.layers import MLP, Layer, Neuron
from nn.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    l2_penalty,
    mse_loss,
)
from nn.module import Module, load
from nn.optim import SGD, Adam, linear_decay
from nn.plots import plot_decision_boundary, plot_grad_norms, plot_history
from nn.replay import TrainingRecorder, save_training_replay
from nn.train import History, TrainingDiverged, evaluate, fit

__all__ = [
    "MLP", "SGD", "Adam", "History", "Layer", "Module", "Neuron", "TrainingDiverged",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "datasets",
    "evaluate", "fit", "hinge_loss", "l2_penalty", "linear_decay", "load", "mse_loss",
    # pictures (graphviz and matplotlib are imported only when a picture is made)
    "draw_network", "plot_decision_boundary", "plot_grad_norms", "plot_history",
    "TrainingRecorder", "save_training_replay",
    # the PyTorch twin (loaded on first use, below; torch only when a twin is made)
    "from_torch", "to_torch",
]

# Names whose module is loaded when they are first looked up (PEP 562), so that `import nn`
# stays light: nn.to_torch loads nn.torch_twin, which imports torch only to build a twin.
_LAZY = {"to_torch": "nn.torch_twin", "from_torch": "nn.torch_twin"}


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module 'nn' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value  # looked up once: later lookups never come here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
