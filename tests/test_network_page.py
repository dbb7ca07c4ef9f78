"""The network lab (GET /network) in headless Chromium, against a real server (tests/lab_server.py):
Play trains (the "epoch" rises, the "training loss" falls), Pause stops, Step adds exactly one
epoch, Reset gives back the very first frame, the gradient switch redraws the lines, an edge
clicked sets its weight, a divergence shows fit's own message, an opened neuron shows the numbers
of a backward() computed here, two tabs are two sessions; no console error, and nothing is asked
of any address but the lab's own on 127.0.0.1.

The page runs under the lab's Content-Security-Policy (no eval), so the tests poll with
page.evaluate (never wait_for_function's eval) and read the page's one state object from its
module (`import("/static/network.js")` gives the instance the page runs).
"""

from __future__ import annotations

import math
import re
import time

import pytest

from autograd import Value
from autograd.trace import format_number
from chainrule.lab.network import Session, Stopped, check_config
from nn import MLP, TrainingDiverged, binary_cross_entropy_with_logits

pytest_plugins = ["lab_server"]

WAIT = 30.0  # seconds: how long a test waits for the page to show something before failing
# The page's state, read from the module it runs (the same instance: modules load once).
STATE = "async () => { const s = (await import('/static/network.js')).state; return %s; }"
FRAME = STATE % ("s.frame && {epoch: s.frame.epoch, train_loss: s.frame.train_loss, "
                 "playing: s.frame.playing, weights: s.frame.weights, grads: s.frame.grads, "
                 "biases: s.frame.biases, bias_grads: s.frame.bias_grads, "
                 "boundary: s.frame.boundary, heatmaps: s.frame.heatmaps, "
                 "test_loss: s.frame.test_loss}")
# every line of the drawn network: {id: {stroke, width, dashed, label}}, its label the number
# its tooltip says ("w = 0.25": no number is written on a line, where they would overlap)
EDGES = """() => Object.fromEntries([...document.querySelectorAll('#net-diagram g.edge')]
  .filter((g) => /^w\\d+_\\d+_\\d+$/.test(g.id)).map((g) => {
    const p = g.querySelector('path:not(.hit)'), a = g.querySelector('a');
    const tip = a ? a.getAttribute('xlink:title') || '' : '';
    return [g.id, {stroke: p.getAttribute('stroke'), width: Number(p.getAttribute('stroke-width')),
                   dashed: p.getAttribute('stroke-dasharray') !== 'none',
                   label: tip.includes(' = ') ? tip.split(' = ')[1] : null}];
  }))"""
# every text of the drawn network: its box on the screen, and its font size on the screen (the
# CSS size in the SVG's units times the SVG's scale)
TEXTS = """() => { const svg = document.querySelector('#net-diagram svg');
  const scale = svg.getScreenCTM().a;
  return [...svg.querySelectorAll('text')].filter((t) => t.textContent.trim()).map((t) => {
    const b = t.getBoundingClientRect();
    return {text: t.textContent, edge: t.closest('g.edge') !== null,
            size: parseFloat(getComputedStyle(t).fontSize) * scale,
            box: [b.left, b.top, b.right, b.bottom]};
  }); }"""
# every box of the opened neuron's graph: {name: {data, grad}}
BOXES = """() => Object.fromEntries([...document.querySelectorAll('#net-steps svg g.node')]
  .map((g) => [...g.querySelectorAll('text')].map((t) => t.textContent))
  .filter((texts) => texts.length === 3 && texts[1].startsWith('data '))
  .map(([name, data, grad]) => [name, {data: data.slice(5), grad: grad.slice(5)}]))"""
POSITIVE, NEGATIVE = "#0072b2", "#d55e00"
FOCUSED = "(e) => e === document.activeElement"


