"""TOML config files: ``"NA"`` <-> None, clear errors, atomic saves.

TOML has no null, so (as in MASE) the string ``"NA"`` anywhere in a file means
None, and None is written back as ``"NA"``.

>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as tmp:
...     path = pathlib.Path(tmp) / "run.toml"
...     data = {"batch_size": 256, "project": None, "passes": {"quantize": {"by": "type"}}}
...     _ = save_toml(data, path)
...     print(path.read_text(), end="")
...     print(load_toml(path))
batch_size = 256
project = "NA"
<BLANKLINE>
[passes.quantize]
by = "type"
{'batch_size': 256, 'project': None, 'passes': {'quantize': {'by': 'type'}}}
"""

from __future__ import annotations

import json
import math
import os
import tomllib
from pathlib import Path
from typing import Any

from carve.errors import CarveError
from carve.fileio import atomic_write_text

NA = "NA"


def na_to_none(value: Any) -> Any:
    """Replace ``"NA"`` by None, recursively through dicts and lists."""
    if isinstance(value, dict):
        return {key: na_to_none(item) for key, item in value.items()}
    if isinstance(value, list):
        return [na_to_none(item) for item in value]
    return None if value == NA else value


def none_to_na(value: Any) -> Any:
    """Replace None by ``"NA"``, recursively (the inverse of :func:`na_to_none`)."""
    if isinstance(value, dict):
        return {key: none_to_na(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [none_to_na(item) for item in value]
    return NA if value is None else value


def load_toml(path: str | os.PathLike) -> dict[str, Any]:
    """Read a TOML file with ``"NA"`` -> None; a missing or malformed file is a CarveError."""
    path = Path(path)
    if path.is_dir():
        raise CarveError(f"config file {str(path)!r} is a directory; expected a .toml file")
    if not path.is_file():
        raise CarveError(f"config file {str(path)!r} does not exist")
    if path.suffix != ".toml":
        raise CarveError(f"config file {str(path)!r} must end in .toml")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:  # its message ends "(at line L, column C)"
        raise CarveError(f"{path}: malformed TOML: {error}") from None
    except UnicodeDecodeError as error:
        raise CarveError(f"{path}: not a UTF-8 text file ({error.reason})") from None
    return na_to_none(data)


def _scalar(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return ("-" if value < 0 else "") + ("nan" if math.isnan(value) else "inf")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(item, where) for item in value) + "]"
    if isinstance(value, dict):  # inline table (inside arrays)
        items = ", ".join(f"{_key(k)} = {_scalar(v, where)}" for k, v in value.items())
        return "{" + items + "}"
    raise CarveError(f"cannot write {type(value).__name__} value at {where!r} to TOML")


def _key(key: str) -> str:
    bare = key and all(c.isalnum() or c in "-_" for c in key)
    return key if bare else json.dumps(key)


def _dump_table(table: dict[str, Any], prefix: list[str], lines: list[str]) -> None:
    scalars = {k: v for k, v in table.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in table.items() if isinstance(v, dict)}
    if prefix and (scalars or not tables):
        lines.append(("\n" if lines else "") + "[" + ".".join(map(_key, prefix)) + "]")
    for key, value in scalars.items():
        lines.append(f"{_key(key)} = {_scalar(value, '.'.join([*prefix, key]))}")
    for key, value in tables.items():
        _dump_table(value, [*prefix, key], lines)


def dumps_toml(data: dict[str, Any]) -> str:
    """TOML text for ``data`` (None written as ``"NA"``)."""
    lines: list[str] = []
    _dump_table(none_to_na(data), [], lines)
    return "\n".join(lines) + "\n"


def save_toml(data: dict[str, Any], path: str | os.PathLike) -> Path:
    """Write ``data`` to ``path`` as TOML, atomically."""
    return atomic_write_text(path, dumps_toml(data))
