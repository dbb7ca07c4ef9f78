"""The gallery: one page, out/index.html, with every picture and page the demos wrote.

Run the demos first (`make demo` runs them all, then this), then:

    python demos/gallery.py [OUT_DIR]      (default out/; prints the page's path)

Each demo gets a section titled with the first line of its docstring; each of its files
(named after the demo, `NN_...`) gets one sentence from CAPTIONS below. PNGs are shown as wide
as the window allows (a projector's too), each a link to the picture at full size (its SVG
when there is one, which zooms without blurring); HTML pages (step-throughs, replays) are
linked. The page is plain HTML and CSS with relative links and no script (a "Larger text"
switch is a checkbox and CSS): it works offline, from any folder, and can be copied along
with its pictures.
"""

import ast
import html
import re
import sys
from pathlib import Path
from urllib.parse import quote

from autograd.files import write_atomically

DEMOS = Path(__file__).resolve().parent

# One sentence per file, by name without its extension.
CAPTIONS = {
    "01_one_neuron": "The lecture neuron o = tanh(x1*w1 + x2*w2 + b): each box holds a value "
    "and its gradient (blue positive, orange negative, darker for larger), each edge its local "
    "derivative and what it sends back, upstream × local.",
    "01_one_neuron_step": "Step 8 of the backward pass on its own, highlighted: x1 receives its "
    "gradient through the product x1*w1, x1.grad += 0.5000 × -3.0000 = -1.5000.",
    "02_node_used_twice": "d = a*b + a: two edges leave a, and a's gradient is the sum of what "
    "comes back along both, 2 + 1 = 3.",
    "02_node_used_twice_wrong": "Marked WRONG: what a backward loop written with = instead of "
    "+= leaves. Both edges into a sent their share, 1 and 2, but a kept only the last one, 2 "
    "instead of 3; the overwritten edge is dashed.",
    "02_node_used_twice_steps": "Step through d = a*b + a and watch a receive its gradient "
    "twice.",
    "03_diamond": "A diamond: a feeds b and c, which meet again in d; in reverse topological "
    "order a collects both shares (12 + 24) before it passes its gradient on to x.",
    "03_diamond_wrong_order": "Marked WRONG: the same diamond walked in the order a depth-first "
    "search meets the nodes. a passed its gradient on too early: the edge into x carried 12, "
    "before c's share of 24 reached a, so x holds 12 instead of 36.",
    "03_diamond_steps": "Step through the diamond in reverse topological order, one edge at a "
    "time.",
    "04_gradient_descent": "Gradient descent on a long narrow bowl: a small learning rate "
    "creeps along the floor, a larger one zig-zags across the steep walls and arrives first.",
    "05_grad_norms_by_layer": "Each layer's gradient norm in a deep net before training: "
    "sigmoid's shrinks by orders of magnitude on the way back to the first layer; tanh and "
    "relu keep theirs.",
    "05_sigmoid_grad_norms_training": "The deep sigmoid net's per-layer gradient norms while it "
    "trains: the early layers stay decades behind the output layer.",
    "05_dead_relus_network": "A relu net trained with too large a learning rate: the grey "
    "units are dead (zero for every input) and no gradient passes through them.",
    "06_moons_boundary": "micrograd's demo: the decision boundary an MLP(2, [16, 16, 1]) learns "
    "on the two moons with the hinge loss.",
    "06_moons_history": "Loss and accuracy of micrograd's moons demo, step by step.",
    "06_moons_network": "The trained moons network: one edge per weight, blue positive, orange "
    "negative, wider for larger weights.",
    "06_moons_replay": "Replay the moons training epoch by epoch: the boundary, the weights "
    "and the loss on one slider.",
    "07_spiral_boundary": "Three spiral arms told apart with softmax and cross-entropy: each "
    "region takes the colour of the class the network predicts there.",
    "07_spiral_history": "Loss and accuracy while the spiral network trains with Adam.",
    "08_gradient_checking": "Left: a planted wrong local derivative for sigmoid, caught by "
    "finite differences. Right: why eps is about 1e-6, where truncation and rounding errors "
    "balance.",
    "09_learning_rates": "One network, three learning rates: too small crawls, about right "
    "converges, too large explodes until TrainingDiverged stops it.",
    "10_digits_confusion": "Which held-out handwritten digits the network mistakes for which: "
    "the diagonal is right, everything off it is a mistake.",
    "10_digits_misclassified": "The held-out digits the network got wrong, each with its true "
    "and its predicted digit.",
    "10_digits_history": "Loss and accuracy while the digits network trains.",
    "11_graduating_to_pytorch": "The same training run in chainrule and in its PyTorch twin: "
    "left, the two loss curves lie one over the other; right, how far apart they are, at the "
    "level of float64 rounding (about 1e-16), not of the mathematics.",
    "12_0_right": "The graph the first three bugs break, L = (a*b) * (a+b), done right: a and b "
    "each collect what comes back along both of their edges.",
    "12_1_overwritten": "Marked WRONG: = instead of += in the backward loop. Each of a and b "
    "kept only the share of its last edge; the overwritten edges are dashed.",
    "12_2_backward_twice": "Marked WRONG: backward() called twice without zero_grad. The edges "
    "carry one pass's shares, but the leaves a and b hold twice their sum.",
    "12_3_forward_order": "Marked WRONG: the backward loop walked inputs first. The edges into "
    "a and b sent 0, read from c and d before L had sent them anything.",
    "12_4_no_zero_grad": "Marked WRONG: a training loop without zero_grad (orange, dashed) beside "
    "the right one (blue): each step moves along the sum of every gradient so far, so the loss "
    "swings instead of settling.",
    "12_5_dead_relus": "Marked WRONG: hidden biases started too negative. The grey relu units "
    "are dead, z <= 0 for every sample, and no gradient passes through them.",
    "12_5_dead_relus_right": "The same network from the default start (bias 0) after the same "
    "training: almost every unit alive, so the gradient reaches every layer.",
    "12_6_diverging_lr": "Marked WRONG: a learning rate that diverges, beside one that "
    "converges: the loss grows by a constant factor each epoch until fit raises "
    "TrainingDiverged.",
}
MISSING = "missing-caption"  # the class of a file without a sentence (a test looks for it)
MAX_ZOOM = 2  # a graph is shown at most twice its own size
SVG_SIZE = re.compile(r'<svg\b[^>]*?\swidth="([0-9.]+)(pt|px)?"[^>]*?\sheight="([0-9.]+)(pt|px)?"')
PX_PER = {"pt": 4 / 3, "px": 1.0}  # CSS px per unit

