// The formula lab of `chainrule serve`: type a formula, drag a number, watch every gradient.
//
// One state object (below); every view is a function of it (renderError, renderInputs,
// renderGraph, renderPaths, renderHighlight); every control is bound in one place (bind).
// The server is the only source of numbers: this module asks /api/explain and /api/paths and
// shows what they answer, in the texts the server wrote (each in 2 and 4 decimals). It never
// computes a gradient.
//
// The graph is laid out by dot on the server once per structure; after that an answer only
// changes numbers, which the step-through under the graph (autograd's steps.js, the module the
// static page inlines) writes into the same SVG by its stable ids (n3, e3_0): view.update. The
// SVG element is replaced only when the answer's `layout` key changes.
//
// Requests: one in flight per kind. A slider sends while nothing is in flight; moves made
// meanwhile are merged into one request with the latest values, sent when the answer arrives.

import { h, mountSteps } from "./steps.js";

const DEFAULT = {
  formula: "o = tanh(x1*w1 + x2*w2 + b)",
  values: { x1: 2, x2: 0, w1: -3, w2: 1, b: 6.8813735870195432 },
};
const POINTER_WIDTH = 80;  // characters of the formula shown around an error's caret
const SLIDER_STEPS = 200;  // positions of a slider across its range

// ---- the one state ---------------------------------------------------------------------------
const state = {
  formula: "",        // the text last submitted (Enter)
  values: {},         // name -> number: every name given a value (the server takes its formula's)
  result: null,       // the last good answer of /api/explain (the graph shown)
  error: null,        // {message, column, formula} of the last refused request, or null
  quiz: false,        // the step-through asks each step before showing it
  leaf: "",           // the input whose paths are listed ("" for none)
  paths: null,        // the answer of /api/paths for it, or {error}
  hovered: -1,        // the path under the pointer or focused (-1: none)
  ranges: {},         // name -> [min, max] of its slider, kept while it is dragged
  answers: 0,         // answers shown so far (tests and the benchmark wait on it)
};

const el = {
  form: document.getElementById("formula-form"),
  formula: document.getElementById("formula"),
  error: document.getElementById("formula-error"),
  where: document.getElementById("formula-where"),
  message: document.getElementById("formula-message"),
  rows: document.getElementById("input-rows"),
  leaf: document.getElementById("path-leaf"),
  pathList: document.getElementById("path-list"),
  pathSum: document.getElementById("path-sum"),
  quiz: document.getElementById("quiz"),
  stale: document.getElementById("stale-note"),
  steps: document.getElementById("steps"),
  graph: document.getElementById("graph"),
};

// ---- talking to the server -------------------------------------------------------------------
async function call(path, body) {
  try {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    let data;
    try {
      data = await response.json();
    } catch {
      data = { error: "the lab's server gave an answer that is not JSON (" + response.status + ")" };
    }
    return { ok: response.ok, status: response.status, data };
  } catch {
    return { ok: false, status: 0,
      data: { error: "the lab's server does not answer: is chainrule serve still running?" } };
  }
}

// One request of a kind in flight; while it is, further asks are merged into one, whose body is
// made from the state when it is sent (so it carries the latest formula and values).
// The body's data-NAME attribute says "busy" while one is in flight, "idle" after the last
// answer has been shown (tests wait for it).
function channel(name, path, makeBody, onAnswer) {
  let busy = false;
  let again = false;
  document.body.dataset[name] = "idle";
  return async function ask() {
    if (busy) { again = true; return; }
    busy = true;
    document.body.dataset[name] = "busy";
    try {
      do {
        again = false;
        const body = makeBody();
        onAnswer(body, await call(path, body));
      } while (again);
    } finally {
      busy = false;
      document.body.dataset[name] = "idle";
    }
  };
}

const explainRequest = () => ({ formula: state.formula, values: state.values, fill_missing: true });
// (with the layout the page shows: an answer of the same layout comes without its SVG)
const explainAsk = () => ({ ...explainRequest(), ...(mounted ? { layout: mounted.layout } : {}) });

const askExplain = channel("explain", "/api/explain", explainAsk, (body, answer) => {
  if (answer.ok) {
    state.result = answer.data;
    state.error = null;
    // names new to the page take the server's value (1 for a name just typed); the others
    // keep the page's own, which may be newer than this answer (a slider still moving)
    for (const input of answer.data.inputs) {
      if (!(input.name in state.values)) state.values[input.name] = input.value;
    }
    const names = answer.data.inputs.map((input) => input.name);
    if (state.leaf && !names.includes(state.leaf)) state.leaf = "";
    if (!state.leaf) state.paths = null;
    saveToAddress();
  } else {
    state.error = { message: answer.data.error || "the request was refused",
      column: Number.isInteger(answer.data.column) ? answer.data.column : null,
      formula: body.formula };
  }
  render();
  if (answer.ok && state.leaf) askPaths();
  state.answers += 1;
  document.body.dataset.answers = String(state.answers);
});

const askPaths = channel("paths", "/api/paths", () => ({ ...explainRequest(), leaf: state.leaf }),
  (body, answer) => {
    if (body.leaf !== state.leaf) return;  // another input was chosen meanwhile
    state.paths = answer.ok ? answer.data : { error: answer.data.error };
    renderPaths();
  });

