"""A training replay: one self-contained HTML page with a slider over the epochs of a 2-D
classification run, showing frame by frame the decision boundary with its points, the network
diagram (weights or gradients) and the loss curve so far. What TF Playground shows live, saved
as a file a teacher can open anywhere, offline.

    recorder = TrainingRecorder(model, X, y)          # frame 0: the model before training
    fit(model, X, y, hinge_loss, optimizer, epochs=100, on_epoch=recorder)
    save_training_replay("moons.html", recorder)

A frame holds numbers, not pictures: the boundary as a coarse grid of one byte per cell (the
page paints it on a canvas and lets the browser smooth it), and one number per weight, bias and
gradient (the page recolours the edges of ONE network diagram, drawn once by `draw_network`).
So 100 frames of an MLP(2, [16, 16, 1]) weigh well under a megabyte.

Frame k shows the model after epoch k's update; its loss is the one `fit` measured during
epoch k (before that update), and its accuracy is the snapshot's own, on the recorded points.
The `dot` program is needed once, when the page is saved.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import shutil
from pathlib import Path

from autograd.draw import INSTALL_GRAPHVIZ, GraphvizMissingError, run_dot
from autograd.files import write_atomically
from nn.draw_network import (
    MAX_WIDTH,
    MIN_WIDTH,
    NEGATIVE,
    POSITIVE,
    draw_network,
    edge_id,
    network_layers,
    neuron_id,
)
from nn.plots import CLASS_COLOURS, class_index
from nn.recorder import TrainingRecorder, round_for_page


def _inline_svg(svg: str) -> str:
    """Graphviz's SVG document as an element to paste into HTML: no XML prolog, DOCTYPE or
    comments (the HTML parser supplies the SVG namespace itself)."""
    start = svg.index("<svg")
    body = svg[start:]
    while "<!--" in body:
        a = body.index("<!--")
        body = body[:a] + body[body.index("-->", a) + 3:]
    return body


def _fill(template: str, **values: str) -> str:
    """Replace each {{NAME}} in one pass, so text put in is never scanned for more {{...}}
    (a title "{{DATA}}" stays those eight characters)."""
    return re.sub(r"\{\{([A-Z]+)\}\}", lambda m: values[m.group(1)], template)


def _script_json(data: object) -> str:
    """JSON to put inside <script type="application/json">, where the HTML parser, not JSON,
    decides where the element ends: '</script>' would end it and '<!--<script>' would make
    the parser run past its end into the next script. So no '<', '>' or '&' survives, nor the
    line separators U+2028 / U+2029; each becomes its \\u escape, which JSON.parse reads back.
    (Outside strings JSON has none of these characters, so only strings change.)"""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return re.sub("[<>&\u2028\u2029]", lambda m: f"\\u{ord(m.group()):04x}", text)


def save_training_replay(
    path: str | os.PathLike, recorder: TrainingRecorder, title: str = "Training replay"
) -> Path:
    """Write the recorded run as one self-contained HTML page at `path` (inline SVG, canvas,
    JS and CSS; nothing is fetched). The slider, the arrow keys and Play move between frames;
    a switch shows the network's weights or its gradients. Returns the Path written."""
    if not isinstance(recorder, TrainingRecorder):
        raise TypeError(f"expected a TrainingRecorder, got {type(recorder).__name__}")
    if not recorder.frames:
        raise ValueError("the recorder holds no frames: record at least one epoch first")
    if not isinstance(title, str):
        raise TypeError(f"title must be a str (the page heading), got {type(title).__name__}")
    model = recorder.model
    if shutil.which("dot") is None:
        raise GraphvizMissingError(INSTALL_GRAPHVIZ)
    svg = run_dot(draw_network(model, X=recorder.X, edge_labels=False, legend=False),
                  "svg").decode("utf-8")
    layers = network_layers(model)
    data = {
        "title": title,
        "resolution": recorder.resolution,
        "bounds": recorder.bounds,
        "oneOutput": recorder.n_outputs == 1,
        "colours": CLASS_COLOURS,
        "positive": POSITIVE,
        "negative": NEGATIVE,
        "minWidth": MIN_WIDTH,
        "maxWidth": MAX_WIDTH,
        "points": [[round_for_page(a), round_for_page(b)] for a, b in recorder.X],
        "labels": [class_index(t, recorder.y) for t in recorder.y],
        "edges": [edge_id(li, j, i) for li, neurons in enumerate(layers)
                  for j, neuron in enumerate(neurons) for i in range(len(neuron.w))],
        "neurons": [neuron_id(li, j) for li, neurons in enumerate(layers)
                    for j in range(len(neurons))],
        "frames": [
            {"epoch": f.epoch, "loss": f.loss, "accuracy": f.accuracy,
             "grid": base64.b64encode(f.grid).decode("ascii"), "w": f.weights, "g": f.grads,
             "b": f.biases, "gb": f.bias_grads, "status": f.status, "wrong": f.wrong}
            for f in recorder.frames
        ],
    }
    page = _fill(_TEMPLATE, TITLE=html.escape(title), SVG=_inline_svg(svg),
                 DATA=_script_json(data))
    path = Path(path)
    write_atomically(path, page)
    return path


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{TITLE}}</title>
<style>
  body { font-family: Helvetica, Arial, sans-serif; margin: 16px 24px; color: #222; }
  h1 { font-size: 20px; margin: 0 0 6px; }
  .controls { display: flex; align-items: center; gap: 12px; margin: 10px 0 14px; }
  #slider { flex: 1; max-width: 640px; }
  #epoch-label { font-weight: bold; min-width: 9em; font-variant-numeric: tabular-nums; }
  .panels { display: flex; flex-wrap: wrap; gap: 18px; align-items: flex-start; }
  .panel { border: 1px solid #ddd; border-radius: 6px; padding: 8px; }
  .panel h2 { font-size: 14px; margin: 0 0 6px; }
  .note { font-size: 12px; color: #555; max-width: 380px; margin: 6px 0 0; }
  #network svg { width: 520px; height: auto; display: block; }
  #stats { font-variant-numeric: tabular-nums; font-size: 14px; margin-top: 6px; }
  button { font-size: 14px; padding: 3px 12px; }
</style>
</head>
<body>
<h1>{{TITLE}}</h1>
<div class="controls">
  <button id="play" type="button">Play</button>
  <input id="slider" type="range" min="0" max="0" value="0" step="1" aria-label="frame">
  <span id="epoch-label">epoch 0</span>
  <label><input type="radio" name="show" value="w" checked> weights</label>
  <label><input type="radio" name="show" value="g"> gradients</label>
</div>
<div class="panels">
  <div class="panel">
    <h2>Decision boundary</h2>
    <canvas id="boundary" width="360" height="360"></canvas>
    <p class="note">Background: the class the model predicts there (orange class 0, blue class
    1; white is the boundary, paler is less sure). Dots: the training points in their true
    colours; a red ring marks a point the model gets wrong.</p>
    <div id="stats"></div>
  </div>
  <div class="panel">
    <h2 id="network-title">Network: weights</h2>
    <div id="network">{{SVG}}</div>
    <p class="note">One line per weight: blue positive, orange negative, width |w| (or |dL/dw|)
    relative to the largest in this frame. Grey units are dead relus, red-bordered ones
    saturated, on the training points.</p>
  </div>
  <div class="panel">
    <h2>Training loss so far</h2>
    <svg id="loss" width="360" height="220" viewBox="0 0 360 220"></svg>
    <p class="note">Loss of each epoch as training measured it.</p>
  </div>
</div>
<script id="replay-data" type="application/json">{{DATA}}</script>
<script>
"use strict";
const D = JSON.parse(document.getElementById("replay-data").textContent);
const XLINK = "http://www.w3.org/1999/xlink";
const SVGNS = "http://www.w3.org/2000/svg";
const slider = document.getElementById("slider");
const label = document.getElementById("epoch-label");
const canvas = document.getElementById("boundary");
const ctx = canvas.getContext("2d");
const grids = D.frames.map(f => Uint8Array.from(atob(f.grid), ch => ch.charCodeAt(0)));
const edges = D.edges.map(id => document.getElementById(id));
const neurons = D.neurons.map(id => document.getElementById(id));
let showing = "w";
let current = 0;
slider.max = String(D.frames.length - 1);

function hex(c) { return [1, 3, 5].map(i => parseInt(c.slice(i, i + 2), 16)); }
const rgbs = D.colours.map(hex);

function cellColour(v) {
  // one output: 0..255 from sure class 0 (orange) through white (the boundary) to class 1 (blue)
  if (D.oneOutput) {
    const t = v / 127.5 - 1, c = t < 0 ? rgbs[0] : rgbs[1], a = Math.min(1, Math.abs(t)) * 0.8;
    return c.map(x => Math.round(255 + (x - 255) * a));
  }
  return rgbs[v % rgbs.length].map(x => Math.round(255 + (x - 255) * 0.45));
}

function drawBoundary(k) {
  const n = D.resolution, grid = grids[k], off = document.createElement("canvas");
  off.width = n; off.height = n;
  const octx = off.getContext("2d"), img = octx.createImageData(n, n);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const [red, green, blue] = cellColour(grid[r * n + c]);
      const p = ((n - 1 - r) * n + c) * 4;  // row 0 is the bottom of the plot
      img.data[p] = red; img.data[p + 1] = green; img.data[p + 2] = blue; img.data[p + 3] = 255;
    }
  }
  octx.putImageData(img, 0, 0);
  const W = canvas.width, H = canvas.height;
  ctx.imageSmoothingEnabled = true;
  // cell centres sit on the grid points, so the image spans half a cell beyond the bounds
  const half = W / (n - 1) / 2;
  ctx.drawImage(off, -half, -half, W + 2 * half, H + 2 * half);
  const [x0min, x0max, x1min, x1max] = D.bounds;
  const frame = D.frames[k];
  D.points.forEach(([a, b], i) => {
    const px = (a - x0min) / (x0max - x0min) * W, py = H - (b - x1min) / (x1max - x1min) * H;
    ctx.beginPath(); ctx.arc(px, py, 4, 0, 2 * Math.PI);
    ctx.fillStyle = D.colours[D.labels[i] % D.colours.length]; ctx.fill();
    ctx.lineWidth = 1; ctx.strokeStyle = "#222"; ctx.stroke();
  });
  frame.wrong.forEach(i => {
    const [a, b] = D.points[i];
    const px = (a - x0min) / (x0max - x0min) * W, py = H - (b - x1min) / (x1max - x1min) * H;
    ctx.beginPath(); ctx.arc(px, py, 7.5, 0, 2 * Math.PI);
    ctx.lineWidth = 2; ctx.strokeStyle = "#d62728"; ctx.stroke();
  });
  const loss = frame.loss === null ? "\\u2014" : frame.loss.toPrecision(4);
  document.getElementById("stats").textContent =
    "loss " + loss + "   accuracy " + (100 * frame.accuracy).toFixed(0) + "%";
}

function setTitle(group, text) {
  const a = group && group.querySelector("a");
  if (a) a.setAttributeNS(XLINK, "title", text);
}

function drawNetwork(k) {
  const f = D.frames[k], ws = showing === "w" ? f.w : f.g, bs = showing === "w" ? f.b : f.gb;
  const largest = Math.max(0, ...ws.map(Math.abs));
  edges.forEach((g, e) => {
    if (!g) return;
    const v = ws[e], share = largest > 0 ? Math.abs(v) / largest : 0;
    const path = g.querySelector("path");
    path.setAttribute("stroke", v > 0 ? D.positive : v < 0 ? D.negative : "#bbbbbb");
    path.setAttribute("stroke-opacity", (0.35 + 0.65 * share).toFixed(3));
    const width = D.minWidth + (D.maxWidth - D.minWidth) * share;
    path.setAttribute("stroke-width", width.toFixed(2));
    setTitle(g, D.edges[e] + ": " + (showing === "w" ? "w = " : "dL/dw = ") + v);
  });
  neurons.forEach((g, j) => {
    if (!g) return;
    const texts = g.querySelectorAll("text"), shape = g.querySelector("ellipse, polygon");
    const name = showing === "w" ? "b " : "dL/db ";
    const b = bs[j];
    if (texts.length > 1) {
      const tiny = b !== 0 && Math.abs(b) < 1e-3;  // as Python's "%.2g": 4.9e-05, not 0.000049
      const grad = tiny ? b.toExponential(1) : b.toPrecision(2);
      const number = showing === "w" ? b.toFixed(2) : grad;
      texts[texts.length - 1].textContent = name + number;
    }
    const s = f.status[j];
    shape.setAttribute("fill", s === "d" ? "#cfcfcf" : "white");
    shape.setAttribute("stroke", s === "s" ? "#d62728" : "#555555");
    shape.setAttribute("stroke-width", s === "s" ? "3" : "1");
    const state = s === "d" ? "; dead" : s === "s" ? "; saturated" : "";
    setTitle(g, D.neurons[j] + ": " + name.trim() + " = " + b + state);
  });
  document.getElementById("network-title").textContent =
    "Network: " + (showing === "w" ? "weights" : "gradients dL/dw") + " (max |" +
    (showing === "w" ? "w" : "dL/dw") + "| = " + largest.toPrecision(3) + ")";
}

function drawLoss(k) {
  const svg = document.getElementById("loss");
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  const all = D.frames.filter(f => f.loss !== null);
  const W = 360, H = 220, L = 46, R = 10, T = 10, B = 30;
  const el = (name, attrs, text) => {
    const e = document.createElementNS(SVGNS, name);
    for (const [key, value] of Object.entries(attrs)) e.setAttribute(key, value);
    if (text !== undefined) e.textContent = text;
    svg.appendChild(e); return e;
  };
  el("rect", {x: L, y: T, width: W - L - R, height: H - T - B, fill: "none", stroke: "#999"});
  if (!all.length) return;
  const losses = all.map(f => f.loss), positive = losses.filter(v => v > 0);
  const log = positive.length > 0 && Math.max(...positive) > 100 * Math.min(...positive);
  const tr = v => log ? Math.log10(Math.max(v, Math.min(...positive))) : v;
  let lo = Math.min(...losses.map(tr)), hi = Math.max(...losses.map(tr));
  if (!log) lo = Math.min(lo, 0);
  if (hi === lo) hi = lo + 1;
  const e0 = D.frames[0].epoch, e1 = D.frames[D.frames.length - 1].epoch || 1;
  const x = e => L + (e - e0) / Math.max(1, e1 - e0) * (W - L - R);
  const y = v => T + (hi - tr(v)) / (hi - lo) * (H - T - B);
  const fmt = v => log ? Math.pow(10, v).toPrecision(2) : v.toPrecision(2);
  el("text", {x: L - 4, y: T + 4, "text-anchor": "end", "font-size": 10}, fmt(hi));
  el("text", {x: L - 4, y: H - B, "text-anchor": "end", "font-size": 10}, fmt(lo));
  el("text", {x: L, y: H - 12, "font-size": 10}, "epoch " + e0);
  el("text", {x: W - R, y: H - 12, "text-anchor": "end", "font-size": 10}, "epoch " + e1);
  if (log) el("text", {x: W - R - 4, y: T + 14, "text-anchor": "end", "font-size": 10,
                       fill: "#777"}, "log scale");
  const shown = D.frames.slice(0, k + 1).filter(f => f.loss !== null);
  if (shown.length) {
    const points = shown.map(f => x(f.epoch) + "," + y(f.loss)).join(" ");
    el("polyline", {id: "loss-so-far", points: points, fill: "none", stroke: D.positive,
                    "stroke-width": 2});
    const last = shown[shown.length - 1];
    el("circle", {cx: x(last.epoch), cy: y(last.loss), r: 3.5, fill: D.negative});
  }
}

function show(k) {
  current = Math.max(0, Math.min(D.frames.length - 1, k));
  slider.value = String(current);
  const f = D.frames[current], end = D.frames[D.frames.length - 1].epoch;
  label.textContent = "epoch " + f.epoch + " / " + end;
  drawBoundary(current); drawNetwork(current); drawLoss(current);
}

let timer = null;
const play = document.getElementById("play");
function stop() { clearInterval(timer); timer = null; play.textContent = "Play"; }
play.addEventListener("click", () => {
  if (timer) { stop(); return; }
  if (current === D.frames.length - 1) show(0);
  play.textContent = "Pause";
  timer = setInterval(() => {
    if (current >= D.frames.length - 1) stop(); else show(current + 1);
  }, 120);
});
slider.addEventListener("input", () => { stop(); show(Number(slider.value)); });
document.addEventListener("keydown", ev => {
  if (ev.target === slider) return;  // the slider handles its own arrow keys
  if (ev.key === "ArrowRight") { stop(); show(current + 1); }
  if (ev.key === "ArrowLeft") { stop(); show(current - 1); }
});
document.querySelectorAll("input[name=show]").forEach(radio =>
  radio.addEventListener("change", () => { showing = radio.value; show(current); }));
show(0);
</script>
</body>
</html>
"""
