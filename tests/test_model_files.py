"""Reading a model file that is not what `save` wrote: every part is checked before anything is
built, so a bad file costs a clear ValueError naming it and what is wrong, never memory, a hang,
or a raw RecursionError, OverflowError, ZeroDivisionError or UnicodeDecodeError."""

from __future__ import annotations

import json
import os
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nn
from nn import MLP, Layer, Neuron, module
from nn.module import MAX_FILE_BYTES, MAX_WIDTH


def _write(path, text: str | bytes):
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return path


def _refusal(path) -> str:
    """The message of the ValueError (exactly that type) that loading `path` raises."""
    with pytest.raises(ValueError) as caught:
        nn.load(path)
    assert type(caught.value) is ValueError  # not a UnicodeDecodeError or JSONDecodeError
    message = str(caught.value)
    assert str(path) in message
    return message


def _state(model) -> dict:
    return json.loads(json.dumps(model.state_dict()))


# --- a tiny file that asks for a huge model ------------------------------------------------

BOMB = ('{"format":"chainrule.model","version":1,'
        '"architecture":{"type":"MLP","nin":10000,"nouts":[10000]},"parameters":[]}')


def test_a_tiny_file_asking_for_a_huge_model_is_refused_before_anything_is_built(tmp_path):
    bomb = _write(tmp_path / "bomb.json", BOMB)
    tracemalloc.start()
    try:
        message = _refusal(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5 * 2**20  # building it would take gigabytes
    assert "holds 0 parameters" in message and "needs 100,010,000" in message


@pytest.mark.parametrize("make", [lambda: MLP(2, [3, 1], seed=0), lambda: Layer(3, 2, seed=1),
                                  lambda: Neuron(2, activation="tanh", seed=2)])
def test_each_kind_of_model_loads_as_its_file(tmp_path, make):
    model = make()
    loaded = nn.load(model.save(tmp_path / "m.json"))
    assert type(loaded) is type(model)
    assert loaded.state_dict() == json.loads((tmp_path / "m.json").read_text())


@pytest.mark.parametrize("architecture, needed", [
    ({"type": "MLP", "nin": 3, "nouts": [4, 2]}, (3 + 1) * 4 + (4 + 1) * 2),
    ({"type": "Layer", "nin": 3, "nout": 4}, (3 + 1) * 4),
    ({"type": "Neuron", "nin": 3}, 3 + 1),
])
def test_the_parameter_count_is_checked_against_the_architecture(tmp_path, architecture,
                                                                 needed):
    state = {"format": "chainrule.model", "version": 1, "architecture": architecture,
             "parameters": [0.5] * (needed + 1)}
    message = _refusal(_write(tmp_path / "m.json", json.dumps(state)))
    assert f"holds {needed + 1} parameters" in message and f"needs {needed}" in message
    state["parameters"] = [0.5] * needed  # the right count loads, optional keys defaulted
    model = nn.load(_write(tmp_path / "m.json", json.dumps(state)))
    assert type(model).__name__ == architecture["type"]
    assert [p.data for p in model.parameters()] == [0.5] * needed


@pytest.mark.parametrize("make", [lambda: MLP(2, [3, 1], seed=0), lambda: Layer(2, 3, seed=0),
                                  lambda: Neuron(2, activation="tanh", seed=0)])
@pytest.mark.parametrize("key, value", [("fan_out", -2), ("name", "x"), ("seed", 3),
                                        ("fan_out", 1)])
def test_keys_a_saved_architecture_never_has_are_refused(tmp_path, make, key, value):
    """`fan_out: -2` would reach the xavier formula sqrt(6 / (nin + fan_out)) as a division by
    zero; `seed` and `name` are constructor arguments but not part of a saved model."""
    state = _state(make())
    state["architecture"][key] = value
    message = _refusal(_write(tmp_path / "m.json", json.dumps(state)))
    assert repr(key) in message


@pytest.mark.parametrize("key, value, says", [
    ("nin", 0, "nin must be an int from 1"), ("nin", -1, "nin must be an int from 1"),
    ("nin", True, "got True"), ("nin", 2.0, "got 2.0"), ("nin", "2", "got '2'"),
    ("nin", None, "got None"), ("nin", 10**400, "an int of about 400 digits"),
    ("nin", MAX_WIDTH + 1, f"from 1 to {MAX_WIDTH:,}"),
    ("nouts", [], "nouts must be a non-empty list"), ("nouts", "16", "got '16'"),
    ("nouts", [3, 0], "each width in nouts"), ("nouts", [3, True], "got True"),
    ("nouts", [10**400], "an int of about 400 digits"), ("nouts", {"a": 1}, "got {'a': 1}"),
    ("activation", "swish", "activation must be one of"), ("activation", 3, "got 3"),
    ("output_activation", None, "output_activation must be one of"),
    ("init", "zeros", "init must be None or one of"), ("type", "Transformer", "unknown model"),
    ("type", ["MLP"], "unknown model"),
])
def test_each_architecture_value_is_checked(tmp_path, key, value, says):
    state = _state(MLP(2, [3, 1], seed=0))
    state["architecture"][key] = value
    assert says in _refusal(_write(tmp_path / "m.json", json.dumps(state)))


def test_a_layer_or_neuron_names_its_init():
    """A Layer or Neuron always saves the init it used, so a null there is no saved model."""
    state = _state(Layer(2, 3, seed=0))
    state["architecture"]["init"] = None
    with pytest.raises(ValueError, match="init must be one of"):
        Layer(2, 3).load_state_dict(state)


@pytest.mark.parametrize("change, says", [
    ({"format": "chainrule.model2"}, "not a chainrule model"),
    ({"version": 2}, "version 2"), ({"version": True}, "version True"),
    ({"version": 1.0}, "version 1.0"), ({"comment": "hi"}, "'comment'"),
    ({"architecture": [1]}, "architecture must be a JSON object"),
    ({"parameters": {"0": 1.0}}, "parameters must be a list"),
])
def test_the_header_is_checked(tmp_path, change, says):
    state = dict(_state(MLP(2, [3, 1], seed=0)), **change)
    assert says in _refusal(_write(tmp_path / "m.json", json.dumps(state)))


# --- files that are not JSON a model could come from ---------------------------------------

def test_deeply_nested_json_is_refused_not_a_recursion_error(tmp_path):
    assert "nested too deeply" in _refusal(_write(tmp_path / "deep.json", "[" * 100_000))
    state = _state(MLP(2, [3, 1], seed=0))
    text = json.dumps(state).replace('"parameters": [', '"parameters": [' + "[" * 100_000, 1)
    assert "nested too deeply" in _refusal(_write(tmp_path / "deep2.json", text))


@pytest.mark.parametrize("place", ["parameters", "nin"])
def test_a_number_of_400_or_5000_digits_is_refused(tmp_path, place):
    """400 digits overflow a float; past 4300, Python will not even read them as an int."""
    state = _state(MLP(2, [3, 1], seed=0))
    if place == "parameters":
        state["parameters"][0] = "BIG"
    else:
        state["architecture"]["nin"] = "BIG"
    text = json.dumps(state)
    message = _refusal(_write(tmp_path / "a.json", text.replace('"BIG"', "9" * 400)))
    assert ("parameter 0" if place == "parameters" else "nin") in message
    assert "400 digits" in message or "too large" in message
    message = _refusal(_write(tmp_path / "b.json", text.replace('"BIG"', "9" * 5000)))
    assert "digits" in message


def test_a_parameter_too_large_for_a_float_is_refused(tmp_path):
    state = _state(MLP(2, [3, 1], seed=0))
    state["parameters"][2] = 10**400
    assert "parameter 2" in _refusal(_write(tmp_path / "m.json", json.dumps(state)))


def test_bytes_that_are_not_utf8_are_refused(tmp_path):
    good = MLP(2, [3, 1], seed=0).save(tmp_path / "good.json").read_bytes()
    message = _refusal(_write(tmp_path / "m.json", good[:20] + b"\xff\xfe" + good[20:]))
    assert "UTF-8" in message and "0xff" in message


# --- paths that are not a regular file -----------------------------------------------------

def test_a_folder_is_refused(tmp_path):
    assert "a folder" in _refusal(tmp_path)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="no model file at .*missing.json"):
        nn.load(tmp_path / "missing.json")


