// The network lab of `chainrule serve` (GET /network): a network that trains while you watch.
//
// TF Playground's layout and controls (data on the left, the network in the middle, the output
// on the right, Play / Step / Reset above), over chainrule's own engine: the server trains the
// session of this tab in a thread of its own and streams one frame per epoch over a WebSocket
// (/ws/network: its messages are checked in chainrule/lab/ws.py, answered by the session in
// chainrule/lab/network.py). This module only draws what the server sends; it never computes a
// loss, a prediction or a gradient.
//
// One state object (below); each view is a function of it (renderControls, renderAlert,
// drawFrame, renderNeuron ...); every control is bound in one place (bind).
//
// Layout once, numbers many times: draw_network's SVG arrives once per structure (the
// "configured" message) and is decorated once (a heatmap beside each neuron, a wide invisible
// hit line over each edge, Tab stops on the neurons; no number on a line: it shows as the
// pointer rests on it); a frame only recolours it by its stable ids (w{l}_{j}_{i}, L{l}n{j}),
// as the training replay (nn/replay.js) does.
//
// Frames: the newest received waits in state.pending and is drawn at the next animation frame;
// when frames come faster than the screen draws, the older ones are never drawn (newest wins),
// so at most one frame is ever pending and nothing queues up.
//
// Opening a neuron: the server answers "neuron" with that neuron's scalar graph for one
// training point (and the whole sample's loss graph when it is small): autograd's steps.js
// (mountSteps) shows it in a dialog, the same step-through as the static page.

import { h, mountSteps } from "./steps.js";

// ---- constants -------------------------------------------------------------------------------
// The edge colours and pens of nn/draw_network.py (POSITIVE, NEGATIVE, ZERO, MIN_OPACITY,
// MIN_WIDTH, MAX_WIDTH, DEAD_FILL, SATURATED_BORDER): the same picture as `draw_network` and the
// replay draw. Blue positive, vermillion negative (Okabe-Ito).
const POSITIVE = "#0072b2";
const NEGATIVE = "#d55e00";
const ZERO = "#767676";
const MIN_OPACITY = 0.85;
const MIN_WIDTH = 0.4;
const MAX_WIDTH = 6.0;
const DEAD_FILL = "#cfcfcf";
const SATURATED_BORDER = "#d62728";
const SVGNS = "http://www.w3.org/2000/svg";
const XLINK = "http://www.w3.org/1999/xlink";

// The choices, and their limits, that the protocol's CONFIG accepts.
const DATASETS = ["circles", "xor", "moons", "spiral", "blobs"];
const ACTIVATIONS = ["tanh", "relu", "sigmoid", "leaky_relu", "linear"];
const OPTIMIZERS = [["sgd", "SGD"], ["momentum", "momentum"], ["adam", "Adam"]];
const RATES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];  // TF's list
const L2S = [0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1];
const MAX_LAYERS = 6;
const MAX_NEURONS = 8;  // the + of a layer stops here, as in TF Playground ...
const MAX_ADDRESS_WIDTH = 16;  // ... but an address may ask for the server's limit (2-16-16-1)
const MAX_SEED = 2 ** 31 - 1;  // seeds are 0 .. MAX_SEED
const NEW_LAYER = 2;  // neurons in a layer just added, as in TF Playground
const LIMITS = { noise: [0, 0.5], train_fraction: [0.1, 0.9], points: [20, 500] };
// TF Playground's first network: circles, 2 -> 4 -> 2 -> 1 tanh, half of 500 points for
// training, batch 10, learning rate 0.03, no regularisation.
export const DEFAULT = Object.freeze({
  dataset: "circles", noise: 0, train_fraction: 0.5, points: 500, seed: 0,
  hidden: Object.freeze([4, 2]), activation: "tanh", optimizer: "sgd", lr: 0.03,
  batch_size: 10, l2: 0,
});
const CURVE_POINTS = 2000;  // a loss curve keeps at most this many points (then every other)
const PICK_RADIUS = 14;  // px: how near a click must be to a point to choose it
const POINT_RADIUS = 5;  // px at 400 px of plot: a data point's marker

// ---- the one state ---------------------------------------------------------------------------
export const state = {
  config: { ...DEFAULT, hidden: [...DEFAULT.hidden] },  // what the controls say (and the address)
  connection: "connecting",  // "connecting" | "open" | "closed"
  closed: "",         // why the server closed the socket, when it did
  network: null,      // the "configured" message's network: structure, SVG, data points
  frame: null,        // the frame drawn last
  pending: null,      // the newest frame received and not drawn yet (at most one)
  curve: { train: [], test: [] },  // [epoch, loss] pairs, from the frames' histories
  show: "weights",    // what the lines show: "weights" | "grads"
  playing: false,     // the Play button says Pause
  expected: null,     // after Play / Pause: the `playing` the server has still to confirm
  message: null,      // {kind: "diverged" | "error" | "closed", text} shown above the panels
  point: null,        // the chosen point (an index into network.points)
  editing: null,      // {layer, neuron, input} of the weight being set, or null
  asked: null,        // {layer, neuron, point}: the neuron asked for, its answer awaited
  opened: null,       // the "neuron" message shown in the dialog
  graph: "neuron",    // which graph of it the dialog shows: "neuron" | "whole"
  // for tests and benchmarks: messages received, frames drawn, and the ms spent drawing them
  counts: { received: 0, drawn: 0, configured: 0, neurons: 0, drawMs: 0 },
};

const $ = (id) => document.getElementById(id);
const el = {
  reset: $("net-reset"), play: $("net-play"), step: $("net-step"),
  epoch: $("net-epoch"), trainLoss: $("net-train-loss"), testLoss: $("net-test-loss"),
  lr: $("net-lr"), activation: $("net-activation"), optimizer: $("net-optimizer"),
  batch: $("net-batch"), l2: $("net-l2"),
  alert: $("net-alert"), alertText: $("net-alert-text"), reconnect: $("net-reconnect"),
  dismiss: $("net-dismiss"),
  datasets: $("net-dataset-list"), noise: $("net-noise"), noiseText: $("net-noise-text"),
  fraction: $("net-fraction"), fractionText: $("net-fraction-text"),
  points: $("net-points"), pointsText: $("net-points-text"),
  seed: $("net-seed"), newSeed: $("net-new-seed"),
  layerRemove: $("net-layer-remove"), layerAdd: $("net-layer-add"),
  layerCount: $("net-layer-count"), neuronRow: $("net-neuron-row"),
  diagram: $("net-diagram"), edgeReadout: $("net-edge-readout"), edgeKey: $("net-edge-key"),
  edgeList: $("net-edge-list"),
  point: $("net-point"),
  editor: $("net-weight-editor"), editorLabel: $("net-weight-label"),
  editorValue: $("net-weight-value"), editorCancel: $("net-weight-cancel"),
  accuracy: $("net-accuracy"), boundary: $("net-boundary"), classKey: $("net-class-key"),
  loss: $("net-loss"),
  dialog: $("net-neuron"), dialogTitle: $("net-neuron-title"),
  dialogPointForm: $("net-dialog-point-form"), dialogPoint: $("net-dialog-point"),
  tabNeuron: $("net-tab-neuron"), tabWhole: $("net-tab-whole"), close: $("net-close"),
  note: $("net-neuron-note"), steps: $("net-steps"),
};

