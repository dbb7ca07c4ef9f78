// The step-through page of one backward pass, one chain-rule step at a time.
//
// autograd/steps_html.py pastes this module into the static page it saves; the live lab
// serves the same file and calls mountSteps on data from its server. Python computes every
// number and every sentence (in each decimal form offered); this module only chooses which to
// show and where. It never computes a gradient: in a quiz it compares the number a student
// typed with the engine's.
//
//   const view = mountSteps(data, root);
//   view.update(newData);     // the same graph, new numbers (the lab's slider moved)
//   view.settings();          // the reader's choices, {shown_decimals, presenting}
//   view.destroy();           // before mounting again (a new graph, or the quiz switched)
//
// root: an element holding the graph's SVG (drawn by draw_dot) in a child of class
// "steps-graph"; when data.svg is a string it is put there first. The controls, the sentence,
// the table of grads and the printable list of every step are built inside root.
//
// data (see page_data in steps_html.py): {quiz, root, root_name, start, decimals: [2, 4],
// shown_decimals: 4, drawn_decimals: 4, zero, one, nodes: [{id, name, op, leaf, data, grad,
// value}], steps: [{node, parent, edge, sentence, received, fan_out, grad, local, upstream,
// contribution, value, rule, question, hint: {upstream, local, upstream_name, local_name}}]}.
// A number or a sentence is a "form": an object {"2": text, "4": text} with one text per
// decimals, or a plain string (one form only). "value" is the engine's number itself.
// Optional, for a page that mounts again: shown_step (the step shown first: 0, the forward
// pass, unless said; a quiz opens no further than its first unanswered step) and presenting
// (true: open in presentation mode); view.settings() gives them back, to mount with.
// The numbers are written from data alone: the picture may have been drawn for other numbers
// of the same graph (the lab lays a formula out once), only its ids and text prefixes count:
// a box's "data " and "grad " texts, an edge's "×" label (or tooltip, for a graph with a fan).
//
// data.quiz: the page asks for each step's contribution before it shows it (see `accepts` for
// the rule an answer is checked by), hints after a wrong answer, and scores; a leaf's final
// gradient can be predicted. Printed, a quiz page is a worksheet without the answers.

const SPEEDS = [["slow", 2500], ["normal", 1400], ["fast", 700], ["very fast", 300]];
const GRAPH_TEXT = 11;  // draw_dot's node text size, in units of the SVG's viewBox, if unsaid
const ZOOM_TEXT = { normal: 16, presenting: 22 };  // px: zoomed in, text this size
const MAX_TEXT = { normal: 26, presenting: 34 };  // px: a tiny graph, fitted, grows no larger
const MEASURED_SENTENCES = 6;  // the longest few sentences decide the room kept for one
const BLANK = "________";  // a worksheet's space for an answer
const TIMES = "\u00d7";  // an edge's label: "×" and its local derivative

// ---- checking an answer ----------------------------------------------------------------------
// The rule: an answer counts when it is right to 4 significant digits, i.e. within half a
// unit of the 4th significant digit of the engine's number v:
//
//     |answer - v| <= 5 * 10^(E - 4)      where v = d.ddd... * 10^E (E: its leading digit's)
//
// E is read from v's shortest decimal form (toExponential() with no argument: the digits that
// print v), so 1e-6, whose double lies a hair below 10^-6, has E = -6 as it is written. The
// bound is the decimal 5e(E-4) parsed, so exactly rounded (as Python's float() reads it), with
// a relative SLACK of 1e-9: at an exact tie (0.0078125 is 0.007812|5) both 0.007812 and
// 0.007813 are right to 4 digits, and both must count after the rounding to doubles.
// For v = 0 only 0 counts (and -0). So for v = -1.5: -1.5, -1.500, -1.4996 and -1.5004 count,
// -1.49, -1.4994 and 1.5 do not; for v = 12345.678, 12350 counts (off by 4.3 <= 5), 12340 not.
// Any v written to 4 significant digits counts. tests/test_quiz.py states the same rule in
// Python and checks this function against it in Chromium.
export const SIGNIFICANT = 4;
const SLACK = 1e-9;
// A number as typed: optional sign, digits with at most one ".", optional exponent (1e-3).
const NUMBER = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const COMMA_DECIMAL = /^[+-]?[0-9]*,[0-9]+$/;
const EXAMPLES = "-1.5, 0.25 or 2e-3";