def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    assert "a named pipe" in _refusal(fifo)


def test_a_link_to_an_endless_device_is_refused_without_reading_it(tmp_path):
    link = tmp_path / "zero.json"
    link.symlink_to("/dev/zero")
    tracemalloc.start()
    try:
        message = _refusal(link)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "a device" in message and peak < 5 * 2**20


def test_a_link_to_a_saved_model_loads(tmp_path):
    model = MLP(2, [3, 1], seed=0)
    (tmp_path / "link.json").symlink_to(model.save(tmp_path / "m.json"))
    assert nn.load(tmp_path / "link.json").state_dict() == model.state_dict()


def test_a_file_over_the_size_cap_is_refused_unread(tmp_path):
    big = tmp_path / "big.json"
    with open(big, "wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: takes no disk space
    tracemalloc.start()
    try:
        message = _refusal(big)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert f"{MAX_FILE_BYTES // 2**20} MiB" in message and peak < 5 * 2**20


# --- load_state_dict checks the same things ------------------------------------------------

def _nested(depth: int) -> list:
    deep: list = []
    for _ in range(depth):
        deep = [deep]
    return deep


def _bad_states() -> dict[str, dict]:
    good = _state(MLP(2, [3, 1], seed=0))
    arch = good["architecture"]
    return {
        "deep parameter": dict(good, parameters=[_nested(100_000)] + good["parameters"][1:]),
        "deep architecture": dict(good, architecture=dict(arch, nouts=_nested(100_000))),
        "400 digits": dict(good, parameters=[10**400] + good["parameters"][1:]),
        "5000 digits": dict(good, parameters=[10**5000] + good["parameters"][1:]),
        "5000-digit width": dict(good, architecture=dict(arch, nin=10**5000)),
        "fan_out": dict(good, architecture=dict(arch, fan_out=-2)),
        "bool width": dict(good, architecture=dict(arch, nouts=[3, True])),
        "float width": dict(good, architecture=dict(arch, nin=2.0)),
        "bool version": dict(good, version=True),
        "bomb": json.loads(BOMB),
        "not a dict": [good],
    }


@pytest.mark.parametrize("case", sorted(_bad_states()))
def test_load_state_dict_refuses_bad_states_with_a_value_error_and_changes_nothing(case):
    model = MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    with pytest.raises(ValueError) as caught:
        model.load_state_dict(_bad_states()[case])
    assert type(caught.value) is ValueError and len(str(caught.value)) < 300
    assert model.state_dict() == before


# --- fuzzing: a saved file with any field replaced -----------------------------------------

_MODELS = st.one_of(
    st.builds(lambda n, w, s: MLP(n, w, seed=s), st.integers(1, 3),
              st.lists(st.integers(1, 3), min_size=1, max_size=3), st.integers(0, 99)),
    st.builds(lambda n, m, s: Layer(n, m, seed=s), st.integers(1, 3), st.integers(1, 3),
              st.integers(0, 99)),
    st.builds(lambda n, s: Neuron(n, seed=s), st.integers(1, 4), st.integers(0, 99)),
)
_WORDS = st.sampled_from(["chainrule.model", "MLP", "Layer", "Neuron", "relu", "tanh",
                          "sigmoid", "linear", "leaky_relu", "he", "xavier", "uniform", "nin",
                          "nout", "nouts", "fan_out", "seed", "type"])
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 20), st.integers(),
                     st.integers(-10**400, 10**400), st.floats(), st.text(max_size=6), _WORDS)