// ---- the address: the configuration, so a network can be bookmarked or shared -------------
// (TF Playground keeps its whole state in the URL; here the configuration, which with its seed
// fixes the data and the initial weights.)
const HASH_KEYS = { dataset: "dataset", noise: "noise", train_fraction: "train", points: "points",
  seed: "seed", hidden: "hidden", activation: "activation", optimizer: "optimizer", lr: "lr",
  batch_size: "batch", l2: "l2" };

export function configToHash(config) {
  const params = new URLSearchParams();
  for (const [key, name] of Object.entries(HASH_KEYS)) {
    params.set(name, key === "hidden" ? config.hidden.join(",") : String(config[key]));
  }
  return "#" + params.toString();
}

// The configuration an address names: each value read and checked on its own; one that is
// missing or out of its range keeps the default (an address typed by hand never breaks the page).
export function configFromHash(hash) {
  const params = new URLSearchParams(String(hash).replace(/^#/, ""));
  const config = { ...DEFAULT, hidden: [...DEFAULT.hidden] };
  const number = (name, low, high, integer = false) => {
    const text = params.get(name);
    if (text === null || text.trim() === "") return null;
    const x = Number(text);
    const ok = Number.isFinite(x) && x >= low && x <= high && (!integer || Number.isInteger(x));
    return ok ? x : null;
  };
  const choose = (name, options) => (options.includes(params.get(name)) ? params.get(name) : null);
  const set = (key, value) => { if (value !== null) config[key] = value; };
  set("dataset", choose("dataset", DATASETS));
  set("noise", number("noise", ...LIMITS.noise));
  set("train_fraction", number("train", ...LIMITS.train_fraction));
  set("points", number("points", ...LIMITS.points, true));
  set("seed", number("seed", 0, MAX_SEED, true));
  set("activation", choose("activation", ACTIVATIONS));
  set("optimizer", choose("optimizer", OPTIMIZERS.map(([value]) => value)));
  set("lr", number("lr", 1e-12, 10));
  set("l2", number("l2", 0, 1));
  set("batch_size", number("batch", 1, config.points, true));
  config.batch_size = Math.min(config.batch_size, config.points);
  if (params.has("hidden")) {
    const text = params.get("hidden").trim();
    const sizes = text === "" ? [] : text.split(",").map(Number);
    if (sizes.length <= MAX_LAYERS &&
        sizes.every((n) => Number.isInteger(n) && n >= 1 && n <= MAX_ADDRESS_WIDTH)) {
      config.hidden = sizes;
    }
  }
  return config;
}

function saveToAddress() {
  history.replaceState(null, "", configToHash(state.config));
}

// ---- talking to the server -------------------------------------------------------------------
let socket = null;

function connect() {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  socket = new WebSocket(scheme + location.host + "/ws/network");
  state.connection = "connecting";
  state.closed = "";
  socket.addEventListener("open", () => {
    state.connection = "open";
    if (state.message && state.message.kind === "closed") state.message = null;
    configure();
    renderAlert();
  });
  socket.addEventListener("message", (event) => {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return showMessage("error", "The lab's server sent something that is not JSON.");
    }
    receive(message);
  });
  socket.addEventListener("close", (event) => {
    state.connection = "closed";
    state.playing = false;
    state.expected = null;
    if (state.asked) {  // a neuron asked for will not be answered now: say so in its dialog
      state.asked = null;
      el.note.textContent = "The connection closed before this neuron's answer came: press " +
        "Reconnect, then open it again.";
    }
    const why = event.reason ? " (" + event.reason + ")" : "";
    showMessage("closed", "The connection to the lab's server is closed" + why + ". Press " +
      "Reconnect for a new session, or check that chainrule serve is still running.");
    renderControls();
  });
  renderAlert();
}

function send(message) {
  if (!socket || socket.readyState !== WebSocket.OPEN) return false;
  socket.send(JSON.stringify(message));
  return true;
}

// The configuration as the protocol's CONFIG (the server pauses, answers "configured" and the
// frame of epoch 0).
function configure() {
  const c = state.config;
  state.playing = false;
  state.expected = null;
  saveToAddress();
  send({ type: "configure", config: {
    dataset: c.dataset, noise: c.noise, train_fraction: c.train_fraction, points: c.points,
    seed: c.seed, hidden: [...c.hidden], activation: c.activation, optimizer: c.optimizer,
    lr: c.lr, batch_size: c.batch_size, l2: c.l2 } });
  renderControls();
}

function receive(message) {
  if (message.type === "frame") {
    state.counts.received += 1;
    state.pending = message;  // an older frame not drawn yet is dropped: the newest wins
    if (state.expected === null) state.playing = message.playing === true;
    else if (message.playing === state.expected) state.expected = null;
    scheduleDraw();
  } else if (message.type === "configured") {
    state.network = message.network;
    state.counts.configured += 1;
    state.frame = null;
    state.pending = null;
    state.curve = { train: [], test: [] };
    closeEditor(false);  // (the weight it was setting belongs to the network before)
    if (el.dialog.open) {  // (so does the neuron open: an address edited while it was open)
      resumeOnClose = false;  // (a configure pauses: nothing to play again)
      state.asked = null;  // (its answer, if still to come, is dropped)
      el.dialog.close();
    }
    if (!pointIsValid(state.point)) state.point = firstTraining();
    if (state.message && state.message.kind !== "closed") state.message = null;
    mountNetwork();
    renderAlert();
  } else if (message.type === "neuron") {
    const asked = state.asked;
    if (!asked || asked.layer !== message.layer || asked.neuron !== message.neuron ||
        asked.point !== message.point) return;  // an answer to an earlier question
    state.asked = null;
    state.opened = message;
    if (state.graph === "whole" && !message.whole) state.graph = "neuron";
    state.counts.neurons += 1;
    renderNeuron();
  } else if (message.type === "diverged") {
    state.playing = false;
    state.expected = null;
    showMessage("diverged", message.message);
  } else if (message.type === "error") {
    if (state.asked) {  // (the question asked last is the likeliest cause)
      state.asked = null;
      el.note.textContent = message.message;
    }
    showMessage("error", message.message);
  }
  renderControls();
  document.body.dataset.received = String(state.counts.received);
  document.body.dataset.configured = String(state.counts.configured);
}

let drawScheduled = false;

function scheduleDraw() {
  if (drawScheduled) return;
  drawScheduled = true;
  requestAnimationFrame(() => {
    drawScheduled = false;
    const frame = state.pending;
    state.pending = null;
    if (!frame || !state.network) return;
    state.frame = frame;
    const started = performance.now();
    addToCurve(frame);
    drawFrame();
    state.counts.drawMs += performance.now() - started;
    state.counts.drawn += 1;
    document.body.dataset.drawn = String(state.counts.drawn);
    document.body.dataset.epoch = String(frame.epoch);
  });
}

// The loss curves: the frame's history is the server's curve of the whole run, its losses at
// the epochs it lists (one per epoch at first, then one per 2, 4 ... epochs: a bounded curve of
// a long run), so a dropped frame leaves no gap. A history without "epochs" is read as the
// losses of the epochs that end at the frame's own; the frame's own losses always end it.
function addToCurve(frame) {
  const history = frame.history || {};
  for (const which of ["train", "test"]) {
    const now = which === "train" ? frame.train_loss : frame.test_loss;
    const losses = Array.isArray(history[which]) ? history[which] : [now];
    const epochs = Array.isArray(history.epochs) && history.epochs.length === losses.length
      ? history.epochs : losses.map((_, k) => frame.epoch - losses.length + 1 + k);
    const first = epochs.length ? epochs[0] : frame.epoch;
    let curve = state.curve[which].filter(([epoch]) => epoch < first);
    losses.forEach((loss, k) => { if (Number.isFinite(loss)) curve.push([epochs[k], loss]); });
    if (Number.isFinite(now) && (!curve.length || curve[curve.length - 1][0] < frame.epoch)) {
      curve.push([frame.epoch, now]);
    }
    if (curve.length > CURVE_POINTS) curve = curve.filter((_, k) => k % 2 === 0 ||
      k === curve.length - 1);
    state.curve[which] = curve;
  }
}

// ---- what the controls say ------------------------------------------------------------------
function changeConfig(change) {
  Object.assign(state.config, change);
  const c = state.config;
  c.batch_size = Math.max(1, Math.min(c.batch_size, c.points));
  configure();
}

function renderControls() {
  const c = state.config;
  keepOption(el.lr, c.lr);
  el.activation.value = c.activation;
  el.optimizer.value = c.optimizer;
  keepOption(el.l2, c.l2);
  if (document.activeElement !== el.batch) el.batch.value = String(c.batch_size);
  el.batch.max = String(c.points);
  for (const radio of el.datasets.querySelectorAll("input")) {
    radio.checked = radio.value === c.dataset;
  }
  if (document.activeElement !== el.noise) el.noise.value = String(c.noise);
  if (document.activeElement !== el.fraction) el.fraction.value = String(c.train_fraction);
  if (document.activeElement !== el.points) el.points.value = String(c.points);
  sliderTexts();
  if (document.activeElement !== el.seed) el.seed.value = String(c.seed);
  const layers = c.hidden.length;
  el.layerCount.textContent = layers + (layers === 1 ? " hidden layer" : " hidden layers");
  el.layerAdd.disabled = layers >= MAX_LAYERS;
  el.layerRemove.disabled = layers === 0;
  const open = state.connection === "open";
  for (const b of [el.play, el.step, el.reset]) b.disabled = !open;
  el.play.textContent = state.playing ? "Pause" : "Play";
  el.play.classList.toggle("playing", state.playing);
  if (document.activeElement !== el.point) {
    el.point.value = state.point === null ? "" : String(state.point);
  }
  if (state.network) el.point.max = String(state.network.points.length - 1);
  document.body.dataset.connection = state.connection;
  document.body.dataset.playing = String(state.playing);
}

// A select shows the value even when it is not one of its choices (an address typed by hand).
function keepOption(select, x) {
  const value = String(x);
  if (![...select.options].some((o) => o.value === value)) {
    select.append(h("option", { value }, value));
  }
  select.value = value;
}

function sliderTexts() {
  el.noiseText.textContent = Number(el.noise.value).toFixed(2);
  el.fractionText.textContent = Math.round(Number(el.fraction.value) * 100) + "%";
  el.pointsText.textContent = el.points.value;
}

function showMessage(kind, text) {
  state.message = { kind, text };
  renderAlert();
}

function renderAlert() {
  const m = state.message;
  el.alert.hidden = !m;
  el.alert.className = "net-alert" + (m ? " " + m.kind : "");
  el.alertText.textContent = m ? (m.kind === "diverged" ? "Training stopped: " : "") + m.text : "";
  el.reconnect.hidden = !(m && m.kind === "closed");
}

// ---- the network: mounted once per structure --------------------------------------------------
// mounted: {edges: [{g, path, anchor}], neurons: [{g, shape, name, bias, heat, image,
// label, anchor}], edgeOffsets, neuronOffsets, boundaryPalette}
let mounted = null;

const layerName = (l) => (l === state.network.layers.length - 1 ? "output" : "hidden " + (l + 1));
const neuronName = (l, j) => layerName(l) + " n" + j;
const sourceName = (l, i) => (l === 0 ? "x" + i : neuronName(l - 1, i));

function mountNetwork() {
  const network = state.network;
  el.diagram.innerHTML = network.svg;  // from the lab's own server: dot's SVG of draw_network
  hideEdgeReadout();
  const svg = el.diagram.querySelector("svg");
  svg.removeAttribute("width");  // (sized by network.css: as large as the panel allows)
  svg.removeAttribute("height");
  svg.querySelectorAll("g.node").forEach(spaceLines);
  svg.setAttribute("aria-label", "the network: click a line to set its weight, a neuron to " +
    "open it");
  const byId = (id) => svg.querySelector("#" + CSS.escape(id));
  const edges = [], neurons = [], edgeOffsets = [], neuronOffsets = [];
  network.layers.forEach(([nin, nout], l) => {
    edgeOffsets.push(edges.length);
    neuronOffsets.push(neurons.length);
    for (let j = 0; j < nout; j++) {
      for (let i = 0; i < nin; i++) edges.push(mountEdge(byId("w" + l + "_" + j + "_" + i)));
      neurons.push(mountNeuron(byId("L" + l + "n" + j), l, j));
    }
  });
  mounted = { edges, neurons, edgeOffsets, neuronOffsets,
    boundaryPalette: palette(boundaryColour) };
  fillEdgeList();
  drawClassKey();
  drawEdgeKey();
  placeNeuronButtons();
  renderControls();
}

// A node's lines of text (a neuron's name and bias, a layer's title) as far apart as
// network.css's font size needs: dot spaced them for its own smaller size (1.2 times it), so
// at the larger size they would touch. Same centre, 1.2 times the shown size apart.
function spaceLines(g) {
  const texts = [...g.querySelectorAll("text")];
  if (texts.length < 2) return;
  const ys = texts.map((t) => Number(t.getAttribute("y")));
  const middle = ys.reduce((a, b) => a + b, 0) / ys.length;
  const line = 1.2 * parseFloat(getComputedStyle(texts[0]).fontSize);  // (in the SVG's units)
  texts.forEach((t, k) => {
    t.setAttribute("y", (middle + (k - (texts.length - 1) / 2) * line).toFixed(2));
  });
}

// An edge: its drawn line, and a wide transparent copy over it that takes the clicks (a line
// 0.4 pt wide is too thin to hit).
function mountEdge(g) {
  if (!g) return null;
  const path = g.querySelector("path");
  const hit = path.cloneNode(false);
  hit.removeAttribute("id");
  hit.setAttribute("class", "hit");
  path.parentNode.append(hit);
  return { g, path, anchor: g.querySelector("a") };  // (no label: see edgeReadoutText)
}

// A neuron: a Tab stop (Enter opens it), its heatmap beside it on the left, as TF Playground
// draws one in each node, and the texts that say its bias and whether it is dead or saturated.
function mountNeuron(g, l, j) {
  if (!g) return null;
  const shape = g.querySelector("ellipse, polygon");
  const texts = g.querySelectorAll("text");
  g.classList.add("neuron");
  g.setAttribute("tabindex", "0");
  g.setAttribute("role", "button");
  g.setAttribute("aria-label", "open " + neuronName(l, j));
  const cx = Number(shape.getAttribute("cx")), cy = Number(shape.getAttribute("cy"));
  const rx = Number(shape.getAttribute("rx")), ry = Number(shape.getAttribute("ry"));
  const size = 2 * ry - 2;
  const box = { x: cx - rx - size - 1, y: cy - size / 2, width: size, height: size };
  // The heatmap: a canvas of neuron_resolution^2 pixels, stretched (and smoothed) over the
  // square; a frame paints it in place (putImageData: no image to encode and decode).
  const holder = svgElement("foreignObject", { ...box, class: "heatmap" });
  const side = state.network.neuron_resolution;
  const heat = h("canvas", { width: String(side), height: String(side), "aria-hidden": "true" });
  holder.append(heat);
  g.append(holder, svgElement("rect", { ...box, class: "heatmap-frame" }));
  const ctx = heat.getContext("2d");
  return { g, shape, name: texts[0] || null,
    bias: texts.length > 1 ? texts[texts.length - 1] : null, ctx,
    image: ctx.createImageData(side, side), label: "n" + j, anchor: g.querySelector("a") };
}

// The + and - of each hidden layer, above its column of the picture (as in TF Playground).
function placeNeuronButtons() {
  const row = el.neuronRow;
  const hidden = state.config.hidden;
  const groups = hidden.map((n, l) => {
    const name = "hidden layer " + (l + 1);
    const minus = h("button", { type: "button", class: "pm",
      "aria-label": "remove a neuron from " + name, disabled: n <= 1 }, "\u2212");
    const plus = h("button", { type: "button", class: "pm",
      "aria-label": "add a neuron to " + name, disabled: n >= MAX_NEURONS }, "+");
    minus.addEventListener("click", () => changeNeurons(l, -1));
    plus.addEventListener("click", () => changeNeurons(l, +1));
    const group = h("div", { class: "neuron-pm", role: "group", "aria-label": name }, minus,
      h("span", { class: "neuron-count" }, n + (n === 1 ? " neuron" : " neurons")), plus);
    group.dataset.layer = String(l);
    return group;
  });
  row.replaceChildren(...groups);
  positionNeuronButtons();
}

function positionNeuronButtons() {
  const svg = el.diagram.querySelector("svg");
  if (!svg) return;
  const rowBox = el.neuronRow.getBoundingClientRect();
  for (const group of el.neuronRow.children) {
    const title = svg.querySelector("#" + CSS.escape("title_L" + group.dataset.layer));
    if (!title) continue;
    const r = title.getBoundingClientRect();
    group.style.left = (r.left + r.width / 2 - rowBox.left) + "px";
  }
}

function changeNeurons(l, by) {
  const hidden = [...state.config.hidden];
  const n = hidden[l] + by;
  if (n < 1 || (by > 0 && n > MAX_NEURONS)) return;  // (an address's wider layer only shrinks)
  hidden[l] = n;
  changeConfig({ hidden });
}

function changeLayers(by) {
  const hidden = [...state.config.hidden];
  if (by > 0 && hidden.length < MAX_LAYERS) hidden.push(NEW_LAYER);
  if (by < 0 && hidden.length > 0) hidden.pop();
  changeConfig({ hidden });
}

// The list of every weight and bias: the keyboard's way to the weight editor.
function fillEdgeList() {
  const options = [h("option", { value: "" }, "choose a weight or a bias")];
  state.network.layers.forEach(([nin, nout], l) => {
    for (let j = 0; j < nout; j++) {
      for (let i = 0; i < nin; i++) {
        options.push(h("option", { value: l + "," + j + "," + i },
          "weight " + sourceName(l, i) + " \u2192 " + neuronName(l, j)));
      }
      options.push(h("option", { value: l + "," + j + "," + nin }, "bias of " + neuronName(l, j)));
    }
  });
  el.edgeList.replaceChildren(...options);
}

// ---- a frame: the numbers drawn into the mounted pictures ------------------------------------
function drawFrame() {
  const f = state.frame;
  el.epoch.textContent = String(f.epoch);
  el.trainLoss.textContent = formatLoss(f.train_loss);
  el.testLoss.textContent = formatLoss(f.test_loss);
  el.accuracy.textContent = "accuracy: training " + percent(f.train_accuracy) + ", test " +
    percent(f.test_accuracy);
  drawEdges(f);
  drawNeurons(f);
  drawBoundary(f);
  drawLoss();
  if (state.editing && document.activeElement !== el.editorValue) showEditorValue();
}

function formatLoss(x) { return Number.isFinite(x) ? x.toPrecision(4) : "\u2014"; }
function percent(x) { return Number.isFinite(x) ? Math.round(100 * x) + "%" : "\u2014"; }

// Each line: its colour the sign (and dashes: negative), its width |value| / the largest |value|
// of this frame.
function drawEdges(f) {
  const weights = state.show === "weights";
  const values = weights ? f.weights : f.grads;
  let largest = 0;
  for (const v of values) if (Number.isFinite(v)) largest = Math.max(largest, Math.abs(v));
  const what = weights ? "w = " : "dL/dw = ";
  mounted.edges.forEach((edge, e) => {
    if (!edge) return;
    const v = Number.isFinite(values[e]) ? values[e] : 0;  // (null: a diverged run's overflow)
    const share = largest > 0 ? Math.abs(v) / largest : 0;
    const p = edge.path;
    p.setAttribute("stroke", v > 0 ? POSITIVE : v < 0 ? NEGATIVE : ZERO);
    p.setAttribute("stroke-opacity", (MIN_OPACITY + (1 - MIN_OPACITY) * share).toFixed(3));
    const width = MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * share;
    p.setAttribute("stroke-width", width.toFixed(2));
    // a negative line is also dashed (its dashes as long as it is wide): never colour alone
    p.setAttribute("stroke-dasharray", v < 0 ? (4 + 2 * width).toFixed(1) + " " +
      (2 + width).toFixed(1) : "none");
    const text = Number.isFinite(values[e]) ? String(values[e]) : "\u2014";
    if (edge.anchor) edge.anchor.setAttributeNS(XLINK, "title", what + text);
  });
  if (readoutEdge) el.edgeReadout.textContent = edgeReadoutText(readoutEdge);
  el.edgeKey.querySelector(".largest").textContent = "widest line: |" +
    (weights ? "w" : "dL/dw") + "| = " + largest.toPrecision(3);
}

// ---- a line's number, shown while the pointer rests on the line ------------------------------
// No number is written on the lines: on a crowded net they overlap one another (TF Playground
// shows them on hover too). The number is also the line's tooltip, and in its weight editor.
const EDGE_ID = /^w(\d+)_(\d+)_(\d+)$/;
let readoutEdge = null;  // the line's <g> the readout is about

function edgeReadoutText(g) {
  const [, l, j, i] = EDGE_ID.exec(g.id).map(Number);
  const tip = g.querySelector("a")?.getAttributeNS(XLINK, "title") || "";  // "w = 0.123..."
  const [what, value] = tip.split(" = ");
  const x = Number(value);  // (4 significant digits here: read from afar; the tooltip has all)
  return sourceName(l, i) + " \u2192 " + neuronName(l, j) + ": " + what + " = " +
    (value && Number.isFinite(x) ? String(Number(x.toPrecision(4))) : "\u2014");
}

function showEdgeReadout(event) {
  const g = event.target.closest ? event.target.closest("g.edge") : null;
  if (!g || !EDGE_ID.test(g.id)) { hideEdgeReadout(); return; }
  readoutEdge = g;
  const r = el.edgeReadout;
  r.textContent = edgeReadoutText(g);
  r.hidden = false;
  const box = r.offsetParent.getBoundingClientRect();  // (the panel: position relative)
  r.style.left = Math.max(4, Math.min(event.clientX - box.left + 14,
    box.width - r.offsetWidth - 4)) + "px";
  r.style.top = Math.max(4, event.clientY - box.top - r.offsetHeight - 10) + "px";
}

function hideEdgeReadout() {
  readoutEdge = null;
  el.edgeReadout.hidden = true;
}

// Each neuron: its bias (or dL/db), its heatmap, and dead or saturated said in words and
// drawn (a grey fill and a dashed border, a thick red border), never by colour alone.
function drawNeurons(f) {
  const weights = state.show === "weights";
  const biases = weights ? f.biases : f.bias_grads;
  const side = state.network.neuron_resolution;
  mounted.neurons.forEach((n, k) => {
    if (!n) return;
    const status = (f.status || "")[k];
    const word = status === "d" ? "dead" : status === "s" ? "saturated" : "";
    if (n.name) n.name.textContent = n.label + (status === "d" ? " \u00b7 dead" :
      status === "s" ? " \u00b7 sat." : "");
    if (n.bias) n.bias.textContent = (weights ? "b " : "dL/db ") + shortNumber(biases[k], weights);
    n.shape.setAttribute("fill", status === "d" ? DEAD_FILL : "white");
    n.shape.setAttribute("stroke", status === "s" ? SATURATED_BORDER : "#555555");
    n.shape.setAttribute("stroke-width", status === "s" ? "3" : "1");
    n.shape.setAttribute("stroke-dasharray", status === "d" ? "4 2" : "none");
    n.g.classList.toggle("dead", status === "d");
    n.g.classList.toggle("saturated", status === "s");
    const [l, j] = locate(k);
    n.g.setAttribute("aria-label", "open " + neuronName(l, j) + (word ? " (" + word + ")" : ""));
    if (n.anchor) n.anchor.setAttributeNS(XLINK, "title", neuronName(l, j) + ": " +
      (weights ? "b = " : "dL/db = ") + biases[k] + (word ? "; " + word : ""));
    const heatmap = f.heatmaps && f.heatmaps[k];
    if (heatmap) {
      paintCells(n.image, bytes(heatmap), side, HEAT_PALETTE);
      n.ctx.putImageData(n.image, 0, 0);
    }
  });
}

function shortNumber(x, weights) {
  if (!Number.isFinite(x)) return "\u2014";
  const text = weights ? x.toFixed(2) : x.toPrecision(2);
  return Number(text) === 0 ? "0" : text;
}

function locate(k) {  // neuron number k (layer by layer) -> [layer, neuron]
  const offsets = mounted.neuronOffsets;
  let l = offsets.length - 1;
  while (offsets[l] > k) l -= 1;
  return [l, k - offsets[l]];
}

function bytes(base64) { return Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0)); }

