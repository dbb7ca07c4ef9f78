"""Saving never loses what was there: write_atomically, used by every file chainrule writes."""

from __future__ import annotations

import os
import stat

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
