"""The `chainrule` command when things go wrong around it: a bad --out path, a full disk, a
Ctrl-C or a SIGTERM at any moment, Graphviz failing.

The signals are real: a child process is sent SIGINT or SIGTERM. To hit an exact moment (the
third file opened, the fifth module imported) the child installs an audit hook
(`sys.addaudithook`) that sends the signal to its own process when that event happens; nothing
in chainrule is replaced. The full disk is real too: the child runs with RLIMIT_FSIZE, so its
writes fail with EFBIG the way they fail with ENOSPC on a full disk.
"""

from __future__ import annotations

import ast
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import chainrule.demo
from autograd import draw
from chainrule import cli

SCRIPT = Path(sys.executable).parent / "chainrule"
CLI_SOURCE = Path(cli.__file__)
TRAIN = ["train", "moons", "--epochs", "2", "--hidden", "4", "--samples", "20", "--lr", "0.2"]
TRAIN_FOREVER = ["train", "moons", "--epochs", "100000"]  # never ends by itself in a test
EXPLAIN = ["explain", "tanh(x*w + b)", "x=1", "w=2", "b=-1"]
EXPLAIN_FILES = {"graph.svg", "graph.png", "steps.html"}
TRAIN_FILES = {"model.json", "history.png", "boundary.png", "grad_norms.png", "network.svg",
               "replay.html"}
INTERRUPTED = "chainrule: error: interrupted\n"
TERMINATED = "chainrule: error: terminated (SIGTERM)\n"
STOPS = [("SIGINT", (130, INTERRUPTED)), ("SIGTERM", (143, TERMINATED))]  # signal, what it ends in

# The child: an audit hook that counts the file-system events under ROBUST_ROOT and sends
# ROBUST_SIGNAL to its own process at the ROBUST_AT-th one (0: never, and report the count).
CHILD = r"""
import os, signal, sys
ROOT = os.environ["ROBUST_ROOT"]
AT = int(os.environ.get("ROBUST_AT", "0"))
SIG = getattr(signal, os.environ.get("ROBUST_SIGNAL", "SIGINT"))
EVENTS = {"open", "os.mkdir", "os.rename", "os.remove", "os.rmdir"}
count = 0

def hook(event, args):
    global count
    if event in EVENTS and isinstance(args[0], (str, bytes, os.PathLike)):
        if os.fsdecode(args[0]).startswith(ROOT):
            count += 1
            if count == AT:
                os.kill(os.getpid(), SIG)

sys.addaudithook(hook)
from chainrule.cli import main
status = main()  # as the console script calls it
if not AT:
    with open(os.environ["ROBUST_COUNT"], "w") as f:
        f.write(str(count))
sys.exit(status)
"""

# The child: SIGINT at the ROBUST_AT-th module imported after chainrule.cli's import begins.
# Before that moment no code of the command line runs (interpreter start-up, the autograd
# package), so nothing in chainrule/cli.py can catch an interrupt there.
CHILD_AT_IMPORT = r"""
import os, signal, sys
AT = int(os.environ["ROBUST_AT"])
armed, count = False, 0

def hook(event, args):
    global armed, count
    if event != "import":
        return
    if args[0] == "chainrule.cli":
        armed = True
    elif armed:
        count += 1
        if count == AT:
            os.kill(os.getpid(), signal.SIGINT)

import autograd, chainrule  # (packages: their imports come before any code of the command line)
sys.addaudithook(hook)
from chainrule.cli import main
sys.exit(main())  # as the console script calls it
"""

# The child: SIGINT at the ROBUST_AT-th call of a Python function whose file name ends with
# ROBUST_IN ("" for any) and, if ROBUST_NAME is given, of that name, called (at any depth) by a
# function named ROBUST_UNDER if that is given, once main has started (0: never, and print the
# count last).
CHILD_AT_CALL = r"""
import os, signal, sys
AT, IN = int(os.environ["ROBUST_AT"]), os.environ.get("ROBUST_IN", "")
NAME, UNDER = os.environ.get("ROBUST_NAME"), os.environ.get("ROBUST_UNDER")

def under(frame):
    while frame is not None and frame.f_code.co_name != UNDER:
        frame = frame.f_back
    return frame is not None

count = 0

def profile(frame, event, arg):
    global count
    code = frame.f_code
    if event == "call" and code.co_filename.endswith(IN) and NAME in (None, code.co_name) and (
            UNDER is None or under(frame)):
        count += 1
        if count == AT:
            sys.setprofile(None)
            os.kill(os.getpid(), signal.SIGINT)

from chainrule.cli import main
sys.setprofile(profile)
status = main()  # as the console script calls it
sys.setprofile(None)
if not AT:
    print(count)
sys.exit(status)
"""