export function accepts(answer, value) {
  if (value === 0) return answer === 0;
  const exponent = Number(value.toExponential().split("e")[1]);
  const halfUnit = Number("5e" + (exponent - SIGNIFICANT));
  return Math.abs(answer - value) <= halfUnit * (1 + SLACK);
}

// The number a student typed, {value}, or {error: one sentence saying what to type}. Spaces,
// tabs and newlines around it are ignored; the minus sign U+2212 reads as "-".
export function parseAnswer(text) {
  const typed = String(text).replace(/^[ \t\n\r]+|[ \t\n\r]+$/g, "").replace(/\u2212/g, "-");
  if (typed === "") return { error: "Type a number first, for example -1.5 or 2e-3." };
  if (COMMA_DECIMAL.test(typed)) {
    return { error: "Write the decimal point as a dot: " + typed.replace(",", ".") + ", not " +
      typed + "." };
  }
  const quoted = "\u201c" + typed + "\u201d";
  if (!NUMBER.test(typed)) return { error: quoted + " is not a number: type one such as " +
    EXAMPLES + "." };
  const value = Number(typed);
  if (!Number.isFinite(value)) return { error: quoted + " is too large for a number here: " +
    "check its exponent." };
  return { value };
}

// {right, answer} for a typed answer and the engine's number, or {error} (not a mark).
export function checkAnswer(text, value) {
  const parsed = parseAnswer(text);
  if ("error" in parsed) return parsed;
  return { right: accepts(parsed.value, value), answer: parsed.value };
}

function ordinal(n) {
  const tens = n % 100;
  if (tens >= 10 && tens <= 20) return n + "th";
  return n + ({ 1: "st", 2: "nd", 3: "rd" }[n % 10] || "th");
}

// An element: h("p", {class: "x"}, "text", child). An attribute true is present and empty,
// false or null absent. Strings become text nodes: labels are user text, never markup. (The
// labs build their pages with it too.)
export function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === true) e.setAttribute(key, "");
    else if (value !== false && value != null) e.setAttribute(key, value);
  }
  e.append(...children);
  return e;
}