def wait_until(page, script: str, what: str, timeout: float = WAIT):
    """Poll `script` (a function for page.evaluate) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(script)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"the page never showed {what} (last: {value!r})")
        time.sleep(0.05)


def epoch_shown(page) -> int:
    return int(page.get_by_label("epoch", exact=True).text_content())


def loss_shown(page) -> float:
    return float(page.get_by_label("training loss", exact=True).text_content())


def frame(page) -> dict:
    return page.evaluate(FRAME)


def settle(page) -> dict:
    """The frame drawn once the server has confirmed a pause: no frame is on its way."""
    wait_until(page, STATE % "s.frame && s.frame.playing === false && s.pending === null && "
               "s.expected === null", "a paused frame")
    time.sleep(0.3)  # (a frame of an epoch that was running as the pause came would be here)
    return frame(page)


def open_network(browser_page, lab, address: str = ""):
    """The network lab at `address` (a #configuration), its first frame drawn; after the test,
    no console error and no request, page or socket, to any address but the lab's."""
    page = browser_page.page
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.goto(lab.url + "network" + address)
    wait_until(page, STATE % "s.frame !== null && s.connection === 'open'", "the first frame")
    yield page
    assert browser_page.errors == []
    assert browser_page.external_requests, "the page asked the lab for nothing"
    assert [u for u in browser_page.external_requests if not u.startswith(lab.url)] == []
    assert lab.url.startswith("http://127.0.0.1:")
    assert sockets == [lab.url.replace("http://", "ws://") + "ws/network"]


@pytest.fixture
def network_page(browser_page, lab):
    yield from open_network(browser_page, lab)


def test_play_trains_pause_stops_and_step_adds_exactly_one_epoch(network_page):
    page = network_page
    assert epoch_shown(page) == 0
    first_loss = loss_shown(page)
    assert math.isclose(first_loss, frame(page)["train_loss"], rel_tol=1e-3)
    page.get_by_role("button", name="Play").click()
    assert page.get_by_role("button", name="Pause").is_visible()
    wait_until(page, STATE % "s.frame.epoch >= 20", "epoch 20")
    assert epoch_shown(page) >= 20 and loss_shown(page) < first_loss
    page.get_by_role("button", name="Pause").click()
    assert page.get_by_role("button", name="Play").is_visible()
    paused = settle(page)
    time.sleep(1.0)
    assert frame(page)["epoch"] == paused["epoch"] == epoch_shown(page)  # it stopped
    for k in (1, 2):
        page.get_by_role("button", name="Step").click()
        wait_until(page, STATE % f"s.frame.epoch === {paused['epoch'] + k}", "one more epoch")
        assert settle(page)["epoch"] == paused["epoch"] + k == epoch_shown(page)
    assert page.get_by_role("button", name="Play").is_visible()


def test_reset_returns_to_epoch_0_with_the_same_first_frame(network_page):
    page = network_page
    first = frame(page)
    page.get_by_role("button", name="Play").click()
    wait_until(page, STATE % "s.frame.epoch >= 5", "epoch 5")
    page.get_by_role("button", name="Reset").click()
    wait_until(page, STATE % "s.frame.epoch === 0 && !s.frame.playing", "epoch 0 again")
    again = settle(page)
    assert again == first
    assert epoch_shown(page) == 0 and page.get_by_role("button", name="Play").is_visible()
    # ... and it trains again from there, as the first time
    page.get_by_role("button", name="Step").click()
    wait_until(page, STATE % "s.frame.epoch === 1", "epoch 1")


def test_the_lines_show_the_weights_or_the_gradients_sign_as_colour_size_as_width(network_page):
    page = network_page
    page.get_by_role("button", name="Step").click()
    wait_until(page, STATE % "s.frame.epoch === 1", "epoch 1")
    f = settle(page)
    drawn_weights = page.evaluate(EDGES)
    page.get_by_label("gradients").check()
    drawn_grads = page.evaluate(EDGES)
    # the edge order of the frame's lists: layer, neuron, input (2 -> 4 -> 2 -> 1)
    ids = [f"w{k}_{j}_{i}" for k, (nin, nout) in enumerate([(2, 4), (4, 2), (2, 1)])
           for j in range(nout) for i in range(nin)]
    assert sorted(ids) == sorted(drawn_weights) and len(ids) == len(f["weights"])
    assert drawn_grads != drawn_weights
    for values, drawn in ((f["weights"], drawn_weights), (f["grads"], drawn_grads)):
        for e, v in zip(ids, values):
            assert drawn[e]["stroke"] == (POSITIVE if v > 0 else NEGATIVE), e
            assert drawn[e]["dashed"] == (v < 0), e  # the sign not by colour alone
            assert float(drawn[e]["label"]) == v, e
        largest = max(values, key=abs)
        widest = max(ids, key=lambda e: drawn[e]["width"])
        assert values[ids.index(widest)] == largest
        assert all(drawn[a]["width"] <= drawn[b]["width"] for a, b in zip(ids, ids[1:])
                   if abs(values[ids.index(a)]) <= abs(values[ids.index(b)]))
    page.get_by_label("weights").check()
    assert page.evaluate(EDGES) == drawn_weights


def _model_from(f: dict, sizes: list[int]) -> MLP:
    """The page's network as a fresh MLP: its weights and biases from the frame."""
    model = MLP(2, sizes, "tanh", "linear", seed=1)
    neurons = [n for layer in model.layers for n in layer.neurons]
    weights = iter(f["weights"])
    for n, b in zip(neurons, f["biases"]):
        for w in n.w:
            w.data = next(weights)
        n.b.data = b
    return model


def test_an_opened_neuron_shows_the_numbers_of_a_backward_computed_here(network_page):
    page = network_page
    page.get_by_role("button", name="Step").click()
    wait_until(page, STATE % "s.frame.epoch === 1", "epoch 1")
    f = settle(page)
    network = page.evaluate(STATE % "{points: s.network.points, labels: s.network.labels, "
                            "train: s.network.train}")
    k = network["train"][7]
    field = page.get_by_role("spinbutton", name="Training point")
    field.fill(str(k))
    field.press("Enter")
    page.focus("#L1n0")  # by the keyboard: a Tab stop, Enter opens it
    page.keyboard.press("Enter")
    wait_until(page, "() => document.body.dataset.neuron === 'shown'", "the neuron's graph")
    assert page.get_by_role("dialog").is_visible()
    assert f"training point {k}" in page.text_content("#net-neuron-title")

    model = _model_from(f, [4, 2, 1])
    x, target = network["points"][k], network["labels"][k]
    hidden1 = model.layers[0](x)
    hidden2 = model.layers[1](hidden1)
    loss = binary_cross_entropy_with_logits(model.layers[2](hidden2)[0], target)
    loss.backward()
    neuron, out = model.layers[1].neurons[0], hidden2[0]
    number = lambda v: format_number(v, 4)  # noqa: E731 (as draw_dot writes them)
    said = re.search(r"dL/d\(out\) = (\S+) back", page.text_content("#net-neuron-note"))
    assert said and float(said[1]) == float(f"{out.grad:.4g}")

    # the pass starts at the neuron's output itself, with what the loss sends back to it
    opening = page.text_content("#net-steps .sentence, #net-steps #sentence")
    assert opening.startswith(f"The backward pass starts at L1.n0.out: L1.n0.out.grad = "
                              f"{number(out.grad)}, what the loss sends back"), opening
    page.keyboard.press("End")  # the step-through to its end: every gradient shown
    boxes = page.evaluate(BOXES)
    assert "L" not in boxes  # no made-up root: L is the loss, in the whole loss's view
    for w in [*neuron.w, neuron.b]:
        assert boxes[w.label] == {"data": number(w.data), "grad": number(w.grad)}, w.label
    for j, a in enumerate(hidden1):
        assert boxes[f"L0.n{j}.out"]["data"] == number(a.data)
    assert boxes["L1.n0.out"] == {"data": number(out.data), "grad": number(out.grad)}

    page.get_by_role("button", name="The whole loss").click()
    page.keyboard.press("End")
    whole = page.evaluate(BOXES)
    for p in model.parameters():
        assert whole[p.label] == {"data": number(p.data), "grad": number(p.grad)}, p.label

    # another point, asked in the dialog: the same graph, its numbers for that point, at the
    # step shown (the last: every gradient)
    page.get_by_role("button", name="This neuron").click()
    page.keyboard.press("End")
    k2 = network["train"][11]
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("spinbutton", name="Training point").fill(str(k2))
    dialog.get_by_role("button", name="Show").click()
    wait_until(page, STATE % f"s.opened !== null && s.opened.point === {k2}", "the new point")
    assert f"training point {k2}" in page.text_content("#net-neuron-title")
    model.zero_grad()
    x, target = network["points"][k2], network["labels"][k2]
    hidden2 = model.layers[1](model.layers[0](x))
    binary_cross_entropy_with_logits(model.layers[2](hidden2)[0], target).backward()
    boxes = page.evaluate(BOXES)
    for w in [*neuron.w, neuron.b]:
        assert boxes[w.label] == {"data": number(w.data), "grad": number(w.grad)}, w.label
    assert boxes["L1.n0.out"] == {"data": number(hidden2[0].data),
                                  "grad": number(hidden2[0].grad)}
    page.get_by_role("button", name="Close").click()
    assert not page.get_by_role("dialog").is_visible()
    assert page.evaluate("() => document.activeElement.id") == "L1n0"  # the focus comes back


def test_a_point_clicked_on_the_plot_is_the_point_a_neuron_opens_on(network_page):
    page = network_page
    network = page.evaluate(STATE % "{points: s.network.points, bounds: s.network.bounds, "
                            "test: s.network.test}")
    k = network["test"][3]
    (x, y), (x0, x1, y0, y1) = network["points"][k], network["bounds"]
    box = page.locator("#net-boundary").bounding_box()
    page.mouse.click(box["x"] + (x - x0) / (x1 - x0) * box["width"],
                     box["y"] + (y1 - y) / (y1 - y0) * box["height"])
    assert page.get_by_role("spinbutton", name="Training point").input_value() == str(k)
    page.click("#L0n2")
    wait_until(page, "() => document.body.dataset.neuron === 'shown'", "the neuron's graph")
    assert f"test point {k}" in page.text_content("#net-neuron-title")


def _click_edge(page, edge_id: str) -> None:
    """A real mouse click on the middle of a drawn line."""
    middle = page.evaluate("""(id) => {
      const p = document.querySelector('#' + id + ' path:not(.hit)');
      const at = p.getPointAtLength(p.getTotalLength() / 2).matrixTransform(p.getScreenCTM());
      return {x: at.x, y: at.y};
    }""", edge_id)
    page.mouse.click(middle["x"], middle["y"])


def test_a_clicked_edge_sets_its_weight_and_training_goes_on_from_it(network_page):
    page = network_page
    _click_edge(page, "w2_0_1")  # output <- hidden 2 n1: the last layer's second weight
    editor = page.get_by_role("spinbutton", name="weight hidden 2 n1 \u2192 output n0")
    assert editor.evaluate(FOCUSED)
    editor.fill("-2.5")
    editor.press("Enter")
    index = 2 * 4 + 4 * 2 + 1  # edge order: layer, neuron, input
    wait_until(page, STATE % f"s.frame.weights[{index}] === -2.5", "the weight set")
    drawn = page.evaluate(EDGES)
    assert drawn["w2_0_1"]["stroke"] == NEGATIVE and float(drawn["w2_0_1"]["label"]) == -2.5
    # by the keyboard: the list of every weight and bias
    page.get_by_label("Set a weight").select_option(label="bias of hidden 1 n3")
    bias = page.get_by_role("spinbutton", name="bias of hidden 1 n3")
    assert bias.evaluate(FOCUSED)
    bias.fill("1.25")
    bias.press("Enter")
    wait_until(page, STATE % "s.frame.biases[3] === 1.25", "the bias set")
    assert page.locator("#L0n3 text").last.text_content() == "b 1.25"
    page.get_by_role("button", name="Step").click()  # training goes on from them
    wait_until(page, STATE % "s.frame.epoch === 1", "epoch 1")
    f = frame(page)
    assert f["weights"][index] != -2.5 and abs(f["weights"][index] + 2.5) < 0.5


DIVERGING = {"activation": "linear", "lr": 10, "hidden": [8, 8, 8], "points": 100,
             "dataset": "circles"}


def _fits_message(config: dict) -> str:
    """What nn.fit says when this configuration diverges (run here, without the page)."""
    session = Session(check_config(config))

    def on_epoch(epoch, history):
        session.after_epoch(epoch, history)
        if epoch > 100:
            raise Stopped

    with pytest.raises(TrainingDiverged) as caught:
        session.train(on_epoch, lambda: False)
    return str(caught.value)


def test_a_divergence_stops_the_run_with_fits_message(browser_page, lab):
    address = "#activation=linear&lr=10&hidden=8,8,8&points=100&dataset=circles"
    for page in open_network(browser_page, lab, address):
        page.get_by_role("button", name="Play").click()
        alert = page.get_by_role("alert")
        alert.wait_for(state="visible", timeout=WAIT * 1000)
        assert alert.text_content().strip().startswith("Training stopped: ")
        assert _fits_message(DIVERGING) in alert.text_content()
        assert page.get_by_role("button", name="Play").is_visible()


def test_the_network_changes_with_its_plus_and_minus_buttons(network_page):
    page = network_page

    def widths(text: str) -> str:  # the layers' widths the server built are `text`
        return STATE % f"s.network.layers.map(([nin, nout]) => nout).join(',') === '{text}'"

    page.get_by_label("Set a weight").select_option(label="bias of output n0")
    assert page.get_by_role("spinbutton", name="bias of output n0").is_visible()
    page.get_by_role("button", name="add a neuron to hidden layer 2").click()
    wait_until(page, widths("4,3,1"), "a neuron more")
    assert not page.locator("#net-weight-editor").is_visible()  # (its weight is gone)
    page.get_by_role("button", name="add a hidden layer").click()
    wait_until(page, widths("4,3,2,1"), "a layer more")
    page.get_by_role("button", name="remove a neuron from hidden layer 1").click()
    wait_until(page, widths("3,3,2,1"), "a neuron less")
    for _ in range(3):
        page.get_by_role("button", name="remove a hidden layer").click()
    wait_until(page, widths("1"), "no hidden layer")
    assert page.get_by_role("button", name="remove a hidden layer").is_disabled()
    assert page.evaluate("() => location.hash").find("hidden=&") > 0
    assert page.locator("#net-diagram g.edge").count() == 2


def test_two_tabs_are_two_sessions(network_page, browser_page):
    page = network_page
    other = browser_page.page.context.new_page()
    other.goto(page.url)
    wait_until(other, STATE % "s.frame !== null", "the other tab's first frame")
    page.get_by_role("button", name="Play").click()
    wait_until(page, STATE % "s.frame.epoch >= 10", "epoch 10")
    assert other.evaluate(STATE % "s.frame.epoch") == 0
    other.get_by_role("button", name="Step").click()
    wait_until(other, STATE % "s.frame.epoch === 1", "the other tab's epoch 1")
    assert page.evaluate(STATE % "s.frame.playing") is True
    other.close()


def test_the_loss_curves_span_the_whole_run_though_a_frame_carries_only_200_epochs(
        browser_page, lab):
    # each frame's history is the losses of its epoch and the 199 before: the page stitches
    # them into curves from epoch 0 to the epoch shown, one point per epoch, no gap
    for page in open_network(browser_page, lab, "#points=60&batch=30&hidden=2"):
        page.get_by_role("button", name="Play").click()
        wait_until(page, STATE % "s.frame.epoch > 260", "epoch 260", timeout=4 * WAIT)
        page.get_by_role("button", name="Pause").click()
        f = settle(page)
        curve = page.evaluate(STATE % "{train: s.curve.train, test: s.curve.test, "
                              "history: s.frame.history}")
        history = curve["history"]
        assert len(history["train"]) == len(history["test"]) == 200
        for which in ("train", "test"):
            assert [e for e, _ in curve[which]] == list(range(f["epoch"] + 1))
            assert [v for _, v in curve[which][-200:]] == history[which]
        assert math.isclose(curve["train"][-1][1], f["train_loss"], rel_tol=1e-3)
        labels = page.locator("#net-loss text").all_text_contents()
        assert "epoch 0" in labels and f"epoch {f['epoch']}" in labels
        drawn = page.locator("#net-loss polyline.curve-train").get_attribute("points")
        assert len(drawn.split()) == f["epoch"] + 1


def test_a_neuron_opened_while_training_pauses_it_until_the_dialog_closes(network_page):
    page = network_page
    page.get_by_role("button", name="Play").click()
    wait_until(page, STATE % "s.frame.epoch >= 3", "epoch 3")
    page.click("#L0n0")
    wait_until(page, "() => document.body.dataset.neuron === 'shown'", "the neuron's graph")
    paused = settle(page)
    assert "Training is paused while this is open" in page.text_content("#net-neuron-note")
    time.sleep(0.5)
    assert frame(page)["epoch"] == paused["epoch"]
    page.keyboard.press("Escape")  # a dialog's own way out, as Close
    assert not page.get_by_role("dialog").is_visible()
    assert page.get_by_role("button", name="Pause").is_visible()
    wait_until(page, STATE % f"s.frame.epoch > {paused['epoch']} && s.frame.playing",
               "training again")


def _overlap(a: list[float], b: list[float]) -> bool:
    """Two boxes [left, top, right, bottom] share more than a hair (half a pixel)."""
    return min(a[2], b[2]) - max(a[0], b[0]) > 0.5 and min(a[3], b[3]) - max(a[1], b[1]) > 0.5


@pytest.mark.parametrize(("width", "height", "smallest"), [(1280, 800, 12), (1920, 1080, 16)])
def test_the_network_reads_from_the_back_of_the_room(network_page, width, height, smallest):
    """At a laptop's and a projector's size the default 2-4-2-1 network's texts are large
    (at least 12 and 16 px) and no two of them overlap; every line's number is in its
    tooltip, and shown as the pointer rests on the line."""
    page = network_page
    page.set_viewport_size({"width": width, "height": height})
    page.get_by_role("button", name="Step").click()
    wait_until(page, STATE % "s.frame.epoch === 1", "epoch 1")
    f = settle(page)
    page.get_by_label("gradients").check()
    texts = page.evaluate(TEXTS)
    assert len([t for t in texts if not t["edge"]]) >= 2 + 4 + 2 + 1 + 4  # nodes and titles
    for t in texts:
        assert t["size"] >= smallest, t
        assert t["box"][3] - t["box"][1] >= smallest, t
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            assert not _overlap(a["box"], b["box"]), (a, b)
    drawn = page.evaluate(EDGES)
    assert len(drawn) == 2 * 4 + 4 * 2 + 2 * 1
    assert all(d["label"] is not None for d in drawn.values())
    _hover_edge(page, "w1_0_2")  # hidden 1 n2 -> hidden 2 n0: its number, where it is
    readout = page.locator("#net-edge-readout")
    assert readout.is_visible()
    said = readout.text_content()
    assert said.startswith("hidden 1 n2 \u2192 hidden 2 n0: dL/dw = "), said
    # 4 significant digits, to be read from afar (edge order: layer, neuron, input)
    assert float(said.split(" = ")[1]) == float(f"{f['grads'][10]:.4g}")
    size = readout.evaluate("(e) => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= smallest
    page.mouse.move(1, 1)
    assert not readout.is_visible()


def _hover_edge(page, edge_id: str) -> None:
    """The pointer resting on the middle of a drawn line."""
    middle = page.evaluate("""(id) => {
      const p = document.querySelector('#' + id + ' path:not(.hit)');
      const at = p.getPointAtLength(p.getTotalLength() / 2).matrixTransform(p.getScreenCTM());
      return {x: at.x, y: at.y};
    }""", edge_id)
    page.mouse.move(middle["x"], middle["y"])


def test_a_new_network_closes_the_neuron_opened_on_the_network_before(network_page):
    """The address edited by hand while a neuron is open builds another network: the dialog
    (a neuron of the network before, here of a layer that no longer exists) closes, and its
    point field cannot ask the new network for it."""
    page = network_page
    page.click("#L2n0")  # the output neuron of 2 -> 4 -> 2 -> 1
    wait_until(page, "() => document.body.dataset.neuron === 'shown'", "the neuron's graph")
    page.evaluate("() => { location.hash = '#hidden=&dataset=xor'; }")
    wait_until(page, STATE % "s.counts.configured === 2 && s.frame !== null", "the new network")
    assert page.evaluate(STATE % "s.network.layers.length") == 1
    assert not page.get_by_role("dialog").is_visible()
    assert page.evaluate(STATE % "s.asked === null && s.opened === null")
    page.click("#L0n0")  # the new network's one neuron opens as any other
    wait_until(page, "() => document.body.dataset.neuron === 'shown'", "the new neuron's graph")
    assert page.text_content("#net-neuron-title").startswith("output n0 (linear, 2 inputs)")



def test_the_keyboard_walks_the_weight_list_and_enter_edits_the_one_chosen(network_page):
    """The arrow keys move through the list of weights (each shown in the editor) and the
    focus stays on the list; Enter goes to the editor. (Were the focus moved at the first
    arrow, the second would step the editor's number instead.)"""
    page = network_page
    page.focus("#net-edge-list")
    for _ in range(2):
        page.keyboard.press("ArrowDown")
    assert page.evaluate("() => document.activeElement.id") == "net-edge-list"
    editor = page.get_by_role("spinbutton", name="weight x1 → hidden 1 n0")
    assert editor.is_visible()  # the entry after "choose ..." and x0 -> hidden 1 n0
    shown = float(editor.input_value())
    assert shown == frame(page)["weights"][1]
    page.keyboard.press("Enter")
    assert editor.evaluate(FOCUSED)
    page.keyboard.type("0.75")  # (the number is selected: typing replaces it)
    page.keyboard.press("Enter")
    wait_until(page, STATE % "s.frame.weights[1] === 0.75", "the weight set")
    assert frame(page)["weights"][0] != 0.75


def test_a_neuron_is_not_asked_for_once_the_connection_is_closed(browser_page, lab_with):
    """A session ended (here idle) leaves the page without a server to answer: a neuron
    clicked then opens no dialog waiting for ever; the alert says what to do (Reconnect)."""
    with lab_with(idle_seconds=1.0) as quick:
        for page in open_network(browser_page, quick):
            wait_until(page, STATE % "s.connection === 'closed'", "the session ended")
            page.click("#L0n0")
            assert not page.get_by_role("dialog").is_visible()
            assert page.evaluate(STATE % "s.asked === null")
            assert page.get_by_role("button", name="Reconnect").is_visible()


def test_a_neuron_asked_for_as_the_connection_closes_says_so_in_its_dialog(browser_page, lab):
    """The socket closes while a neuron's answer is awaited (here the question never reaches
    the server, and then the server side is closed): the dialog does not say "Asking..." for
    ever, but what happened and what to do."""
    page = browser_page.page
    routes = []

    def through(route):  # the page's socket, passed on to the lab, except open_neuron
        server = route.connect_to_server()
        routes.append(route)
        route.on_message(lambda m: None if '"open_neuron"' in str(m) else server.send(m))
        server.on_message(route.send)

    page.route_web_socket("**/ws/network", through)
    page.goto(lab.url + "network")
    wait_until(page, STATE % "s.frame !== null && s.connection === 'open'", "the first frame")
    page.click("#L0n0")
    wait_until(page, STATE % "s.asked !== null", "the neuron asked for")
    routes[0].close(code=1001, reason="going away")
    wait_until(page, STATE % "s.connection === 'closed'", "the connection closed")
    note = page.locator("#net-neuron-note").text_content()
    assert "connection closed before this neuron's answer came" in note, note
    assert page.evaluate(STATE % "s.asked === null")
    assert browser_page.errors == []


def test_the_spot_the_bug_links_show_each_mistake(network_page, lab):
    """Each preset sets up its mistake, and the page shows it: the divergence stops with fit's
    message; the dying ReLUs turn most units dead (marked in the drawing, not by colour alone:
    the frame's status says "d"); the node used twice opens in the formula lab with a.grad =
    b + 1 = 3, as backward() gives it."""
    page = network_page
    page.get_by_role("link", name="A learning rate that diverges").click()
    wait_until(page, STATE % "s.frame !== null && s.network.layers.length === 4", "the preset")
    page.get_by_role("button", name="Play").click()
    alert = page.get_by_role("alert")
    alert.wait_for(state="visible", timeout=WAIT * 1000)
    assert _fits_message(DIVERGING) in alert.text_content()

    page.get_by_role("link", name="Dying ReLUs").click()
    wait_until(page, STATE % "s.frame !== null && s.frame.epoch === 0 && "
               "s.network.layers.length === 3", "the preset")
    page.get_by_role("button", name="Play").click()
    wait_until(page, STATE % "s.frame.epoch >= 10", "ten epochs")
    page.get_by_role("button", name="Pause").click()
    settle(page)
    status = page.evaluate(STATE % "s.frame.status")
    assert status.count("d") >= 8, status  # of 16 hidden units (the seed: 10 after 10 epochs)
    marked = page.evaluate("() => [...document.querySelectorAll('svg text')]"
                           ".filter((t) => t.textContent.endsWith('\u00b7 dead')).length")
    assert marked == status.count("d")  # each dead unit says so in words, beside its grey

    page.get_by_role("link", name="A node used twice").click()
    page.wait_for_url(lab.url + "#*")
    a, b = Value(3.0, "a"), Value(2.0, "b")
    d = a * b + a
    d.backward()
    wait_until(page, "() => { const svg = document.querySelector('.steps-graph svg'); "
               f"return svg !== null && svg.textContent.includes('grad {a.grad:.4f}'); }}",
               "the formula lab's graph with a.grad")
    assert page.locator("#formula").input_value() == "d = a*b + a"
    assert a.grad == b.data + 1 == 3.0
