"""The network lab over its WebSocket, on a real uvicorn (tests/lab_server.py) with a real
client (the `websockets` package): configure, play, pause, step, reset, set_weight,
open_neuron, a divergence, and the limits (Host/Origin, the cap, bad and hostile messages, a
flood, idleness, a closed socket's thread), each socket its own session.
"""

from __future__ import annotations

import json
import socket
import threading
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from chainrule.lab.network import Session, check_config
from chainrule.lab.ws import MESSAGE_LIMIT
from nn import TrainingDiverged, fit

pytest_plugins = ["lab_server"]

WAIT = 30.0  # seconds: a bound on each wait for a message, so that a bug fails, never hangs
SMALL = {"dataset": "circles", "points": 100, "noise": 0.05}  # quick epochs


class Page:
    """A test's side of one socket: JSON messages in and out."""

    def __init__(self, lab: Any, **options: Any) -> None:
        url = lab.url.replace("http://", "ws://") + "ws/network"
        self.socket: ClientConnection = connect(url, origin=lab.url.rstrip("/"),
                                                open_timeout=WAIT, **options).__enter__()

    def send(self, type: str, **fields: Any) -> None:  # noqa: A002 - the protocol's name
        self.socket.send(json.dumps({"type": type, **fields}))

    def recv(self) -> dict[str, Any]:
        return json.loads(self.socket.recv(timeout=WAIT))

    def next(self, kind: str) -> dict[str, Any]:
        """The next message of this type (frames before it are skipped; nothing else is)."""
        while True:
            message = self.recv()
            if message["type"] == kind:
                return message
            assert message["type"] == "frame", message

    def configure(self, **config: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        self.send("configure", config={**SMALL, **config})
        configured = self.next("configured")
        return configured, self.next("frame")

    def paused_frame(self) -> dict[str, Any]:
        """Pause, then the frame that says so (frames made before it are skipped)."""
        self.send("pause")
        while (frame := self.next("frame"))["playing"]:
            pass
        return frame

    def close(self) -> None:
        self.socket.close()

    def __enter__(self) -> Page:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _trainers(lab: Any) -> set:
    return set(lab.app.state.lab.sessions._open)


def test_the_page_and_its_files_are_served(lab):
    page = httpx.get(lab.url + "network")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '/static/network.js' in page.text
    for name in ("network.js", "network.css", "steps.js"):
        assert httpx.get(lab.url + "static/" + name).status_code == 200


def test_configure_answers_the_network_then_the_frame_of_epoch_0(lab):
    with Page(lab) as page:
        configured, frame = page.configure(hidden=[4, 2])
        network = configured["network"]
        assert network["layers"] == [[2, 4, "tanh"], [4, 2, "tanh"], [2, 1, "linear"]]
        assert 'id="w1_1_3"' in network["svg"] and 'id="L2n0"' in network["svg"]
        assert sorted(network["train"] + network["test"]) == list(range(100))
        assert frame["epoch"] == 0 and frame["playing"] is False
        assert len(frame["weights"]) == 2 * 4 + 4 * 2 + 2 and len(frame["biases"]) == 7
        assert len(frame["heatmaps"]) == len(frame["status"]) == 7
        assert frame["history"] == {"train": [pytest.approx(frame["train_loss"], 1e-3)],
                                    "test": [pytest.approx(frame["test_loss"], 1e-3)]}


def test_play_trains_pause_stops_and_step_adds_exactly_one_epoch(lab):
    with Page(lab) as page:
        _, first = page.configure(lr=0.3)
        page.send("play")
        frames = [page.next("frame") for _ in range(30)]
        epochs = [f["epoch"] for f in frames]
        assert epochs == sorted(set(epochs)) and epochs[0] >= 1  # rising, one frame an epoch
        assert frames[-1]["train_loss"] < first["train_loss"]
        assert all(f["playing"] for f in frames)
        paused = page.paused_frame()
        page.send("step")
        stepped = page.next("frame")  # no frame of training in between: the pause held
        assert stepped["epoch"] == paused["epoch"] + 1 and stepped["playing"] is False
        page.send("step")
        assert page.next("frame")["epoch"] == paused["epoch"] + 2
        history = stepped["history"]["train"]
        assert len(history) == min(200, stepped["epoch"] + 1)
        assert history[-1] == pytest.approx(stepped["train_loss"], rel=1e-3)


def test_reset_gives_the_first_frame_again_and_set_weight_shows_in_the_next(lab):
    with Page(lab) as page:
        _, first = page.configure()
        page.send("play")
        page.next("frame")
        page.paused_frame()
        page.send("reset")
        again = page.next("frame")
        assert again == first
        page.send("set_weight", layer=1, neuron=1, input=4, value=1.5)  # the bias of L1n1
        edited = page.next("frame")
        assert edited["epoch"] == 0 and edited["biases"][4 + 1] == 1.5
        page.send("set_weight", layer=0, neuron=3, input=1, value=-2)
        assert page.next("frame")["weights"][3 * 2 + 1] == -2.0
        page.send("step")  # training goes on from the weights set
        assert page.next("frame")["epoch"] == 1


def test_a_divergence_sends_fits_own_message_and_stops(lab):
    config = {**SMALL, "dataset": "spiral", "activation": "linear", "lr": 10.0}
    session = Session(check_config(config))
    with pytest.raises(TrainingDiverged) as expected:
        fit(session.model, session.X_train, session.y_train, session.loss_fn,
            session.optimizer, epochs=1000, batch_size=session.config.batch_size,
            seed=session.config.seed, quiet=True)
    with Page(lab) as page:
        page.configure(dataset="spiral", activation="linear", lr=10.0)
        page.send("play")
        diverged = page.next("diverged")
        assert diverged["message"] == str(expected.value)
        page.send("play")  # stopped: play again is refused until Reset
        assert "Reset" in page.next("error")["message"]
        page.send("reset")
        assert page.next("frame")["epoch"] == 0
        page.send("step")
        assert page.next("frame")["epoch"] == 1


def test_open_neuron_answers_the_point_asked_with_its_graphs(lab):
    with Page(lab) as page:
        configured, _ = page.configure()
        k = configured["network"]["test"][0]
        page.send("open_neuron", layer=1, neuron=0, point=k)
        answer = page.next("neuron")
        assert (answer["layer"], answer["neuron"], answer["point"]) == (1, 0, k)
        assert answer["training"] is False
        assert "<svg" in answer["svg"] and answer["page"]["nodes"]
        assert answer["whole"] is not None and "<svg" in answer["whole"]["svg"]
        page.send("open_neuron", layer=3, neuron=0, point=k)
        assert "layer must be a whole number from 0 to 2" in page.next("error")["message"]


@pytest.mark.parametrize("text, says", [
    ("{not json", "not JSON"),
    ('{"type": "play", "type": "pause"}', "given twice"),
    ("[1, 2]", 'a JSON object with a "type"'),
    ('{"type": "dance"}', "no message type 'dance'"),
    ('{"type": "play", "now": true}', "has no field 'now'"),
    ('{"type": "set_weight", "layer": 0, "neuron": 0, "input": 0}', "needs the field 'value'"),
    ('{"type": "set_weight", "layer": "0", "neuron": 0, "input": 0, "value": 1}',
     "set_weight.layer must be a whole number, not a string"),
    ('{"type": "set_weight", "layer": 0, "neuron": 0, "input": 0, "value": NaN}',
     "NaN is not a JSON number"),
    ('{"type": "set_weight", "layer": 0, "neuron": 0, "input": 0, "value": 1e999}',
     "too large for a float"),
    ('{"type": "set_weight", "layer": 0, "neuron": 0, "input": 0, "value": 1' + "0" * 400
     + "}", "too large for a float"),  # (a JSON integer: Python reads it whole)
    ('{"type": "configure", "config": {"noise": 1' + "0" * 400 + "}}", "too large for a float"),
    ('{"type": "configure", "config": {"lr": -1' + "0" * 400 + "}}", "too large for a float"),
    ('{"type": "open_neuron", "layer": true, "neuron": 0, "point": 0}', "not true"),
    ('{"type": "show", "what": "everything"}', 'show.what must be "weights" or "grads"'),
    ('{"type": "configure", "config": {"lr": 0}}', "config.lr must be a number above 0"),
    ('{"type": "configure", "config": {"hidden": [4, 99]}}', "config.hidden[1] must be"),
    ('{"type": "configure", "config": {"colour": "red"}}', "config has no key 'colour'"),
    ('{"type": "configure", "config": {"batch_size": 50, "points": 20}}',
     "config.batch_size must be a whole number from 1 to 20"),
    ("[" * 60_000, "larger than the limit"),  # (past 64 KB uvicorn closes the socket: 1009)
    ('{"type": "play", "x": "' + "a" * MESSAGE_LIMIT + '"}', "larger than the limit of 16 KB"),
    ("[" * 5000 + "]" * 5000, "nested too deeply"),
])
def test_a_bad_message_gets_an_error_and_changes_nothing(lab, text, says):
    with Page(lab, max_size=None) as page:
        _, first = page.configure()
        page.socket.send(text)
        assert says in page.next("error")["message"]
        page.send("reset")
        assert page.next("frame") == first  # the session is as it was, and still answers


def test_bytes_and_a_message_before_configure_get_errors(lab):
    with Page(lab) as page:
        page.socket.send(b'{"type": "play"}')
        assert "not bytes" in page.next("error")["message"]
        page.send("step")
        assert "send a configure message first" in page.next("error")["message"]


def test_a_huge_message_closes_its_socket_only_and_is_never_gathered_whole(lab):
    """uvicorn takes at most 64 KB of one message (chainrule.serve's ws_max_size), so a page
    sending megabytes is cut off at once (close code 1009, "message too big") rather than
    buffered for ws.py's check; another session goes on."""
    with Page(lab) as calm, Page(lab, max_size=None) as hostile:
        calm.configure()
        hostile.configure()
        hostile.socket.send('{"type": "play", "x": "' + "a" * (2 * 1024 * 1024) + '"}')
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                hostile.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
        calm.send("step")
        assert calm.next("frame")["epoch"] == 1
    assert lab.app.state.lab.internal_errors == 0


def test_a_hostile_page_never_disturbs_another_session(lab):
    with Page(lab) as calm, Page(lab) as hostile:
        _, calm_first = calm.configure()
        _, hostile_first = hostile.configure(dataset="xor", hidden=[3])
        assert calm_first != hostile_first
        calm.send("play")
        before = calm.next("frame")["epoch"]
        for _ in range(300):  # a flood, of garbage and of real commands
            hostile.socket.send("{]")
            hostile.send("set_weight", layer=0, neuron=0, input=0, value=1e6)
        errors = []
        while not any("messages a second" in e for e in errors):
            errors.append(hostile.next("error")["message"])
        later = [calm.next("frame") for _ in range(5)]
        assert [f["epoch"] for f in later] == sorted({f["epoch"] for f in later})
        assert later[0]["epoch"] > before and all(f["playing"] for f in later)
        # the calm session is untouched: its weights never took the hostile one's 1e6
        assert all(w != 1e6 for f in later for w in f["weights"])
        calm_paused = calm.paused_frame()
        calm.send("reset")
        assert calm.next("frame") == calm_first
        assert calm_paused["epoch"] > before
    assert lab.app.state.lab.internal_errors == 0


def test_closing_the_socket_ends_its_training_thread_within_a_second(lab):
    before = _trainers(lab)
    page = Page(lab)
    page.configure()
    page.send("play")
    page.next("frame")
    (trainer,) = _trainers(lab) - before
    assert trainer.thread.is_alive()
    page.close()
    trainer.thread.join(timeout=1.0)
    assert not trainer.thread.is_alive()
    assert trainer not in _trainers(lab)


def test_the_sessions_are_capped(lab_with):
    with lab_with(max_sessions=2) as small:
        with Page(small) as one, Page(small) as two:
            one.configure()
            two.configure()
            with Page(small) as three:
                refusal = three.recv()
                assert refusal["type"] == "error" and "2 network sessions open" in (
                    refusal["message"])
                with pytest.raises(ConnectionClosed) as closed:
                    three.recv()
                assert closed.value.rcvd.code == 1013
        with Page(small) as again:  # the two closed: there is room again
            assert again.configure()[1]["epoch"] == 0


def test_an_idle_session_is_paused_then_ended(lab_with):
    with lab_with(idle_seconds=0.5) as quick, Page(quick) as page:
        page.configure()
        page.send("play")
        page.next("frame")
        (trainer,) = _trainers(quick)
        ended = page.next("error")  # paused after 0.5 s, ended 0.5 s later
        assert "without a message from the page" in ended["message"]
        with pytest.raises(ConnectionClosed):
            while True:
                assert page.recv()["type"] == "frame"
        trainer.thread.join(WAIT)
        assert not trainer.thread.is_alive() and not _trainers(quick)


@pytest.mark.parametrize("host, origin", [
    ("127.0.0.1", "http://evil.example"),  # another site's page
    ("evil.example", None),  # a DNS-rebinding page: its own name, pointed at 127.0.0.1
])
def test_another_sites_page_is_refused_before_the_socket_opens(lab, host, origin):
    port = lab.app.state.lab.served.port
    sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    before = len(_trainers(lab))
    with pytest.raises(InvalidStatus) as refused:
        connect(f"ws://{host}:{port}/ws/network", sock=sock, origin=origin,
                open_timeout=WAIT).__enter__()
    assert refused.value.response.status_code == 403
    assert len(_trainers(lab)) <= before  # no session was opened


def test_many_sessions_train_side_by_side(lab):
    pages = [Page(lab) for _ in range(4)]
    try:
        firsts = [p.configure(seed=i)[1] for i, p in enumerate(pages)]
        assert len({json.dumps(f["weights"]) for f in firsts}) == 4  # four models
        for p in pages:
            p.send("play")
        seen = {}

        def watch(i: int) -> None:
            seen[i] = [pages[i].next("frame")["epoch"] for _ in range(5)]

        threads = [threading.Thread(target=watch, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(WAIT)
        assert sorted(seen) == [0, 1, 2, 3]
        assert all(epochs == sorted(set(epochs)) for epochs in seen.values())
    finally:
        for p in pages:
            p.close()



def test_only_the_newest_question_must_be_answered(lab):
    with Page(lab) as page:
        page.configure()
        for k in range(5):
            page.send("open_neuron", layer=0, neuron=1, point=k)
        page.send("show", what="grads")
        page.send("step")
        answers = []
        while (message := page.recv())["type"] != "frame" or message["epoch"] != 1:
            if message["type"] == "neuron":
                answers.append(message["point"])
        assert answers and answers[-1] == 4 and answers == sorted(set(answers))
        assert message["show"] == "grads"
    assert lab.app.state.lab.internal_errors == 0


def test_the_server_stops_while_a_session_trains(lab_with):
    with lab_with() as running:  # (lab_with asserts that it stops)
        page = Page(running)
        page.configure()
        page.send("play")
        page.next("frame")
        (trainer,) = _trainers(running)
    trainer.thread.join(WAIT)
    assert not trainer.thread.is_alive()
    with pytest.raises(ConnectionClosed):
        while True:
            page.recv()


def _frames_until_quiet(page: Page, quiet: float = 1.5) -> list[dict[str, Any]]:
    """Every message until none comes for `quiet` seconds (all of them frames)."""
    frames = []
    while True:
        try:
            message = json.loads(page.socket.recv(timeout=quiet))
        except TimeoutError:
            return frames
        assert message["type"] == "frame", message
        frames.append(message)


@pytest.mark.parametrize("before", [[], ["play"], ["step"], ["play", "reset"]])
def test_steps_sent_in_quick_succession_add_one_epoch_each(lab, before):
    """A class clicks Step three times fast: three epochs, whatever ran before."""
    with Page(lab) as page:
        page.configure()
        for kind in before:
            page.send(kind)
        page.send("reset")
        for _ in range(3):
            page.send("step")
        frames = _frames_until_quiet(page)
        epochs = [f["epoch"] for f in frames]  # (a frame may be dropped: the newest wins)
        assert epochs[-1] == 3 and frames[-1]["playing"] is False
        after_reset = epochs[len(epochs) - 1 - epochs[::-1].index(0):]
        assert after_reset == sorted(set(after_reset))
