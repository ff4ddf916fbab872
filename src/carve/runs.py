"""Versioned output folders: every run gets its own ``version_N``, ``latest`` points at it.

A second ``carve train`` of the same project, a QAT run or a second
``carve transform`` must never replace an earlier run's files. As Lightning
numbers its log folders, each run creates the next free ``version_N`` (with
``os.mkdir``, so two processes starting at once still get different ones) and
then points the ``latest`` symlink at it::

    <project>/software/version_0/     first carve train
    <project>/software/version_1/     second one (or QAT)
    <project>/software/latest -> version_1

>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as tmp:
...     root = pathlib.Path(tmp)
...     first, second = new_version(root), new_version(root)
...     print(first.name, second.name, find_version(root).name, list_versions(root))
version_0 version_1 version_1 ['version_0', 'version_1']
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from carve.errors import CarveError

LATEST = "latest"
_VERSION = re.compile(r"^version_(\d+)$")


def list_versions(root: str | os.PathLike) -> list[str]:
    """The ``version_N`` folders under ``root``, in numeric order."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = [(int(m.group(1)), p.name) for p in root.iterdir()
             if (m := _VERSION.match(p.name)) and p.is_dir()]  # fmt: skip
    return [name for _, name in sorted(found)]


def new_version(root: str | os.PathLike, point_latest: bool = True) -> Path:
    """Create the next free ``root/version_N`` and (by default) point ``root/latest`` at it."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    existing = list_versions(root)
    number = int(existing[-1].removeprefix("version_")) + 1 if existing else 0
    while True:
        folder = root / f"version_{number}"
        try:
            folder.mkdir()
            break
        except FileExistsError:  # another process took it first
            number += 1
    if point_latest:
        set_latest(root, folder)
    return folder


def set_latest(root: str | os.PathLike, folder: str | os.PathLike) -> None:
    """Point ``root/latest`` at ``folder`` (a relative symlink, replaced atomically)."""
    root = Path(root)
    temp = root / f".{LATEST}.{os.getpid()}.tmp"
    temp.unlink(missing_ok=True)
    os.symlink(Path(folder).name, temp)
    os.replace(temp, root / LATEST)


def find_version(root: str | os.PathLike, name: str = LATEST) -> Path:
    """The run folder ``name`` (``latest`` or ``version_N``) under ``root``; clear errors."""
    root = Path(root)
    versions = list_versions(root)
    if name == LATEST:
        link = root / LATEST
        if link.is_symlink() and link.resolve().is_dir():
            return root / os.readlink(link)
        if versions:  # pointer lost (copied without symlinks...): the newest run
            return root / versions[-1]
        raise CarveError(f"no run to continue under {root}: it holds no version_N folder")
    if name.isdigit():
        name = f"version_{name}"
    if name not in versions:
        listing = ", ".join(versions) if versions else "none"
        raise CarveError(f"no run {name!r} under {root}; runs there: {listing} (or latest)")
    return root / name
