"""The demos run as a learner runs them, and write real pictures.

Each demo runs once per test session, in a subprocess with this venv's python, in its fast
setting (CHAINRULE_FAST=1), writing into one shared folder (`run_demo` remembers the runs, so
the gallery tests reuse them). Demo 10 also runs in its full setting, where it must reach 95%
held-out accuracy.
"""

import os
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMOS = sorted((ROOT / "demos").glob("[0-9][0-9]_*.py"))

# What each demo must write (it may write more), and lines its output must contain.
EXPECTED_FILES = {
    "02_node_used_twice": ["02_node_used_twice.svg", "02_node_used_twice.png",
                           "02_node_used_twice_wrong.png", "02_node_used_twice_steps.html"],
    "03_reverse_topological_order": ["03_diamond.svg", "03_diamond.png",
                                     "03_diamond_wrong_order.png", "03_diamond_steps.html"],
    "04_gradient_descent": ["04_gradient_descent.png"],
    "05_vanishing_gradients": ["05_grad_norms_by_layer.png",
                               "05_sigmoid_grad_norms_training.png",
                               "05_dead_relus_network.svg", "05_dead_relus_network.png"],
    "06_moons": ["06_moons_boundary.png", "06_moons_history.png", "06_moons_network.svg",
                 "06_moons_network.png", "06_moons_replay.html"],
    "07_spiral_softmax": ["07_spiral_boundary.png", "07_spiral_history.png"],
    "08_gradient_checking": ["08_gradient_checking.png"],
    "09_learning_rates": ["09_learning_rates.png"],
    "10_digits": ["10_digits_confusion.png", "10_digits_misclassified.png",
                  "10_digits_history.png"],
    "11_graduating_to_pytorch": ["11_graduating_to_pytorch.png"],
    "12_spot_the_bug": ["12_0_right.svg", "12_0_right.png", "12_1_overwritten.svg",
                        "12_1_overwritten.png", "12_2_backward_twice.png",
                        "12_3_forward_order.png", "12_4_no_zero_grad.png",
                        "12_5_dead_relus.svg", "12_5_dead_relus.png",
                        "12_5_dead_relus_right.png", "12_6_diverging_lr.png"],
}
EXPECTED_OUTPUT = {
    "02_node_used_twice": ["with +=:  a.grad = 3", "hand loop with +=:  a.grad = 3",
                           "hand loop with = :  a.grad = 2",
                           "finite differences: (d(a+h) - d(a-h)) / 2h = 3.000000",
                           "The backward pass starts at d: d.grad = 1",
                           "a.grad += c.grad × ∂c/∂a = 1.0000 × 2.0000 = 2.0000   "
                           "(a.grad is now 3.0000)"],
    "03_reverse_topological_order": ["reverse topological order:  d -> c -> b -> a -> x",
                                     "a.grad = 36,  x.grad = 36",
                                     "first-met (wrong) order:    d -> b -> a -> x -> c",
                                     "a.grad = 36,  x.grad = 12", "d.backward():  x.grad = 36"],
    "04_gradient_descent": ["step 0: L =  16.2500   dL/dw1 =  -5.0000   dL/dw2 =  20.0000",
                            "after 40 steps: w = (0.9991, 0.5001)"],
    "05_vanishing_gradients": ["sigmoid:  ||dL/dW|| layer 1 = ", "relu net, lr = 0.2"],
    "06_moons": ["337 parameters", "step  10: loss"],
    "07_spiral_softmax": ["softmax p", "(sum 1.0000)", "training accuracy:"],
    "08_gradient_checking": ["gradcheck failed at x = 0.5", "<-- mismatch"],
    "09_learning_rates": ["TrainingDiverged: diverged at epoch", "Lower the learning rate"],
    "10_digits": ["300 to train on, 360 held out", "held-out accuracy:"],
    "11_graduating_to_pytorch": ["largest difference:", "every weight PyTorch's to the bit:"],
    # (demo 12's numbers are checked against the engine in test_spot_the_bug.py)
    "12_spot_the_bug": ["1. = instead of += on a node used twice",
                        "6. a learning rate that diverges", "TrainingDiverged: diverged at epoch",
                        "Lower the learning rate"],
}