STYLE = """
body { font: 18px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       margin: 0 auto; max-width: 1880px; padding: 0.8em 20px 2em; color: #222; }
h1 { margin: 0.2em 0; }
h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; font-size: 1.3em; }
h2 small { color: #6b6b6b; font-weight: normal; font-family: monospace; }
figure { margin: 1em 0 1.5em; }
/* a picture at its own size, or the window's width (the wide graphs), never taller than the
   window; a click (or Enter on its focused link) opens the file itself at full size */
figure img { display: block; max-width: 100%; max-height: 92vh; height: auto;
             object-fit: contain; border: 1px solid #eee; }
a.thumb { display: inline-block; max-width: 100%; cursor: zoom-in; }
img.graph { width: 100%; }
a:focus-visible { outline: 3px solid #2563eb; outline-offset: 3px; }
figcaption { color: #444; margin-top: 0.3em; max-width: 70em; }
.page { display: inline-block; padding: 0.6em 1em; border: 1px solid #0877bd;
        border-radius: 6px; text-decoration: none; color: #0877bd; font-weight: 600; }
.missing-caption { color: #d62728; }
nav a { margin-right: 0.8em; }
.larger { float: right; font-weight: 600; }
/* "Larger text", for a projector: a checkbox and CSS only (the gallery runs no script) */
body:has(#larger:checked) { font-size: 26px; }
"""