def count_calls(args: list[str], within: str = "", name: str | None = None) -> int:
    env = {"ROBUST_AT": "0", "ROBUST_IN": within, **({"ROBUST_NAME": name} if name else {})}
    status, out, err = finish(child(CHILD_AT_CALL, args, env))
    assert status == 0, err
    return int(out.splitlines()[-1])


# The child: says "ready" on stdout at its first import inside cli.main, so that the test can
# send a real signal at a delay counted from the moment the command itself has started.
CHILD_READY = r"""
import os, sys
said = False

def hook(event, args):
    global said
    if event == "import" and not said:
        frame = sys._getframe(1)
        while frame is not None:
            code = frame.f_code
            if code.co_name == "main" and code.co_filename.endswith("cli.py"):
                said = True
                os.write(1, b"ready\n")
                return
            frame = frame.f_back

sys.addaudithook(hook)
from chainrule.cli import main
sys.exit(main())  # as the console script calls it
"""


def child(code: str, args: list[str], env: dict[str, str] | None = None,
          **popen: object) -> subprocess.Popen:
    environment = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=environment, **popen)


def finish(process: subprocess.Popen, timeout: float = 120) -> tuple[int, str, str]:
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"still running {timeout} s after the signal (it was lost?): {err[-2000:]}")
    return process.returncode, out, err


def run_cli(*args: str, env: dict[str, str] | None = None,
            **popen: object) -> subprocess.CompletedProcess:
    environment = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=300,
                          env=environment, **popen)


def everything_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def count_events(args: list[str], root: Path, counter: Path) -> int:
    """How many file-system events under `root` one uninterrupted run makes."""
    env = {"ROBUST_ROOT": str(root), "ROBUST_COUNT": str(counter)}
    status, _, err = finish(child(CHILD, args, env))
    assert status == 0, err
    return int(counter.read_text())


# ---------------------------------------------------------------------------------------------
# Item 6: a bad --out is refused before any work, in one line, with exit status 2.


def _long_path(root: Path) -> Path:
    """Longer than PATH_MAX (4096), each name within NAME_MAX (255)."""
    return root.joinpath(*["p" * 200] * 25)


