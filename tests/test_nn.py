"""Neurons, layers, MLPs, and saving/loading them: shapes, seeds, order, and bit-exact files."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd import Value
from nn import MLP, Layer, Neuron


def test_neuron_is_one_dot_node_plus_activation():
    n = Neuron(3, activation="tanh", seed=0)
    out = n([1.0, 2.0, 3.0])
    assert out.op == "tanh" and out.parents[0].op == "dot"
    assert out.parents[0].parents == (*n.w, n.b)  # float inputs are constants, not nodes
    assert n.b.data == 0.0  # biases start at zero


@pytest.mark.parametrize("activation, op", [("relu", "relu"), ("tanh", "tanh"),
                                            ("sigmoid", "sigmoid"), ("leaky_relu", "leaky_relu"),
                                            ("linear", "dot")])
def test_each_activation_is_used(activation, op):
    assert Neuron(2, activation=activation, seed=1)([0.5, -0.5]).op == op


def test_layer_always_returns_a_list_and_mlp_a_value_for_one_output():
    assert isinstance(Layer(2, 1, seed=0)([1.0, 2.0]), list)
    assert isinstance(MLP(2, [3, 1], seed=0)([1.0, 2.0]), Value)
    out = MLP(2, [3, 4], seed=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 4


def test_hidden_layer_of_width_one_works_and_backpropagates():
    model = MLP(2, [1, 3, 1], activation="tanh", seed=3)
    out = model([0.3, -0.7])
    out.backward()
    assert all(p.grad != 0.0 for p in model.layers[0].parameters())


def test_parameters_order_and_count():
    model = MLP(2, [3, 1], seed=0)
    params = model.parameters()
    assert len(params) == (2 + 1) * 3 + (3 + 1) * 1
    first = model.layers[0].neurons[0]
    assert params[:3] == [*first.w, first.b]  # layer by layer, neuron by neuron, weights, bias
    assert "13 parameters" in repr(model) and "2 -> 3 -> 1" in repr(model)


def test_same_seed_same_weights_other_seed_other_weights():
    a, b, c = MLP(2, [4, 1], seed=7), MLP(2, [4, 1], seed=7), MLP(2, [4, 1], seed=8)
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    assert [p.data for p in a.parameters()] != [p.data for p in c.parameters()]


@pytest.mark.parametrize("init", ["uniform", "xavier", "he"])
def test_initialisations_have_their_spread(init):
    weights = [w.data for n in Layer(64, 64, seed=0, init=init).neurons for w in n.w]
    mean = sum(weights) / len(weights)
    var = sum((w - mean) ** 2 for w in weights) / len(weights)
    expected = {"uniform": 1 / 3, "xavier": 2 / 128, "he": 2 / 64}[init]
    assert abs(mean) < 0.05 and abs(var / expected - 1) < 0.1


def test_mlp_backward_matches_finite_differences_through_the_model():
    model = MLP(2, [3, 2], activation="tanh", output_activation="sigmoid", seed=5)
    x = [0.4, -1.2]

    def loss_of(model):
        a, b = model(x)
        return (a - 0.2) ** 2 + (b * 3.0).exp()

    loss = loss_of(model)
    model.zero_grad()
    loss.backward()
    eps = 1e-6
    for p in model.parameters():
        saved = p.data
        p.data = saved + eps
        up = loss_of(model).data
        p.data = saved - eps
        down = loss_of(model).data
        p.data = saved
        assert abs(p.grad - (up - down) / (2 * eps)) < 1e-6


@pytest.mark.parametrize("bad, error", [
    (lambda: MLP(0, [1]), ValueError), (lambda: MLP(2, []), ValueError),
    (lambda: MLP(2, [3, 0]), ValueError), (lambda: MLP(2, "16"), ValueError),
    (lambda: MLP(2, [3], activation="swish"), ValueError),
    (lambda: MLP(2, [3], init="zeros"), ValueError), (lambda: Neuron(2, seed="x"), TypeError),
    (lambda: MLP(2, [3, 1], seed=0)([1.0]), ValueError),
])
def test_bad_construction_and_inputs_say_what_is_wrong(bad, error):
    with pytest.raises(error):
        bad()


@pytest.mark.parametrize("make", [
    lambda: MLP(2, [3, 1], init="zeros"), lambda: Layer(2, 3, init="zeros"),
    lambda: Neuron(2, init="zeros"),
])
def test_an_unknown_init_is_named_with_the_choices(make):
    with pytest.raises(ValueError, match=r"unknown init 'zeros'; choose one of \('uniform', "):
        make()


# --- save / load ---------------------------------------------------------------------------

def test_save_load_save_gives_identical_bytes(tmp_path):
    model = MLP(2, [16, 16, 1], seed=11)
    model([0.1, 0.2]).backward()
    for p in model.parameters():  # awkward floats: every bit must survive
        p.data = p.data / 3.0 + 1e-17
    first = model.save(tmp_path / "m.json")
    loaded = nn.load(first)
    second = loaded.save(tmp_path / "m2.json")
    assert first.read_bytes() == second.read_bytes()
    assert [p.data for p in loaded.parameters()] == [p.data for p in model.parameters()]
    assert loaded([0.3, 0.4]).data == model([0.3, 0.4]).data
    assert not list(tmp_path.glob("*.tmp"))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31), widths=st.lists(st.integers(1, 5), min_size=1, max_size=3))
def test_round_trip_is_exact_for_any_architecture(tmp_path_factory, seed, widths):
    path = tmp_path_factory.mktemp("rt") / "m.json"
    model = MLP(3, widths, activation="tanh", seed=seed)
    model.save(path)
    assert [p.data for p in nn.load(path).parameters()] == [p.data for p in model.parameters()]


def _broken_files(good: str) -> dict[str, str]:
    state = json.loads(good)
    wrong_shape = dict(state, architecture=dict(state["architecture"], nouts=[4, 1]))
    short = dict(state, parameters=state["parameters"][:-1])
    nan = dict(state, parameters=["NaN"] + state["parameters"][1:])
    return {
        "truncated": good[: len(good) // 2],
        "not json": "this is not json",
        "empty": "",
        "shape mismatch": json.dumps(wrong_shape),
        "too few parameters": json.dumps(short),
        "non-number parameter": json.dumps(nan),
        "not a model": json.dumps({"hello": 1}),
    }


@pytest.mark.parametrize("case", ["truncated", "not json", "empty", "shape mismatch",
                                  "too few parameters", "non-number parameter", "not a model"])
def test_bad_files_raise_clear_errors_and_change_nothing(tmp_path, case):
    model = MLP(2, [3, 1], seed=1)
    good = model.save(tmp_path / "good.json").read_text()
    other = MLP(2, [3, 1], seed=2)
    before = [p.data for p in other.parameters()]
    bad = tmp_path / "bad.json"
    bad.write_text(_broken_files(good)[case])
    with pytest.raises(ValueError) as info:
        nn.load(bad)
    assert str(info.value)  # says something
    with pytest.raises(ValueError):
        other.load_state_dict(json.loads(bad.read_text()) if case not in (
            "truncated", "not json", "empty") else None)
    assert [p.data for p in other.parameters()] == before


def test_a_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    model = MLP(2, [3, 1], seed=1)
    path = model.save(tmp_path / "m.json")
    before = path.read_bytes()
    import nn.module as module

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(module.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        MLP(2, [3, 1], seed=9).save(path)
    assert path.read_bytes() == before
    assert not list(tmp_path.glob("*.tmp"))


def _same_graph(a: Value, b: Value) -> bool:
    """Two graphs made of the same ops, numbers and local derivatives over the same leaves."""
    if not a.parents or not b.parents:
        return a is b
    return (a.op == b.op and a.data == b.data and a.local_grads == b.local_grads
            and len(a.parents) == len(b.parents)
            and all(_same_graph(p, q) for p, q in zip(a.parents, b.parents)))


_INPUTS = st.lists(st.one_of(st.floats(-3, 3), st.integers(-3, 3),
                             st.floats(-3, 3).map(Value)), min_size=1, max_size=4)


@settings(max_examples=80, deadline=None)
@given(_INPUTS, st.integers(1, 4), st.sampled_from(["relu", "tanh", "linear"]),
       st.integers(0, 2**16))
def test_a_layer_makes_one_dot_node_per_neuron(x, nout, activation, seed):
    """Layers skip re-checking their own weights; each neuron is still exactly dot's node:
    parents (*w, *the Values among x, b), local derivatives (*x, *w of the Value inputs, 1)."""
    layer = Layer(len(x), nout, activation=activation, seed=seed)
    numbers = [xi.data if isinstance(xi, Value) else float(xi) for xi in x]
    for neuron, out in zip(layer.neurons, layer(x), strict=True):
        z = out if activation == "linear" else out.parents[0]
        assert out.op == ("dot" if activation == "linear" else activation)
        w = [wi.data for wi in neuron.w]
        assert z.op == "dot"
        assert z.parents == (*neuron.w, *[xi for xi in x if isinstance(xi, Value)], neuron.b)
        assert z.local_grads == (*numbers, *[wi for wi, xi in zip(w, x)
                                              if isinstance(xi, Value)], 1.0)
        assert z.data == pytest.approx(sum(a * b for a, b in zip(w, numbers)) + neuron.b.data,
                                       rel=1e-12, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3), st.integers(0, 2**16),
       st.lists(st.floats(-3, 3), min_size=2, max_size=2), st.booleans())
def test_an_mlp_is_its_layers_in_sequence(widths, seed, numbers, as_values):
    """The MLP checks its input once and passes each layer's outputs on unchecked: the graph
    is the one its layers make when called one after another."""
    model = MLP(2, widths, activation="tanh", seed=seed)
    x = [Value(v) for v in numbers] if as_values else numbers
    out, chained = model(x), x
    for layer in model.layers:
        chained = layer(chained)
    assert all(map(_same_graph, out if isinstance(out, list) else [out], chained))


def test_a_neurons_weights_change_only_through_their_data():
    neuron = Neuron(2, activation="linear", seed=0)
    with pytest.raises(AttributeError):
        neuron.w = [Value(1.0), Value(2.0)]
    with pytest.raises(AttributeError):
        neuron.b = 3.0
    with pytest.raises(TypeError):
        neuron.w[0] = 1.0
    neuron.w[0].data, neuron.w[1].data, neuron.b.data = 2.0, -1.0, 0.5  # what training does
    layer = Layer(2, 1, activation="linear", seed=0)
    layer.neurons[0].w[0].data, layer.neurons[0].w[1].data = 2.0, -1.0
    assert neuron([3.0, 4.0]).data == 2.5 and layer([3.0, 4.0])[0].data == 2.0


@pytest.mark.parametrize("make, name", [(lambda: MLP(2, [3, 1], seed=0), "this MLP"),
                                        (lambda: Layer(2, 3, seed=0), "this layer"),
                                        (lambda: Neuron(2, seed=0), "this neuron")])
def test_models_check_their_inputs_once_and_say_what_is_wrong(make, name):
    model = make()
    with pytest.raises(TypeError, match=f"{name} takes Values or numbers, got str"):
        model([1.0, "2"])
    with pytest.raises(ValueError, match="must be finite"):
        model([1.0, float("nan")])
    with pytest.raises(ValueError, match="takes 2 inputs, got 3"):
        model([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match=f"{name} takes a list of inputs, got a set"):
        model({1.0, 2.0})


def test_a_models_structure_is_fixed_when_it_is_built():
    """Layers and MLPs trust their own parts, so those parts cannot be swapped afterwards."""
    model = MLP(2, [3, 1], seed=0)
    with pytest.raises(TypeError):
        model.layers[1] = Layer(2, 1)
    with pytest.raises(TypeError):
        model.layers[0].neurons[1] = Neuron(3)
    with pytest.raises(AttributeError):
        model.layers = [Layer(2, 1)]
    with pytest.raises(AttributeError):
        model.layers[0].neurons = [Neuron(2)]
    with pytest.raises(ValueError, match="this layer takes 3 inputs, got 2"):
        model.layers[1]._forward([1.0, 2.0], [], [1.0, 2.0])


def test_a_numpy_array_of_values_is_an_input_like_a_list():
    import numpy as np  # installed with the plots extra (matplotlib needs it)

    x = [Value(1.0), Value(-2.0)]
    model = MLP(2, [3, 2], seed=0)
    for a, b in zip(model(np.array(x, dtype=object)), model(x), strict=True):
        assert _same_graph(a, b)
