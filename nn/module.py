"""`Module`: anything with parameters, and how its weights are saved and loaded.

Files are JSON: the architecture and every parameter's value. JSON writes a float with the
shortest text that reads back as the very same float, so a save/load round trip is bit-exact.
Never pickle: loading a pickle can run arbitrary code.

A file is untrusted input, so all of it is checked before anything is built: a regular file of
at most MAX_FILE_BYTES, UTF-8 JSON, each key one that `save` writes, each architecture value of
its type and range, and as many parameters as the architecture has. So a hundred bytes asking
for a 10000 x 10000 layer are refused at once, not after building 100 million weights.
"""

from __future__ import annotations

import json
import math
import os
import reprlib
import stat
from collections.abc import Sequence
from pathlib import Path

from autograd import Value
from autograd.files import write_atomically

FORMAT = "chainrule.model"
VERSION = 1

# A file is read whole, so its size is capped: 32 MiB hold about 1.4 million parameters as
# `save` writes them (~24 bytes each), far more than a scalar engine trains.
MAX_FILE_BYTES = 32 * 2**20

# A width w costs at least w parameters, each at least 2 bytes of a file ("0,"): no file under
# the cap holds a wider layer, so a larger width is refused before any arithmetic on it.
MAX_WIDTH = MAX_FILE_BYTES // 2

# A file may hold at most this many parameters: in memory each is a Value of about 200 bytes,
# so the largest model a file can ask for stays under half a gigabyte (a 2-16-16-1 net has 337).
MAX_PARAMETERS = 2_000_000

# The keys of a saved state, and those of each architecture besides "type" (what its `config()`
# writes): required ones, then optional ones, which take the constructor's default when missing.
# No others: `seed`, `name` or `fan_out` are constructor arguments, no part of a saved model.
STATE_KEYS = ("format", "version", "architecture", "parameters")
ARCHITECTURES = {
    "Neuron": (("nin",), ("activation", "init")),
    "Layer": (("nin", "nout"), ("activation", "init")),
    "MLP": (("nin", "nouts"), ("activation", "output_activation", "init")),
}


class Module:
    """Base class: `parameters()`, `zero_grad()`, `state_dict()`, `load_state_dict()`, `save()`."""

    def parameters(self) -> list[Value]:
        """Every trainable Value, in a stable order (layer by layer, neuron by neuron,
        weights then bias)."""
        return []

    def predict(self, x: Sequence[float]) -> float | list[float]:
        """The forward pass on plain numbers, building no graph (see nn.layers)."""
        raise NotImplementedError(f"{type(self).__name__} has no predict")

    def predict_batch(self, X: Sequence[Sequence[float]]) -> list:
        """`[self.predict(x) for x in X]` (a model may do it faster, reading its weights once)."""
        return [self.predict(x) for x in X]

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
        """Set the parameters from `state`, whose architecture must be this model's `config()`.
        Everything is checked first, as `nn.load` checks a file: on any error (a ValueError) the
        model is left exactly as it was."""
        _check_state(state, "the state")
        architecture = state["architecture"]
        if isinstance(architecture.get("type"), str) and architecture["type"] in ARCHITECTURES:
            _checked_architecture(architecture)  # types and ranges (True == 1, 2.0 == 2 in ==)
        if architecture != self.config():
            raise ValueError(f"architecture mismatch: the state holds {_brief(architecture)}, "
                             f"this model is {_brief(self.config())}")
        values = _checked_values(state["parameters"], len(self.parameters()), "the state")
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




# --- checking a state, from a file or from Python --------------------------------------------

