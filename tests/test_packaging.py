"""A light set-up: what `make demo` installs, a wheel that carries the demos and the notebook,
and demos that go on without Graphviz's `dot`.

The wheel test builds chainrule as pip builds it for anyone (`pip wheel .`, in an isolated build
environment), installs it into a fresh virtualenv with only graphviz beside it, and runs
`chainrule demo` there, outside any source checkout: what a Colab user gets.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from test_demos import DEMOS, EXPECTED_FILES, check_picture

ROOT = Path(__file__).resolve().parent.parent
# the source tree as git would ship it: no virtualenv, caches, build output or pictures
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "out", "build", "dist", "*.egg-info",
                                    "__pycache__", ".pytest_cache", ".hypothesis", ".ruff_cache")
# Each demo's pictures that Graphviz's `dot` draws: without it, the demo says how to get it for
# each of them and writes the others.
NEEDS_DOT = {
    "01_one_neuron": ["01_one_neuron.svg", "01_one_neuron_step.svg"],
    "02_node_used_twice": ["02_node_used_twice.svg", "02_node_used_twice_wrong.svg",
                           "02_node_used_twice_steps.html"],
    "03_reverse_topological_order": ["03_diamond.svg", "03_diamond_wrong_order.svg",
                                     "03_diamond_steps.html"],
    "05_vanishing_gradients": ["05_dead_relus_network.svg"],
    "06_moons": ["06_moons_network.svg", "06_moons_replay.html"],
    "12_spot_the_bug": ["12_0_right.svg", "12_1_overwritten.svg", "12_2_backward_twice.svg",
                        "12_3_forward_order.svg", "12_5_dead_relus.svg",
                        "12_5_dead_relus_right.svg"],
}


def copy_of_the_source(tmp_path: Path) -> Path:
    """The repository's files in a fresh folder, so that building writes nothing into ours."""
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    return source


