"""The network lab's sessions (chainrule.lab.network), without a server: MLP.predict_layers (the
bits of every layer of the graph), a config checked at the boundary, data and model from its
seed, epochs as fit runs them, the frames, reset, set_weight, the history, and an opened neuron,
whose numbers are checked against a backward() computed here; and the garbage collector the
sessions' threads run while fit keeps Python's paused (chainrule.lab.training.Collector).
"""

from __future__ import annotations

import asyncio
import base64
import json
import queue
import threading
import time
import weakref

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value, pause_gc
from autograd.trace import format_number
from chainrule.lab.network import (
    NEURON_RESOLUTION,
    RESOLUTION,
    MessageError,
    Session,
    Stopped,
    check_config,
)
from chainrule.lab.training import Collector, Command, FairSlots, Outbox, Trainer
from nn import MLP, TrainingDiverged, cross_entropy, fit
from nn.draw_network import unit_status
from nn.layers import ACTIVATIONS

activations = st.sampled_from(sorted(ACTIVATIONS))
numbers = st.one_of(st.floats(-50.0, 50.0), st.integers(-20, 20))


@st.composite
def mlps(draw) -> MLP:  # noqa: ANN001
    nin = draw(st.integers(1, 4))
    nouts = draw(st.lists(st.integers(1, 5), min_size=1, max_size=4))
    return MLP(nin, nouts, activation=draw(activations), output_activation=draw(activations),
               seed=draw(st.integers(0, 2**32 - 1)))


def _layer_outputs(model: MLP, x: list[float]) -> list[list[float]]:
    """Every layer's outputs for one input, read off the graph model(x) builds."""
    outputs, inputs = [], x
    for layer in model.layers:
        inputs = layer(inputs)
        outputs.append([v.data for v in inputs])
    return outputs


@settings(max_examples=200, deadline=None)
@given(model=mlps(), data=st.data())
def test_predict_layers_gives_the_bits_of_every_layer_of_the_graph(model: MLP, data):
    X = data.draw(st.lists(st.lists(numbers, min_size=model.nin, max_size=model.nin),
                           min_size=1, max_size=5))
    for p in model.parameters():
        p.data = data.draw(st.floats(-3.0, 3.0))
    layers = model.predict_layers(X)
    # [layer][neuron] -> that neuron's output for each row of X
    expected = [[[_layer_outputs(model, x)[li][j] for x in X] for j in range(width)]
                for li, width in enumerate(model.nouts)]
    assert layers == expected
    last = [list(row) for row in zip(*layers[-1])]
    assert model.predict_batch(X) == ([out[0] for out in last] if model.nouts[-1] == 1 else last)
    assert all(p.grad == 0.0 for p in model.parameters()) and not isinstance(layers[0][0][0], Value)
    assert model.predict_layers([]) == [[[] for _ in range(width)] for width in model.nouts]


# ---------------------------------------------------------------------------------------------
# The session.

SMALL = {"dataset": "circles", "points": 60, "noise": 0.05}


def _session(**config) -> Session:
    return Session(check_config({**SMALL, **config}))


def _train(session: Session, epochs: int) -> None:
    """`epochs` epochs of the session's run, as its training thread follows them."""
    def on_epoch(epoch: int, history) -> None:  # noqa: ANN001
        session.after_epoch(epoch, history)
        if epoch >= epochs:
            raise Stopped

    with pytest.raises(Stopped):
        session.train(on_epoch, lambda: False)


@pytest.mark.parametrize("config, says", [
    ([1], "config must be an object"),
    ({"dataset": "mnist"}, "config.dataset must be one of moons, circles, xor, spiral, blobs"),
    ({"noise": 0.6}, "config.noise must be a number from 0 to 0.5, not 0.6"),
    ({"noise": "0.1"}, "config.noise must be a number from 0 to 0.5, not the string '0.1'"),
    ({"hidden": [4] * 7}, "at most 6 layer widths"),
    ({"hidden": [0]}, "config.hidden[0] must be a whole number from 1 to 16, not the number 0"),
    ({"hidden": [2.5]}, "config.hidden[0] must be a whole number"),
    ({"lr": 0}, "config.lr must be a number above 0 up to 10"),
    ({"lr": True}, "config.lr must be a number above 0 up to 10, not true"),
    ({"points": 10}, "config.points must be a whole number from 20 to 500"),
    ({"batch_size": 61, "points": 60}, "config.batch_size must be a whole number from 1 to 60"),
    ({"optimizer": "rmsprop"}, "config.optimizer must be one of sgd, momentum, adam"),
    ({"l2": -0.1}, "config.l2 must be a number from 0 to 1"),
    ({"noise": 10**400}, "config.noise must be a number from 0 to 0.5, not 1000"),
])
def test_a_bad_config_says_which_key_and_what_it_takes(config, says):
    with pytest.raises(MessageError) as error:
        check_config(config)
    assert says in str(error.value)


