"""Node metadata <-> TOML: ``save_node_meta_param_interface_pass`` and its ``load_`` twin.

MASE's pair: every node's ``parameters`` as one TOML document (``None`` is
written ``"NA"``), read back into a graph with the same node names. TOML is
for reading and editing by hand: tensor values become nested lists and come
back as tensors of the entry's ``torch_dtype``, dtypes are written as strings
(``"torch.float32"``), tuples as lists. For an exact round trip of a whole
graph use ``save_mase_graph_interface_pass``.

>>> print(to_toml({"n": {"common": {"mase_op": "linear", "shape": (2, 3), "x": None}}}), end="")
[n.common]
mase_op = "linear"
shape = [2, 3]
x = "NA"
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from carve.config.toml_io import dumps_toml, na_to_none
from carve.errors import CarveError
from carve.ir.metadata import MaseMetadata
from carve.passes.interface.codec import dtype_named
from carve.passes.utils import parse_pass_args, write_text_atomic

if TYPE_CHECKING:
    from carve.ir.graph import MaseGraph


@dataclass
class TomlPathArgs:
    """``toml_path``: the TOML file (MASE passed it as a bare string; also accepted)."""

    toml_path: str


def _plain(value: Any) -> Any:
    """``value`` with tensors as nested lists, dtypes as strings, tuples as lists."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().tolist()
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)  # torch.dtype -> "torch.float32", other objects by name


def to_toml(data: dict[str, Any]) -> str:
    """TOML text of nested dicts (carve's one TOML writer, :func:`carve.config.dumps_toml`)."""
    return dumps_toml(_plain(data))


def _restore(data: Any) -> Any:
    if isinstance(data, dict):
        restored = {key: _restore(value) for key, value in data.items()}
        if isinstance(restored.get("torch_dtype"), str):  # an unknown name: a CarveError
            dtype = dtype_named(restored["torch_dtype"])
            restored["torch_dtype"] = dtype
            if isinstance(restored.get("value"), (list, int, float)):
                restored["value"] = torch.tensor(restored["value"], dtype=dtype)
        return restored
    if isinstance(data, list):
        return [_restore(v) for v in data]
    return data


def _args(pass_args: Any, name: str) -> TomlPathArgs:
    if isinstance(pass_args, (str, Path)):
        pass_args = {"toml_path": str(pass_args)}
    return parse_pass_args(TomlPathArgs, pass_args, name)


def save_node_meta_param_interface_pass(
    graph: MaseGraph, pass_args: dict | None = None
) -> tuple[MaseGraph, dict]:
    """Write every node's metadata parameters to ``toml_path``."""
    args = _args(pass_args, "save_node_meta_param_interface_pass")
    nodes = {n.name: n.meta["mase"].parameters for n in graph.nodes if "mase" in n.meta}
    write_text_atomic(args.toml_path, to_toml(nodes))
    return graph, {"toml_path": args.toml_path}


def load_node_meta_param_interface_pass(
    graph: MaseGraph, pass_args: dict | None = None
) -> tuple[MaseGraph, dict]:
    """Replace each node's metadata parameters by those saved in ``toml_path``."""
    args = _args(pass_args, "load_node_meta_param_interface_pass")
    try:
        saved = tomllib.loads(Path(args.toml_path).read_text())
    except FileNotFoundError:
        raise CarveError(f"metadata file {args.toml_path!r} does not exist") from None
    except tomllib.TOMLDecodeError as error:
        raise CarveError(f"{args.toml_path} is not valid TOML: {error}") from None
    names = {node.name for node in graph.nodes}
    if set(saved) - names:
        raise CarveError(f"{args.toml_path} describes nodes the graph lacks: "
                         f"{', '.join(sorted(set(saved) - names))}")  # fmt: skip
    for node in graph.nodes:
        if node.name in saved:
            meta = MaseMetadata(node=node, model=graph.model)
            meta.parameters = _restore(na_to_none(saved[node.name]))
            node.meta["mase"] = meta
    return graph, {"toml_path": args.toml_path, "nodes": len(saved)}