function svgElement(name, attrs) {
  const e = document.createElementNS(SVGNS, name);
  for (const [key, value] of Object.entries(attrs)) e.setAttribute(key, String(value));
  return e;
}

function hex(colour) { return [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16)); }
const towards = (rgb, a) => rgb.map((x) => Math.round(255 + (x - 255) * a));  // white -> rgb

// A neuron's output over the plane, as TF Playground paints it: 0 (its lowest) vermillion,
// 128 white, 255 (its highest) blue.
function heatColour(v) {
  const t = v / 127.5 - 1;
  return towards(hex(t < 0 ? NEGATIVE : POSITIVE), Math.min(1, Math.abs(t)) * 0.9);
}

// A cell of the boundary (nn.recorder's shade): one output, 0 surely class 0 .. 255 surely
// class 1 (128 on the boundary); several, the class predicted there.
function boundaryColour(v) {
  const colours = state.network.colours;
  if (state.network.classes <= 2) {
    const t = v / 127.5 - 1;
    return towards(hex(colours[t < 0 ? 0 : 1]), Math.min(1, Math.abs(t)) * 0.8);
  }
  return towards(hex(colours[v % colours.length]), 0.45);
}

// A colour function's 256 colours (one per byte of a grid), worked out once.
function palette(colour) { return Array.from({ length: 256 }, (_, v) => colour(v)); }
const HEAT_PALETTE = palette(heatColour);

