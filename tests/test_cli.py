"""The `chainrule` console script, run as a teacher runs it: the installed script, in a
subprocess, its output piped (or on a pseudo-terminal, for the colour)."""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule.console
import chainrule.demo
import chainrule.train
import nn
from autograd import backward_steps
from autograd.formula import build, parse_assignments
from chainrule import cli

SCRIPT = Path(sys.executable).parent / "chainrule"
if not SCRIPT.exists():
    SCRIPT = Path(shutil.which("chainrule") or "chainrule")

NEURON = "tanh(x1*w1 + x2*w2 + b)"
NEURON_VALUES = ["x1=2", "x2=0", "w1=-3", "w2=1", "b=6.8813735870195432"]
ANSI = "\x1b["


def run(*args: str, cwd: Path | None = None, env: dict | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    environment.update(env or {})
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, cwd=cwd,
                          env=environment, timeout=timeout)


def test_the_console_script_is_installed():
    assert SCRIPT.exists(), f"no chainrule script at {SCRIPT}: pip install -e ."


# ---------------------------------------------------------------------------------------------
# explain


def test_explain_the_lecture_neuron_prints_values_steps_grads_and_writes_the_pictures(tmp_path):
    out = tmp_path / "neuron"
    result = run("explain", NEURON, *NEURON_VALUES, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    text = result.stdout
    for line in ("x1.grad = -1.5000", "w1.grad = 1.0000", "x2.grad = 0.5000",
                 "w2.grad = 0.0000", "b.grad = 0.5000"):
        assert f"  {line}\n" in text, line
    # the forward table: every node with its op and data, in the formula's reading order
    table = [line.split()[0] for line in text.split("forward pass")[1].split("\n\n")[0]
             .splitlines()[2:]]
    assert table == ["x1", "w1", "v1", "x2", "w2", "v2", "v3", "b", "v4", "L"]
    assert "  L     tanh   0.7071  tanh(x1*w1 + x2*w2 + b)\n" in text
    assert "  v1    *     -6.0000  x1*w1\n" in text
    # the start of the pass in words, then every backward step, as the trace says it, in order
    graph = build(NEURON, parse_assignments(NEURON_VALUES))
    sentences = [str(step) for step in backward_steps(graph.root)]
    start = text.index("  The backward pass starts at L: L.grad = 1, since L changes one for one "
                       "with itself.\n")
    positions = [text.index(f"  {k}. {s}\n") for k, s in enumerate(sentences, 1)]
    assert [start, *positions] == sorted([start, *positions]) and len(sentences) == 9
    assert "dL/d" not in text
    assert ANSI not in text  # piped: plain text
    svg = (out / "graph.svg").read_text()
    assert "<svg" in svg and "x1" in svg
    assert (out / "graph.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (out / "steps.html").read_text()
    assert page.lstrip().lower().startswith("<!doctype html") and sentences[0] in page.replace(
        "&amp;", "&")


def test_explain_names_the_output_when_the_formula_does():
    result = run("explain", "o = " + NEURON, *NEURON_VALUES)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "  o     tanh   0.7071  tanh(x1*w1 + x2*w2 + b)\n" in text
    assert "The backward pass starts at o: o.grad = 1" in text
    assert "  1. v4.grad += o.grad × ∂o/∂v4 = 1.0000 × 0.5000 = 0.5000   " in text
    assert "how much o changes per unit of each input" in text
    assert "L.grad" not in text and "  x1.grad = -1.5000\n" in text


def test_explain_x_times_x_says_which_operand_and_never_repeats_a_symbol():
    """Once: `dL/dx += dL/dL * dL/dx = 1.0000 * 3.0000`, twice."""
    result = run("explain", "x*x", "x=3")
    assert result.returncode == 0, result.stderr
    assert ("  1. x.grad += L.grad × ∂L/∂x (1st operand) = 1.0000 × 3.0000 = 3.0000   "
            "(x.grad is now 3.0000)\n") in result.stdout
    assert ("  2. x.grad += L.grad × ∂L/∂x (2nd operand) = 1.0000 × 3.0000 = 3.0000   "
            "(x.grad is now 6.0000)\n") in result.stdout


@pytest.mark.parametrize("env, name", [
    ({"PYTHONIOENCODING": "ascii"}, "θ"),
    ({"PYTHONIOENCODING": "latin-1"}, "θ"),
    # (in a C locale without coercion the arguments are ASCII too: no θ on the command line)
    ({"LANG": "C", "LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0",
      "PYTHONIOENCODING": ""}, "w"),
], ids=["ascii", "latin-1", "C locale"])
def test_explain_on_a_terminal_without_the_symbols_falls_back_to_ascii(env, name):
    result = run("explain", f"{name}*x + x", f"{name}=2", "x=3", env=env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "error" not in result.stderr
    text = result.stdout
    assert "x.grad += L.grad * local(L wrt x) = 1.0000 * 1.0000 = 1.0000   " in text
    assert "∂" not in text and "×" not in text and text.isascii()
    shown = name if name.isascii() else "\\u03b8"  # a label the terminal lacks: escaped
    assert f"  {shown}.grad = 3.0000\n" in text


def test_explain_without_out_writes_nothing(tmp_path):
    result = run("explain", "x*y + y", "x=2", "y=3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "x.grad = 3.0000" in result.stdout and "y.grad = 3.0000" in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_explain_accepts_a_formula_starting_with_a_minus_and_values_in_any_order(tmp_path):
    result = run("explain", "-x*y", "--out", str(tmp_path / "o"), "y=3", "x=2")
    assert result.returncode == 0, result.stderr
    assert "x.grad = -3.0000" in result.stdout and "y.grad = -2.0000" in result.stdout
    assert (tmp_path / "o" / "graph.svg").exists()


BAD = [
    # (arguments after "explain", a piece of the message, a caret under the column?)
    (["tanh(x", "x=1"], "column 5: syntax error: '(' was never closed", True),
    (["tanhh(x)", "x=1"], "unknown function 'tanhh'; did you mean tanh?", True),
    (["x*y", "x=1"], "no value for y", True),
    (["x*y"], "no value for x, y", True),
    (["x", "x=1", "z=2"], "z is given a value but not in the formula", False),
    (["log(x)", "x=-1"], "log(-1.0): log is defined only for x > 0", True),
    (["x/y", "x=1", "y=0"], "division by zero", True),
    (["exp(x)", "x=1000"], "exp(1000.0) overflows", True),
    (["9**9**9"], "9.0 ** 387420489.0 is too large for a float", True),
    (["x", "x=abc"], "'x=abc': 'abc' is not a number", False),
    (["x", "x=1", "x=2"], "x is given twice", False),
    (["x", "x=nan"], "must be a finite number", False),
    (["x", "1x=2"], "'1x' is not a valid name", False),
    (["__import__('os').system('touch pwned')"], "attribute access (.system)", True),
    (["open('pwned', 'w')"], "unknown function 'open'", True),
    (["x.y"], "attribute access (.y)", True),
    (["lambda: 1"], "lambda is not allowed", True),
    (["'s'"], "strings are not allowed", True),
    (["x=1"], "x=1 looks like a value, not a formula", True),
    (["1 = x", "x=2"], "before '=' comes the output's name, a plain name such as o", True),
    (["x.y = 2"], "before '=' comes the output's name", True),
    (["x^2", "x=1"], "column 2: use ** for a power (^ is XOR): write x**2", True),
    (["max(x, 0)", "x=1"], "for max(x, 0) write relu(x)", True),
    (["(" * 100 + "x" + ")" * 100], "too deeply nested", True),
    (["x" * 100_000], "100,000 characters long; the limit is 2,000", False),
    (["tanh(x1*w1", "+", "b)", "x1=1"], "put the formula in quotes", True),
    ([], "a formula is needed", False),
    (["x", "--bogus"], "unrecognized arguments: --bogus", False),
    (["-x*"], "syntax error", True),
]


@pytest.mark.parametrize("args, message, caret", BAD, ids=[repr(a)[:40] for a, _, _ in BAD])
def test_bad_input_is_one_line_on_stderr_with_status_2_and_writes_nothing(
    args, message, caret, tmp_path
):
    out = tmp_path / "out"
    result = run("explain", *args, "--out", str(out), cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith("chainrule: error: ") and message in lines[0], lines[0]
    if caret:
        assert len(lines) == 3 and lines[2].strip() == "^", lines
        assert lines[1].startswith("  ") and lines[2].startswith("  ")
    else:
        assert len(lines) == 1, lines
    assert list(tmp_path.iterdir()) == []  # no --out folder, no file made by the formula


def test_the_caret_stands_under_the_column():
    result = run("explain", "x + tanhh(x)", "x=1")
    _, text, caret = result.stderr.splitlines()
    assert text[caret.index("^"):].startswith("tanhh")


def test_out_must_be_a_directory(tmp_path):
    (tmp_path / "file").write_text("x")
    result = run("explain", "x*2", "x=1", "--out", str(tmp_path / "file"))
    assert result.returncode == 2 and "exists and is not a directory" in result.stderr
    assert (tmp_path / "file").read_text() == "x"


def _run_on_a_terminal(args: list[str], env: dict[str, str]) -> str:
    """stdout of the script when it is a terminal (a pseudo-terminal)."""
    master, slave = pty.openpty()
    process = subprocess.Popen([str(SCRIPT), *args], stdout=slave, stderr=subprocess.PIPE,
                               env=env)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert process.wait(timeout=60) == 0, process.stderr.read()
    process.stderr.close()
    return b"".join(chunks).decode()


def test_colour_on_a_terminal_only_and_never_with_no_color():
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env["TERM"] = "xterm"
    coloured = _run_on_a_terminal(["explain", "x*y", "x=2", "y=-3"], env)
    assert ANSI in coloured and "x.grad += " in coloured
    plain = _run_on_a_terminal(["explain", "x*y", "x=2", "y=-3"], {**env, "NO_COLOR": "1"})
    assert ANSI not in plain and "x.grad = -3.0000" in plain


def test_explain_does_not_import_nn():
    code = (
        "import sys; from chainrule.cli import main; "
        "status = main(['explain', 'tanh(x*w)', 'x=1', 'w=2']); "
        "assert status == 0, status; "
        "assert not [m for m in sys.modules if m == 'nn' or m.startswith('nn.')]"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# ---------------------------------------------------------------------------------------------
# The command itself, and what happens on a bug.


def test_usage_help_and_unknown_commands():
    assert run("--help").returncode == 0 and "explain" in run("--help").stdout
    assert run("explain", "--help").returncode == 0
    assert run().returncode == 2
    wrong = run("explian", "x")
    assert wrong.returncode == 2 and "did you mean explain?" in wrong.stderr
    assert "Traceback" not in wrong.stderr


def test_an_unexpected_exception_is_one_line_unless_debugging(monkeypatch, capsys):
    def broken(ns):  # noqa: ANN001, ANN202
        raise RuntimeError("boom")

    monkeypatch.setattr(chainrule.demo, "run", broken)
    monkeypatch.delenv("CHAINRULE_DEBUG", raising=False)
    assert cli.main(["demo"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error, a bug in chainrule: RuntimeError: boom" in err
    monkeypatch.setenv("CHAINRULE_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        cli.main(["demo"])


# ---------------------------------------------------------------------------------------------
# demo


def test_demo_lists_the_demos():
    result = run("demo")
    assert result.returncode == 0, result.stderr
    assert "01_one_neuron" in result.stdout and "one neuron" in result.stdout


def test_demo_runs_one_by_number_and_writes_its_pictures(tmp_path):
    result = run("demo", "1", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "x1.grad = ∂o/∂x1 = -1.5000" in result.stdout
    assert (tmp_path / "01_one_neuron.svg").exists()


def test_an_unknown_demo_is_a_usage_error():
    result = run("demo", "nosuch")
    assert result.returncode == 2 and "no demo 'nosuch'" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_names_resolve_by_number_name_and_prefix():
    demos = [Path("01_one_neuron.py"), Path("02_node_used_twice.py")]
    assert chainrule.demo._find_demo("01", demos) == demos[0]
    assert chainrule.demo._find_demo("2", demos) == demos[1]
    assert chainrule.demo._find_demo("one_neuron", demos) == demos[0]
    assert chainrule.demo._find_demo("02_node_used_twice.py", demos) == demos[1]
    assert chainrule.demo._find_demo("node", demos) == demos[1]
    with pytest.raises(chainrule.console.UsageError, match="did you mean one_neuron"):
        chainrule.demo._find_demo("one_nuron", demos)


def test_without_a_demos_folder_the_message_says_where_they_are(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(chainrule.demo, "DEMOS_PACKAGE", "chainrule.no_such_demos")
    monkeypatch.setattr(chainrule.demo, "REPO_ROOT", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert cli.main(["demo"]) == 2
    err = capsys.readouterr().err
    assert "no demos found: neither the installed package chainrule.no_such_demos" in err
    assert "reinstall chainrule" in err and len(err.splitlines()) == 1


def test_the_demo_list_says_where_the_notebook_is():
    result = run("demo")
    line = next(x for x in result.stdout.splitlines() if "tutorial.ipynb" in x)
    assert "Jupyter" in line and "Colab" in line and Path(line.split()[-1]).is_file()


# ---------------------------------------------------------------------------------------------
# train


def test_train_moons_briefly_and_write_the_model_and_pictures(tmp_path):
    out = tmp_path / "moons"
    result = run("train", "moons", "--epochs", "2", "--hidden", "8", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "MLP 2 -> 8 -> 1 (relu) on moons" in result.stdout
    assert "after 2 epochs" in result.stdout and "training accuracy" in result.stdout
    state = json.loads((out / "model.json").read_text())
    assert state["architecture"]["nouts"] == [8, 1]
    for name in ("history.png", "boundary.png", "grad_norms.png"):
        assert (out / name).read_bytes()[:4] == b"\x89PNG", name
    assert "<svg" in (out / "network.svg").read_text()
    replay = (out / "replay.html").read_text(encoding="utf-8")
    assert replay.lstrip().lower().startswith("<!doctype html") and "</html>" in replay
    assert "moons: MLP 2 -&gt; 8 -&gt; 1 (relu), Adam lr 0.02" in replay
    assert f"wrote {out / 'replay.html'}" in result.stdout


def test_train_a_multiclass_dataset_with_one_output_per_class():
    result = run("train", "spiral", "--epochs", "1", "--hidden", "4", "--samples", "30")
    assert result.returncode == 0, result.stderr
    assert "MLP 2 -> 4 -> 3" in result.stdout and "softmax cross-entropy" in result.stdout


@pytest.mark.parametrize("dataset", chainrule.train.DATASETS)
def test_train_samples_n_gives_n_points_for_every_dataset(dataset):
    result = run("train", dataset, "--samples", "100", "--epochs", "1", "--hidden", "2")
    assert result.returncode == 0, result.stderr
    assert f"on {dataset}: 100 points," in result.stdout


@settings(max_examples=40, deadline=None)
@given(dataset=st.sampled_from(chainrule.train.DATASETS),
       samples=st.integers(chainrule.train.MIN_SAMPLES, chainrule.train.MAX_SAMPLES),
       seed=st.integers(0, 2**32 - 1))
def test_every_dataset_makes_exactly_the_samples_asked_for(dataset, samples, seed):
    X, y = chainrule.train.make_dataset(dataset, samples, seed)
    assert len(X) == len(y) == samples


def test_a_run_that_does_not_learn_says_so_and_why_on_stderr_and_still_exits_0():
    """--lr 5: Adam's steps overshoot, the loss jumps to thousands, every relu dies and the
    model ends at 50%: once reported as "done" with nothing more said."""
    result = run("train", "moons", "--lr", "5")
    assert result.returncode == 0, result.stderr
    assert "done: loss 0.6940, training accuracy 50.0%" in result.stdout
    err = " ".join(result.stderr.split())  # the lines are wrapped
    assert err.startswith("chainrule: warning: the model did not learn: its training accuracy, "
                          "50.0%, is no better than chance")
    assert "the learning rate is too large: Adam's steps overshoot" in err
    assert "try a smaller --lr, e.g. --lr 0.5" in err
    assert all(len(line) <= 100 for line in result.stderr.splitlines())


def test_a_run_that_learns_prints_no_warning():
    for dataset in ("moons", "spiral"):
        result = run("train", dataset)
        assert result.returncode == 0 and result.stderr == "", (dataset, result.stderr)


def _history(loss, accuracy):
    return nn.History(loss=list(loss), accuracy=list(accuracy))


@pytest.mark.parametrize("loss, accuracy, says, not_says", [
    # the loss never fell: steps too large
    ([0.70, 0.70, 0.71], [0.5, 0.8, 0.9], "the loss did not fall: 0.7000 after epoch 1, "
     "0.7100 after epoch 3", "too small"),
    # it fell, but jumped on the way and ends at chance: steps too large
    ([0.9, 700.0, 0.69], [0.5, 0.5, 0.5], "jumped to 700 at epoch 2", "too small"),
    # it fell a little and smoothly, still at chance: steps too small or too few
    ([0.9, 0.88, 0.86], [0.3, 0.4, 0.5], "too small or too few", "too large"),
])
def test_the_warning_names_the_likely_cause(loss, accuracy, says, not_says):
    text = chainrule.train.trouble(_history(loss, accuracy), [0, 1] * 5, 0.02, "tanh")
    assert says in text and not_says not in text
    assert "relu" not in text  # tanh units do not die


def test_a_run_that_learned_gets_no_warning():
    assert chainrule.train.trouble(_history([0.7, 0.3], [0.6, 0.95]), [0, 1], 0.02, "relu") == ""
    # three classes: chance is 1/3, so 60% is learning
    assert chainrule.train.trouble(_history([1.1, 0.8], [0.4, 0.6]), [0, 1, 2], 0.02, "relu") == ""


def _worst_frames(recorder, count):
    """`count` frames as large as a frame can be: every number as long as round_for_page
    writes any, every point misclassified, a grid of varied bytes."""
    from nn.recorder import Frame

    first = recorder.frames[0]
    worst = -1.234e-05
    return [Frame(epoch=k, loss=worst, accuracy=0.0,
                  grid=bytes((7 * k + i) % 256 for i in range(recorder.resolution ** 2)),
                  weights=[worst] * len(first.weights), grads=[worst] * len(first.weights),
                  biases=[worst] * len(first.biases), bias_grads=[worst] * len(first.biases),
                  status="s" * len(first.status), wrong=list(range(len(recorder.X))))
            for k in range(count)]


@pytest.mark.parametrize("hidden, samples, epochs", [
    ([16, 16], 100, 100), ([16, 16], 100, chainrule.train.MAX_EPOCHS),
    ([16, 16], chainrule.train.MAX_SAMPLES, 5_000), ([32, 32], 1_000, 50_000), ([4], 20, 7)])
def test_the_replay_of_a_long_run_stays_under_2_mb(hidden, samples, epochs, tmp_path):
    """The page as `chainrule train --out` would write it, its frames as large as frames get."""
    X, y = chainrule.train.make_dataset("moons", samples, 0)
    model = nn.MLP(2, [*hidden, 1], seed=0)
    recorder = nn.TrainingRecorder(model, X, y, resolution=chainrule.train.REPLAY_RESOLUTION)
    every = chainrule.train.replay_every(epochs, model, len(X))
    frames = epochs // every + 1 + (epochs % every != 0)  # 0, every, 2 every, ..., the last
    assert min(epochs + 1, 10) <= frames <= chainrule.train.REPLAY_FRAMES + 2
    assert str(every).strip("0") in ("1", "2", "5")  # a round step: 1, 2, 5, 10, 20, ...
    recorder.frames = _worst_frames(recorder, frames)
    page = nn.save_training_replay(tmp_path / "replay.html", recorder)
    assert page.stat().st_size < 2_000_000, (every, frames, page.stat().st_size)
    if epochs <= chainrule.train.REPLAY_FRAMES:
        assert every == 1  # a short run keeps every epoch


@pytest.mark.parametrize("epochs, recorded", [
    (7, list(range(8))),
    (123, [*range(0, 121, 5), 123]),  # round steps of 5, and the last epoch too
])
def test_train_out_records_frame_0_the_last_epoch_and_round_steps_between(
    epochs, recorded, tmp_path, monkeypatch
):
    saved = []
    real = nn.save_training_replay

    def keep(path, recorder, **kwargs):  # noqa: ANN001, ANN003, ANN202 - a spy, saves for real
        saved.append(recorder)
        return real(path, recorder, **kwargs)

    monkeypatch.setattr(nn, "save_training_replay", keep)
    out = tmp_path / "run"
    assert cli.main(["train", "xor", "--epochs", str(epochs), "--hidden", "2", "--samples", "8",
                     "--out", str(out)]) == 0
    assert [frame.epoch for frame in saved[0].frames] == recorded
    assert (out / "replay.html").stat().st_size > 0


@pytest.mark.parametrize("args, message", [
    (["nosuch"], "'nosuch' is not one of moons, circles, xor, spiral, blobs"),
    (["moon"], "did you mean moons?"),
    (["moons", "--hidden", "16,x"], "'x' is not a whole number"),
    (["moons", "--hidden", "0"], "each width must be 1 to 256"),
    (["moons", "--activation", "softmax"], "--activation 'softmax' is not one of"),
    (["moons", "--epochs", "0"], "--epochs '0': must be 1 to"),
    (["moons", "--lr", "-1"], "the learning rate must be > 0"),
    (["moons", "--lr", "fast"], "--lr 'fast': not a number"),
    (["moons", "--seed", "1.5"], "--seed '1.5': not a whole number"),
    (["moons", "--samples", "1"], "--samples '1': must be 4 to"),
    ([], "the following arguments are required: DATASET"),
])
def test_train_refuses_bad_arguments_with_status_2(args, message, tmp_path):
    result = run("train", *args, "--out", str(tmp_path / "out"))
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_a_reader_that_leaves_early_gets_no_traceback():
    process = subprocess.Popen([str(SCRIPT), "explain", "+".join(["x"] * 300), "x=1"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # as `| head` does once it has its lines
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1 and b"Traceback" not in err and b"Exception" not in err


def test_explain_paths_lists_every_path_and_their_sum():
    result = run("explain", "tanh(x1*w1 + x2*w2 + b)", "x1=2", "x2=0", "w1=-3", "w2=1",
                 "b=6.8813735870195432", "--paths", "x1")
    assert result.returncode == 0, result.stderr
    section = result.stdout.split("paths from x1 to L")[1]
    assert "1 path," in section
    assert "x1 → v1 → v3 → v4 → L: ∂v1/∂x1 × ∂v3/∂v1 × ∂v4/∂v3 × ∂L/∂v4 = " in section
    assert "= -1.5000\n" in section and "sum of the products = -1.5000 = x1.grad" in section
    assert "visited each of the graph's 9 edges once" in section


def test_explain_paths_of_a_reused_node_add_up_to_its_gradient():
    result = run("explain", "d = a*b + a", "a=3", "b=2", "--paths", "a", "--paths", "b")
    assert result.returncode == 0, result.stderr
    a_part, b_part = result.stdout.split("paths from a to d")[1].split("paths from b to d")
    assert "2 paths" in a_part and "a → d: ∂d/∂a = 1.0000" in a_part
    assert "sum of the products = 3.0000 = a.grad" in a_part
    assert "1 path," in b_part


def test_explain_paths_refuses_an_unknown_name_in_one_line_before_any_output():
    # (a formula is a tree over its names, so its paths from x are x's uses: at most a few
    # hundred in 2,000 characters, under the limit; tests/test_paths.py covers the refusal)
    unknown = run("explain", "x*y", "x=1", "y=2", "--paths", "z")
    assert unknown.returncode == 2 and "'z' is not an input" in unknown.stderr
    assert unknown.stdout == "" and "Traceback" not in unknown.stderr


def test_a_backward_pass_that_overflows_is_a_one_line_error_not_a_bug():
    result = run("explain", "x*y + x*y", "x=1e-10", "y=1e308")
    assert result.returncode == 2, result.stderr
    assert "backward overflowed" in result.stderr and "internal error" not in result.stderr
