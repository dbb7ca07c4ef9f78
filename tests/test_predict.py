"""`model.predict(x)`: the forward pass on floats, equal to the last bit to `model(x).data`."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value
from nn import MLP, Layer, Neuron
from nn.layers import ACTIVATIONS

activations = st.sampled_from(sorted(ACTIVATIONS))
inits = st.sampled_from([None, "uniform", "xavier", "he"])
numbers = st.one_of(st.floats(-50.0, 50.0), st.integers(-20, 20))


@st.composite
def mlps(draw) -> MLP:  # noqa: ANN001
    nin = draw(st.integers(1, 4))
    nouts = draw(st.lists(st.integers(1, 5), min_size=1, max_size=4))
    return MLP(nin, nouts, activation=draw(activations), output_activation=draw(activations),
               seed=draw(st.integers(0, 2**32 - 1)), init=draw(inits))


@settings(max_examples=300, deadline=None)
@given(model=mlps(), data=st.data())
def test_an_mlp_predicts_the_very_bits_of_its_graph(model: MLP, data: st.DataObject):
    X = data.draw(st.lists(st.lists(numbers, min_size=model.nin, max_size=model.nin),
                           min_size=1, max_size=5))
    for p in model.parameters():  # trained weights are any floats, not only the initial ones
        p.data = data.draw(st.floats(-3.0, 3.0))
    graph = [model(x) for x in X]
    expected = [out.data if isinstance(out, Value) else [v.data for v in out] for out in graph]
    assert [model.predict(x) for x in X] == expected
    assert model.predict_batch(X) == expected
    one_output = model.nouts[-1] == 1
    assert all(isinstance(p, float) if one_output else isinstance(p, list) for p in expected)


@settings(max_examples=100, deadline=None)
@given(nin=st.integers(1, 4), nout=st.integers(1, 4), activation=activations,
       seed=st.integers(0, 1000), data=st.data())
def test_a_layer_and_a_neuron_predict_the_bits_of_their_graphs(nin, nout, activation, seed,
                                                                data):
    x = data.draw(st.lists(numbers, min_size=nin, max_size=nin))
    layer = Layer(nin, nout, activation=activation, seed=seed)
    assert layer.predict(x) == [v.data for v in layer(x)]
    neuron = Neuron(nin, activation=activation, seed=seed)
    assert neuron.predict(x) == neuron(x).data


def test_predict_builds_no_graph_and_takes_values_and_tuples():
    model = MLP(2, [3, 1], seed=0)
    a = Value(0.5)
    assert model.predict((0.5, 2)) == model.predict([a, 2.0]) == model([0.5, 2.0]).data
    assert a.grad == 0.0 and all(p.grad == 0.0 for p in model.parameters())
    assert model.predict_batch([]) == []


@pytest.mark.parametrize("bad, error", [([1.0], ValueError), ([1.0, 2.0, 3.0], ValueError),
                                        ({1.0, 2.0}, TypeError), (["a", 1.0], TypeError),
                                        ([float("nan"), 1.0], ValueError)])
def test_predict_refuses_what_the_model_refuses(bad, error):
    model = MLP(2, [3, 1], seed=0)
    with pytest.raises(error):
        model(bad)
    with pytest.raises(error):
        model.predict(bad)


@pytest.mark.parametrize("bad, error", [([1.0], ValueError), ([1.0, 2.0, 3.0], ValueError),
                                        ({1.0, 2.0}, TypeError), (["a", 1.0], TypeError),
                                        ([float("nan"), 1.0], ValueError),
                                        ([1, 2.0], None), ((1.0, 2.0), None)])
def test_a_batch_with_one_odd_row_is_checked_row_by_row(bad, error):
    """predict_batch takes a list of lists of floats as a whole (checked at once, in C); one
    odd row sends it the way of predict, row by row: the same answers, the same errors."""
    model = MLP(2, [3, 1], seed=0)
    batch = [[0.5, -1.0], bad, [2.0, 0.25]]
    if error is None:
        assert model.predict_batch(batch) == [model.predict(x) for x in batch]
        assert model.predict_layers(batch)[-1][0] == model.predict_batch(batch)
        return
    with pytest.raises(error) as whole:
        model.predict_batch(batch)
    with pytest.raises(error) as alone:
        model.predict(bad)
    assert str(whole.value) == str(alone.value)


@settings(max_examples=200, deadline=None)
@given(w=st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=6), b=st.floats(-1e3, 1e3),
       data=st.data())
def test_weighted_sums_are_weighted_sum_row_by_row_to_the_bit(w, b, data):
    from autograd.nary import weighted_sum, weighted_sums

    rows = data.draw(st.lists(st.lists(st.floats(-1e3, 1e3), min_size=len(w), max_size=len(w)),
                              max_size=8))
    expected = [weighted_sum(w, x, b) for x in rows]
    assert [v.hex() for v in weighted_sums(w, rows, b)] == [v.hex() for v in expected]
