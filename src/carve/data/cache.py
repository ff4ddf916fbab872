"""Where carve caches datasets, and atomic ``.npz`` files there.

The cache root is ``$CARVE_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/carve``,
else ``~/.cache/carve``: never the source tree.

>>> import os, tempfile
>>> with tempfile.TemporaryDirectory() as tmp:
...     os.environ["CARVE_CACHE_DIR"] = tmp
...     root = cache_root()
...     del os.environ["CARVE_CACHE_DIR"]
>>> root == __import__("pathlib").Path(tmp)
True
>>> options_key({"size": 10, "seed": 0}) == options_key({"seed": 0, "size": 10})
True
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np


def cache_root(override: str | os.PathLike | None = None) -> Path:
    """The carve cache directory (``override`` wins over the environment)."""
    if override is not None:
        return Path(override).expanduser()
    if os.environ.get("CARVE_CACHE_DIR"):
        return Path(os.environ["CARVE_CACHE_DIR"]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "carve"


def options_key(options: dict[str, Any], length: int = 16) -> str:
    """A short stable hash of ``options`` (JSON with sorted keys)."""
    text = json.dumps(options, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def save_npz_atomic(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` to ``path`` via a temp file in the same dir + ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **arrays)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def load_npz(path: Path) -> dict[str, np.ndarray] | None:
    """The arrays in ``path``, or ``None`` if it is missing or unreadable."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile):
        return None