def demo_title(path: Path) -> str:
    """The first line of the demo's docstring, e.g. '02 — a node used twice ...'."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or path.stem
    return doc.strip().splitlines()[0]


def link(name: str) -> str:
    """A file name as a relative URL inside an attribute: percent-encoded first, so '#', '?',
    '%' and spaces stay part of the name (not a fragment, a query or an escape), then
    HTML-escaped for the quotes."""
    return html.escape(quote(name))


def caption(stem: str) -> str:
    if stem in CAPTIONS:
        return html.escape(CAPTIONS[stem])
    return f'<span class="{MISSING}">{html.escape(stem)} (no caption yet)</span>'


def svg_size(path: Path) -> tuple[float, float] | None:
    """An SVG file's own width and height in CSS px (Graphviz writes them in pt), or None."""
    try:
        with path.open(encoding="utf-8", errors="replace") as f:
            head = f.read(4000)
    except OSError:
        return None
    found = SVG_SIZE.search(head)
    if found is None:
        return None
    w, w_unit, h, h_unit = found.groups()
    return float(w) * PX_PER.get(w_unit, 1.0), float(h) * PX_PER.get(h_unit, 1.0)


def picture(png: Path) -> str:
    """A picture as a link to itself at full size. A graph (a PNG with its SVG beside it) is
    shown from its SVG, sharp at any size: as wide as the window, up to MAX_ZOOM times its own
    size, so a projector's width is used. A plot is its PNG, at most its own size."""
    alt = html.escape(CAPTIONS.get(png.stem, png.stem))
    svg = png.with_suffix(".svg")
    size = svg_size(svg) if svg.exists() else None
    if size is None:
        target = link(svg.name if svg.exists() else png.name)
        return (f'<a class="thumb" href="{target}" title="open full size">'
                f'<img src="{link(png.name)}" alt="{alt}" loading="lazy"></a>')
    width, height = size
    target = link(svg.name)
    return (f'<a class="thumb" href="{target}" title="open full size" '
            f'style="width: min(100%, {MAX_ZOOM * width:.0f}px)">'
            f'<img src="{target}" alt="{alt}" class="graph" width="{width:.0f}" '
            f'height="{height:.0f}" loading="lazy"></a>')


def section(demo: Path, out_dir: Path) -> str:
    number = demo.stem.split("_")[0]
    files = sorted((p for p in out_dir.glob(f"{number}_*") if p.suffix in (".png", ".html")),
                   key=lambda p: (p.suffix == ".html", p.name))  # pictures first, then pages
    parts = [f'<h2 id="d{number}">{html.escape(demo_title(demo))} '
             f"<small>demos/{html.escape(demo.name)}</small></h2>"]
    if not files:
        parts.append("<p>No pictures yet: run "
                     f"<code>python demos/{html.escape(demo.name)}</code>.</p>")
    for path in files:
        if path.suffix == ".png":
            parts.append(f"<figure>{picture(path)}"
                         f"<figcaption>{caption(path.stem)}</figcaption></figure>")
        else:
            parts.append(f'<figure><a class="page" href="{link(path.name)}">open '
                         f"{html.escape(path.name)}</a>"
                         f"<figcaption>{caption(path.stem)}</figcaption></figure>")
    return "\n".join(parts)


def build(out_dir: Path, demos_dir: Path = DEMOS) -> Path:
    """Write out_dir/index.html over the pictures in out_dir of the demos in `demos_dir`."""
    demos = sorted(demos_dir.glob("[0-9][0-9]_*.py"))
    nav = " ".join(f'<a href="#d{d.stem[:2]}">{d.stem[:2]}</a>' for d in demos)
    body = "\n".join(section(demo, out_dir) for demo in demos)
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>chainrule: a tour of backpropagation</title>
<style>{STYLE}</style>
</head>
<body>
<label class="larger"><input type="checkbox" id="larger"> Larger text</label>
<h1>chainrule: a tour of backpropagation</h1>
<p>Every picture the demos drew, one idea per demo. Click a picture (or Tab to it and press
Enter) to open it full size (graphs as zoomable SVG); the step-through pages walk a backward
pass one chain-rule step at a time (arrow keys, a clicker's PageDown / PageUp, or Prev / Next).
Re-run one demo with <code>chainrule demo NN</code> or
<code>python demos/NN_name.py</code>, then this page with <code>python demos/gallery.py</code>.</p>
<nav>{nav}</nav>
{body}
</body>
</html>
"""
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "index.html"
    return write_atomically(target, page)  # to a temporary file, then renamed


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out")
    index = build(out)
    print(f"gallery: {index.resolve()}")
    print(f"open it:  xdg-open {index}   (or {index.resolve().as_uri()} in a browser)")