export function mountSteps(data, root) {
  let { nodes, steps } = data;  // (update() gives them new numbers, for the same graph)
  const last = steps.length;
  const quiz = data.quiz === true;
  let opening = data.start ?? "";  // the engine's first sentence of the pass
  let one = data.one;  // the root's grad as the pass starts: 1, or the seed of a seeded pass
  const choices = (data.decimals || []).map(String);
  let decimals = String(data.shown_decimals ?? choices[choices.length - 1] ?? "");
  if (choices.length && !choices.includes(decimals)) decimals = choices[choices.length - 1];
  const drawn = String(data.drawn_decimals ?? decimals);
  const pick = (form) => (typeof form === "string" ? form : form[decimals]);
  const asDrawn = (form) => (typeof form === "string" ? form : form[drawn]);

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
    ...(quiz ? [quizBox()] : []),
    el.fanout,
    h("div", { id: "legend", class: "legend" },
      legendItem("edge", "edge being applied: parent.grad += upstream \u00d7 local"),
      legendItem("send", "sends its gradient back (upstream)"),
      legendItem("recv", "receives the contribution (running sum)"),
      h("span", { id: "hint", class: "hint" },
        "keys: \u2190 \u2192, PageUp / PageDown or Space step; Home / End jump")));
  el.tbody = h("tbody");
  el.finalScore = h("p", { id: "final-score", class: "final-score", tabindex: "-1" });
  el.done = h("div", { id: "done", class: "done", hidden: true },
    ...(quiz ? [el.finalScore] : []),
    h("h2", {}, "Every gradient of " + data.root_name + ", after the last step"),
    h("table", { id: "grads" },
      h("thead", {}, h("tr", {},
        h("th", { class: "name" }, "Value"), h("th", { class: "op" }, "op"),
        h("th", {}, "data"), h("th", { id: "grad-head" }, "grad"))),
      el.tbody));
  el.handoutList = h("ol", { id: "handout-steps" });
  el.handout = h("section", { id: "handout", class: "handout" },
    h("h2", {}, quiz ? "Work out each step: upstream \u00d7 local"
      : "The backward pass, step by step"),
    el.opening = h("p", {}, opening), el.handoutList);
  root.append(el.panel, el.handout, el.done);
  if (quiz) root.classList.add("quiz");

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

  function numberBox(id) {
    return h("input", { id, type: "text", class: "number", autocomplete: "off",
      spellcheck: "false", size: "12" });
  }

  function legendItem(kind, text) {
    return h("span", {}, h("span", { class: "swatch " + kind }), text);
  }

  function setName(b, name) { b.querySelector(".name").textContent = name; }

  // The quiz's part of the panel: the answer form, the hint, the score and the predictions.
  function quizBox() {
    el.quizIntro = h("div", { id: "quiz-intro", class: "quiz-intro" }, last === 0
      ? data.root_name + " is a single leaf: there is no step to work out."
      : "A quiz: each step asks for its contribution, upstream \u00d7 local, before showing " +
        "it (an edge's local derivative shows \u00d7? until then: work it out from the op's " +
        "rule). Answers count when right to " + SIGNIFICANT + " significant digits. Press Next.");
    el.answerLabel = h("label", { for: "answer", class: "answer-label" });
    el.answer = numberBox("answer");
    el.check = h("button", { id: "check", type: "submit" }, "Check");
    el.reveal = button("reveal", "show this step (not scored)", "Show", "", "");
    el.feedback = h("span", { id: "feedback", class: "feedback", role: "status" });
    el.quiz = h("form", { id: "quiz-form", class: "quiz-form", hidden: true },
      el.answerLabel, el.answer, el.check, el.reveal, el.feedback);
    el.quizHint = h("div", { id: "quiz-hint", class: "quiz-hint" });
    el.score = h("span", { id: "score", class: "score" });
    el.predictLeaf = h("select", { id: "predict-leaf" });
    el.predictValue = numberBox("predict-value");
    el.predictGo = h("button", { id: "predict-go", type: "submit" }, "Predict");
    el.predictStatus = h("span", { id: "predict-status", class: "feedback", role: "status" });
    el.predict = h("form", { id: "predict", class: "predict" },
      h("label", { for: "predict-leaf" }, "Predict the gradient of"), el.predictLeaf,
      h("label", { for: "predict-value" }, "Predicted gradient"), el.predictValue,
      el.predictGo, el.predictStatus);
    el.predictions = h("ul", { id: "predictions", class: "predictions" });
    return h("div", { id: "quiz-box", class: "quiz-box" },
      el.quizIntro, el.quiz, el.quizHint,
      h("div", { class: "quiz-row" }, el.score, el.predict), el.predictions);
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
  // On each edge its local derivative, as draw_dot writes it: "×" and the number, in the
  // edge's label or, in a graph with a wide fan, in its tooltip (xlink:title) instead.
  const edgeTexts = steps.map((step) => {
    const g = byId(step.edge);
    return g ? Array.from(g.querySelectorAll("text"))
      .filter((t) => t.textContent.startsWith(TIMES)) : [];
  });
  const edgeTips = steps.map((step) => {
    const g = byId(step.edge);
    return g ? Array.from(g.querySelectorAll("a"))
      .filter((a) => (a.getAttribute("xlink:title") || "").startsWith(TIMES)) : [];
  });
  if (quiz) {  // printed, a quiz page leaves these blank (steps.css)
    gradText.forEach((t) => t && t.classList.add("answer-text"));
    edgeTexts.forEach((texts) => texts.forEach((t) => t.classList.add("answer-text")));
  }

  // how many contributions each node receives in all, to mark a grad as final; and the step
  // that makes it final (its last contribution), -1 for the root
  const fanOut = nodes.map(() => 0);
  const finalStep = nodes.map(() => -1);
  steps.forEach((s, j) => { fanOut[s.parent] = s.fan_out; finalStep[s.parent] = j; });

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

  // An edge's label (or tooltip): its local derivative, from the data, in the decimals chosen;
  // in a quiz "?" until its step has been answered (the student works it out from the rule).
  function showEdge(j) {
    const local = steps[j].local;
    if (local) writeEdge(j, revealed(j) ? pick(local) : "?");
  }

  function writeEdge(j, number) {
    for (const t of edgeTexts[j]) t.textContent = TIMES + number;
    for (const a of edgeTips[j]) a.setAttribute("xlink:title", TIMES + number);
  }

  // Every text that depends only on the numbers and the decimals chosen (show() draws the rest).
  function showNumbers() {
    el.opening.textContent = opening;
    nodes.forEach((node, i) => {
      if (dataText[i]) dataText[i].textContent = "data " + pick(node.data);
    });
    steps.forEach((_, j) => showEdge(j));
    for (const [i, dataCell, gradCell] of rows) {
      dataCell.textContent = pick(nodes[i].data);
      gradCell.textContent = pick(nodes[i].grad);
    }
    steps.forEach((step, j) => {
      handoutItems[j].textContent = quiz ? step.question + " = " + BLANK : pick(step.sentence);
    });
  }

  // ---- one state: which step is shown, and (in a quiz) what was answered ------------------
  let state = 0;  // 0: the forward values; k: at the k-th chain-rule step
  let timer = null;
  let zoomed = false;
  // One record per step. outcome: null until revealed, then "first" (right at the first try),
  // "later" (right after a hint) or "shown" (Show: not scored). A blank or a word is no try.
  const unanswered = () => ({ typed: "", tries: 0, outcome: null, kind: "", said: "", hint: "" });
  const answers = steps.map(unanswered);
  // leaf index -> {typed, value, result}: result null until the leaf's gradient is final
  const predictions = new Map();

  const revealed = (j) => !quiz || answers[j].outcome !== null;
  const answered = (s) => s === 0 || revealed(s - 1);  // state s shows its step's numbers
  // In a quiz the steps are revealed in order: the first unanswered one is as far as one goes.
  const reachable = () => {
    const open = answers.findIndex((a) => a.outcome === null);
    return !quiz || open < 0 ? last : open + 1;
  };

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
    // this pass's running sums after the steps shown: every grad starts at 0, the root's at 1
    // (a quiz's step still asked for has not added its contribution yet)
    const applied = answered(state) ? state : state - 1;
    const grads = nodes.map(() => pick(data.zero));
    const received = nodes.map(() => 0);
    grads[data.root] = pick(one);
    for (let j = 0; j < applied; j++) {
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
      el.sentence.textContent = opening;
      el.fanout.textContent = "";
      el.fanout.className = "fanout";
    } else {
      const step = steps[state - 1];
      mark(step.edge, "hl-edge");
      mark(nodes[step.parent].id, "hl-recv");
      mark(nodes[step.node].id, "hl-send");
      mark(nodes[step.node].id + "_op", "hl-op");
      el.counter.textContent = "Step " + state + " of " + last;
      if (answered(state)) {
        el.sentence.textContent = pick(step.sentence);
        const noun = step.fan_out === 1 ? " contribution" : " contributions";
        const complete = step.received === step.fan_out;
        el.fanout.textContent = nodes[step.parent].name + ": " + step.received + " of " +
          step.fan_out + noun + " received" + (complete ? " \u2014 its gradient is final" : "");
        el.fanout.className = complete ? "fanout complete" : "fanout";
      } else {
        el.sentence.textContent = step.question + " = ?";
        el.fanout.textContent = "";
        el.fanout.className = "fanout";
      }
      follow(byId(step.edge));
    }
    if (quiz) showQuiz();
    el.done.hidden = !(state === last && answered(last));
    el.prev.disabled = state === 0;
    el.next.disabled = state === last;
  }

  // Move to state `target`, as far as a quiz lets one go; a step still asked for is not
  // passed: the cursor goes to its answer box instead. False when it could not move on.
  function go(target) {
    const s = Math.max(0, Math.min(last, target, reachable()));
    const blocked = target > state && s === state;
    show(s);
    if (quiz && !answered(state)) ask(blocked);
    return !blocked;
  }

  // ---- the quiz --------------------------------------------------------------------------
  function ask(again) {
    const a = answers[state - 1];
    if (again && a.said === "") {
      setFeedback("error", "Type this step's contribution first, or press Show to see it.");
    }
    el.answer.focus();
  }

  function setFeedback(kind, text) {
    el.feedback.textContent = text;
    el.feedback.className = "feedback" + (kind ? " " + kind : "");
  }

  function hintFor(step) {
    const op = nodes[step.node].op;
    const rule = step.rule ? "the rule for " + op + ": " + step.rule + ". Multiply" : "multiply";
    return "Hint: " + rule + " the upstream " + step.hint.upstream_name + " = " +
      step.hint.upstream + " by the local " + step.hint.local_name + " = " + step.hint.local + ".";
  }

  // What the feedback says about step j's answer, from its record.
  function said(j) {
    const a = answers[j];
    if (a.outcome === "first") return ["right", "\u2713 Right at the first try."];
    if (a.outcome === "later") {
      return ["right", "\u2713 Right, at the " + ordinal(a.tries) + " try."];
    }
    if (a.outcome === "shown") {
      return ["shown", "Shown: " + pick(steps[j].contribution) + " (not scored)."];
    }
    return [a.said === "" ? "" : a.kind, a.said];
  }

  function count(outcome) { return answers.filter((a) => a.outcome === outcome).length; }

  function finalScore() {
    const details = [];
    if (count("later")) details.push(count("later") + " after a hint");
    if (count("shown")) details.push(count("shown") + " shown");
    let text = count("first") + " of " + last + " right at the first try" +
      (details.length ? " (" + details.join(", ") + ")" : "") + ".";
    const checked = Array.from(predictions.values()).filter((p) => p.result !== null);
    if (checked.length) {
      text += " Predictions: " + checked.filter((p) => p.result).length + " of " +
        checked.length + " right.";
    }
    return text;
  }

  function scoreText() {
    if (last === 0) return "";
    const done = last - count(null);
    if (done === last) return finalScore();
    if (done === 0) return "Score: nothing answered yet (" + last + " steps)";
    return "Score so far: " + count("first") + " of " + done + " right at the first try (" +
      last + " steps)";
  }

  function showQuiz() {
    const asking = state > 0 && !answered(state);
    el.quizIntro.hidden = state !== 0;
    el.quiz.hidden = state === 0;
    if (state > 0) {
      const a = answers[state - 1];
      el.answerLabel.textContent = "Contribution of step " + state;
      for (const e of [el.answer, el.check, el.reveal]) e.disabled = !asking;
      el.answer.value = a.typed;
      setFeedback(...said(state - 1));
      el.quizHint.textContent = asking ? a.hint : "";
    } else {
      el.quizHint.textContent = "";
    }
    el.score.textContent = scoreText();
    el.finalScore.textContent = last && count(null) === 0 ? finalScore() : "";
    showPredictions();
  }

  // Step k is revealed (answered right, or shown): predictions its leaf was waiting for are
  // checked, and the cursor goes on to Next (or to the score, after the last step).
  function reveal(k, outcome) {
    answers[k].outcome = outcome;
    answers[k].hint = "";
    for (const [leaf, p] of predictions) {
      if (p.result === null && finalStep[leaf] === k) {
        p.result = accepts(p.value, nodes[leaf].value);  // the engine's final gradient
      }
    }
    showEdge(k);
    show(state);
    (state < last ? el.next : el.finalScore).focus();
  }

  function check(event) {
    event.preventDefault();  // Enter or Check: nothing is sent anywhere
    if (state === 0 || answered(state)) return;
    const k = state - 1;
    const a = answers[k];
    a.typed = el.answer.value;
    const result = checkAnswer(a.typed, steps[k].value);
    if ("error" in result) {
      a.kind = "error";
      a.said = result.error;
    } else {
      a.tries += 1;
      if (result.right) {
        reveal(k, a.tries === 1 ? "first" : "later");
        return;
      }
      a.kind = "wrong";
      a.said = "\u2717 Not quite: " + a.typed.trim() + " is not it. Try again.";
      a.hint = hintFor(steps[k]);
    }
    showQuiz();
    el.answer.focus();
    el.answer.select();
  }

  // The leaves whose final gradient is still to come: the ones a student can predict.
  function openLeaves() {
    return nodes.map((_, i) => i)
      .filter((i) => nodes[i].leaf && finalStep[i] >= 0 && !revealed(finalStep[i]));
  }

  function showPredictions() {
    const open = openLeaves();
    const wanted = open.length ? open.map(String) : ["none"];
    if (wanted.join() !== Array.from(el.predictLeaf.options, (o) => o.value).join()) {
      const chosen = el.predictLeaf.value;
      el.predictLeaf.replaceChildren(...(open.length
        ? open.map((i) => h("option", { value: String(i), selected: String(i) === chosen },
          nodes[i].name))
        : [h("option", { value: "none" }, "no leaf left")]));
    }
    for (const e of [el.predictLeaf, el.predictValue, el.predictGo]) e.disabled = !open.length;
    if (!open.length) {
      el.predictStatus.textContent = last ? "Every leaf's gradient is known now." : "";
      el.predictStatus.className = "feedback";
    }
    el.predictions.replaceChildren(...Array.from(predictions, ([i, p]) => {
      const name = nodes[i].name;
      const text = p.result === null
        ? name + ": you said " + p.typed + "; checked when " + name + "'s gradient is final."
        : name + ": you said " + p.typed + ": " + (p.result ? "\u2713 right" : "\u2717 not right") +
          ", " + name + ".grad = " + pick(nodes[i].grad) + ".";
      const li = h("li", { class: p.result === null ? "" : p.result ? "right" : "wrong" }, text);
      li.dataset.leaf = name;
      return li;
    }));
  }

  function predict(event) {
    event.preventDefault();
    const leaf = Number(el.predictLeaf.value);
    if (!openLeaves().includes(leaf)) return;
    const typed = el.predictValue.value.trim();
    const parsed = parseAnswer(typed);
    if ("error" in parsed) {
      el.predictStatus.textContent = parsed.error;
      el.predictStatus.className = "feedback error";
      return;
    }
    predictions.set(leaf, { typed, value: parsed.value, result: null });
    el.predictStatus.textContent = "Noted your prediction: " + nodes[leaf].name + ".grad = " +
      typed + ".";
    el.predictStatus.className = "feedback";
    el.predictValue.value = "";
    showPredictions();
  }

  // ---- the picture's size: all of it in the window, or zoomed in on the step ------------
  function mode() { return root.classList.contains("presenting") ? "presenting" : "normal"; }

  // The room a sentence needs: as tall as the tallest of the longest few, so the panel keeps
  // its height from step to step (and the picture above it never jumps).
  function reserveSentenceRoom() {
    const texts = [opening, ...steps.map((s) => pick(s.sentence))]
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
      go(state + 1);
      if (state === last || !answered(state)) stop();  // a quiz waits for its answer
    }, Number(el.speed.value));
  }

  function play() {
    if (timer !== null) { stop(); return; }
    if (!answered(state)) { ask(true); return; }
    if (state === last) go(0);
    setName(el.play, "Pause");
    start();
  }

  // ---- new numbers for the same graph (update) --------------------------------------------
  // Why `next` is not new numbers for this graph, or "" when it is: the same Values (ids,
  // names, ops) and the same steps along the same edges, in the same order.
  function notTheSameGraph(next) {
    if (!next || !Array.isArray(next.nodes) || !Array.isArray(next.steps)) {
      return "its data has no nodes and steps";
    }
    if (next.nodes.length !== nodes.length || next.steps.length !== last) {
      return "it has " + next.nodes.length + " Values and " + next.steps.length +
        " steps, not " + nodes.length + " and " + last;
    }
    const node = nodes.findIndex((n, i) => ["id", "name", "op", "leaf"]
      .some((key) => next.nodes[i][key] !== n[key]));
    if (node >= 0) return "its Value " + next.nodes[node].id + " is another one";
    const step = steps.findIndex((s, j) => ["node", "parent", "edge", "received", "fan_out"]
      .some((key) => next.steps[j][key] !== s[key]));
    if (step >= 0) return "its step " + (step + 1) + " is another edge's";
    if (next.root !== data.root) return "its output is another Value";
    return "";
  }

  // Everything a quiz's answers and predictions were checked against, or shown with.
  function numbers(d) { return JSON.stringify([d.start ?? "", d.one, d.nodes, d.steps]); }

  // A new quiz, as a mount starts one: the answers were about other numbers.
  function restartQuiz() {
    stop();
    answers.forEach((a) => Object.assign(a, unanswered()));
    predictions.clear();
    el.answerLabel.textContent = "";
    el.answer.value = "";
    setFeedback("", "");
    el.predictValue.value = "";
    el.predictStatus.textContent = "";
    el.predictStatus.className = "feedback";
    state = 0;
  }

  // ---- every control bound in one place --------------------------------------------------
  el.prev.addEventListener("click", () => { stop(); go(state - 1); });
  el.next.addEventListener("click", () => { stop(); go(state + 1); });
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
  if (quiz) {
    el.quiz.addEventListener("submit", check);
    el.answer.addEventListener("input", () => { answers[state - 1].typed = el.answer.value; });
    el.reveal.addEventListener("click", () => {
      if (state > 0 && !answered(state)) reveal(state - 1, "shown");
    });
    el.predict.addEventListener("submit", predict);
  }
  window.addEventListener("resize", layout);

  // Clicker keys: a presenter's remote sends PageDown / PageUp; Space as in slides.
  const usesKeys = (t) => t instanceof HTMLInputElement || t instanceof HTMLSelectElement ||
    t instanceof HTMLTextAreaElement || (t instanceof HTMLElement && t.isContentEditable);
  function onKey(event) {
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
    go(moves[event.key]);
  }
  document.addEventListener("keydown", onKey);

  if (data.presenting === true) {
    root.classList.add("presenting");
    el.present.setAttribute("aria-pressed", "true");
  }
  showNumbers();
  show(Math.min(Number(data.shown_step) || 0, reachable()));
  layout();

  return {
    // The same graph with new numbers (the lab's slider moved): every number and sentence is
    // written again from `next`, at the step shown, in the decimals chosen; presentation mode,
    // zoom and Play go on. The picture is not fitted again (layout() reflows the whole graph:
    // too slow for a slider on a big one). next.quiz, svg and the settings are not read: the
    // view keeps its own. A quiz keeps its answers only when every number is the one they were
    // checked against; new numbers start it again, from the forward pass, as a mount would.
    update(next) {
      const why = notTheSameGraph(next);
      if (why) {
        throw new Error("update() takes new numbers for the graph this view shows, but " + why +
          ": for another graph, destroy() this view and call mountSteps() again.");
      }
      const renewed = quiz && numbers(next) !== numbers({ start: opening, one, nodes, steps });
      ({ nodes, steps } = next);
      opening = next.start ?? "";
      one = next.one ?? one;
      if (renewed) restartQuiz();
      showNumbers();
      show(state);
    },

    // The reader's choices, as data fields: mounting again with them keeps them. (The
    // decimals as data.decimals offered them: a number from page_data.)
    settings() {
      const offered = (data.decimals || []).find((d) => String(d) === decimals);
      return { shown_decimals: offered ?? decimals,
        presenting: root.classList.contains("presenting") };
    },

    // Undo the mount (the lab mounts again for a new graph, or when the quiz is switched): the
    // listeners, the built elements, and the picture's texts as draw_dot draws the numbers
    // last shown.
    destroy() {
      stop();
      document.removeEventListener("keydown", onKey);
      window.removeEventListener("resize", layout);
      el.panel.remove();
      el.handout.remove();
      el.done.remove();
      root.classList.remove("quiz", "presenting");
      clearHighlights();
      nodes.forEach((node, i) => {
        if (dataText[i]) dataText[i].textContent = "data " + asDrawn(node.data);
        if (!gradText[i]) return;
        gradText[i].textContent = "grad " + asDrawn(node.grad);
        gradText[i].classList.remove("grad-zero", "grad-final", "answer-text");
      });
      steps.forEach((step, j) => { if (step.local) writeEdge(j, asDrawn(step.local)); });
      edgeTexts.forEach((texts) => texts.forEach((t) => t.classList.remove("answer-text")));
    },
  };
}
