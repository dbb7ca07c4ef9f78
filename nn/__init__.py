"""chainrule's neural networks: neurons, layers and MLPs built from autograd Values."""

from nn.layers import MLP, Layer, Neuron
from nn.module import Module, load

__all__ = ["MLP", "Layer", "Module", "Neuron", "load"]
