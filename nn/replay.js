// The training replay: a slider over the epochs of a 2-D classification run, showing frame by
// frame the decision boundary with its points, the network (weights or gradients) and the
// loss curve so far.
//
// nn/replay.py pastes this module into the static page it saves; the live lab can serve the
// same file and call mountReplay on data from its server. Python computes every number (and
// writes each shown one in every decimal form offered); this module only draws them.
//
//   mountReplay(data, root)
//
// root: an element holding draw_network's SVG in a child of class "replay-network" (or
// data.svg, a string, is put there). The controls and the other panels are built around it.
// data: see save_training_replay (frames of numbers, the network's element ids, colours).

const SPEEDS = [["slow", 400], ["normal", 120], ["fast", 40]];
const SVGNS = "http://www.w3.org/2000/svg";
const XLINK = "http://www.w3.org/1999/xlink";
const PLOT = 360;  // the boundary's drawing units: radii and pens are given for this size

export function mountReplay(data, root) {
  const D = data;
  const frames = D.frames;
  const lastFrame = frames.length - 1;
  const choices = (D.decimals || []).map(String);
  let decimals = String(D.shownDecimals ?? choices[choices.length - 1] ?? "");
  const pick = (form) => (typeof form === "string" ? form : form[decimals]);

  const networkBox = root.querySelector(".replay-network");
  if (typeof D.svg === "string") networkBox.innerHTML = D.svg;  // from our own server
  networkBox.id = "network";
  const byId = (id) => root.querySelector("#" + CSS.escape(id));

  // ---- the controls and the panels ------------------------------------------------------
  function h(tag, attrs = {}, ...children) {
    const e = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === true) e.setAttribute(key, "");
      else if (value !== false && value != null) e.setAttribute(key, value);
    }
    e.append(...children);  // strings become text nodes, never markup
    return e;
  }
  function select(id, label, options, chosen) {
    const s = h("select", { id },
      ...options.map(([value, text]) => h("option", { value, selected: value === chosen }, text)));
    return [s, h("label", { class: "setting" }, label + " ", s)];
  }
  function radio(value, text, checked) {
    return h("label", {}, h("input", { type: "radio", name: "show", value, checked }), " " + text);
  }
  function swatch(colour, text) {
    const s = h("span", { class: "swatch" });
    s.style.background = colour;
    return h("span", { class: "key" }, s, text);
  }

  const play = h("button", { id: "play", type: "button", title: "play the epochs" }, "Play");
  const slider = h("input", { id: "slider", type: "range", min: "0", max: String(lastFrame),
    value: "0", step: "1", "aria-label": "frame" });
  const label = h("span", { id: "epoch-label", class: "epoch-label" });
  const [speed, speedLabel] = select("speed", "Speed",
    SPEEDS.map(([name, ms]) => [String(ms), name]), "120");
  const [decimalsSelect, decimalsLabel] = select("decimals", "Decimals",
    choices.map((d) => [d, d]), decimals);
  const present = h("button", { id: "present", type: "button", "aria-pressed": "false",
    title: "larger text, for a projector" }, "Presentation");
  const settings = [speedLabel, ...(choices.length > 1 ? [decimalsLabel] : []), present];
  const controls = h("div", { class: "controls" }, play, slider, label,
    h("span", { class: "show" }, radio("w", "weights", true), radio("g", "gradients", false)),
    h("span", { class: "settings" }, ...settings));

  const canvas = h("canvas", { id: "boundary", width: String(PLOT), height: String(PLOT) });
  const stats = h("div", { id: "stats", class: "stats" });
  const classKey = h("div", { class: "keys" },
    ...D.colours.slice(0, D.oneOutput ? 2 : D.nClasses).map((c, i) => swatch(c, "class " + i)));
  const networkTitle = h("h2", { id: "network-title" }, "Network: weights");
  const lossSvg = document.createElementNS(SVGNS, "svg");
  lossSvg.id = "loss";
  lossSvg.setAttribute("viewBox", "0 0 360 220");
  lossSvg.setAttribute("role", "img");
  lossSvg.setAttribute("aria-label", "training loss so far");

  const boundaryPanel = h("div", { class: "panel boundary-panel" },
    h("h2", {}, "Decision boundary"), canvas, stats, classKey,
    h("p", { class: "note" }, "Background: the class the model predicts there (white is the " +
      "boundary, paler is less sure). Dots: the training points in their true colours; a red " +
      "ring marks a point the model gets wrong."));
  const networkPanel = h("div", { class: "panel network-panel" }, networkTitle);
  networkBox.replaceWith(networkPanel);
  networkPanel.append(networkBox,
    h("div", { class: "keys" }, swatch(D.positive, "positive"), swatch(D.negative, "negative")),
    h("p", { class: "note" }, "One line per weight, its colour the sign, its width |w| (or " +
      "|dL/dw|) relative to the largest in this frame. Grey units are dead relus, " +
      "red-bordered ones saturated, on the training points."));
  const lossPanel = h("div", { class: "panel loss-panel" },
    h("h2", {}, "Training loss so far"), lossSvg,
    h("p", { class: "note" }, "Loss of each epoch as training measured it."));
  root.append(controls, h("div", { class: "panels" }, boundaryPanel, networkPanel, lossPanel));

  // ---- the boundary ---------------------------------------------------------------------
  const ctx = canvas.getContext("2d");
  const grids = frames.map((f) => Uint8Array.from(atob(f.grid), (ch) => ch.charCodeAt(0)));
  const edges = D.edges.map((id) => byId(id));
  const neurons = D.neurons.map((id) => byId(id));
  let showing = "w";
  let current = 0;

  function hex(c) { return [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)); }
  const rgbs = D.colours.map(hex);

  function cellColour(v) {
    // one output: 0..255 from sure class 0 through white (the boundary) to sure class 1
    if (D.oneOutput) {
      const t = v / 127.5 - 1, c = t < 0 ? rgbs[0] : rgbs[1], a = Math.min(1, Math.abs(t)) * 0.8;
      return c.map((x) => Math.round(255 + (x - 255) * a));
    }
    return rgbs[v % rgbs.length].map((x) => Math.round(255 + (x - 255) * 0.45));
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
    const W = canvas.width, H = canvas.height, u = W / PLOT;
    ctx.imageSmoothingEnabled = true;
    // cell centres sit on the grid points, so the image spans half a cell beyond the bounds
    const half = W / (n - 1) / 2;
    ctx.drawImage(off, -half, -half, W + 2 * half, H + 2 * half);
    const [x0min, x0max, x1min, x1max] = D.bounds;
    const at = ([a, b]) => [(a - x0min) / (x0max - x0min) * W,
      H - (b - x1min) / (x1max - x1min) * H];
    const frame = frames[k];
    // a point's class is told by its shape as well as its colour (matplotlib's marker codes,
    // as nn.plots draws them): circle, square, triangles, diamond, plus, cross, star
    function marker(code, x, y, r) {
      const poly = (pts) => { ctx.moveTo(x + pts[0][0] * r, y + pts[0][1] * r);
        pts.slice(1).forEach(([a, b]) => ctx.lineTo(x + a * r, y + b * r)); ctx.closePath(); };
      const star = (n, inner) => poly(Array.from({length: 2 * n}, (_, j) => {
        const t = Math.PI * j / n - Math.PI / 2, q = j % 2 ? inner : 1;
        return [q * Math.cos(t), q * Math.sin(t)]; }));
      ctx.beginPath();
      if (code === "s") poly([[-0.85, -0.85], [0.85, -0.85], [0.85, 0.85], [-0.85, 0.85]]);
      else if (code === "^") poly([[0, -1.15], [1, 0.75], [-1, 0.75]]);
      else if (code === "v") poly([[0, 1.15], [1, -0.75], [-1, -0.75]]);
      else if (code === "<") poly([[-1.15, 0], [0.75, -1], [0.75, 1]]);
      else if (code === ">") poly([[1.15, 0], [-0.75, -1], [-0.75, 1]]);
      else if (code === "D") poly([[0, -1.2], [1, 0], [0, 1.2], [-1, 0]]);
      else if (code === "P") poly([[-0.35, -1], [0.35, -1], [0.35, -0.35], [1, -0.35], [1, 0.35],
        [0.35, 0.35], [0.35, 1], [-0.35, 1], [-0.35, 0.35], [-1, 0.35], [-1, -0.35],
        [-0.35, -0.35]]);
      else if (code === "X") star(4, 0.45);
      else if (code === "*") star(5, 0.45);
      else ctx.arc(x, y, r, 0, 2 * Math.PI);
    }
    D.points.forEach((point, i) => {
      const [px, py] = at(point);
      const c = D.labels[i];
      marker(D.markers[c % D.markers.length], px, py, 4.5 * u);
      ctx.fillStyle = D.colours[c % D.colours.length]; ctx.fill();
      ctx.lineWidth = u; ctx.strokeStyle = "#222"; ctx.stroke();
    });
    frame.wrong.forEach((i) => {
      const [px, py] = at(D.points[i]);
      ctx.beginPath(); ctx.arc(px, py, 7.5 * u, 0, 2 * Math.PI);
      ctx.lineWidth = 2 * u; ctx.strokeStyle = "#d62728"; ctx.stroke();
    });
    const loss = frame.loss === null ? "\u2014" : pick(frame.lossText);
    stats.textContent = "loss " + loss + "   accuracy " + pick(frame.accuracyText);
  }

  // ---- the network: one diagram, recoloured per frame ------------------------------------
  function setTitle(group, text) {
    const a = group && group.querySelector("a");
    if (a) a.setAttributeNS(XLINK, "title", text);
  }

  function drawNetwork(k) {
    const f = frames[k], weights = showing === "w";
    const ws = weights ? f.w : f.g, bs = weights ? f.b : f.gb, texts = weights ? f.bt : f.gbt;
    const largest = Math.max(0, ...ws.map(Math.abs));
    edges.forEach((g, e) => {
      if (!g) return;
      const v = ws[e], share = largest > 0 ? Math.abs(v) / largest : 0;
      const path = g.querySelector("path");
      path.setAttribute("stroke", v > 0 ? D.positive : v < 0 ? D.negative : D.zero);
      path.setAttribute("stroke-opacity", (D.minOpacity + (1 - D.minOpacity) * share).toFixed(3));
      const width = D.minWidth + (D.maxWidth - D.minWidth) * share;
      path.setAttribute("stroke-width", width.toFixed(2));
      setTitle(g, D.edges[e] + ": " + (weights ? "w = " : "dL/dw = ") + v);
    });
    const name = weights ? "b " : "dL/db ";
    neurons.forEach((g, j) => {
      if (!g) return;
      const labels = g.querySelectorAll("text"), shape = g.querySelector("ellipse, polygon");
      if (labels.length > 1) labels[labels.length - 1].textContent = name + pick(texts)[j];
      const s = f.status[j];
      shape.setAttribute("fill", s === "d" ? "#cfcfcf" : "white");
      shape.setAttribute("stroke", s === "s" ? "#d62728" : "#555555");
      shape.setAttribute("stroke-width", s === "s" ? "3" : "1");
      const state = s === "d" ? "; dead" : s === "s" ? "; saturated" : "";
      setTitle(g, D.neurons[j] + ": " + name.trim() + " = " + bs[j] + state);
    });
    networkTitle.textContent = "Network: " + (weights ? "weights" : "gradients dL/dw") +
      " (max |" + (weights ? "w" : "dL/dw") + "| = " + pick(weights ? f.maxW : f.maxG) + ")";
  }

  // ---- the loss curve so far ---------------------------------------------------------------
  function drawLoss(k) {
    while (lossSvg.firstChild) lossSvg.removeChild(lossSvg.firstChild);
    const all = frames.filter((f) => f.loss !== null);
    const W = 360, H = 220, L = 46, R = 10, T = 10, B = 30;
    const el = (name, attrs, text) => {
      const e = document.createElementNS(SVGNS, name);
      for (const [key, value] of Object.entries(attrs)) e.setAttribute(key, value);
      if (text !== undefined) e.textContent = text;
      lossSvg.appendChild(e); return e;
    };
    el("rect", { x: L, y: T, width: W - L - R, height: H - T - B, fill: "none", stroke: "#999" });
    if (!all.length) return;
    const losses = all.map((f) => f.loss), positive = losses.filter((v) => v > 0);
    const log = positive.length > 0 && Math.max(...positive) > 100 * Math.min(...positive);
    const tr = (v) => (log ? Math.log10(Math.max(v, Math.min(...positive))) : v);
    let lo = Math.min(...losses.map(tr)), hi = Math.max(...losses.map(tr));
    if (!log) lo = Math.min(lo, 0);
    if (hi === lo) hi = lo + 1;
    const e0 = frames[0].epoch, e1 = frames[lastFrame].epoch || 1;
    const x = (e) => L + (e - e0) / Math.max(1, e1 - e0) * (W - L - R);
    const y = (v) => T + (hi - tr(v)) / (hi - lo) * (H - T - B);
    const fmt = (v) => (log ? Math.pow(10, v).toPrecision(2) : v.toPrecision(2));
    el("text", { x: L - 4, y: T + 8, "text-anchor": "end", "font-size": 12 }, fmt(hi));
    el("text", { x: L - 4, y: H - B, "text-anchor": "end", "font-size": 12 }, fmt(lo));
    el("text", { x: L, y: H - 10, "font-size": 12 }, "epoch " + e0);
    el("text", { x: W - R, y: H - 10, "text-anchor": "end", "font-size": 12 }, "epoch " + e1);
    if (log) {
      el("text", { x: W - R - 4, y: T + 16, "text-anchor": "end", "font-size": 12,
        fill: "#555" }, "log scale");
    }
    const shown = frames.slice(0, k + 1).filter((f) => f.loss !== null);
    if (shown.length) {
      const points = shown.map((f) => x(f.epoch) + "," + y(f.loss)).join(" ");
      el("polyline", { id: "loss-so-far", points, fill: "none", stroke: D.positive,
        "stroke-width": 2 });
      const end = shown[shown.length - 1];
      el("circle", { cx: x(end.epoch), cy: y(end.loss), r: 3.5, fill: D.negative });
    }
  }

  // ---- one state: the frame shown ----------------------------------------------------------
  function show(k) {
    current = Math.max(0, Math.min(lastFrame, k));
    slider.value = String(current);
    label.textContent = "epoch " + frames[current].epoch + " / " + frames[lastFrame].epoch;
    drawBoundary(current); drawNetwork(current); drawLoss(current);
  }

  // The canvas drawn at the size it is shown (times the screen's pixel density): sharp dots.
  function layout() {
    const size = Math.round(canvas.getBoundingClientRect().width * (window.devicePixelRatio || 1));
    if (size > 0 && size !== canvas.width) {
      canvas.width = size; canvas.height = size;
      drawBoundary(current);
    }
  }

  let timer = null;
  function stop() { clearInterval(timer); timer = null; play.textContent = "Play"; }
  function start() {
    timer = setInterval(() => {
      if (current >= lastFrame) stop(); else show(current + 1);
    }, Number(speed.value));
  }

  // ---- every control bound in one place --------------------------------------------------
  play.addEventListener("click", () => {
    if (timer) { stop(); return; }
    if (current === lastFrame) show(0);
    play.textContent = "Pause";
    start();
  });
  speed.addEventListener("change", () => { if (timer) { clearInterval(timer); start(); } });
  decimalsSelect.addEventListener("change", () => { decimals = decimalsSelect.value; show(current); });
  present.addEventListener("click", () => {
    const on = root.classList.toggle("presenting");
    present.setAttribute("aria-pressed", String(on));
    layout();
  });
  slider.addEventListener("input", () => { stop(); show(Number(slider.value)); });
  root.querySelectorAll("input[name=show]").forEach((r) =>
    r.addEventListener("change", () => { showing = r.value; show(current); }));
  window.addEventListener("resize", layout);

  // Clicker keys (PageDown / PageUp, Space) as well as the arrows, Home and End. The slider's
  // own keys are the same moves, but PageUp / PageDown jump there: ours step by one frame.
  const usesKeys = (t) => t !== slider && (t instanceof HTMLInputElement ||
    t instanceof HTMLSelectElement || t instanceof HTMLTextAreaElement ||
    (t instanceof HTMLElement && t.isContentEditable));
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || usesKeys(event.target)) return;
    if (event.key === " " && event.target instanceof HTMLButtonElement) return;  // presses it
    const back = event.key === " " && event.shiftKey;
    const moves = {
      ArrowRight: current + 1, ArrowLeft: current - 1, PageDown: current + 1,
      PageUp: current - 1, " ": back ? current - 1 : current + 1, Home: 0, End: lastFrame,
    };
    if (!(event.key in moves)) return;
    event.preventDefault();  // no scrolling
    stop();
    show(moves[event.key]);
  });

  show(0);
  layout();
}