// Rows of `cells` run from the bottom of the plot (the smallest x1) up; an image's from the top.
function paintCells(image, cells, side, colours) {
  const data = image.data;
  for (let r = 0; r < side; r++) {
    for (let c = 0; c < side; c++) {
      const [red, green, blue] = colours[cells[r * side + c]];
      const p = ((side - 1 - r) * side + c) * 4;
      data[p] = red; data[p + 1] = green; data[p + 2] = blue; data[p + 3] = 255;
    }
  }
}

// ---- the output: the boundary and the data ---------------------------------------------------
let boundaryCells = null;  // a canvas of resolution^2 pixels, smoothed when drawn larger

function drawBoundary(f) {
  const network = state.network, canvas = el.boundary, ctx = canvas.getContext("2d");
  const n = network.resolution;
  if (!boundaryCells || boundaryCells.width !== n) {
    boundaryCells = document.createElement("canvas");
    boundaryCells.width = n;
    boundaryCells.height = n;
  }
  const cells = boundaryCells.getContext("2d"), image = cells.createImageData(n, n);
  paintCells(image, bytes(f.boundary), n, mounted.boundaryPalette);
  cells.putImageData(image, 0, 0);
  const W = canvas.width, H = canvas.height, u = W / 400;
  ctx.imageSmoothingEnabled = true;
  ctx.clearRect(0, 0, W, H);
  const half = W / (n - 1) / 2;  // cell centres sit on the grid points: half a cell beyond
  ctx.drawImage(boundaryCells, -half, -half, W + 2 * half, H + 2 * half);
  const training = new Set(network.train);
  network.points.forEach((point, k) => {
    const [x, y] = toCanvas(point);
    const c = network.labels[k], colour = network.colours[c % network.colours.length];
    marker(ctx, network.markers[c % network.markers.length], x, y, POINT_RADIUS * u);
    if (training.has(k)) {
      ctx.fillStyle = colour; ctx.fill();
      ctx.lineWidth = u; ctx.strokeStyle = "#222"; ctx.stroke();
    } else {  // a test point: hollow, its outline in its class's colour
      ctx.fillStyle = "rgba(255, 255, 255, 0.85)"; ctx.fill();
      ctx.lineWidth = 2.2 * u; ctx.strokeStyle = colour; ctx.stroke();
    }
  });
  if (pointIsValid(state.point)) {  // the chosen point: a black ring and a cross-hair
    const [x, y] = toCanvas(network.points[state.point]);
    ctx.beginPath(); ctx.arc(x, y, 10 * u, 0, 2 * Math.PI);
    ctx.lineWidth = 2.5 * u; ctx.strokeStyle = "#000"; ctx.stroke();
    ctx.beginPath(); ctx.moveTo(x - 15 * u, y); ctx.lineTo(x - 11 * u, y);
    ctx.moveTo(x + 11 * u, y); ctx.lineTo(x + 15 * u, y); ctx.stroke();
  }
}

