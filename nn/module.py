"""`Module`: anything with parameters, and how its weights are saved and loaded.

Files are JSON: the architecture and every parameter's value. JSON writes a float with the
shortest text that reads back as the very same float, so a save/load round trip is bit-exact.
Never pickle: loading a pickle can run arbitrary code.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from autograd import Value
from autograd.files import write_atomically

FORMAT = "chainrule.model"
VERSION = 1


class Module:
    """Base class: `parameters()`, `zero_grad()`, `state_dict()`, `load_state_dict()`, `save()`."""

    def parameters(self) -> list[Value]:
        """Every trainable Value, in a stable order (layer by layer, neuron by neuron,
        weights then bias)."""
        return []

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0 (leaves accumulate across backward passes)."""
        for p in self.parameters():
            p.grad = 0.0

    def config(self) -> dict[str, object]:
        """The constructor arguments that rebuild this architecture."""
        raise NotImplementedError

    def state_dict(self) -> dict:
        """The architecture and the parameter values, as plain JSON-able data."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "architecture": self.config(),
            "parameters": [p.data for p in self.parameters()],
        }

    def load_state_dict(self, state: dict) -> None:
        """Set the parameters from `state`. Everything is checked first: on any error the model
        is left exactly as it was."""
        values = _checked_parameters(state, self)
        for p, v in zip(self.parameters(), values):
            p.data = v

    def save(self, path: str | os.PathLike) -> Path:
        """Write the model to `path` as JSON, atomically: the text goes to a temporary file in
        the same folder, which then replaces `path`, so a crash never leaves half a file."""
        path = Path(path)
        text = json.dumps(self.state_dict(), indent=1, sort_keys=True, allow_nan=False) + "\n"
        return write_atomically(path, text, fsync=True)

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        """Jupyter shows a model as its network diagram (`nn.draw_network`, as SVG); without
        Graphviz's `dot`, or for a model it cannot draw, as text with the reason. Never raises."""
        from autograd.jupyter import mimebundle
        from nn.draw_network import draw_network

        return mimebundle(self, draw=draw_network)


def _checked_parameters(state: object, model: Module) -> list[float]:
    """The parameter values in `state`, after checking they fit `model`; else a ValueError."""
    if not isinstance(state, dict):
        raise ValueError(f"a model state must be a JSON object, got {type(state).__name__}")
    if state.get("format") != FORMAT:
        raise ValueError(f"not a chainrule model (format is {state.get('format')!r})")
    if state.get("version") != VERSION:
        raise ValueError(f"unsupported model file version {state.get('version')!r}")
    if state.get("architecture") != model.config():
        raise ValueError(
            f"architecture mismatch: the file holds {state.get('architecture')}, "
            f"this model is {model.config()}"
        )
    values = state.get("parameters")
    expected = len(model.parameters())
    if not isinstance(values, list) or len(values) != expected:
        got = len(values) if isinstance(values, list) else type(values).__name__
        raise ValueError(f"expected a list of {expected} parameters, got {got}")
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ValueError(f"parameter {i} must be a finite number, got {v!r}")
    return [float(v) for v in values]


def load(path: str | os.PathLike) -> Module:
    """Read a model saved by `Module.save`, rebuilding its architecture."""
    from nn.layers import MLP, Layer, Neuron  # the classes a file may name

    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if not text.strip():
        raise ValueError(f"{path} is empty: not a saved model")
    try:
        state = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(
            f"{path} is not valid JSON (truncated or corrupted?): {e.msg} at line {e.lineno}, "
            f"column {e.colno}"
        ) from None
    if not isinstance(state, dict) or not isinstance(state.get("architecture"), dict):
        raise ValueError(f"{path} is not a chainrule model file")
    arch = dict(state["architecture"])
    kind = arch.pop("type", None)
    classes = {"MLP": MLP, "Layer": Layer, "Neuron": Neuron}
    if kind not in classes:
        raise ValueError(f"{path}: unknown model type {kind!r}")
    try:
        model = classes[kind](**arch)
    except TypeError as e:
        raise ValueError(f"{path}: bad architecture {state['architecture']}: {e}") from None
    model.load_state_dict(state)
    return model