// ---- the address: the formula and values, so a page can be bookmarked or shared ------------
function saveToAddress() {
  const params = new URLSearchParams({ f: state.formula });
  for (const input of state.result.inputs) params.set("v." + input.name, String(input.value));
  // (the answer's values: the address always names a graph the server drew)
  history.replaceState(null, "", "#" + params.toString());
}

function loadFromAddress() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (!params.has("f")) return { formula: DEFAULT.formula, values: { ...DEFAULT.values } };
  const values = {};
  for (const [key, text] of params) {
    const x = Number(text);
    if (key.startsWith("v.") && text.trim() !== "" && Number.isFinite(x)) values[key.slice(2)] = x;
  }
  return { formula: params.get("f"), values };
}

// ---- the views -------------------------------------------------------------------------------
function render() {
  renderError();
  renderInputs();
  renderGraph();
  renderPaths();
}

// The error under the formula box: the formula, a caret under the column, the message.
function renderError() {
  const error = state.error;
  el.error.hidden = !error;
  el.formula.setAttribute("aria-invalid", String(Boolean(error)));
  el.stale.hidden = !(error && state.result);
  el.steps.classList.toggle("stale", Boolean(error && state.result));
  if (!error) return;
  el.message.textContent = error.message;
  const text = error.formula || "";
  if (error.column === null || !text) {
    el.where.textContent = "";
    el.where.hidden = true;
  } else {
    const column = Math.min(error.column, text.length);
    const start = Math.max(0, Math.min(column - POINTER_WIDTH / 2, text.length - POINTER_WIDTH));
    const prefix = start > 0 ? "..." : "";
    const shown = prefix + text.slice(start, start + POINTER_WIDTH) +
      (start + POINTER_WIDTH < text.length ? "..." : "");
    el.where.textContent = shown + "\n" + " ".repeat(prefix.length + column - start) + "^";
    el.where.hidden = false;
  }
  el.stale.textContent = "The graph shows the last formula that worked: fix this one, or " +
    "its numbers, to update it.";
}

// A number field and a slider for each input of the formula shown.
let rowsFor = null;  // the names the rows were made for
const rowOf = {};    // name -> {number, slider}

function renderInputs() {
  if (!state.result) return;
  const names = state.result.inputs.map((input) => input.name);
  if (rowsFor === null || names.join("\n") !== rowsFor.join("\n")) {
    el.rows.replaceChildren(...names.map(makeRow));
    rowsFor = names;
  }
  if (!names.length) {
    el.rows.replaceChildren(h("p", { class: "lab-hint" }, "This formula has no names to vary."));
  }
  for (const name of names) {
    const { number, slider } = rowOf[name];
    const x = state.values[name];
    const typing = document.activeElement === number;  // (its text is the user's, even "-")
    if (!typing && (Number(number.value) !== x || number.value.trim() === "")) {
      number.value = String(x);
    }
    placeSlider(name, slider, x);
  }
}

function makeRow(name, i) {
  const number = h("input", { id: "value-" + i, type: "number", step: "any",
    inputmode: "decimal", class: "input-number" });
  const slider = h("input", { id: "slider-" + i, type: "range", class: "input-slider",
    "aria-label": name + " slider" });
  number.addEventListener("input", () => {
    const x = Number(number.value);
    if (number.value.trim() === "" || !Number.isFinite(x)) return;
    setValue(name, x);
  });
  slider.addEventListener("input", () => {
    const x = Number(Number(slider.value).toPrecision(6));  // no 0.30000000000000004
    number.value = String(x);
    setValue(name, x, true);
  });
  rowOf[name] = { number, slider };
  return h("div", { class: "input-row" },
    h("label", { for: "value-" + i, class: "input-name" }, name), number, slider);
}

// A slider's range: around the value, a width that is a round number; kept while the value is
// inside it (so a dragged slider does not move under the hand).
function placeSlider(name, slider, x) {
  let range = state.ranges[name];
  if (!range || x < range[0] || x > range[1]) {
    const half = roundUp(Math.max(2, Math.abs(x)));
    const low = Math.floor((x - half) / half) * half;
    range = state.ranges[name] = [low, low + 3 * half];
  }
  const [low, high] = range;
  const step = String((high - low) / SLIDER_STEPS);
  if (slider.min !== String(low)) slider.min = String(low);  // (only what changed: a page of
  if (slider.max !== String(high)) slider.max = String(high);  // a hundred sliders is redrawn
  if (slider.step !== step) slider.step = step;  // at every answer)
  if (document.activeElement !== slider && Number(slider.value) !== x) slider.value = String(x);
}

function roundUp(x) {  // 1, 2 or 5 times a power of ten, at least x
  const ten = 10 ** Math.floor(Math.log10(x));
  return [1, 2, 5, 10].map((m) => m * ten).find((m) => m >= x);
}

function setValue(name, x, fromSlider = false) {
  state.values[name] = x;
  if (!fromSlider) placeSlider(name, rowOf[name].slider, x);
  askExplain();
}