function toCanvas([a, b]) {
  const [x0min, x0max, x1min, x1max] = state.network.bounds;
  const W = el.boundary.width, H = el.boundary.height;
  return [(a - x0min) / (x0max - x0min) * W, H - (b - x1min) / (x1max - x1min) * H];
}

// A class's marker (matplotlib's codes, as nn.plots and the replay draw them), as a path on ctx.
// (nn/replay.js draws the same shapes inside mountReplay, which exports nothing else.)
function marker(ctx, code, x, y, r) {
  const poly = (pts) => {
    ctx.moveTo(x + pts[0][0] * r, y + pts[0][1] * r);
    pts.slice(1).forEach(([a, b]) => ctx.lineTo(x + a * r, y + b * r));
    ctx.closePath();
  };
  const star = (k, inner) => poly(Array.from({ length: 2 * k }, (_, j) => {
    const t = Math.PI * j / k - Math.PI / 2, q = j % 2 ? inner : 1;
    return [q * Math.cos(t), q * Math.sin(t)];
  }));
  const shapes = {
    s: () => poly([[-0.85, -0.85], [0.85, -0.85], [0.85, 0.85], [-0.85, 0.85]]),
    "^": () => poly([[0, -1.15], [1, 0.75], [-1, 0.75]]),
    v: () => poly([[0, 1.15], [1, -0.75], [-1, -0.75]]),
    "<": () => poly([[-1.15, 0], [0.75, -1], [0.75, 1]]),
    ">": () => poly([[1.15, 0], [-0.75, -1], [-0.75, 1]]),
    D: () => poly([[0, -1.2], [1, 0], [0, 1.2], [-1, 0]]),
    P: () => poly([[-0.35, -1], [0.35, -1], [0.35, -0.35], [1, -0.35], [1, 0.35], [0.35, 0.35],
      [0.35, 1], [-0.35, 1], [-0.35, 0.35], [-1, 0.35], [-1, -0.35], [-0.35, -0.35]]),
    X: () => star(4, 0.45),
    "*": () => star(5, 0.45),
  };
  ctx.beginPath();
  (shapes[code] || (() => ctx.arc(x, y, r, 0, 2 * Math.PI)))();
}

