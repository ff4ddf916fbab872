"""Node metadata <-> TOML: ``save_node_meta_param_interface_pass`` and its ``load_`` twin.

MASE's pair: every node's ``parameters`` as one TOML document (``None`` is
written ``"NA"``), read back into a graph with the same node names. TOML is
for reading and editing by hand: tensor values become nested lists and come
back as tensors of the entry's ``torch_dtype``, dtypes are written as strings
(``"torch.float32"``), tuples as lists. For an exact round trip of a whole
graph use ``save_mase_graph_interface_pass``.

>>> print(to_toml({"n": {"common": {"mase_op": "linear", "shape": [2, 3], "x": None}}}), end="")
["n"]
<BLANKLINE>
["n"."common"]
"mase_op" = "linear"
"shape" = [2, 3]
"x" = "NA"
"""

from __future__ import annotations

import json
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from carve.errors import CarveError
from carve.ir.metadata import MaseMetadata
from carve.passes.utils import parse_pass_args, write_text_atomic

if TYPE_CHECKING:
    from carve.ir.graph import MaseGraph

_DTYPES = {str(d): d for d in vars(torch).values() if isinstance(d, torch.dtype)}


@dataclass
class TomlPathArgs:
    """``toml_path``: the TOML file (MASE passed it as a bare string; also accepted)."""

    toml_path: str


def _scalar(value: Any) -> str:
    if value is None:
        return '"NA"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, torch.Tensor):
        return _scalar(value.detach().cpu().tolist())
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    if isinstance(value, dict):  # a dict inside a list: inline table
        return "{" + ", ".join(f"{json.dumps(k)} = {_scalar(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value))


def to_toml(data: dict[str, Any], prefix: tuple[str, ...] = ()) -> str:
    """TOML text of nested dicts: scalars of a table first, then its sub-tables."""
    lines: list[str] = []
    if prefix:
        lines.append("[" + ".".join(json.dumps(k) for k in prefix) + "]")
    tables = []
    for key, value in data.items():
        if isinstance(value, dict):
            tables.append((key, value))
        else:
            lines.append(f"{json.dumps(str(key))} = {_scalar(value)}")
    text = "\n".join(lines) + ("\n" if lines else "")
    for key, value in tables:
        text += ("\n" if text else "") + to_toml(value, (*prefix, str(key)))
    return text


def _restore(data: Any) -> Any:
    if isinstance(data, dict):
        restored = {key: _restore(value) for key, value in data.items()}
        dtype = restored.get("torch_dtype")
        if isinstance(dtype, str) and dtype in _DTYPES:
            restored["torch_dtype"] = _DTYPES[dtype]
            if isinstance(restored.get("value"), (list, int, float)):
                restored["value"] = torch.tensor(restored["value"], dtype=_DTYPES[dtype])
        return restored
    if isinstance(data, list):
        return [_restore(v) for v in data]
    return None if data == "NA" else data


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
            meta.parameters = _restore(saved[node.name])
            node.meta["mase"] = meta
    return graph, {"toml_path": args.toml_path, "nodes": len(saved)}