BAD_OUT = [
    # (name, the path given the test's folder, a piece of the message)
    ("a file in the way", lambda root: root / "file", "exists and is not a directory"),
    ("a file as parent", lambda root: root / "file" / "sub", "Not a directory"),
    ("under /proc", lambda root: Path("/proc/chainrule-test/out"), "No such file or directory"),
    ("an unwritable folder", lambda root: Path("/sys"), "Permission denied"),
    ("a name over NAME_MAX", lambda root: root / ("n" * 300), "File name too long"),
    ("a path over PATH_MAX", _long_path, "File name too long"),
]
COMMANDS = {
    "explain": EXPLAIN,
    "train": TRAIN,
    "demo": ["demo", "1"],
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("name, make_path, message", BAD_OUT, ids=[b[0] for b in BAD_OUT])
def test_a_bad_out_is_refused_before_any_work_in_one_line(command, name, make_path, message,
                                                          tmp_path):
    (tmp_path / "file").write_text("mine")
    out = make_path(tmp_path)
    result = run_cli(*COMMANDS[command], "--out", str(out), cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""  # refused before any work: nothing explained, trained or run
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"chainrule: error: --out {str(out)[:40]}"), lines[0]
    assert message in lines[0] and len(lines[0]) < 400, lines[0]
    assert "internal error" not in lines[0] and "Traceback" not in result.stderr
    assert everything_under(tmp_path) == ["file"]  # nothing made, no folder left half-created
    assert (tmp_path / "file").read_text() == "mine"


def test_a_folder_created_for_out_is_removed_when_the_command_then_fails(tmp_path):
    out = tmp_path / "new" / "deeper" / "neuron"
    result = run_cli(*EXPLAIN, "--out", str(out), env={"PATH": "/nonexistent"})
    assert result.returncode == 1, result.stderr
    assert "Graphviz" in result.stderr and len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert everything_under(tmp_path) == []


def test_out_may_name_an_existing_folder_and_other_files_in_it_stay(tmp_path):
    (tmp_path / "mine.txt").write_text("mine")
    result = run_cli(*EXPLAIN, "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert set(everything_under(tmp_path)) == EXPLAIN_FILES | {"mine.txt"}
    assert (tmp_path / "mine.txt").read_text() == "mine"
    for name in EXPLAIN_FILES:
        assert f"wrote {tmp_path / name}\n" in result.stdout


def test_a_folder_in_the_place_of_an_output_file_is_refused_before_any_work(tmp_path):
    (tmp_path / "graph.svg").mkdir()
    result = run_cli(*EXPLAIN, "--out", str(tmp_path))
    assert result.returncode == 2 and result.stdout == "", result.stderr
    assert "graph.svg" in result.stderr and len(result.stderr.splitlines()) == 1
    assert everything_under(tmp_path) == ["graph.svg"]


# ---------------------------------------------------------------------------------------------
# Item 6: a write that fails later (a full disk) is one clear line, exit status 1.


def _small_files_only(limit: int):  # noqa: ANN202 - a preexec_fn
    def limit_file_size() -> None:
        # Writing past RLIMIT_FSIZE raises SIGXFSZ; ignored, the write fails with EFBIG instead.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return limit_file_size


@pytest.mark.parametrize("args", [EXPLAIN, TRAIN], ids=["explain", "train"])
def test_a_failed_write_is_one_line_exit_1_and_leaves_no_folder(args, tmp_path):
    out = tmp_path / "new" / "out"
    result = run_cli(*args, "--out", str(out), preexec_fn=_small_files_only(1500))
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, lines
    assert lines[0].startswith(f"chainrule: error: --out {out}: "), lines[0]
    assert "File too large" in lines[0] and "internal error" not in lines[0], lines[0]
    assert everything_under(tmp_path) == []


def test_a_failed_write_into_an_existing_folder_leaves_it_as_it_was(tmp_path):
    (tmp_path / "graph.svg").write_text("old")
    result = run_cli(*EXPLAIN, "--out", str(tmp_path), preexec_fn=_small_files_only(1500))
    assert result.returncode == 1 and "File too large" in result.stderr, result.stderr
    assert len(result.stderr.splitlines()) == 1 and "internal error" not in result.stderr
    assert everything_under(tmp_path) == ["graph.svg"]
    assert (tmp_path / "graph.svg").read_text() == "old"


# ---------------------------------------------------------------------------------------------
# Item 7 (a): the --out files are written all or none, whenever the command is stopped.


def _whole_or_none(out: Path, names: set[str]) -> bool:
    """The --out folder is absent, or holds every file, each complete."""
    if not out.exists():
        return False
    assert set(everything_under(out)) == names
    if "model.json" in names:
        json.loads((out / "model.json").read_text())
    if "steps.html" in names:
        assert (out / "steps.html").read_text().rstrip().endswith("</html>")
    for name in names & {"graph.png", "history.png", "boundary.png", "grad_norms.png"}:
        assert (out / name).read_bytes()[:4] == b"\x89PNG", name
    for name in names & {"graph.svg", "network.svg"}:
        assert (out / name).read_text().rstrip().endswith("</svg>"), name
    return True


@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGTERM"])
def test_explain_stopped_at_any_file_system_event_leaves_all_or_nothing(signal_name, tmp_path):
    root = tmp_path / "work"
    root.mkdir()
    out = root / "new" / "neuron"
    total = count_events([*EXPLAIN, "--out", str(out)], root, tmp_path / "count")
    for path in sorted(root.iterdir(), reverse=True):  # the counting run's own output
        shutil.rmtree(path)
    assert total >= 8  # the probe, the folders, three files: each opened, renamed
    for at in range(1, total + 1):
        env = {"ROBUST_ROOT": str(root), "ROBUST_AT": str(at), "ROBUST_SIGNAL": signal_name}
        status, _, err = finish(child(CHILD, [*EXPLAIN, "--out", str(out)], env))
        expected = (130, INTERRUPTED) if signal_name == "SIGINT" else (143, TERMINATED)
        assert (status, err) == expected, (at, err)
        if _whole_or_none(out, EXPLAIN_FILES):
            shutil.rmtree(root / "new")
        assert everything_under(root) == [], (at, everything_under(root))


def test_explain_into_an_existing_folder_stopped_anywhere_keeps_old_or_all_new(tmp_path):
    root = tmp_path / "work"
    root.mkdir()
    old = {"graph.svg": "old svg", "steps.html": "old page", "mine.txt": "mine"}

    def reset() -> None:
        for path in root.iterdir():
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
        for name, text in old.items():
            (root / name).write_text(text)

    reset()
    total = count_events([*EXPLAIN, "--out", str(root)], root, tmp_path / "count")
    for at in range(1, total + 1):
        reset()
        env = {"ROBUST_ROOT": str(root), "ROBUST_AT": str(at)}
        status, _, err = finish(child(CHILD, [*EXPLAIN, "--out", str(root)], env))
        assert (status, err) == (130, INTERRUPTED), (at, err)
        names = set(everything_under(root))
        assert (root / "mine.txt").read_text() == "mine"
        if names == set(old):  # nothing replaced
            assert all((root / n).read_text() == t for n, t in old.items()), at
        else:  # everything replaced, nothing half-done, no temporary file left
            assert names == EXPLAIN_FILES | {"mine.txt"}, (at, names)
            assert (root / "graph.svg").read_text() != "old svg"
            assert (root / "steps.html").read_text() != "old page"


def test_train_stopped_while_writing_leaves_all_or_nothing(tmp_path):
    root = tmp_path / "work"
    root.mkdir()
    out = root / "moons"
    args = [*TRAIN, "--out", str(out)]
    total = count_events(args, root, tmp_path / "count")
    shutil.rmtree(out)
    assert total >= 12
    # the first events (checking --out), the middle of writing, the last moves; SIGINT and
    # SIGTERM in turn
    points = sorted({1, 2, 3, total // 3, total // 2, 2 * total // 3, total - 1, total})
    for i, at in enumerate(points):
        signal_name, expected = STOPS[i % 2]
        env = {"ROBUST_ROOT": str(root), "ROBUST_AT": str(at), "ROBUST_SIGNAL": signal_name}
        status, _, err = finish(child(CHILD, args, env))
        assert (status, err) == expected, (at, err)
        if _whole_or_none(out, TRAIN_FILES):
            shutil.rmtree(out)
        assert everything_under(root) == [], (at, everything_under(root))


# ---------------------------------------------------------------------------------------------
# Item 7 (b): Ctrl-C at any moment after the command line's code starts: one line, status 130.


def test_importing_the_cli_module_imports_nothing_at_module_level_but_sys_and_os():
    tree = ast.parse(CLI_SOURCE.read_text())
    imported = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            continue  # imports inside run when called, within main's protection
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            continue  # for type checkers only, never run
        for inner in ast.walk(node):
            if isinstance(inner, ast.Import):
                imported |= {alias.name for alias in inner.names}
            elif isinstance(inner, ast.ImportFrom):
                imported.add(inner.module)
    assert imported <= {"__future__", "os", "sys"}, imported


def test_importing_the_cli_module_loads_no_other_module():
    code = ("import sys; before = set(sys.modules); import chainrule.cli; "
            "print(sorted(set(sys.modules) - before))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['chainrule', 'chainrule.cli']"


@pytest.mark.parametrize("at", [1, 2, 3, 5, 8, 13, 40, 120])
def test_ctrl_c_at_the_nth_import_after_the_cli_starts(at, tmp_path):
    out = tmp_path / "new" / "moons"
    status, _, err = finish(child(CHILD_AT_IMPORT, [*TRAIN, "--out", str(out)],
                                  {"ROBUST_AT": str(at)}))
    assert (status, err) == (130, INTERRUPTED)
    assert everything_under(tmp_path) == []


def test_ctrl_c_anywhere_in_reading_the_command_line(tmp_path):
    """argparse's parse_intermixed_args, interrupted early, raises AttributeError from its
    `finally`, hiding the KeyboardInterrupt: the command must still say "interrupted"."""
    args = ["explain", "x*2", "x=1", "--out", str(tmp_path / "new")]
    calls = count_calls(args, within="argparse.py")
    shutil.rmtree(tmp_path / "new")  # the counting run's output
    assert calls > 100
    for at in range(1, calls + 1, 5):  # every 5th: that trap is some 30 calls long
        env = {"ROBUST_AT": str(at), "ROBUST_IN": "argparse.py"}
        status, _, err = finish(child(CHILD_AT_CALL, args, env))
        assert (status, err) == (130, INTERRUPTED), (at, err)
        assert everything_under(tmp_path) == []


@pytest.mark.parametrize("args, names, points", [(EXPLAIN, EXPLAIN_FILES, 50),
                                                 (TRAIN, TRAIN_FILES, 6)],
                         ids=["explain", "train"])
def test_ctrl_c_at_calls_spread_over_a_whole_run(args, names, points, tmp_path):
    """Some of these calls are finalizers (importlib's module-lock callbacks), where Python
    swallows a KeyboardInterrupt; the command must still stop."""
    out = tmp_path / "new" / "out"
    calls = count_calls([*args, "--out", str(out)])
    shutil.rmtree(tmp_path / "new")
    for k in range(points):
        # from the first call inside main's try (the 1st is main itself) to the last one
        at = 2 + k * (calls - 2) // (points - 1)
        env = {"ROBUST_AT": str(at)}
        status, _, err = finish(child(CHILD_AT_CALL, [*args, "--out", str(out)], env))
        if at == calls and status == 0:
            # the last call may be a finalizer run once the command is over: then the signal
            # changes nothing, and the command has finished
            assert err == "" and _whole_or_none(out, names)
        else:
            assert (status, err) == (130, INTERRUPTED), (at, calls, err)
        if _whole_or_none(out, names):
            shutil.rmtree(tmp_path / "new")
        assert everything_under(tmp_path) == [], (at, calls)


def test_ctrl_c_as_the_out_folder_is_handed_back_still_removes_it(tmp_path):
    """The stop lands in the first call after OutDir.prepare returns, before the command's
    try/finally covers the folder (CI once left an empty --out folder behind this way)."""
    out = tmp_path / "new" / "out"
    env = {"ROBUST_AT": "1", "ROBUST_NAME": "_write_what_the_terminal_cannot_show_as_escapes"}
    status, _, err = finish(child(CHILD_AT_CALL, [*EXPLAIN, "--out", str(out)], env))
    assert (status, err) == (130, INTERRUPTED)
    assert everything_under(tmp_path) == []


def test_ctrl_c_in_a_finalizer_still_stops_the_command(tmp_path):
    """SIGINT as importlib's module-lock callback starts: a weakref callback, run as a
    finalizer after each import, where Python swallows what it raises ("Exception ignored")."""
    args = [*EXPLAIN, "--out", str(tmp_path / "new")]
    where = {"ROBUST_IN": "<frozen importlib._bootstrap>", "ROBUST_NAME": "cb"}
    calls = count_calls(args, where["ROBUST_IN"], where["ROBUST_NAME"])
    shutil.rmtree(tmp_path / "new")
    assert calls > 20
    for at in range(1, calls + 1, max(1, calls // 12)):
        status, _, err = finish(child(CHILD_AT_CALL, args, {"ROBUST_AT": str(at), **where}))
        assert (status, err) == (130, INTERRUPTED), (at, err)
        assert everything_under(tmp_path) == []


@pytest.mark.parametrize("delay", [0.0, 0.01, 0.05, 0.2, 1.0])
def test_a_real_ctrl_c_soon_after_the_command_starts(delay, tmp_path):
    out = tmp_path / "new" / "moons"
    process = child(CHILD_READY, [*TRAIN_FOREVER, "--out", str(out)])
    assert process.stdout.readline() == "ready\n"
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    status, _, err = finish(process)
    assert (status, err) == (130, INTERRUPTED)
    assert everything_under(tmp_path) == []


@pytest.mark.parametrize("signal_name, expected", [("SIGINT", (130, INTERRUPTED)),
                                                   ("SIGTERM", (143, TERMINATED))])
@pytest.mark.parametrize("delay", [0.0, 0.3])
def test_the_console_script_stopped_during_training(signal_name, expected, delay, tmp_path):
    out = tmp_path / "new" / "moons"
    process = subprocess.Popen([str(SCRIPT), *TRAIN_FOREVER, "--out", str(out)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "NO_COLOR": "1"})
    assert process.stdout.readline().startswith("training MLP 2 -> 16 -> 16 -> 1")
    time.sleep(delay)
    process.send_signal(getattr(signal, signal_name))
    status, _, err = finish(process)
    assert (status, err) == expected
    assert everything_under(tmp_path) == []


def test_a_ctrl_c_swallowed_by_a_finalizer_still_ends_as_interrupted(monkeypatch, capsys):
    """Python cannot raise out of a __del__: a Ctrl-C handled there is printed as "Exception
    ignored" and lost, and the library it cut short may fail next. That is an interrupt."""
    class Finalized:
        def __del__(self) -> None:
            os.kill(os.getpid(), signal.SIGINT)  # handled right here, inside __del__

    def command(ns):  # noqa: ANN001, ANN202
        Finalized()  # collected at once: its __del__ runs now
        raise RuntimeError("a library left broken by its cut-short finalizer")

    monkeypatch.setattr(chainrule.demo, "run", command)
    assert cli.main(["demo"]) == 130
    assert capsys.readouterr().err == INTERRUPTED
    time.sleep(0.05)  # the stop is sent again 10 ms later, unless main called that off: it did


def test_ctrl_c_while_matplotlib_loads_its_c_extension(tmp_path):
    """matplotlib's ft2font (pybind11) interrupted as it initialises turns the KeyboardInterrupt
    into ImportError("initialization failed"), which is not "matplotlib is missing", and then
    crashes the interpreter's clean-up at exit (SIGABRT) unless the process ends before it."""
    out = tmp_path / "new" / "moons"
    where = {"ROBUST_IN": "enum.py", "ROBUST_NAME": "_create_", "ROBUST_UNDER": "_check_versions"}
    env = {"ROBUST_AT": "1", **where}  # ft2font's enums are the first that matplotlib makes
    status, out_text, err = finish(child(CHILD_AT_CALL, [*TRAIN, "--out", str(out)], env))
    assert status != 0, "no signal: matplotlib no longer makes enums as it starts?"
    assert (status, err) == (130, INTERRUPTED)
    assert "wrote" not in out_text and everything_under(tmp_path) == []


def test_a_demo_stopped_midway_leaves_no_folder_made_for_it(tmp_path):
    """The demo writes into --out itself; stopped once its first picture is there (demo 05
    then trains on for seconds), the folder made for it goes, with what it wrote."""
    out = tmp_path / "new" / "pictures"
    process = subprocess.Popen([str(SCRIPT), "demo", "5", "--out", str(out)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (out.is_dir() and any(out.iterdir())):
        assert process.poll() is None, process.communicate()  # it ended early: why?
        assert time.monotonic() < deadline, "the demo wrote nothing in 120 s"
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    status, _, err = finish(process)
    assert (status, err) == (130, INTERRUPTED)
    assert everything_under(tmp_path) == []


def test_a_signal_ignored_at_start_stays_ignored(tmp_path):
    """Under nohup SIGHUP is ignored; chainrule must not start listening to it."""
    process = subprocess.Popen(
        [str(SCRIPT), *TRAIN_FOREVER], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN))
    assert process.stdout.readline().startswith("training")
    process.send_signal(signal.SIGHUP)
    process.send_signal(signal.SIGINT)  # still stops on Ctrl-C
    status, _, err = finish(process)
    assert (status, err) == (130, INTERRUPTED)


def test_main_called_in_process_puts_the_signal_handlers_back():
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    hook = sys.unraisablehook
    assert cli.main(["explain", "x*2", "x=1"]) == 0
    assert {s: signal.getsignal(s) for s in before} == before
    assert sys.unraisablehook is hook


# ---------------------------------------------------------------------------------------------
# Graphviz failures of every kind: one line, exit status 1.


def test_any_graphviz_error_is_one_line_with_status_1(monkeypatch, capsys, tmp_path):
    def times_out(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise draw.GraphvizTimeoutError("dot did not finish within 30 s; draw a smaller graph")

    monkeypatch.setattr(draw, "render", times_out)
    out = tmp_path / "neuron"
    assert cli.main([*EXPLAIN, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err == "chainrule: error: dot did not finish within 30 s; draw a smaller graph\n"
    assert everything_under(tmp_path) == []


def test_train_without_graphviz_writes_everything_but_the_network_picture(tmp_path):
    out = tmp_path / "moons"
    result = run_cli(*TRAIN, "--out", str(out), env={"PATH": "/nonexistent"})
    assert result.returncode == 0, result.stderr
    assert "note: no network picture:" in result.stderr
    assert set(everything_under(out)) == TRAIN_FILES - {"network.svg", "replay.html"}


@pytest.mark.parametrize("args", [EXPLAIN, TRAIN], ids=["explain", "train"])
def test_a_full_standard_output_is_one_line_exit_1_not_an_internal_error(args):
    """`chainrule explain ... > /dev/full`: what failed is the terminal's file, not chainrule."""
    with open("/dev/full", "w") as full:
        environment = {**os.environ, "NO_COLOR": "1"}
        result = subprocess.run([str(SCRIPT), *args], stdout=full, stderr=subprocess.PIPE,
                                text=True, timeout=300, env=environment)
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [
        "chainrule: error: could not write to standard output (No space left on device); "
        "write it somewhere with room, or use --out DIR"]