class _Brief(reprlib.Repr):
    """repr for messages about untrusted data: a few items of a few levels, and a huge int's
    digits counted, not printed (repr of an int past 4300 digits raises, and nobody reads it)."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel, self.maxlist, self.maxdict, self.maxstring = 2, 6, 6, 30

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 128:
            return f"an int of about {round(x.bit_length() * math.log10(2))} digits"
        return super().repr_int(x, level)


_brief = _Brief().repr


def _check_state(state: object, what: str) -> None:
    """The frame around the architecture and the parameters: a JSON object with no keys but
    STATE_KEYS, our format and version, an object for the architecture, a list of parameters."""
    if not isinstance(state, dict):
        raise ValueError(f"{what} must be a JSON object, got {_brief(state)}")
    form = state.get("format")
    if not isinstance(form, str) or form != FORMAT:
        raise ValueError(f"{what} is not a chainrule model: its format is {_brief(form)}, "
                         f"not {FORMAT!r}")
    version = state.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version != VERSION:
        raise ValueError(f"{what} has version {_brief(version)}, and this chainrule reads "
                         f"version {VERSION} only")
    for key in state:
        if key not in STATE_KEYS:
            raise ValueError(f"{what} has the key {_brief(key)}, which no saved model has "
                             f"(only {', '.join(STATE_KEYS)})")
    if not isinstance(state.get("architecture"), dict):
        raise ValueError(f"{what}'s architecture must be a JSON object, "
                         f"got {_brief(state.get('architecture'))}")
    if not isinstance(state.get("parameters"), list):
        raise ValueError(f"{what}'s parameters must be a list of numbers, "
                         f"got {_brief(state.get('parameters'))}")


def _checked_architecture(architecture: dict) -> tuple[str, dict[str, object], int]:
    """(type, constructor arguments, parameter count) of an architecture whose every key is one
    of its type's (ARCHITECTURES) and every value of the right type and range; else ValueError."""
    kind = architecture.get("type")
    if not isinstance(kind, str) or kind not in ARCHITECTURES:
        raise ValueError(f"unknown model type {_brief(kind)}; a saved model is one of "
                         f"{', '.join(ARCHITECTURES)}")
    required, optional = ARCHITECTURES[kind]
    for key in architecture:
        if key != "type" and key not in required + optional:
            raise ValueError(f"a saved {kind} has no key {_brief(key)}; its keys are type, "
                             f"{', '.join(required + optional)}")
    for key in required:
        if key not in architecture:
            raise ValueError(f"the architecture of a saved {kind} needs {key!r}")
    args = {key: _checked_argument(kind, key, value)
            for key, value in architecture.items() if key != "type"}
    return kind, args, _parameter_count(kind, args)


def _checked_argument(kind: str, key: str, value: object) -> object:
    """One architecture value, checked as the constructor would, before any is called."""
    from nn.layers import ACTIVATIONS, INITS

    if key in ("nin", "nout"):
        return _checked_width(value, key)
    if key == "nouts":
        if not isinstance(value, list) or not value:
            raise ValueError(f"nouts must be a non-empty list of layer widths, got {_brief(value)}")
        return [_checked_width(width, "each width in nouts") for width in value]
    if key in ("activation", "output_activation"):
        if not isinstance(value, str) or value not in ACTIVATIONS:
            raise ValueError(f"{key} must be one of {sorted(ACTIVATIONS)}, got {_brief(value)}")
        return value
    # init: an MLP may leave it to each layer's activation (None), a Layer or Neuron saves its own
    if kind == "MLP" and value is None:
        return None
    if not isinstance(value, str) or value not in INITS:
        choices = "None or one of" if kind == "MLP" else "one of"
        raise ValueError(f"init must be {choices} {INITS}, got {_brief(value)}")
    return value


def _checked_width(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_WIDTH:
        raise ValueError(f"{what} must be an int from 1 to {MAX_WIDTH:,}, got {_brief(value)}")
    return value


def _parameter_count(kind: str, args: dict) -> int:
    """How many parameters an architecture has. A neuron has nin weights and a bias (nin + 1),
    a layer nout such neurons ((nin + 1) * nout), an MLP the sum of (fan_in + 1) * fan_out over
    its layers."""
    if kind == "Neuron":
        return args["nin"] + 1
    if kind == "Layer":
        return (args["nin"] + 1) * args["nout"]
    sizes = [args["nin"], *args["nouts"]]
    return sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(sizes, sizes[1:]))


