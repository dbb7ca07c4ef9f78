"""Saving never loses what was there: write_atomically, used by every file chainrule writes."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from autograd.files import write_atomically


def test_writes_text_and_bytes_with_the_usual_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        text = write_atomically(tmp_path / "a" / "page.html", "π <b>")
        raw = write_atomically(tmp_path / "pic.png", b"\x89PNG")
    finally:
        os.umask(old)
    assert text.read_text(encoding="utf-8") == "π <b>" and raw.read_bytes() == b"\x89PNG"
    assert stat.S_IMODE(text.stat().st_mode) == 0o644  # not mkstemp's 0600
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a", "page.html", "pic.png"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "model.json"
    target.write_text("the saved model")

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        write_atomically(target, "half a mod", fsync=True)
    assert target.read_text() == "the saved model"
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


# --- leftovers, permissions, links, the folder ------------------------------------------------

def _dead_pid() -> int:
    """The pid of a process that has ended (and been reaped): no process has it now."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_killed_writers_leftover_is_removed_but_never_a_live_writers(tmp_path):
    """`kill -9` between the temporary file's creation and the rename leaves it behind; the
    next write of the same target removes it, if no running process has its pid."""
    dead, live = _dead_pid(), os.getpid()
    leftovers = {
        "dead": tmp_path / f".model.json.{dead}.0badf00d.tmp",
        "live": tmp_path / f".model.json.{live}.0badf00d.tmp",  # it may be writing right now
        "other target": tmp_path / f".other.json.{dead}.0badf00d.tmp",
        "not ours": tmp_path / f".model.json.{dead}.notes.tmp",
    }
    for path in leftovers.values():
        path.write_text("half a model")
    write_atomically(tmp_path / "model.json", "the model")
    assert not leftovers["dead"].exists()
    assert all(leftovers[k].exists() for k in ("live", "other target", "not ours"))
    assert (tmp_path / "model.json").read_text() == "the model"


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o755])
def test_saving_over_a_file_keeps_its_permissions(tmp_path, mode):
    target = tmp_path / "model.json"
    target.write_text("old")
    target.chmod(mode)
    write_atomically(target, "new", fsync=True)
    assert target.read_text() == "new" and stat.S_IMODE(target.stat().st_mode) == mode


def test_saving_over_a_link_writes_through_it(tmp_path):
    (tmp_path / "runs").mkdir()
    real = tmp_path / "runs" / "model-v3.json"
    real.write_text("old")
    real.chmod(0o600)
    link = tmp_path / "model.json"
    link.symlink_to(Path("runs") / "model-v3.json")  # relative, as people make them
    assert write_atomically(link, "new") == link
    assert link.is_symlink() and os.readlink(link) == str(Path("runs") / "model-v3.json")
    assert real.read_text() == "new" and stat.S_IMODE(real.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["model-v3.json", "model.json",
                                                           "runs"]


def test_saving_through_a_dangling_link_creates_its_target(tmp_path):
    link = tmp_path / "latest.json"
    link.symlink_to(tmp_path / "model.json")
    write_atomically(link, "new")
    assert link.is_symlink() and (tmp_path / "model.json").read_text() == "new"


def test_fsync_also_syncs_the_folder_after_the_rename(tmp_path, monkeypatch):
    """The rename is an entry in the folder: until the folder is synced, a power cut can undo
    it. os.fsync is watched (and still called): its last call is on the folder, after the
    rename, when the folder already names the new file."""
    target = tmp_path / "model.json"
    target.write_text("old")
    folder = os.stat(tmp_path)
    synced = []
    real_fsync = os.fsync

    def watched_fsync(fd):
        info = os.fstat(fd)
        synced.append(((info.st_dev, info.st_ino), target.read_text()))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", watched_fsync)
    write_atomically(target, "new", fsync=True)
    assert synced[-1] == ((folder.st_dev, folder.st_ino), "new")
    assert len(synced) == 2  # the file's bytes, before the rename, then the folder
    synced.clear()
    write_atomically(target, "newer")  # without fsync, neither
    assert synced == []
