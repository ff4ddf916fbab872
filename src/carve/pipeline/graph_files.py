"""The saved-graph folder format: its file names, its schema, and reading it back safely.

A saved graph is a folder:

* ``recipe.json`` - how to rebuild the module: registered model name and
  dataset info, ``cf_args``, input shapes, and the graph-building transforms
  applied (each recorded by the pass with its ``pass_args`` via
  :meth:`MaseGraph.record_transform`);
* ``weights.safetensors`` - the GraphModule's state dict;
* ``metadata.safetensors`` + ``metadata.json`` - every node's metadata
  (tensor values in the safetensors file, everything else in JSON).

Each safetensors file carries the content hash of its tensors in its header
(``carve_digest``), checked when it is read: a flipped bit is an error naming
the file.

This module is the one place that names these files and checks them: both
JSON documents are validated against a schema (pydantic, strict: no type
coercion), tensor references must resolve, and unreadable safetensors files
are a :class:`~carve.errors.CarveError` naming the file, never a traceback.

>>> is_saved_graph("/nonexistent"), RECIPE_FILE
(False, 'recipe.json')
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from carve.errors import CarveError

FORMAT = "carve-mase-graph"
VERSION = 1
RECIPE_FILE = "recipe.json"
WEIGHTS_FILE = "weights.safetensors"
METADATA_FILE = "metadata.json"
METADATA_TENSORS_FILE = "metadata.safetensors"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class InputSpec(_Strict):
    """Shape and dtype of one graph input (a zero tensor of it replays the transforms)."""

    shape: list[int]
    dtype: str


class TransformStep(_Strict):
    """One recorded graph-building transform."""

    pass_name: str = Field(alias="pass", min_length=1)
    pass_args: Any


class RecipeDocument(_Strict):
    """``recipe.json``."""

    format: Literal["carve-mase-graph"]
    version: Literal[1]
    model_name: str | None
    dataset_info: dict[str, Any]
    cf_args: dict[str, Any] | None
    inputs: dict[str, InputSpec] = Field(default_factory=dict)
    transforms: list[TransformStep]


class MetadataDocument(_Strict):
    """``metadata.json``: graph-level and per-node metadata (tensors referenced, not inlined)."""

    graph: dict[str, Any]
    nodes: dict[str, dict[str, Any]]


def is_saved_graph(path: str | Path | None) -> bool:
    """A folder written by ``save_mase_graph_interface_pass`` (``recipe.json`` inside)."""
    return path is not None and (Path(path) / RECIPE_FILE).is_file()


def check_graph_folder(path: str | Path) -> Path:
    """``path`` as a saved-graph folder, or a CarveError saying what it is instead."""
    folder = Path(path)
    what = "a saved carve graph (a folder with recipe.json, written by carve transform or "
    what += "save_mase_graph_interface_pass)"
    if not folder.exists():
        raise CarveError(f"{folder} is not a saved carve graph: {folder} is missing")
    if folder.is_file():
        raise CarveError(f"{folder} is a file, not {what}")
    if not (folder / RECIPE_FILE).is_file():
        raise CarveError(f"{folder} is not a saved carve graph: {folder / RECIPE_FILE} is missing")
    return folder


def _first_problem(error: ValidationError) -> str:
    problem = error.errors()[0]
    where = ".".join(str(part) for part in problem["loc"]) or "(top level)"
    return f"{where}: {problem['msg']}"


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CarveError(f"{path.parent} is not a saved carve graph: {path} is missing") from None
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError
        raise CarveError(
            f"{path.parent} is not a saved carve graph: {path.name} is malformed JSON ({error})"
        ) from None


def read_recipe(folder: Path) -> RecipeDocument:
    """The validated ``recipe.json`` of ``folder``."""
    path = folder / RECIPE_FILE
    data = _read_json(path)
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != VERSION:
        raise CarveError(f"{path} is not a {FORMAT} v{VERSION} file")
    try:
        return RecipeDocument.model_validate(data)
    except ValidationError as error:
        raise CarveError(f"{path} does not match the saved-graph schema: "
                         f"{_first_problem(error)}") from None  # fmt: skip


def read_metadata(folder: Path) -> MetadataDocument:
    """The validated ``metadata.json`` of ``folder``."""
    path = folder / METADATA_FILE
    try:
        return MetadataDocument.model_validate(_read_json(path))
    except ValidationError as error:
        raise CarveError(f"{path} does not match the saved-graph schema: "
                         f"{_first_problem(error)}") from None  # fmt: skip


DIGEST_KEY = "carve_digest"  # safetensors header entry: content hash of the file's tensors


def read_tensors(path: Path) -> dict[str, Any]:
    """A safetensors file's tensors, checked against the content hash written with them.

    Missing, a directory, truncated, garbage or changed since saving (a flipped
    bit) -> CarveError naming the file. Files without a hash load unchecked.
    """
    from safetensors import SafetensorError, safe_open

    from carve.digest import arrays_digest

    if path.is_dir():
        raise CarveError(f"{path} is a directory; expected the safetensors file of a saved graph")
    if not path.is_file():
        raise CarveError(f"{path.parent} is not a saved carve graph: {path} is missing")
    try:
        with safe_open(str(path), framework="pt") as file:
            stored = (file.metadata() or {}).get(DIGEST_KEY)
            tensors = {name: file.get_tensor(name) for name in file.keys()}  # noqa: SIM118
    except (SafetensorError, OSError, ValueError) as error:
        raise CarveError(f"{path} is not a readable safetensors file ({error})") from None
    if stored is not None and stored != arrays_digest(tensors):
        raise CarveError(
            f"{path} is corrupt: its tensors no longer match the hash stored when the graph "
            "was saved (a flipped bit, an edit or a bad copy)"
        )
    return tensors


def write_tensors(tensors: dict[str, Any], path: Path) -> None:
    """Write tensors to a safetensors file atomically, with their content hash in the header."""
    from safetensors.torch import save

    from carve.digest import arrays_digest
    from carve.fileio import atomic_write_bytes

    owned = {k: v.detach().cpu().contiguous().clone() for k, v in tensors.items()}
    atomic_write_bytes(path, save(owned, metadata={DIGEST_KEY: arrays_digest(owned)}))