def test_the_same_config_gives_the_same_first_frame_and_reset_gives_it_again():
    session = _session()
    first = session.frame(playing=False)
    assert _session().frame(playing=False) == first  # the same seed: the same weights
    _train(session, 3)
    trained = session.frame(playing=True)
    assert trained["epoch"] == 3 and trained["weights"] != first["weights"]
    assert trained["grads"] != first["grads"]
    session.reset()
    assert session.frame(playing=False) == first
    assert _session(seed=1).frame(playing=False)["weights"] != first["weights"]


def test_the_session_trains_as_fit_does():
    """The session's epochs are fit's: the same weights as one fit call of as many epochs."""
    session = _session(l2=0.01, optimizer="adam", lr=0.01)
    _train(session, 4)
    twin = _session(l2=0.01, optimizer="adam", lr=0.01)
    fit(twin.model, twin.X_train, twin.y_train, twin.loss_fn, twin.optimizer, epochs=4,
        batch_size=twin.config.batch_size, l2=0.01, seed=twin.config.seed, quiet=True)
    assert [p.data for p in session.model.parameters()] == [
        p.data for p in twin.model.parameters()]


def test_a_frame_measures_the_model_with_predict():
    session = _session(dataset="spiral", hidden=[5], activation="relu")
    frame = session.frame(playing=False)
    model = session.model
    outputs = [model(x) for x in session.X_train]
    expected = cross_entropy(outputs, session.y_train).data
    assert frame["train_loss"] == pytest.approx(expected, rel=1e-12)
    predicted = [max(range(3), key=lambda c: out[c].data) for out in outputs]
    assert frame["train_accuracy"] == sum(
        p == t for p, t in zip(predicted, session.y_train)) / len(predicted)
    assert len(base64.b64decode(frame["boundary"])) == RESOLUTION**2
    assert [len(base64.b64decode(h)) for h in frame["heatmaps"]] == [NEURON_RESOLUTION**2] * 8
    codes = {"": ".", "dead": "d", "saturated": "s"}
    assert frame["status"] == "".join(
        codes[s] for row in unit_status(model, session.X_train) for s in row)


def test_set_weight_changes_that_weight_and_the_measured_loss():
    session = _session()
    before = session.frame(playing=False)
    session.set_weight(0, 2, 1, 3.0)
    session.set_weight(2, 0, 2, -1.0)  # the output's bias (its nin is 2)
    after = session.frame(playing=False)
    assert after["weights"][2 * 2 + 1] == 3.0 and after["biases"][-1] == -1.0
    assert after["train_loss"] != before["train_loss"]
    assert after["history"]["train"] == [pytest.approx(after["train_loss"], rel=1e-3)]
    for bad, says in [((3, 0, 0, 1.0), "layer must be a whole number from 0 to 2"),
                      ((0, 4, 0, 1.0), "neuron (layer 0 has 4) must be"),
                      ((0, 0, 3, 1.0), "has 2 weights and a bias at 2"),
                      ((0, 0, 0, 1e7), "value must be a number from -1e6 to 1e6"),
                      ((0, 0, 0, -10**400), "value must be a number from -1e6 to 1e6")]:
        with pytest.raises(MessageError) as error:
            session.set_weight(*bad)
        assert says in str(error.value)
    assert session.frame(playing=False) == after


def test_the_history_is_the_last_200_epochs_ending_at_the_frame():
    session = _session(points=20, batch_size=20)
    _train(session, 230)
    frame = session.frame(playing=False)
    assert len(frame["history"]["train"]) == len(frame["history"]["test"]) == 200
    assert frame["history"]["train"][-1] == pytest.approx(frame["train_loss"], rel=1e-3)


@settings(max_examples=12, deadline=None)
@given(hidden=st.lists(st.integers(1, 3), min_size=1, max_size=2), data=st.data(),
       activation=st.sampled_from(["tanh", "relu", "sigmoid", "leaky_relu", "linear"]),
       dataset=st.sampled_from(["moons", "blobs"]), epochs=st.integers(0, 2))
