"""Where carve caches datasets, and atomic, content-hashed ``.npz`` files there.

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
import logging
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from carve.fileio import atomic_write, remove_stray_temps

logger = logging.getLogger("carve.data")


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


DIGEST_ENTRY = "__digest__"  # content hash of the other arrays, written with them


def save_npz_atomic(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` and their content hash to ``path`` atomically."""
    from carve.digest import arrays_digest

    stamped = {**arrays, DIGEST_ENTRY: np.array(arrays_digest(arrays))}
    atomic_write(path, lambda file: np.savez(file, **stamped))


def load_npz(path: Path) -> dict[str, np.ndarray] | None:
    """The arrays in ``path``; ``None`` if it is missing, unreadable or not what was written.

    A file whose content hash does not match (edited, shuffled, bit-flipped) or
    whose float arrays hold NaN/inf is not trusted: a warning names it and the
    caller regenerates it. Temp files of killed writes beside it are removed.
    """
    from carve.digest import arrays_digest

    remove_stray_temps(path.parent)
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except FileNotFoundError:
        return None
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile):
        logger.warning("cache file %s is unreadable; regenerating it", path)
        return None
    stored = arrays.pop(DIGEST_ENTRY, None)
    problem = None
    if stored is None:
        problem = "it has no content hash (written by an older carve)"
    elif str(stored) != arrays_digest(arrays):
        problem = "its content does not match the hash written with it"
    elif any(a.dtype.kind == "f" and not np.isfinite(a).all() for a in arrays.values()):
        problem = "it holds NaN or infinite values"
    if problem:
        logger.warning("cache file %s is not trusted (%s); regenerating it", path, problem)
        return None
    return arrays