// The canvas drawn at the size it is shown (times the screen's pixel density): sharp dots.
function fitBoundary() {
  const shown = el.boundary.getBoundingClientRect().width;
  const size = Math.round(shown * (window.devicePixelRatio || 1));
  if (size > 0 && size !== el.boundary.width) {
    el.boundary.width = size;
    el.boundary.height = size;
    if (state.frame) drawBoundary(state.frame);
  }
}

// The nearest point to a click on the plot, if it is near enough.
function pickPoint(event) {
  if (!state.network) return;
  const r = el.boundary.getBoundingClientRect(), scale = el.boundary.width / r.width;
  const x = (event.clientX - r.left) * scale, y = (event.clientY - r.top) * scale;
  let best = null, bestDistance = PICK_RADIUS * scale;
  state.network.points.forEach((point, k) => {
    const [px, py] = toCanvas(point), d = Math.hypot(px - x, py - y);
    if (d < bestDistance) { best = k; bestDistance = d; }
  });
  if (best !== null) choosePoint(best);
}

function choosePoint(k) {
  state.point = k;
  renderControls();
  if (state.frame) drawBoundary(state.frame);
}

const pointIsValid = (k) => state.network !== null && Number.isInteger(k) && k >= 0 &&
  k < state.network.points.length;
const firstTraining = () => (state.network.train.length ? state.network.train[0] : 0);

