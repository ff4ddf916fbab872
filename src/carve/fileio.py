"""Atomic file writes, the one way carve puts a file on disk.

:func:`atomic_write` writes a temp file in the target's folder, flushes and
``fsync``s it, gives it the right mode, moves it over the target with
``os.replace`` and ``fsync``s the folder. Killing the process (or the machine)
mid-write leaves either the old file or the new one, never a truncated one.

Modes: an overwritten file keeps its mode; a new file gets ``0o666`` minus the
umask, as ``open()`` would give it (``mkstemp`` alone would make it ``0600``).

Temp files are named ``.<name>.<pid>-<random>.tmp``; a kill leaves one behind,
and :func:`remove_stray_temps` (called when a run or cache folder is opened
again) deletes those whose writer is no longer alive.

>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as tmp:
...     path = pathlib.Path(tmp) / "sub" / "note.txt"
...     _ = atomic_write_text(path, "hello")
...     path.read_text(), [p.name for p in path.parent.iterdir()]
('hello', ['note.txt'])
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

_TEMP = re.compile(r"^\..+\.(\d+)-[^.]+\.tmp$")


def current_umask() -> int:
    """The process umask (read without changing it for longer than one call)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _target_mode(path: Path) -> int:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return 0o666 & ~current_umask()


def fsync_dir(folder: str | os.PathLike) -> None:
    """Make a rename or new entry in ``folder`` durable (a no-op where unsupported)."""
    try:
        handle = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):  # some file systems refuse fsync on folders
            os.fsync(handle)
    finally:
        os.close(handle)


def atomic_write(path: str | os.PathLike, write: Callable[[IO[bytes]], Any]) -> Path:
    """Call ``write(file)`` on a temp file next to ``path``, then move it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = _target_mode(path)
    handle, temp = tempfile.mkstemp(
        prefix=f".{path.name}.{os.getpid()}-", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fchmod(file.fileno(), mode)
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    fsync_dir(path.parent)
    return path


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    return atomic_write(path, lambda file: file.write(data))


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_torch_save(obj: Any, path: str | os.PathLike) -> Path:
    """``torch.save(obj)`` to ``path`` atomically."""
    import torch

    return atomic_write(path, lambda file: torch.save(obj, file))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def remove_stray_temps(folder: str | os.PathLike) -> list[Path]:
    """Delete temp files in ``folder`` left by killed :func:`atomic_write` calls.

    Only files named as :func:`atomic_write` names them, and only when their
    writer's process is gone (a concurrent live writer keeps its temp file).
    Returns the removed paths.
    """
    folder = Path(folder)
    removed = []
    if not folder.is_dir():
        return removed
    for entry in folder.iterdir():
        match = _TEMP.match(entry.name)
        if match and entry.is_file() and not _alive(int(match.group(1))):
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()
                removed.append(entry)
    return removed