def test_an_opened_neuron_has_the_numbers_of_a_real_backward(hidden, data, activation,
                                                             dataset, epochs):
    session = _session(hidden=hidden, activation=activation, dataset=dataset, points=20)
    if epochs:
        _train(session, epochs)
    li = data.draw(st.integers(0, len(hidden)))
    j = data.draw(st.integers(0, session.model.nouts[li] - 1))
    k = data.draw(st.integers(0, 19))
    grads_before = [p.grad for p in session.model.parameters()]
    answer = session.open_neuron(li, j, k)
    assert [p.grad for p in session.model.parameters()] == grads_before  # left as they were
    assert (answer["layer"], answer["neuron"], answer["point"]) == (li, j, k)
    assert answer["training"] == (k in session.train_indices)

    # the test's own backward(): the sample's loss through the model, from zero grads
    model = session.model
    for p in model.parameters():
        p.grad = 0.0
    outputs, inputs = [], session.X[k]
    for layer in model.layers:
        inputs = layer(inputs)
        outputs.append(inputs)
    final = inputs[0] if len(inputs) == 1 else inputs
    loss = session.loss_fn(final, session.y[k])
    loss.backward()
    out = outputs[li][j]
    unit = model.layers[li].neurons[j]
    z = out if unit.activation == "linear" else out.parents[0]  # linear: out is the dot node
    assert answer["loss"] == loss.data and answer["upstream"] == out.grad

    nodes = {node["name"]: node for node in answer["page"]["nodes"]}
    name = f"L{li}.n{j}"
    expected = {f"{name}.w{i}": w.grad for i, w in enumerate(unit.w)}
    expected[f"{name}.b"] = unit.b.grad
    expected[f"{name}.z"] = z.grad
    if unit.activation != "linear":
        expected[f"{name}.out"] = out.grad
    # the graph ends at the neuron's output, seeded with what the loss sends back to it: no
    # made-up root "L" (which the whole loss's view uses for the loss itself)
    page = answer["page"]
    output = f"{name}.{'z' if unit.activation == 'linear' else 'out'}"
    assert "L" not in nodes and page["root_name"] == output
    assert nodes[output]["value"] == out.grad  # the pass starts at the true upstream
    assert page["start"].startswith(f"The backward pass starts at {output}: {output}.grad = "
                                    f"{format_number(out.grad)}, what the loss sends back")
    first = page["steps"][0]  # (the quiz checks answers against "value")
    assert first["upstream"]["4"] == format_number(out.grad)
    assert first["value"] == pytest.approx(out.grad * out.local_grads[0], rel=1e-12,
                                           abs=1e-300)
    previous = ([Value(c) for c in session.X[k]] if li == 0 else outputs[li - 1])
    names = ([f"x{i}" for i in range(2)] if li == 0
             else [f"L{li - 1}.n{i}.{'z' if activation == 'linear' else 'out'}"
                   for i in range(len(previous))])  # a linear neuron's output: its dot node
    for w, label in zip(unit.w, names):
        expected[label] = w.data * z.grad  # this neuron's part of the input's gradient
    for label, grad in expected.items():
        assert label in nodes, (label, sorted(nodes))
        assert nodes[label]["value"] == pytest.approx(grad, rel=1e-12, abs=1e-300), label
    if answer["whole"] is not None:
        whole = {node["name"]: node["value"] for node in answer["whole"]["page"]["nodes"]}
        for i, w in enumerate(unit.w):
            assert whole[f"{name}.w{i}"] == w.grad


def test_the_collector_collects_cycles_while_fit_keeps_gc_paused():
    """(In this module: no server, so no session's thread holds the collector paused.)"""
    class Node:
        pass

    def cycle() -> weakref.ref:
        a, b = Node(), Node()
        a.other, b.other = b, a
        return weakref.ref(a)

    collector = Collector(every=0.0)
    with pause_gc():
        garbage = cycle()
        collector.maybe_collect()
        assert garbage() is None and collector.collections == 1
    garbage = cycle()
    collector.maybe_collect()  # the collector is on: Python's own collections do the work
    assert collector.collections == 1


def test_the_training_slot_gives_way_while_the_formula_lab_is_busy():
    answers = iter([True, True, False])  # busy, busy, then the requests are answered
    asked = []

    def busy() -> bool:
        asked.append(1)
        return next(answers)

    slots = FairSlots(1, busy)
    slots.give_way(threading.Event())
    assert len(asked) == 3  # it waited until the formula lab was not busy
    stop, asked = threading.Event(), []
    stop.set()
    FairSlots(1, lambda: asked.append(1) or True).give_way(stop)
    assert len(asked) == 1  # a session that ends does not wait