// ---- the loss curves ---------------------------------------------------------------------------
function drawLoss() {
  const svg = el.loss, W = 400, H = 130, L = 50, R = 8, T = 8, B = 24;  // (its viewBox)
  const line = (name, attrs, text) => {
    const e = document.createElementNS(SVGNS, name);
    for (const [key, value] of Object.entries(attrs)) e.setAttribute(key, String(value));
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const parts = [line("rect", { x: L, y: T, width: W - L - R, height: H - T - B, fill: "none",
    stroke: "#9ca3af" })];
  const all = [...state.curve.train, ...state.curve.test];
  if (all.length) {
    const losses = all.map(([, v]) => v), positive = losses.filter((v) => v > 0);
    const smallest = Math.min(...positive);
    const log = positive.length > 0 && Math.max(...positive) > 100 * smallest;
    const tr = (v) => (log ? Math.log10(Math.max(v, smallest)) : v);
    let lo = Math.min(...losses.map(tr)), hi = Math.max(...losses.map(tr));
    if (!log) lo = Math.min(lo, 0);
    if (hi === lo) hi = lo + 1;
    const e0 = Math.min(...all.map(([e]) => e)), e1 = Math.max(e0 + 1, ...all.map(([e]) => e));
    const x = (e) => L + (e - e0) / (e1 - e0) * (W - L - R);
    const y = (v) => T + (hi - tr(v)) / (hi - lo) * (H - T - B);
    const fmt = (v) => (log ? Math.pow(10, v) : v).toPrecision(2);
    parts.push(line("text", { x: L - 5, y: T + 10, "text-anchor": "end" }, fmt(hi)),
      line("text", { x: L - 5, y: H - B, "text-anchor": "end" }, fmt(lo)),
      line("text", { x: L, y: H - 6 }, "epoch " + e0),
      line("text", { x: W - R, y: H - 6, "text-anchor": "end" }, "epoch " + e1));
    if (log) {
      parts.push(line("text", { x: W - R - 4, y: T + 14, "text-anchor": "end" }, "log scale"));
    }
    for (const [which, colour, dash] of [["train", POSITIVE, ""], ["test", NEGATIVE, "6 4"]]) {
      const curve = state.curve[which];
      if (!curve.length) continue;
      parts.push(line("polyline", { class: "curve-" + which, fill: "none", stroke: colour,
        "stroke-width": 2.5, "stroke-dasharray": dash || "none",
        points: curve.map(([e, v]) => x(e).toFixed(1) + "," + y(v).toFixed(1)).join(" ") }));
    }
  }
  svg.replaceChildren(...parts);
}

// ---- the keys under the pictures --------------------------------------------------------------
function drawClassKey() {
  const network = state.network;
  const items = [];
  for (let c = 0; c < network.classes; c++) {
    const canvas = h("canvas", { width: "44", height: "44", class: "marker-key",
      "aria-hidden": "true" });
    const ctx = canvas.getContext("2d");
    marker(ctx, network.markers[c % network.markers.length], 22, 22, 14);
    ctx.fillStyle = network.colours[c % network.colours.length]; ctx.fill();
    ctx.lineWidth = 2; ctx.strokeStyle = "#222"; ctx.stroke();
    items.push(h("span", { class: "key" }, canvas, "class " + c));
  }
  el.classKey.replaceChildren(...items);
}

function drawEdgeKey() {
  const lineKey = (kind, text) => h("span", { class: "key" },
    h("span", { class: "line-swatch edge-" + kind }), text);
  const heat = h("span", { class: "swatch heat-swatch" });
  el.edgeKey.replaceChildren(lineKey("positive", "positive"), lineKey("negative", "negative"),
    h("span", { class: "key largest" }, ""),
    h("span", { class: "key" }, heat, "beside each neuron: its output over the plane"),
    h("span", { class: "key" }, h("span", { class: "swatch dead-swatch" }), "dead (no gradient)"),
    h("span", { class: "key" }, h("span", { class: "swatch sat-swatch" }), "saturated"));
}

// ---- setting a weight ---------------------------------------------------------------------------
// A small form beside the line (or, from the list, beside the edge chosen): Enter sends
// set_weight and training goes on from the new weight; Escape or Cancel closes it.
function openEditor(layer, neuron, input, at, focus = true) {
  state.editing = { layer, neuron, input };
  const nin = state.network.layers[layer][0];
  el.editorLabel.textContent = input === nin ? "bias of " + neuronName(layer, neuron)
    : "weight " + sourceName(layer, input) + " \u2192 " + neuronName(layer, neuron);
  el.editor.hidden = false;
  showEditorValue();
  const panel = el.editor.offsetParent || el.editor.parentElement;
  const box = panel.getBoundingClientRect();
  const left = Math.max(4, Math.min(at.x - box.left + 12, box.width - el.editor.offsetWidth - 4));
  el.editor.style.left = left + "px";
  el.editor.style.top = Math.max(4, at.y - box.top + 12) + "px";
  if (focus) focusEditor();
}

function focusEditor() {
  el.editorValue.focus();
  el.editorValue.select();
}

function showEditorValue() {
  const e = state.editing, f = state.frame;
  if (!e || !f) return;
  const nin = state.network.layers[e.layer][0];
  const value = e.input === nin ? f.biases[mounted.neuronOffsets[e.layer] + e.neuron]
    : f.weights[mounted.edgeOffsets[e.layer] + e.neuron * nin + e.input];
  el.editorValue.value = Number.isFinite(value) ? String(value) : "";  // (null: overflowed)
}

function closeEditor(focusBack = true) {
  const e = state.editing;
  state.editing = null;
  el.editor.hidden = true;
  if (focusBack && e) el.edgeList.focus();
}

function submitEditor(event) {
  event.preventDefault();
  const e = state.editing;
  const text = el.editorValue.value.trim();
  const value = Number(text);
  if (!e || text === "" || !Number.isFinite(value)) {
    el.editorValue.setCustomValidity("Type a number, such as -0.5 or 1.2.");
    el.editorValue.reportValidity();
    return;
  }
  el.editorValue.setCustomValidity("");
  send({ type: "set_weight", layer: e.layer, neuron: e.neuron, input: e.input, value });
  closeEditor(false);
}

function edgeCentre(layer, neuron, input) {
  const nin = state.network.layers[layer][0];
  const target = input === nin ? mounted.neurons[mounted.neuronOffsets[layer] + neuron]
    : mounted.edges[mounted.edgeOffsets[layer] + neuron * nin + input];
  const r = (target ? target.g : el.diagram).getBoundingClientRect();
  return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
}

// ---- opening a neuron ------------------------------------------------------------------------
// The dialog fills the window: steps.js fits the picture into the room the window leaves, which
// it measures from the top of the page, so the page behind is scrolled to its top meanwhile.
let steps = null;  // what mountSteps returned (update, settings, destroy)
let stepsGraph = "";  // which graph it shows: "layer,neuron,neuron" or "layer,neuron,whole"
let scrolledTo = 0;  // where the page was before the dialog opened
let openedFrom = null;  // the neuron's element, to give the focus back to
let focusSteps = false;  // the dialog has just opened: its Next button takes the focus
let resumeOnClose = false;  // the dialog paused the training: Close plays again

function openNeuron(layer, neuron) {
  if (!state.network) return;
  if (state.connection !== "open") {  // no server to answer: no dialog waiting for ever
    el.note.textContent = "The connection to the lab's server is closed: close this and " +
      "press Reconnect.";  // (seen when the dialog is open already)
    return;
  }
  if (!pointIsValid(state.point)) state.point = firstTraining();
  if (state.playing) {  // the graph is a snapshot: the network stays as it shows, until Close
    send({ type: "pause" });
    state.playing = false;
    state.expected = false;
    resumeOnClose = true;
  }
  openedFrom = mounted.neurons[mounted.neuronOffsets[layer] + neuron]?.g || null;
  state.asked = { layer, neuron, point: state.point };
  state.opened = null;
  send({ type: "open_neuron", layer, neuron, point: state.point });
  if (!el.dialog.open) {
    scrolledTo = window.scrollY;
    window.scrollTo(0, 0);
    el.dialog.showModal();
    focusSteps = true;
  }
  renderNeuron();
  renderControls();
}

function renderNeuron() {
  const asked = state.asked, opened = state.opened;
  const which = opened || asked;
  if (!which) { unmountSteps(); return; }
  const network = state.network, k = which.point;
  const [nin, , activation] = network.layers[which.layer];
  const kind = network.train.includes(k) ? "training point " : "test point ";
  el.dialogTitle.textContent = neuronName(which.layer, which.neuron) + " (" + activation +
    ", " + nin + (nin === 1 ? " input" : " inputs") + ") on " + kind + k;
  el.dialogPoint.value = String(k);
  el.dialogPoint.max = String(network.points.length - 1);
  el.tabNeuron.setAttribute("aria-pressed", String(state.graph === "neuron"));
  el.tabWhole.setAttribute("aria-pressed", String(state.graph === "whole"));
  el.tabWhole.disabled = !(opened && opened.whole);
  document.body.dataset.neuron = opened ? "shown" : "asking";
  if (!opened) {  // (the graph shown, if any, stays until the answer replaces it)
    el.note.textContent = "Asking the server for this neuron's graph\u2026";
    return;
  }
  const [x0, x1] = network.points[k];
  const where = "x = (" + x0.toPrecision(3) + ", " + x1.toPrecision(3) + "), class " +
    network.labels[k];
  const upstream = Number.isFinite(opened.upstream) ? opened.upstream.toPrecision(4) : "\u2014";
  el.note.textContent = state.graph === "neuron"
    ? "The point " + where + ". Its forward values, then the backward pass through this " +
      "neuron: the loss sends dL/d(out) = " + upstream + " back to its output, and each step " +
      "multiplies it by one local derivative." + (resumeOnClose ? " Training is paused " +
      "while this is open; Close and it goes on." : "")
    : "The whole loss of the point " + where + ", from the inputs to the loss: every " +
      "chain-rule step of its backward pass.";
  showSteps(opened);
  if (focusSteps) {  // (so the arrow keys step at once)
    focusSteps = false;
    const next = el.steps.querySelector("#next");
    if (next) next.focus();
  }
  if (!opened.whole) {
    el.tabWhole.title = "this network's graph of one sample is too large to step through " +
      "(more than 2,000 Values)";
  } else {
    el.tabWhole.removeAttribute("title");
  }
}

// The graph chosen of the answer, in steps.js: the same graph for another point (the dialog's
// point changed) gets its new numbers in place, at the step shown (view.update); another graph
// is mounted afresh, in the decimals and presentation mode the reader chose.
function showSteps(opened) {
  const shown = state.graph === "whole" && opened.whole ? opened.whole : opened;
  const graph = [opened.layer, opened.neuron, shown === opened ? "neuron" : "whole"].join(",");
  if (steps && stepsGraph === graph) {
    try {
      steps.update(shown.page);
      return;
    } catch {
      // (not the same graph after all: mounted afresh below)
    }
  }
  const settings = steps ? steps.settings() : {};
  unmountSteps();
  steps = mountSteps({ ...shown.page, ...settings, svg: shown.svg }, el.steps);
  stepsGraph = graph;
}

function unmountSteps() {
  if (steps) { steps.destroy(); steps = null; }
  stepsGraph = "";
  el.steps.querySelector(".steps-graph").replaceChildren();
}

function closeNeuron() {
  unmountSteps();
  state.asked = null;
  state.opened = null;
  document.body.dataset.neuron = "closed";
  window.scrollTo(0, scrolledTo);
  if (openedFrom && openedFrom.isConnected) openedFrom.focus();
  if (resumeOnClose && state.connection === "open" && state.network) {
    send({ type: "play" });
    state.playing = true;
    state.expected = true;
  }
  resumeOnClose = false;
  renderControls();
}

// ---- every control bound in one place ---------------------------------------------------------
function bind() {
  el.play.addEventListener("click", () => {
    const play = !state.playing;
    send({ type: play ? "play" : "pause" });
    state.playing = play;
    state.expected = play;
    if (play && state.message && state.message.kind === "diverged") state.message = null;
    renderAlert();
    renderControls();
  });
  el.step.addEventListener("click", () => {
    send({ type: "step" });
    state.playing = false;
    state.expected = false;
    renderControls();
  });
  el.reset.addEventListener("click", () => {
    send({ type: "reset" });
    state.playing = false;
    state.expected = false;
    state.curve = { train: [], test: [] };
    if (state.message && state.message.kind === "diverged") state.message = null;
    renderAlert();
    renderControls();
  });
  el.lr.addEventListener("change", () => changeConfig({ lr: Number(el.lr.value) }));
  el.activation.addEventListener("change", () => changeConfig({ activation: el.activation.value }));
  el.optimizer.addEventListener("change", () => changeConfig({ optimizer: el.optimizer.value }));
  el.l2.addEventListener("change", () => changeConfig({ l2: Number(el.l2.value) }));
  el.batch.addEventListener("change", () => {
    const n = Number(el.batch.value);
    if (Number.isInteger(n) && n >= 1) changeConfig({ batch_size: n });
    else renderControls();
  });
  el.datasets.addEventListener("change", (event) => changeConfig({ dataset: event.target.value }));
  for (const [input, key] of [[el.noise, "noise"], [el.fraction, "train_fraction"],
    [el.points, "points"]]) {
    input.addEventListener("input", sliderTexts);  // the number follows the hand ...
    input.addEventListener("change", () => changeConfig({ [key]: Number(input.value) }));
  }  // ... and the data is made again when it is let go
  el.seed.addEventListener("change", () => {
    const n = Number(el.seed.value);
    if (Number.isInteger(n) && n >= 0 && n <= MAX_SEED) changeConfig({ seed: n });
    else renderControls();
  });
  el.newSeed.addEventListener("click", () =>
    changeConfig({ seed: (state.config.seed + 1 + Math.floor(Math.random() * 9999)) % 100000 }));
  el.layerAdd.addEventListener("click", () => changeLayers(+1));
  el.layerRemove.addEventListener("click", () => changeLayers(-1));
  for (const radio of document.querySelectorAll("input[name=net-show]")) {
    radio.addEventListener("change", () => {
      state.show = radio.value;
      send({ type: "show", what: state.show });
      if (state.frame) drawFrame();
    });
  }
  el.diagram.addEventListener("pointerover", showEdgeReadout);
  el.diagram.addEventListener("pointermove", (event) => {
    if (readoutEdge) showEdgeReadout(event);  // (it follows the pointer along the line)
  });
  el.diagram.addEventListener("pointerleave", hideEdgeReadout);
  el.diagram.addEventListener("click", (event) => {
    const neuron = event.target.closest("g.neuron");
    if (neuron) {
      const [, l, j] = neuron.id.match(/^L(\d+)n(\d+)$/).map(Number);
      openNeuron(l, j);
      return;
    }
    const edge = event.target.closest("g.edge");
    const found = edge && edge.id.match(/^w(\d+)_(\d+)_(\d+)$/);
    if (found) {
      const [, l, j, i] = found.map(Number);
      el.edgeList.value = l + "," + j + "," + i;
      openEditor(l, j, i, { x: event.clientX, y: event.clientY });
    }
  });
  el.diagram.addEventListener("keydown", (event) => {
    const neuron = event.target.closest && event.target.closest("g.neuron");
    if (!neuron || (event.key !== "Enter" && event.key !== " ")) return;
    event.preventDefault();
    const [, l, j] = neuron.id.match(/^L(\d+)n(\d+)$/).map(Number);
    openNeuron(l, j);
  });
  // The list's arrow keys change its value (and fire "change") at every press: the editor
  // then shows each weight passed, the focus staying on the list, and Enter goes to the
  // editor. A choice made with the pointer goes to the editor at once.
  let listKeyed = false;  // the next change of the list comes from its keys
  el.edgeList.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && state.editing) {
      event.preventDefault();
      focusEditor();
    }
    listKeyed = event.key !== "Tab" && event.key !== "Enter";
  });
  el.edgeList.addEventListener("pointerdown", () => { listKeyed = false; });
  el.edgeList.addEventListener("change", () => {
    const keyed = listKeyed;
    listKeyed = false;
    if (!el.edgeList.value) { closeEditor(false); return; }
    const [l, j, i] = el.edgeList.value.split(",").map(Number);
    openEditor(l, j, i, edgeCentre(l, j, i), !keyed);
  });
  el.editor.addEventListener("submit", submitEditor);
  el.editorValue.addEventListener("input", () => el.editorValue.setCustomValidity(""));
  el.editor.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { event.preventDefault(); closeEditor(); }
  });
  el.editorCancel.addEventListener("click", () => closeEditor());
  el.boundary.addEventListener("click", pickPoint);
  el.point.addEventListener("change", () => {
    const k = Number(el.point.value);
    if (pointIsValid(k)) choosePoint(k);
    else renderControls();
  });
  el.dialogPointForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const k = Number(el.dialogPoint.value);
    const which = state.opened || state.asked;
    if (!pointIsValid(k) || !which) {
      el.note.textContent = "Type a point number from 0 to " +
        (state.network.points.length - 1) + ".";
      return;
    }
    choosePoint(k);
    openNeuron(which.layer, which.neuron);
  });
  el.tabNeuron.addEventListener("click", () => { state.graph = "neuron"; renderNeuron(); });
  el.tabWhole.addEventListener("click", () => { state.graph = "whole"; renderNeuron(); });
  el.close.addEventListener("click", () => el.dialog.close());
  el.dialog.addEventListener("close", closeNeuron);
  el.dismiss.addEventListener("click", () => { state.message = null; renderAlert(); });
  el.reconnect.addEventListener("click", () => { if (state.connection === "closed") connect(); });
  window.addEventListener("resize", () => { fitBoundary(); positionNeuronButtons(); });
  window.addEventListener("hashchange", () => {
    if (location.hash === configToHash(state.config)) return;
    state.config = configFromHash(location.hash);
    configure();
  });
}

// ---- building the controls -------------------------------------------------------------------

function fillSelect(select, options) {
  select.replaceChildren(...options.map(([value, text]) => h("option", { value }, text)));
}

function buildControls() {
  fillSelect(el.lr, RATES.map((x) => [String(x), String(x)]));
  fillSelect(el.activation, ACTIVATIONS.map((a) => [a, a]));
  fillSelect(el.optimizer, OPTIMIZERS);
  fillSelect(el.l2, L2S.map((x) => [String(x), x === 0 ? "none" : String(x)]));
  el.datasets.replaceChildren(...DATASETS.map((name) => h("label", { class: "dataset" },
    h("input", { type: "radio", name: "net-dataset", value: name }), " " + name)));
}

function start() {
  buildControls();
  state.config = configFromHash(location.hash);
  bind();
  renderControls();
  drawLoss();
  connect();
  fitBoundary();
}

start();