def _checked_values(values: list, needed: int, what: str) -> list[float]:
    """The parameters as floats: `needed` of them, each a finite number; else a ValueError."""
    if len(values) != needed:
        raise ValueError(f"{what} holds {len(values):,} parameters where its architecture needs "
                         f"{needed:,}: it is damaged or was edited, so save the model again")
    if needed > MAX_PARAMETERS:
        raise ValueError(f"{what}'s architecture has {needed:,} parameters, more than the "
                         f"{MAX_PARAMETERS:,} a model file may hold (MAX_PARAMETERS)")
    floats = []
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ValueError(f"parameter {i} must be a finite number, got {_brief(v)}")
        try:
            x = float(v)
        except OverflowError:  # an int past 1.8e308
            raise ValueError(f"parameter {i} is too large for a float: {_brief(v)}") from None
        if not math.isfinite(x):
            raise ValueError(f"parameter {i} must be a finite number, got {x}")
        floats.append(x)
    return floats


# --- reading a file ----------------------------------------------------------------------------

def load(path: str | os.PathLike) -> Module:
    """Read a model saved by `Module.save`, rebuilding its architecture.

    All of the file is checked before anything is built (see the module's docstring): a bad
    file raises a ValueError naming it and what is wrong, a missing one FileNotFoundError.
    """
    from nn.layers import MLP, Layer, Neuron  # the classes a file may name

    path = Path(path)
    state = _read_json(path)
    try:
        _check_state(state, "the file")
        kind, args, needed = _checked_architecture(state["architecture"])
        values = _checked_values(state["parameters"], needed, "the file")
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None
    model = {"MLP": MLP, "Layer": Layer, "Neuron": Neuron}[kind](**args)
    for p, v in zip(model.parameters(), values):
        p.data = v
    return model


def _read_json(path: Path) -> object:
    """The JSON value in the file at `path`; a ValueError naming the file if there is none."""
    text = _read_text(path)
    if not text.strip():
        raise ValueError(f"{path} is empty: not a saved model")
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(
            f"{path} is not valid JSON (truncated or corrupted?): {e.msg} at line {e.lineno}, "
            f"column {e.colno}"
        ) from None
    except RecursionError:
        raise ValueError(f"{path} is JSON nested too deeply to read: not a saved model, "
                         "whose JSON is three levels deep") from None
    except ValueError:  # the one other: an int of more digits than Python reads (4300)
        raise ValueError(f"{path} holds a number with thousands of digits: "
                         "not a saved model") from None


def _read_text(path: Path) -> str:
    """The text of the regular file at `path`, of at most MAX_FILE_BYTES, as UTF-8.

    NOTE: the file is opened without blocking, then checked with fstat on the open file itself
    (a stat beforehand could see another file than the one then opened): a named pipe would
    block `open` until a writer came, and a link to /dev/zero would read until memory ran out.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise FileNotFoundError(f"no model file at {path}: check the path") from None
    except IsADirectoryError:  # where a folder cannot even be opened (Windows)
        raise ValueError(f"{path} is a folder, not a model file") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{path} is {_file_kind(info.st_mode)}, not a model file: "
                             "give the path of a file that Module.save wrote")
        raw = bytearray()  # in chunks (read(n) sets n bytes aside first), one past the cap at most
        while info.st_size <= MAX_FILE_BYTES and len(raw) <= MAX_FILE_BYTES:  # it may still grow
            chunk = os.read(fd, min(2**16, MAX_FILE_BYTES + 1 - len(raw)))
            if not chunk:
                break
            raw += chunk
    finally:
        os.close(fd)
    size = max(info.st_size, len(raw))
    if size > MAX_FILE_BYTES:
        raise ValueError(f"{path} has {size:,} bytes or more, over the "
                         f"{MAX_FILE_BYTES // 2**20} MiB a model file may have (MAX_FILE_BYTES): "
                         "not a model that Module.save wrote")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"{path} is not UTF-8 text (byte 0x{raw[e.start]:02x} at offset "
                         f"{e.start:,}): not a saved model") from None


def _file_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"
