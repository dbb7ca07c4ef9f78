// The step-through page of one backward pass, one chain-rule step at a time.
//
// autograd/steps_html.py pastes this module into the static page it saves; the live lab
// serves the same file and calls mountSteps on data from its server. Python computes every
// number and every sentence (in each decimal form offered); this module only chooses which to
// show and where. It never computes a gradient.
//
//   mountSteps(data, root)
//
// root: an element holding the graph's SVG (drawn by draw_dot) in a child of class
// "steps-graph"; when data.svg is a string it is put there first. The controls, the sentence,
// the table of grads and the printable list of every step are built inside root.
//
// data (see save_steps_html): {root, root_name, decimals: [2, 4], shown_decimals: 4,
// drawn_decimals: 4, zero, one, nodes: [{id, name, op, data, grad}], steps: [{node, parent,
// edge, sentence, received, fan_out, grad, local}]}. A number or a sentence is a "form": an
// object {"2": text, "4": text} with one text per decimals, or a plain string (one form only).

const SPEEDS = [["slow", 2500], ["normal", 1400], ["fast", 700], ["very fast", 300]];
const GRAPH_TEXT = 11;  // draw_dot's node text size, in units of the SVG's viewBox, if unsaid
const ZOOM_TEXT = { normal: 16, presenting: 22 };  // px: zoomed in, text this size
const MAX_TEXT = { normal: 26, presenting: 34 };  // px: a tiny graph, fitted, grows no larger
const MEASURED_SENTENCES = 6;  // the longest few sentences decide the room kept for one