// The graph and the step-through under it: mounted anew for a new layout (or when the quiz
// is switched), keeping the reader's settings; for a new answer of the same layout, its numbers
// go to the view shown (update: the same step, in the same SVG; a quiz starts again on new
// numbers). mounted: {layout, quiz, data: the answer's page data shown, view: mountSteps's}
let mounted = null;

function renderGraph() {
  const result = state.result;
  if (!result) return;
  if (result.svg === null && (!mounted || mounted.layout !== result.layout)) {
    // (cannot happen: an answer leaves the SVG out only for the layout the page shows) ask
    // again, for the picture
    if (mounted) mounted.view.destroy();
    mounted = null;
    askExplain();
    return;
  }
  if (!mounted || mounted.layout !== result.layout || mounted.quiz !== state.quiz) {
    remount(result);
  } else if (mounted.data !== result.page) {
    mounted.view.update(result.page);
    mounted.data = result.page;
  }
  renderHighlight();
}

// A plain step-through opens at its last step (every gradient of the pass, the last step's
// sentence); a quiz at the forward pass. The same layout keeps its SVG (destroy leaves it as
// drawn), a new one brings its own, from the lab's own server.
function remount(result) {
  const settings = mounted ? mounted.view.settings() : {};
  const sameLayout = mounted && mounted.layout === result.layout;
  if (mounted) mounted.view.destroy();
  const data = { ...result.page, ...settings, quiz: state.quiz,
    shown_step: state.quiz ? 0 : result.page.steps.length };
  if (!sameLayout) data.svg = result.svg;
  mounted = { layout: result.layout, quiz: state.quiz, data: result.page,
    view: mountSteps(data, el.steps) };
}

// The path view: the chosen input's paths, their products and their sum.
let pathsShown = null;  // the answer the list was made from

function renderPaths() {
  const names = state.result ? state.result.inputs.map((input) => input.name) : [];
  const options = ["", ...names];
  if ([...el.leaf.options].map((o) => o.value).join("\n") !== options.join("\n")) {
    el.leaf.replaceChildren(...options.map((name) =>
      h("option", { value: name }, name || "choose an input")));
  }
  el.leaf.value = state.leaf;
  const paths = state.paths;
  if (!state.leaf || !paths) {
    pathsShown = null;
    el.pathList.replaceChildren();
    el.pathSum.textContent = state.leaf ? "" :
      "Choose an input: each path from it to the output multiplies the local derivatives " +
      "along it, and the products add up to its gradient.";
    return;
  }
  if (paths.error) {
    pathsShown = null;
    el.pathList.replaceChildren();
    el.pathSum.textContent = paths.error;
    return;
  }
  if (pathsShown === paths) return;  // (an explain answer alone changes no path: keep focus)
  pathsShown = paths;
  el.pathList.replaceChildren(...paths.paths.map((path, i) => {
    const item = h("li", { tabindex: "0", class: "path" }, path.sentence);
    item.addEventListener("mouseenter", () => hover(i));
    item.addEventListener("mouseleave", () => hover(-1));
    item.addEventListener("focus", () => hover(i));
    item.addEventListener("blur", () => hover(-1));
    return item;
  }));
  el.pathSum.textContent = paths.summary + " " + paths.saving;
  if (state.hovered >= paths.paths.length) state.hovered = -1;
  renderHighlight();
}

function hover(i) {
  state.hovered = i;
  renderHighlight();
}

// The path under the pointer (or focused), drawn over the graph: its boxes, ops and edges.
function renderHighlight() {
  for (const e of el.graph.querySelectorAll(".path-hl")) e.classList.remove("path-hl");
  el.pathList.querySelectorAll("li").forEach((li, i) => {
    li.classList.toggle("current", i === state.hovered);
    if (i === state.hovered) li.setAttribute("aria-current", "true");
    else li.removeAttribute("aria-current");
  });
  const paths = state.paths;
  if (state.hovered < 0 || !paths || paths.error || !paths.paths[state.hovered]) return;
  const path = paths.paths[state.hovered];
  const ids = [...path.nodes, ...path.edges];
  for (const id of path.nodes.slice(1)) ids.push(id + "_op", id + "_out");
  for (const id of ids) {
    const g = el.graph.querySelector("#" + CSS.escape(id));
    if (g) g.classList.add("path-hl");
  }
}

// ---- every control bound in one place --------------------------------------------------------
function bind() {
  el.form.addEventListener("submit", (event) => {
    event.preventDefault();
    state.formula = el.formula.value;
    askExplain();
  });
  el.leaf.addEventListener("change", () => {
    state.leaf = el.leaf.value;
    state.paths = null;
    state.hovered = -1;
    renderPaths();
    if (state.leaf) askPaths();
  });
  el.quiz.addEventListener("click", () => {
    state.quiz = !state.quiz;
    el.quiz.setAttribute("aria-pressed", String(state.quiz));
    renderGraph();
  });
}


function start() {
  bind();
  const first = loadFromAddress();
  state.formula = first.formula;
  state.values = first.values;
  el.formula.value = first.formula;
  askExplain();
}

start();