def run_demo(stem: str, out_dir: Path, fast: bool = True) -> subprocess.CompletedProcess:
    """Run demos/<stem>.py into out_dir, once per (stem, out_dir): later calls reuse the run."""
    log = out_dir / f".{stem}.{'fast' if fast else 'full'}.log"
    if log.exists():
        code, _, stdout = log.read_text(encoding="utf-8").partition("\n")
        return subprocess.CompletedProcess([stem], int(code), stdout, "")
    env = {**os.environ, "MPLBACKEND": "Agg"}
    env.pop("CHAINRULE_FAST", None)
    if fast:
        env["CHAINRULE_FAST"] = "1"
    result = subprocess.run(
        [sys.executable, str(ROOT / "demos" / f"{stem}.py"), str(out_dir)],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=600,
    )
    assert result.returncode == 0, f"{stem} failed:\n{result.stdout}\n{result.stderr}"
    out_dir.mkdir(parents=True, exist_ok=True)
    log.write_text(f"{result.returncode}\n{result.stdout}", encoding="utf-8")
    return result


def tour_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder every fast demo of this session writes into (shared with the gallery tests)."""
    path = tmp_path_factory.getbasetemp() / "demo_tour"
    path.mkdir(exist_ok=True)
    return path


def check_picture(path: Path) -> None:
    """A non-empty, valid PNG (signature, IHDR with a real size) or SVG (parses, is <svg>)."""
    data = path.read_bytes()
    assert len(data) > 500, f"{path.name} is nearly empty ({len(data)} bytes)"
    if path.suffix == ".png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
        assert data[12:16] == b"IHDR"
        width, height = struct.unpack(">II", data[16:24])
        assert width > 50 and height > 50, f"{path.name} is {width}x{height}"
        assert data[-8:-4] == b"IEND", f"{path.name} is truncated"
    elif path.suffix == ".svg":
        root = ET.fromstring(data)
        assert root.tag.endswith("svg")
        assert len(list(root.iter())) > 10, f"{path.name} draws almost nothing"
    elif path.suffix == ".html":
        text = data.decode("utf-8")
        assert text.lstrip().lower().startswith("<!doctype html") and "</html>" in text
        assert "<svg" in text  # the graph is inlined, nothing is fetched


def test_one_neuron_demo_prints_the_lecture_numbers_and_writes_pictures(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "demos" / "01_one_neuron.py"), str(tmp_path)],
        capture_output=True, text=True, check=True,
    )
    out = result.stdout
    assert "o = tanh(n) = 0.7071" in out
    assert "x1.grad = ∂o/∂x1 = -1.5000" in out and "w1.grad = ∂o/∂w1 =  1.0000" in out
    assert "x2.grad = ∂o/∂x2 =  0.5000" in out and "w2.grad = ∂o/∂w2 =  0.0000" in out
    assert (tmp_path / "01_one_neuron.svg").stat().st_size > 1000
    assert (tmp_path / "01_one_neuron.png").read_bytes()[:4] == b"\x89PNG"
    # the sum of the two products is s (x1w1x2w2 read as a product), as in n = x1*w1 + ... + b
    assert "x1w1x2w2" not in out and "x1w1x2w2" not in (tmp_path / "01_one_neuron.svg").read_text()
    assert ("   2. s.grad += n.grad × ∂n/∂s = 0.5000 × 1.0000 = 0.5000   "
            "(s.grad is now 0.5000)") in out
    assert "The backward pass starts at o: o.grad = 1" in out


def test_the_one_step_picture_its_caption_and_the_printed_steps_agree(tmp_path):
    """draw_dot(highlight=5) once labelled "step 5" the edge the CLI and the page call step 6."""
    sys.path.insert(0, str(ROOT / "demos"))
    try:
        from gallery import CAPTIONS
    finally:
        sys.path.remove(str(ROOT / "demos"))
    result = subprocess.run(
        [sys.executable, str(ROOT / "demos" / "01_one_neuron.py"), str(tmp_path)],
        capture_output=True, text=True, check=True,
    )
    (printed,) = [line for line in result.stdout.splitlines()
                  if ". x1.grad += " in line]  # "   8. x1.grad += ..."
    number = int(printed.split(".")[0])
    svg = svg_tree(tmp_path / "01_one_neuron_step.svg")
    lit = [t for t in texts_of(svg) if t.startswith("step ")]
    assert lit == [f"step {number}: x1.grad += 0.5000 × -3.0000 = -1.5000"]
    caption = CAPTIONS["01_one_neuron_step"]
    assert caption.startswith(f"Step {number} of the backward pass") and "x1" in caption
    assert f"step {number} on its own: " in result.stdout


SVG = "{http://www.w3.org/2000/svg}"


def svg_tree(path: Path) -> ET.Element:
    return ET.parse(path).getroot()


def texts_of(element: ET.Element) -> list[str]:
    return [t.text or "" for t in element.iter(SVG + "text")]


def boxes_and_edges(svg: ET.Element) -> tuple[dict[str, float], list[tuple[str, float, bool]]]:
    """A picture read as a student reads it: each box's grad, and each edge's (the box it
    leaves, the contribution it carries, whether it is marked overwritten)."""
    grads, edges = {}, []
    for g in svg.iter(SVG + "g"):
        gid = g.get("id") or ""
        if gid.startswith("n") and gid[1:].isdigit():
            (grad,) = [t for t in texts_of(g) if t.startswith("grad ")]
            grads[gid] = float(grad.split()[1])
        elif gid.startswith("e"):
            tail = g.findtext(SVG + "title").split("->")[0]
            (sent,) = [t for t in texts_of(g) if " × " in t and " = " in t]
            edges.append((tail, float(sent.split(" = ")[1]), "(overwritten)" in texts_of(g)))
    return grads, edges


@pytest.mark.parametrize("picture, title", [
    ("02_node_used_twice", None),
    ("02_node_used_twice_wrong", "WRONG: what a backward loop with = instead of += leaves"),
    ("03_diamond", None),
    ("03_diamond_wrong_order",
     "WRONG: what a backward loop in first-met (depth-first) order leaves"),
])
def test_every_box_holds_what_its_edges_sent_right_or_wrong(picture, title, tmp_path_factory):
    """Demo 03's wrong picture once showed 36 on the edge into x but 12 in x's box: each
    edge now carries what the loop really sent along it, and each box the sum of what its
    edges sent and the loop kept (a = loop keeps only the last one: the others are marked)."""
    out_dir = tour_dir(tmp_path_factory)
    run_demo("02_node_used_twice" if picture.startswith("02") else "03_reverse_topological_order",
             out_dir)
    svg = svg_tree(out_dir / f"{picture}.svg")
    if title is None:
        assert not any(t.startswith("WRONG") for t in texts_of(svg))
    else:
        assert title in texts_of(svg)
    grads, edges = boxes_and_edges(svg)
    received = {box: 0.0 for box in grads}
    senders = {tail for tail, _, _ in edges}
    for tail, sent, overwritten in edges:
        if not overwritten:
            received[tail] += sent
    for box in senders:
        assert received[box] == pytest.approx(grads[box], abs=1e-4), (picture, box)
    marked = sum(overwritten for _, _, overwritten in edges)
    assert marked == (1 if picture == "02_node_used_twice_wrong" else 0)
    if picture == "03_diamond_wrong_order":
        assert sorted(grads.values()) == [1.0, 4.0, 6.0, 12.0, 36.0]  # x holds 12, a 36


def test_every_demo_is_numbered_and_starts_with_a_one_sentence_summary():
    import ast

    stems = [path.stem for path in DEMOS]
    assert stems[0] == "01_one_neuron" and len(stems) >= 10
    assert [s[:2] for s in stems] == [f"{i:02d}" for i in range(1, len(stems) + 1)]
    assert set(EXPECTED_FILES) == set(stems[1:]), "a demo without expected pictures in this test"
    for path in DEMOS:
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        first = (doc or "").strip().splitlines()[0]
        assert first.startswith(f"{path.stem[:2]} — ") and len(first) > 20, path.name


@pytest.mark.parametrize("stem", sorted(EXPECTED_FILES))
def test_demo_runs_in_its_fast_setting_and_writes_valid_pictures(stem, tmp_path_factory):
    out_dir = tour_dir(tmp_path_factory)
    result = run_demo(stem, out_dir)
    for line in EXPECTED_OUTPUT[stem]:
        assert line in result.stdout, f"{stem} did not print {line!r}:\n{result.stdout}"
    for name in EXPECTED_FILES[stem]:
        path = out_dir / name
        assert path.exists(), f"{stem} did not write {name}"
        assert f"wrote {path}" in result.stdout, f"{stem} does not say it wrote {name}"
        check_picture(path)
    assert not list(out_dir.glob("*.tmp")), "a temporary file was left behind"


def test_digits_demo_in_its_full_setting_reaches_95_percent_held_out(tmp_path):
    """The promise of demo 10, measured: 20 epochs on 1,437 digits (about 20 s)."""
    result = run_demo("10_digits", tmp_path, fast=False)
    line = next(x for x in result.stdout.splitlines() if x.startswith("held-out accuracy:"))
    accuracy = float(line.split()[2].rstrip("%")) / 100
    assert accuracy >= 0.95, line
    assert "on 360 digits it never trained on" in line