export function mountSteps(data, root) {
  const nodes = data.nodes;
  const steps = data.steps;
  const last = steps.length;
  const choices = (data.decimals || []).map(String);
  let decimals = String(data.shown_decimals ?? choices[choices.length - 1] ?? "");
  const drawn = String(data.drawn_decimals ?? decimals);
  const pick = (form) => (typeof form === "string" ? form : form[decimals]);

  const graph = root.querySelector(".steps-graph");
  if (typeof data.svg === "string") graph.innerHTML = data.svg;  // from our own server: dot's SVG
  const svg = graph.querySelector("svg");
  const box = svg ? svg.viewBox.baseVal : null;
  const nodeText = svg && svg.querySelector("g.node text");  // its size sets the zoom's scale
  const graphText = parseFloat(nodeText && nodeText.getAttribute("font-size")) || GRAPH_TEXT;
  const byId = (id) => root.querySelector("#" + CSS.escape(id));

  // ---- the controls, the sentence, the legend, the final table, the handout list ----------
  const el = {};
  el.prev = button("prev", "previous step (Left arrow or PageUp)", "Prev", "\u2190 ", "");
  el.next = button("next", "next step (Right arrow, PageDown or Space)", "Next", "", " \u2192");
  el.play = button("play", "step automatically", "Play", "", "");
  el.counter = h("span", { id: "counter", class: "counter" });
  el.speed = select("speed", "Speed", SPEEDS.map(([name, ms]) => [String(ms), name]), "1400");
  el.decimals = select("decimals", "Decimals", choices.map((d) => [d, d]), decimals);
  el.present = button("present", "larger text, for a projector", "Presentation", "", "");
  el.present.setAttribute("aria-pressed", "false");
  el.zoom = button("zoom", "zoom in on the current step, or fit the whole picture", "Zoom in",
    "", "");
  el.sentence = h("div", { id: "sentence", class: "sentence", "aria-live": "polite" });
  el.fanout = h("div", { id: "fanout", class: "fanout" });
  const settings = [el.speed.parentNode, el.present, el.zoom];
  if (choices.length > 1) settings.splice(1, 0, el.decimals.parentNode);
  el.panel = h("div", { id: "panel", class: "steps-panel" },
    h("div", { id: "controls", class: "controls" },
      el.prev, el.next, el.play, el.counter,
      h("span", { class: "settings" }, ...settings)),
    el.sentence,
    el.fanout,
    h("div", { id: "legend", class: "legend" },
      legendItem("edge", "edge being applied: parent.grad += upstream \u00d7 local"),
      legendItem("send", "sends its gradient back (upstream)"),
      legendItem("recv", "receives the contribution (running sum)"),
      h("span", { id: "hint", class: "hint" },
        "keys: \u2190 \u2192, PageUp / PageDown or Space step; Home / End jump")));
  el.tbody = h("tbody");
  el.done = h("div", { id: "done", class: "done", hidden: true },
    h("h2", {}, "Every gradient of " + data.root_name + ", after the last step"),
    h("table", { id: "grads" },
      h("thead", {}, h("tr", {},
        h("th", { class: "name" }, "Value"), h("th", { class: "op" }, "op"),
        h("th", {}, "data"), h("th", { id: "grad-head" }, "grad"))),
      el.tbody));
  el.handoutList = h("ol", { id: "handout-steps" });
  el.handout = h("section", { id: "handout", class: "handout" },
    h("h2", {}, "The backward pass, step by step"),
    h("p", {}, forwardSentence(false)), el.handoutList);
  root.append(el.panel, el.handout, el.done);

  function h(tag, attrs = {}, ...children) {
    const e = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === true) e.setAttribute(key, "");
      else if (value !== false && value != null) e.setAttribute(key, value);
    }
    e.append(...children);  // strings become text nodes: labels are user text, never markup
    return e;
  }

  // A button whose accessible name is exactly `name`: the arrows are decoration, hidden from
  // screen readers (the lab's contract names the buttons "Prev", "Next", "Play").
  function button(id, title, name, before, after) {
    const parts = [];
    if (before) parts.push(h("span", { class: "arrow", "aria-hidden": "true" }, before));
    parts.push(h("span", { class: "name" }, name));
    if (after) parts.push(h("span", { class: "arrow", "aria-hidden": "true" }, after));
    return h("button", { id, type: "button", title }, ...parts);
  }

  function select(id, label, options, chosen) {
    const s = h("select", { id },
      ...options.map(([value, text]) => h("option", { value, selected: value === chosen }, text)));
    h("label", { class: "setting" }, label + " ", s);
    return s;
  }

  function legendItem(kind, text) {
    return h("span", {}, h("span", { class: "swatch " + kind }), text);
  }

  function setName(b, name) { b.querySelector(".name").textContent = name; }

  function forwardSentence(onScreen = true) {
    const r = data.root_name;
    return "Forward pass: each box shows its value. The backward pass starts at " + r +
      " (" + r + ".grad = 1) and applies the chain rule along one edge per step" +
      (onScreen ? ". Press Next." : ":");
  }

  // ---- the picture's texts, found once --------------------------------------------------
  // In each Value's box: the data text and the grad text (the last that starts with "grad ").
  function boxText(node, prefix) {
    const g = byId(node.id);
    if (!g) return null;
    const texts = Array.from(g.querySelectorAll("text"))
      .filter((t) => t.textContent.startsWith(prefix));
    return texts.length ? texts[texts.length - 1] : null;
  }
  const gradText = nodes.map((node) => boxText(node, "grad "));
  const dataText = nodes.map((node) => boxText(node, "data "));
  // Each edge's label holds its local derivative as drawn (drawn_decimals); keep the original.
  const edgeTexts = steps.map((step) => {
    const g = byId(step.edge);
    return g ? Array.from(g.querySelectorAll("text")).map((t) => [t, t.textContent]) : [];
  });

  // how many contributions each node receives in all, to mark a grad as final
  const fanOut = nodes.map(() => 0);
  steps.forEach((s) => { fanOut[s.parent] = s.fan_out; });

  // the table of every grad, rows from the output back to the inputs
  const rows = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i];
    const cells = [[node.name, "name"], [node.op || "leaf", "op"], ["", "num data"],
      ["", "num grad"]].map(([text, cls]) => h("td", { class: cls }, text));
    const tr = h("tr", {}, ...cells);
    tr.dataset.node = node.id;
    el.tbody.append(tr);
    rows.push([i, cells[2], cells[3]]);
  }
  const handoutItems = steps.map(() => h("li"));
  el.handoutList.append(...handoutItems);

  // Every text that depends only on the decimals chosen (show() draws the rest).
  function showNumbers() {
    nodes.forEach((node, i) => {
      if (dataText[i]) dataText[i].textContent = "data " + pick(node.data);
    });
    steps.forEach((step, j) => {
      if (!step.local || typeof step.local === "string") return;
      const drawnForm = step.local[drawn];
      for (const [t, original] of edgeTexts[j]) {
        t.textContent = original.split(drawnForm).join(pick(step.local));
      }
    });
    for (const [i, dataCell, gradCell] of rows) {
      dataCell.textContent = pick(nodes[i].data);
      gradCell.textContent = pick(nodes[i].grad);
    }
    steps.forEach((step, j) => { handoutItems[j].textContent = pick(step.sentence); });
  }

  // ---- one state: which step is shown ---------------------------------------------------
  let state = 0;  // 0: the forward values; k: after the first k chain-rule steps
  let timer = null;
  let zoomed = false;

  function clearHighlights() {
    for (const cls of ["hl-edge", "hl-recv", "hl-send", "hl-op"]) {
      root.querySelectorAll("." + cls).forEach((e) => e.classList.remove(cls));
    }
  }

  function mark(id, cls) {
    const e = byId(id);
    if (e) e.classList.add(cls);
    return e;
  }

  function show(s) {
    state = Math.max(0, Math.min(last, s));
    clearHighlights();
    // this pass's running sums after `state` steps: every grad starts at 0, the root's at 1
    const grads = nodes.map(() => pick(data.zero));
    const received = nodes.map(() => 0);
    grads[data.root] = pick(data.one);
    for (let j = 0; j < state; j++) {
      grads[steps[j].parent] = pick(steps[j].grad);
      received[steps[j].parent] += 1;
    }
    nodes.forEach((node, i) => {
      const t = gradText[i];
      if (!t) return;
      t.classList.remove("grad-zero", "grad-final");
      if (state === 0) {
        t.textContent = "grad \u2014";  // forward pass: no gradient known yet
        t.classList.add("grad-zero");
        return;
      }
      t.textContent = "grad " + grads[i];
      if (i === data.root || received[i] === fanOut[i]) t.classList.add("grad-final");
      else if (received[i] === 0) t.classList.add("grad-zero");
    });

    if (state === 0) {
      el.counter.textContent = "Forward pass (" + last + " backward steps to go)";
      el.sentence.textContent = forwardSentence();
      el.fanout.textContent = "";
      el.fanout.className = "fanout";
    } else {
      const step = steps[state - 1];
      mark(step.edge, "hl-edge");
      mark(nodes[step.parent].id, "hl-recv");
      mark(nodes[step.node].id, "hl-send");
      mark(nodes[step.node].id + "_op", "hl-op");
      el.counter.textContent = "Step " + state + " of " + last;
      el.sentence.textContent = pick(step.sentence);
      const noun = step.fan_out === 1 ? " contribution" : " contributions";
      const complete = step.received === step.fan_out;
      el.fanout.textContent = nodes[step.parent].name + ": " + step.received + " of " +
        step.fan_out + noun + " received" + (complete ? " \u2014 its gradient is final" : "");
      el.fanout.className = complete ? "fanout complete" : "fanout";
      follow(byId(step.edge));
    }
    el.done.hidden = state !== last;
    el.prev.disabled = state === 0;
    el.next.disabled = state === last;
  }

  // ---- the picture's size: all of it in the window, or zoomed in on the step ------------
  function mode() { return root.classList.contains("presenting") ? "presenting" : "normal"; }

  // The room a sentence needs: as tall as the tallest of the longest few, so the panel keeps
  // its height from step to step (and the picture above it never jumps).
  function reserveSentenceRoom() {
    const texts = [forwardSentence(), ...steps.map((s) => pick(s.sentence))]
      .sort((a, b) => b.length - a.length).slice(0, MEASURED_SENTENCES);
    const shown = el.sentence.textContent;
    el.sentence.style.minHeight = "";
    let tallest = 0;
    for (const text of texts) {
      el.sentence.textContent = text;
      tallest = Math.max(tallest, el.sentence.getBoundingClientRect().height);
    }
    el.sentence.textContent = shown;
    el.sentence.style.minHeight = tallest + "px";
  }

  function layout() {
    if (!svg || !box || !(box.width > 0 && box.height > 0)) return;
    reserveSentenceRoom();
    graph.style.maxHeight = "";
    svg.style.width = "";
    svg.style.height = "";
    // the height left for the picture: the window, less what is above it and the panel below
    const top = graph.getBoundingClientRect().top + window.scrollY;
    const panel = el.panel.getBoundingClientRect().height;
    const gap = parseFloat(getComputedStyle(el.panel).marginTop) +
      parseFloat(getComputedStyle(document.body).paddingBottom);
    const border = graph.offsetHeight - graph.clientHeight;
    const room = Math.max(80, window.innerHeight - top - panel - gap - border - 1);
    let scale;
    if (zoomed) {
      scale = ZOOM_TEXT[mode()] / graphText;
      graph.style.maxHeight = room + "px";
    } else {
      scale = Math.min(graph.clientWidth / box.width, room / box.height,
        MAX_TEXT[mode()] / graphText);
    }
    svg.style.width = box.width * scale + "px";
    svg.style.height = box.height * scale + "px";
  }

  // Zoomed in, the picture is larger than its frame: scroll the current edge to the middle.
  function follow(target) {
    if (!target || !zoomed) return;
    const r = target.getBoundingClientRect();
    const c = graph.getBoundingClientRect();
    graph.scrollTo({
      left: graph.scrollLeft + (r.left + r.width / 2) - (c.left + c.width / 2),
      top: graph.scrollTop + (r.top + r.height / 2) - (c.top + c.height / 2),
      behavior: "smooth",
    });
  }

  function setZoomed(on) {
    zoomed = on;
    graph.classList.toggle("zoomed", on);
    setName(el.zoom, on ? "Fit to window" : "Zoom in");
    layout();
    show(state);
  }

  // ---- playing -----------------------------------------------------------------------------
  function stop() {
    if (timer !== null) clearInterval(timer);
    timer = null;
    setName(el.play, "Play");
  }

  function start() {
    timer = setInterval(() => {
      show(state + 1);
      if (state === last) stop();
    }, Number(el.speed.value));
  }

  function play() {
    if (timer !== null) { stop(); return; }
    if (state === last) show(0);
    setName(el.play, "Pause");
    start();
  }

  // ---- every control bound in one place --------------------------------------------------
  el.prev.addEventListener("click", () => { stop(); show(state - 1); });
  el.next.addEventListener("click", () => { stop(); show(state + 1); });
  el.play.addEventListener("click", play);
  el.speed.addEventListener("change", () => {
    if (timer !== null) { clearInterval(timer); start(); }
  });
  el.decimals.addEventListener("change", () => {
    decimals = el.decimals.value;
    showNumbers();
    show(state);
    layout();
  });
  el.present.addEventListener("click", () => {
    const on = root.classList.toggle("presenting");
    el.present.setAttribute("aria-pressed", String(on));
    layout();
  });
  el.zoom.addEventListener("click", () => setZoomed(!zoomed));
  window.addEventListener("resize", layout);

  // Clicker keys: a presenter's remote sends PageDown / PageUp; Space as in slides.
  const usesKeys = (t) => t instanceof HTMLInputElement || t instanceof HTMLSelectElement ||
    t instanceof HTMLTextAreaElement || (t instanceof HTMLElement && t.isContentEditable);
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || usesKeys(event.target)) return;
    if (event.key === " " && event.target instanceof HTMLButtonElement) return;  // presses it
    const forward = event.key === " " ? !event.shiftKey : null;
    const moves = {
      ArrowRight: state + 1, ArrowLeft: state - 1, PageDown: state + 1, PageUp: state - 1,
      " ": forward ? state + 1 : state - 1, Home: 0, End: last,
    };
    if (!(event.key in moves)) return;
    event.preventDefault();  // no scrolling
    stop();
    show(moves[event.key]);
  });

  showNumbers();
  show(0);
  layout();
}
