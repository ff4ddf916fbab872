"""Search folders: ``<project>/software/search/search_N/``, one per search, never reused.

A new search takes the next free ``search_N`` (created atomically, so two
commands started together get different folders). ``--resume`` reopens the
latest (or ``--search-name NAME``) and refuses one whose search settings differ.
A lock file marks a folder in use by a running command.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from carve.errors import CarveError
from carve.fileio import atomic_write_text

IDENTITY = "search.json"
_NUMBERED = re.compile(r"^search_(\d+)$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def check_search_name(name: str | None) -> str | None:
    """``--search-name``: one folder name under the project's ``software/search`` (letters,
    digits, ``.``, ``_``, ``-``; no ``/``, ``..`` or absolute path): nothing lands outside.

    >>> check_search_name("../../x")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    carve.errors.CarveError: --search-name '../../x' is not accepted: ...
    """
    if name is not None and (not isinstance(name, str) or not _NAME.match(name)):
        raise CarveError(
            f"--search-name {name!r} is not accepted: one folder name under "
            "<project>/software/search (letters, digits, '.', '_', '-'; no '/', '..' or "
            "absolute path)"
        )
    return name


def search_root(config) -> Path:
    from carve.config import project_path

    return project_path(config) / "software" / "search"


def _numbers(root: Path) -> list[int]:
    if not root.is_dir():
        return []
    return sorted(int(m[1]) for p in root.iterdir() if (m := _NUMBERED.match(p.name)))


def new_folder(root: Path, name: str | None) -> Path:
    """Create a fresh folder (``name``, or the next ``search_N``); an existing one fails."""
    root.mkdir(parents=True, exist_ok=True)
    if name is not None:
        folder = root / name
        try:
            folder.mkdir()
        except FileExistsError:
            raise CarveError(
                f"search folder {str(folder)!r} exists; use --resume to continue it "
                "or choose another --search-name"
            ) from None
        return folder
    number = (_numbers(root) or [-1])[-1] + 1
    while True:
        folder = root / f"search_{number}"
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            number += 1


def existing_folder(root: Path, name: str | None) -> Path:
    """The folder to resume: ``name`` or the latest ``search_N``."""
    if name is None:
        numbers = _numbers(root)
        if not numbers:
            raise CarveError(f"nothing to resume: no search folder under {str(root)!r}")
        name = f"search_{numbers[-1]}"
    folder = root / name
    if not (folder / IDENTITY).is_file():
        raise CarveError(f"nothing to resume: {str(folder)!r} holds no search ({IDENTITY} missing)")
    return folder


def write_identity(folder: Path, identity: dict[str, Any]) -> None:
    atomic_write_text(folder / IDENTITY, json.dumps(identity, indent=2, sort_keys=True) + "\n")


def check_identity(folder: Path, identity: dict[str, Any]) -> None:
    """Refuse to resume with different settings (the trials would not be comparable)."""
    stored = json.loads((folder / IDENTITY).read_text())
    changed = sorted(k for k in set(stored) | set(identity) if stored.get(k) != identity.get(k))
    if changed:
        raise CarveError(
            f"cannot resume {str(folder)!r}: settings differ from the stored search "
            f"in {', '.join(changed)}"
        )


def folder_lock(folder: Path):
    """The project's folder lock (``carve.locking``), held while a command works in ``folder``."""
    from carve.locking import folder_lock as lock_of

    return lock_of(folder, "search folder").acquire()
