"""Atomic writes: a reader sees the old file or the new one, never a part, and no litter."""

from __future__ import annotations

import os
import stat

import pytest

from autograd.extend import write_text_atomic


def test_writes_replaces_and_keeps_an_existing_files_mode(tmp_path) -> None:
    target = tmp_path / "f.txt"
    assert write_text_atomic(target, "one") == target
    assert target.read_text() == "one" and stat.S_IMODE(target.stat().st_mode) == 0o644
    target.chmod(0o600)
    write_text_atomic(target, "two ünïcode")
    assert target.read_text(encoding="utf-8") == "two ünïcode"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert os.listdir(tmp_path) == ["f.txt"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch) -> None:
    target = tmp_path / "f.txt"
    target.write_text("old")

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        write_text_atomic(target, "new")
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["f.txt"]


def test_a_symlink_is_followed_and_kept(tmp_path) -> None:
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / "model.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_text_atomic(link, "new")
    assert link.is_symlink() and real.read_text() == "new"
    assert sorted(os.listdir(tmp_path / "real")) == ["model.json"]
