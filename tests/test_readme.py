"""The README stays true: its Python runs, its commands work as shown, its pictures exist."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
CHAINRULE = Path(sys.executable).with_name("chainrule")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, re.S)


def test_the_five_minute_walk_runs_and_prints_what_the_readme_says(tmp_path):
    code = "\n".join(blocks("python"))
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == ("n.grad += o.grad × ∂o/∂n = 1.0000 × 0.5000 = 0.5000   "
                        "(n.grad is now 0.5000)")
    assert ("x1.grad += v1.grad × ∂v1/∂x1 = 0.5000 × -3.0000 = -1.5000   (x1.grad is now -1.5000)"
            in lines)
    grads = [float(g) for g in lines[9].split()]  # after the 9 steps: x1, w1, x2, w2 grads
    assert grads == pytest.approx([-1.5, 1.0, 0.5, 0.0])
    assert "337 parameters" in run.stdout and lines[-1] == "1.0"
    for name in ("neuron.svg", "neuron.png", "neuron_steps.html", "moons_boundary.png",
                 "moons_network.png"):
        assert (tmp_path / "out" / name).stat().st_size > 0, name


def chainrule_commands() -> list[str]:
    """Every `chainrule ...` line of the README's shell blocks, comments removed."""
    lines = [line.split("#")[0].strip() for block in blocks("sh") for line in block.splitlines()]
    return [line for line in lines if line.startswith("chainrule ")]


def test_the_readme_shows_the_subcommands():
    used = {shlex.split(c)[1] for c in chainrule_commands()}
    assert used == {"explain", "demo", "train", "serve", "exercises"}


def test_the_twin_command_the_readme_names_runs_on_what_its_train_command_saved(tmp_path):
    """`chainrule twin MODEL.json` is named in the text, on the model the README's train
    command writes: run the two in one folder, as a reader would."""
    twin = re.findall(r"`(chainrule twin [^`]+)`", README)
    assert len(twin) == 1, twin
    model = shlex.split(twin[0])[2]
    train = next(c for c in chainrule_commands() if shlex.split(c)[1] == "train")
    assert f"--out {model.rsplit('/', 1)[0]}" in train, (train, model)
    for command in (train, twin[0]):
        run = subprocess.run([str(CHAINRULE), *shlex.split(command)[1:]], cwd=tmp_path,
                             capture_output=True, text=True, timeout=600)
        assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    assert "torch.nn.Sequential" in run.stdout


def finite_commands() -> list[str]:
    """The commands that end by themselves (`chainrule serve` runs until stopped: its README
    line is run by tests/test_serve.py's console-script tests)."""
    return [c for c in chainrule_commands() if shlex.split(c)[1] != "serve"]


@pytest.mark.parametrize("command", finite_commands())
def test_every_chainrule_command_in_the_readme_works(command, tmp_path):
    argv = [str(CHAINRULE), *shlex.split(command)[1:]]
    run = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr


def test_the_explain_output_shown_is_what_explain_prints(tmp_path):
    command = next(c for c in chainrule_commands() if " explain " in f" {c} ")
    run = subprocess.run([str(CHAINRULE), *shlex.split(command)[1:]], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    shown = [line for block in blocks("text") for line in block.splitlines()]
    for line in shown:
        if line[:2] in ("1.", "8.") or line.startswith("The backward pass starts"):
            assert line in run.stdout, line
    for grad in re.findall(r"`(\w+\.grad = -?\d\.\d{4})`", README):
        assert grad in run.stdout
    for name in ("graph.svg", "graph.png", "steps.html"):
        assert (tmp_path / "out" / "neuron" / name).exists()


def test_the_error_shown_is_what_a_typo_gets(tmp_path):
    run = subprocess.run([str(CHAINRULE), "explain", "tanhh(x)", "x=1"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert run.stderr.startswith(
        "chainrule: error: column 1: unknown function 'tanhh'; did you mean tanh?")
    assert "  tanhh(x)\n  ^" in run.stderr


def test_every_picture_and_page_the_readme_links_exists():
    links = re.findall(r"\]\((docs/[^)]+)\)", README)
    assert len(links) >= 8
    for link in links:
        assert (ROOT / link).stat().st_size > 0, link


def test_every_demo_is_listed_in_the_readme():
    for script in sorted((ROOT / "demos").glob("[0-9][0-9]_*.py")):
        assert f"`{script.name}`" in README, script.name


def pip_install_lines() -> list[str]:
    """Every `pip install ...` the README shows, in its code blocks or its text."""
    return re.findall(r"pip install [^`\n]*", README)


def test_the_readme_has_a_with_pip_and_in_colab_section():
    """How to get chainrule without the repository: pip (or a wheel), then `chainrule demo 01`,
    and how to open the notebook; tests/test_packaging.py runs the same in a fresh venv."""
    heading = re.search(r"^#+ [^\n]*\bpip\b[^\n]*\bColab\b[^\n]*$", README, re.M | re.I)
    assert heading, "no heading naming pip and Colab"
    section = README[heading.end():]
    level = heading.group().index(" ")  # the section ends at the next heading as high
    next_heading = re.search(rf"^#{{1,{level}}} ", section, re.M)
    section = section[:next_heading.start()] if next_heading else section
    assert "pip install" in section and "chainrule demo 01" in section
    assert "tutorial.ipynb" in section  # where the notebook is, and how to open it
    assert "chainrule demo" in section.replace("chainrule demo 01", "")  # the list shows its path


def test_every_pip_install_in_the_readme_names_real_extras():
    import tomllib

    extras = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"])
    lines = pip_install_lines()
    assert lines
    for line in lines:
        for names in re.findall(r"(?:chainrule|\.)\[([^\]]*)\]", line):
            unknown = {n.strip() for n in names.split(",")} - extras
            assert not unknown, (line, unknown)
