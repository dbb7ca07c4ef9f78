"""Reporting progress while fit runs: the on_epoch hook, and the tqdm bar on a terminal only."""

import fcntl
import json
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from nn import MLP
from nn.datasets import moons
from nn.losses import cross_entropy
from nn.optim import SGD, Adam
from nn.train import History, fit

ROOT = Path(__file__).resolve().parent.parent


def test_on_epoch_is_called_once_per_epoch_after_the_history_grows():
    X, y = moons(n=20, noise=0.1, seed=3)
    model = MLP(2, [4, 2], seed=0)
    calls = []

    def record(epoch: int, history: History) -> None:
        # the epoch's numbers are already in the history when the hook runs
        calls.append((epoch, history.epochs, history.loss[-1], len(history.grad_norms)))

    history = fit(model, X, y, cross_entropy, Adam(model.parameters(), lr=0.01), epochs=5,
                  quiet=True, on_epoch=record)
    assert [c[0] for c in calls] == [1, 2, 3, 4, 5]
    assert [c[1] for c in calls] == [1, 2, 3, 4, 5]
    assert [c[3] for c in calls] == [1, 2, 3, 4, 5]
    assert [c[2] for c in calls] == history.loss


def test_on_epoch_is_not_called_after_an_early_stop():
    X, y = moons(n=20, noise=0.1, seed=3)
    model = MLP(2, [4, 2], seed=0)
    epochs_seen = []
    history = fit(model, X, y, cross_entropy, SGD(model.parameters(), lr=1e-12), epochs=50,
                  patience=2, quiet=True, on_epoch=lambda e, h: epochs_seen.append(e))
    assert "no improvement" in history.stopped and history.epochs < 50
    assert epochs_seen == list(range(1, history.epochs + 1))


# ---------------------------------------------------------------------------------------------
# The tqdm bar, seen as a user sees it: fit runs in a child process whose stderr is a terminal
# (the slave end of a pseudo-terminal) or a pipe, and the test reads what was written there.

CHILD = """
import json, sys
from nn import MLP, Adam, cross_entropy, fit
from nn.datasets import moons

X, y = moons(n=30, noise=0.1, seed=3)
model = MLP(2, [4, 2], seed=0)
history = fit(model, X, y, cross_entropy, Adam(model.parameters(), lr=0.05), epochs=EPOCHS,
              quiet=sys.argv[1] == "quiet")
print(json.dumps({"loss": history.loss, "accuracy": history.accuracy}))
"""
EPOCHS = 4
# tqdm reads TQDM_<ARG> from the environment as defaults: draw on every update (no 0.1 s
# mininterval, no skipped iterations) so that every epoch's frame can be checked
DRAW_EVERY_UPDATE = {"TQDM_MININTERVAL": "0", "TQDM_MINITERS": "1"}


def run_child(quiet: bool, stderr_is_tty: bool) -> tuple[dict, str]:
    """Runs CHILD; returns its History (from stdout) and everything it wrote to stderr."""
    command = [sys.executable, "-c", CHILD.replace("EPOCHS", str(EPOCHS)),
               "quiet" if quiet else "loud"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TQDM_")}
    env.update(DRAW_EVERY_UPDATE)
    if not stderr_is_tty:
        done = subprocess.run(command, capture_output=True, timeout=120, cwd=ROOT,
                              env=env)
        assert done.returncode == 0, done.stderr.decode()
        return json.loads(done.stdout), done.stderr.decode()
    master, slave = os.openpty()
    # 120 columns, so tqdm has room for the whole postfix
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=slave, cwd=ROOT,
                          env=env) as child:
        os.close(slave)  # the child holds its own copy; EOF/EIO comes when it exits
        written = b""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO on Linux: the child closed the terminal
                break
            if not chunk:
                break
            written += chunk
        os.close(master)
        out, _ = child.communicate(timeout=120)
        assert child.returncode == 0, written.decode(errors="replace")
    return json.loads(out), written.decode()


def test_bar_on_a_terminal_shows_each_epoch_with_its_loss_and_accuracy():
    history, screen = run_child(quiet=False, stderr_is_tty=True)
    # tqdm redraws its line with "\r"; each frame is one state of the bar
    frames = [f for f in screen.replace("\n", "\r").split("\r") if f.strip()]
    drawn = {}
    for frame in frames:
        counter = re.search(r"(\d+)/(\d+) \[", frame)
        assert counter and counter.group(2) == str(EPOCHS), frame
        loss = re.search(r"loss=(\d+\.\d{4})", frame)
        acc = re.search(r"acc=(\d+\.\d)%", frame)
        assert bool(loss) == bool(acc), frame  # both numbers, or none before the first epoch
        if loss:
            drawn[int(counter.group(1))] = (loss.group(1), acc.group(1))
    assert "epoch/s" in screen or "s/epoch" in screen  # the unit is epochs
    # every epoch drawn, each next to its own numbers (not the previous epoch's)
    assert sorted(drawn) == list(range(1, EPOCHS + 1)), frames
    for epoch, (loss, acc) in drawn.items():
        assert loss == f"{history['loss'][epoch - 1]:.4f}"
        assert acc == f"{100 * history['accuracy'][epoch - 1]:.1f}"
    assert f"{EPOCHS}/{EPOCHS}" in frames[-1] and "100%" in frames[-1]


def test_no_bar_when_stderr_is_a_pipe():
    history, stderr = run_child(quiet=False, stderr_is_tty=False)
    assert len(history["loss"]) == EPOCHS  # it did train
    assert stderr == ""


def test_no_bar_on_a_terminal_when_quiet():
    history, screen = run_child(quiet=True, stderr_is_tty=True)
    assert len(history["loss"]) == EPOCHS
    assert screen == ""