def run_in_a_fresh_loop(coroutine_function):
    """asyncio.run in a thread of its own: this thread may hold a running loop already (the
    Playwright fixtures of the browser tests, when the whole suite runs in one process)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(coroutine_function())).result(timeout=30)


def test_a_frame_made_before_a_message_reaches_the_page_before_it():
    """The outbox keeps only the newest frame, but never sends it after a message made later:
    a frame of a playing run that arrived after "diverged" would tell the page it plays
    again (its Play button would say Pause after the divergence)."""
    async def sent() -> list[str]:
        outbox = Outbox(asyncio.get_running_loop())
        outbox.frame({"type": "frame", "epoch": 1, "playing": True})
        outbox.frame({"type": "frame", "epoch": 2, "playing": True})  # the newest wins
        outbox.message({"type": "diverged", "message": "diverged at epoch 3", "epoch": 3})
        outbox.frame({"type": "frame", "epoch": 0, "playing": False})
        return [json.loads(text) for text in await outbox.take()]

    assert [(m["type"], m.get("epoch")) for m in run_in_a_fresh_loop(sent)] == [
        ("frame", 2), ("diverged", 3), ("frame", 0)]


def test_a_configured_message_drops_the_frame_of_the_network_before():
    async def sent() -> tuple[list[str], int]:
        outbox = Outbox(asyncio.get_running_loop())
        outbox.frame({"type": "frame", "epoch": 7, "playing": True})
        outbox.message({"type": "configured", "network": {}})
        outbox.frame({"type": "frame", "epoch": 0, "playing": False})
        return [json.loads(text)["type"] for text in await outbox.take()], outbox.frames_dropped

    assert run_in_a_fresh_loop(sent) == (["configured", "frame"], 1)


@pytest.mark.parametrize("dataset", ["circles", "spiral"])
def test_a_neuron_opened_after_a_divergence_says_so_and_what_to_do(dataset):
    """A diverged run's weights overflow a forward pass: opening a neuron then is the page's
    mistake to be told of (press Reset), not a bug of the lab's."""
    session = _session(dataset=dataset, activation="linear", lr=10.0, hidden=[8, 8, 8])
    with pytest.raises(TrainingDiverged):
        _train(session, 1000)
    for layer in range(4):
        with pytest.raises(MessageError) as error:
            session.open_neuron(layer, 0, 0, render=lambda picture: "<svg/>")
        assert "overflow" in str(error.value) and "Reset" in str(error.value)
    session.reset()
    assert session.open_neuron(3, 0, 0, render=lambda picture: "<svg/>")["type"] == "neuron"


class _SlowPost(queue.Queue):
    """A Trainer's command queue that holds the poster back, after it has put a command, until
    the session's thread has carried it out (its frame is made), or for 2 s at most: the
    order in which a fast thread and a slow event loop can interleave."""

    def __init__(self, outbox: Outbox) -> None:
        super().__init__()
        self.outbox = outbox

    def put_nowait(self, item) -> None:  # noqa: ANN001
        super().put_nowait(item)
        if isinstance(item, Command) and item.kind == "reset":
            deadline = time.monotonic() + 2.0
            while not self.outbox.frame_waiting and time.monotonic() < deadline:
                time.sleep(0.01)


def _next_frame(outbox: Outbox, after: int = -1) -> dict:
    """The frame waiting in the outbox once its epoch is past `after` (30 s at most)."""
    deadline = time.monotonic() + 30.0
    while time.monotonic() < deadline:
        text = outbox._frame
        if text is not None and json.loads(text)["epoch"] > after:
            return json.loads(text)
        time.sleep(0.01)
    raise AssertionError(f"no frame past epoch {after}")


def test_play_trains_though_the_thread_carried_out_a_reset_before_its_post_returned():
    """A reset's post sets the flag that ends a run; a thread quick enough to carry out the
    reset before the post returns must not find the flag set afterwards (its next run would
    end at its first minibatch: Play would show Pause and never train)."""
    loop = asyncio.new_event_loop()
    try:
        outbox = Outbox(loop)
        trainer = Trainer(outbox, FairSlots(), "test-trainer")
        trainer._commands = _SlowPost(outbox)
        trainer.start()
        try:
            trainer.post(Command("configure", config=check_config(SMALL)))
            _next_frame(outbox)
            outbox._frame = None
            trainer.post(Command("reset"))
            assert _next_frame(outbox)["epoch"] == 0
            outbox._frame = None  # (taken: as the socket's sender would)
            trainer.post(Command("play"))
            assert _next_frame(outbox, after=0)["playing"] is True
        finally:
            trainer.close()
            trainer.thread.join(5.0)
    finally:
        loop.close()