def a_path_without(tmp_path: Path, *missing: str, keep: tuple[str, ...] = ()) -> str:
    """A PATH of one folder holding links to the programs `keep` only (never to `missing`)."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    for name in keep:
        found = shutil.which(name)
        assert found, f"{name} is needed on this machine for the test"
        (folder / name).symlink_to(found)
    path = str(folder)
    for name in missing:
        assert shutil.which(name, path=path) is None
    return path


# ---------------------------------------------------------------------------------------------
# The wheel: pip install, then `chainrule demo 01`, anywhere.


@pytest.fixture(scope="module")
def wheel_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """(the wheel, pip's log of building it)."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = copy_of_the_source(tmp)
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-v", "-w",
         str(tmp / "dist")],
        capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    wheels = list((tmp / "dist").glob("chainrule-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0], build.stdout + build.stderr


def test_the_wheel_carries_the_demos_and_the_notebook_as_package_data(wheel_build):
    wheel, _ = wheel_build
    names = set(zipfile.ZipFile(wheel).namelist())
    for demo in DEMOS:
        assert f"chainrule/demos/{demo.name}" in names, demo.name
    assert "chainrule/demos/tutorial.ipynb" in names
    assert "chainrule/demos/gallery.py" in names
    assert not any(name.startswith(("tests/", "demos/", "benchmarks/")) for name in names)


def test_building_gives_no_license_deprecation_warning(wheel_build):
    _, log = wheel_build
    lines = [line for line in log.splitlines() if "license" in line.lower()]
    assert not [line for line in lines if "deprecat" in line.lower()], lines


def test_pip_install_in_a_fresh_venv_then_chainrule_demo_01_works(wheel_build, tmp_path):
    wheel, _ = wheel_build
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--no-deps", str(wheel)], check=True, timeout=600)
    subprocess.run([*pip, "graphviz"], check=True, timeout=600)
    elsewhere = tmp_path / "elsewhere"  # no demos/ folder around: only the installed ones
    elsewhere.mkdir()
    chainrule = str(venv / "bin" / "chainrule")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}

    listed = subprocess.run([chainrule, "demo"], cwd=elsewhere, capture_output=True,
                            text=True, timeout=120, env=env)
    assert listed.returncode == 0, listed.stderr
    assert "01_one_neuron" in listed.stdout and "10_digits" in listed.stdout
    assert str(venv) in listed.stdout  # the demos found are the installed ones
    notebook = next(line for line in listed.stdout.splitlines() if "tutorial.ipynb" in line)
    assert (Path(notebook.split()[-1])).is_file(), notebook

    out = tmp_path / "out"
    ran = subprocess.run([chainrule, "demo", "01", "--out", str(out)], cwd=elsewhere,
                         capture_output=True, text=True, timeout=300, env=env)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "o = tanh(n) = 0.7071" in ran.stdout
    pictures = sorted(p.name for p in out.iterdir())
    assert "01_one_neuron.svg" in pictures and "01_one_neuron.png" in pictures, pictures
    for name in pictures:
        check_picture(out / name)


# ---------------------------------------------------------------------------------------------
# Without Graphviz's `dot`: the demos say how to get it and go on.


@pytest.mark.parametrize("demo", [path.stem for path in DEMOS])
def test_every_demo_survives_a_missing_dot_and_says_how_to_get_it(demo, tmp_path):
    out = tmp_path / "out"
    env = {**os.environ, "PATH": a_path_without(tmp_path, "dot"), "MPLBACKEND": "Agg",
           "CHAINRULE_FAST": "1"}
    result = subprocess.run([sys.executable, str(ROOT / "demos" / f"{demo}.py"), str(out)],
                            capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600)
    said = result.stdout + result.stderr
    assert result.returncode == 0, said[-3000:]
    assert "Traceback" not in said
    lines = said.splitlines()
    for picture in NEEDS_DOT.get(demo, []):
        stem = picture.rsplit(".", 1)[0]
        about = [line for line in lines if stem in line and "graphviz" in line.lower()]
        assert about, f"{demo} does not say that {picture} needs Graphviz, nor how to get it"
        assert any("apt-get install graphviz" in line or "brew install graphviz" in line
                   for line in about + lines), f"{demo} does not say how to install Graphviz"
        assert not (out / picture).exists()
    for name in EXPECTED_FILES.get(demo, []):
        stem = name.rsplit(".", 1)[0]
        if not any(p.rsplit(".", 1)[0] == stem for p in NEEDS_DOT.get(demo, [])):
            check_picture(out / name)  # the pictures matplotlib draws are all there


def test_the_graphviz_installer_fails_softly_for_the_demos_and_loudly_for_the_tests(tmp_path):
    """No `dot`, and no root or apt-get to install it with."""
    path = a_path_without(tmp_path, "dot", "apt-get", keep=("id", "cat"))
    env = {**os.environ, "PATH": path}
    script = str(ROOT / ".ci" / "install-graphviz")
    bash = shutil.which("bash")
    soft = subprocess.run([bash, script, "--soft"], capture_output=True, text=True, env=env,
                          timeout=60)
    assert soft.returncode == 0, soft.stderr
    assert "sudo apt-get install graphviz" in soft.stderr and "brew install graphviz" in soft.stderr
    assert "the demos run without it" in soft.stderr
    hard = subprocess.run([bash, script], capture_output=True, text=True, env=env, timeout=60)
    assert hard.returncode == 1 and "sudo apt-get install graphviz" in hard.stderr


# ---------------------------------------------------------------------------------------------
# The Makefile: `make demo` installs what the demos need, `make test` everything.


def dry_run(tmp_path: Path, target: str) -> str:
    """What `make TARGET` would run on a fresh clone (no .venv yet): make -n prints it."""
    folder = tmp_path / target
    folder.mkdir()
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, folder / name)
    shutil.copytree(ROOT / ".ci", folder / ".ci")
    shutil.copytree(ROOT / "demos", folder / "demos")
    run = subprocess.run(["make", "-n", target], cwd=folder, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    return run.stdout


def installs(commands: str) -> list[str]:
    return [line for line in commands.splitlines() if "pip install" in line]


def test_make_demo_installs_only_what_the_demos_need(tmp_path):
    commands = dry_run(tmp_path, "demo")
    pips = installs(commands)
    assert any("-e '.[demos]'" in line for line in pips), pips
    assert not any(word in line for line in pips for word in ("test", "bench", "torch")), pips
    assert "install-chromium" not in commands and "playwright" not in commands
    assert "install-graphviz --soft" in commands


def test_make_test_installs_everything_make_demo_has_and_the_test_tools(tmp_path):
    commands = dry_run(tmp_path, "test")
    pips = installs(commands)
    assert any("'.[demos]'" in line for line in pips), pips
    assert any("'.[test,demos,bench]'" in line for line in pips), pips
    assert "install-chromium" in commands
    assert "bash .ci/install-graphviz\n" in commands  # no --soft: the tests need dot
    assert "pytest" in commands


def test_the_demos_extra_holds_what_the_demos_import(tmp_path):
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    demos = " ".join(project["optional-dependencies"]["demos"])
    for needed in ("matplotlib", "graphviz", "scikit-learn"):  # plots, pictures, the digits
        assert needed in demos, needed
    for heavy in ("torch", "playwright", "pytest", "ipykernel"):
        assert heavy not in demos, heavy
    assert project["license"] == "MIT"