_JSON = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=4) | _WORDS, inner,
                                                 max_size=3)), max_leaves=8)


def _places(state: dict) -> list[tuple]:
    """Every place in a saved state a value sits, as a path of keys and indices."""
    places = [(key,) for key in state]
    places += [("architecture", key) for key in state["architecture"]]
    places += [("architecture", "nouts", i) for i in range(len(state["architecture"].get(
        "nouts", [])))]
    places += [("parameters", i) for i in range(len(state["parameters"]))]
    return places


def _replace(state: dict, place: tuple, value: object) -> dict:
    state = json.loads(json.dumps(state))
    target = state
    for key in place[:-1]:
        target = target[key]
    target[place[-1]] = value
    return state


def _check_loads_as_its_file_or_is_refused(path, state: object) -> None:
    try:
        model = nn.load(path)
    except ValueError as e:
        assert type(e) is ValueError and str(path) in str(e)
        return
    assert isinstance(state, dict)
    expected = dict(state, parameters=[float(v) for v in state["parameters"]])
    assert model.state_dict() == expected
    assert type(model).__name__ == state["architecture"]["type"]


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(model=_MODELS, data=st.data())
def test_a_file_with_any_field_replaced_loads_as_itself_or_raises_value_error(tmp_path, model,
                                                                              data):
    state = _state(model)
    place = data.draw(st.sampled_from(_places(state)
                                      + [("architecture", "extra"), ("extra",)]))
    mutated = _replace(state, place, data.draw(_JSON))
    path = _write(tmp_path / "m.json", json.dumps(mutated))
    _check_loads_as_its_file_or_is_refused(path, mutated)
    before = model.state_dict()  # load_state_dict: the same checks, on the Python object
    try:
        model.load_state_dict(mutated)
    except ValueError as e:
        assert type(e) is ValueError and model.state_dict() == before
    else:
        assert model.state_dict() == dict(mutated, parameters=[
            float(v) for v in mutated["parameters"]])


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(model=_MODELS, data=st.data())
def test_a_file_with_any_bytes_changed_loads_as_itself_or_raises_value_error(tmp_path, model,
                                                                             data):
    raw = bytearray(json.dumps(_state(model)).encode())
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(raw)))
        edit = data.draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        if edit == "flip" and at < len(raw):
            raw[at] = data.draw(st.integers(0, 255))
        elif edit == "insert":
            raw[at:at] = data.draw(st.binary(min_size=1, max_size=8)
                                   | st.sampled_from([b"[", b"]", b"{", b"-", b"1e999", b"9" * 400,
                                                      b"NaN", b", 1", b"\xc3", b"\x00"]))
        elif edit == "delete":
            del raw[at:at + data.draw(st.integers(1, 10))]
        else:
            del raw[at:]
    path = _write(tmp_path / "m.json", bytes(raw))
    try:
        state = json.loads(bytes(raw).decode("utf-8"))
    except (ValueError, RecursionError):
        state = None
    _check_loads_as_its_file_or_is_refused(path, state)


def test_an_architecture_over_the_parameter_cap_is_refused_before_building(tmp_path):
    # 2,001 x 1,000 weights: under the width cap, over MAX_PARAMETERS, and with a list of the
    # right length the file would otherwise be accepted and built
    needed = (2000 + 1) * 1000
    assert needed > module.MAX_PARAMETERS
    state = {"format": "chainrule.model", "version": 1,
             "architecture": {"type": "Layer", "nin": 2000, "nout": 1000,
                              "activation": "relu", "init": "he"},
             "parameters": [0] * needed}
    path = tmp_path / "big.json"
    path.write_text(json.dumps(state))
    with pytest.raises(ValueError, match="MAX_PARAMETERS"):
        nn.load(path)
