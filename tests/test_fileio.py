"""fileio: one atomic writer (fsync file and folder), modes, umask, stray temp files."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from carve import fileio
from carve.fileio import atomic_write, atomic_write_text, remove_stray_temps


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask():
    old = os.umask(0o022)
    yield lambda value: os.umask(value)
    os.umask(old)


def test_new_files_follow_the_umask(tmp_path, umask):
    umask(0o002)
    assert mode(atomic_write_text(tmp_path / "a.txt", "x")) == 0o664
    umask(0o027)
    assert mode(atomic_write_text(tmp_path / "b.txt", "x")) == 0o640


def test_an_overwritten_file_keeps_its_mode(tmp_path, umask):
    umask(0o022)
    path = tmp_path / "shared.csv"
    path.write_text("old")
    path.chmod(0o660)
    atomic_write_text(path, "new")
    assert (path.read_text(), mode(path)) == ("new", 0o660)


def test_file_and_folder_are_fsynced(tmp_path, monkeypatch):
    synced = []
    real = os.fsync

    def spy(fd):
        synced.append(stat.S_ISDIR(os.fstat(fd).st_mode))
        real(fd)

    monkeypatch.setattr(fileio.os, "fsync", spy)
    atomic_write_text(tmp_path / "x.txt", "data")
    assert synced == [False, True]  # the file, then the folder holding the rename


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path):
    path = tmp_path / "keep.txt"
    path.write_text("old")

    def explode(file):
        file.write(b"partial")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        atomic_write(path, explode)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
    assert path.read_text() == "old"


def test_stray_temps_of_dead_writers_are_removed_live_ones_kept(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead_pid = int(dead.stdout)
    stray = tmp_path / f".last.ckpt.{dead_pid}-abc123.tmp"
    live = tmp_path / f".last.ckpt.{os.getpid()}-def456.tmp"
    other = tmp_path / ".hidden.tmp"  # not ours: never touched
    for path in (stray, live, other):
        path.write_bytes(b"half")
    assert remove_stray_temps(tmp_path) == [stray]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other.name])
