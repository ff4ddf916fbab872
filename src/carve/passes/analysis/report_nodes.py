"""Per-node report tables: types, shapes and metadata (rich tables, optional file).

Tables are printed; ``save_path`` (where a pass takes one) also writes them.
Tensor values inside metadata are summarised as ``<tensor [shape] dtype>`` so
a table stays readable (MASE printed every element).
"""

from __future__ import annotations

import pprint
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from carve.errors import CarveError
from carve.ir.metadata import get_mase
from carve.passes.utils import parse_pass_args, render_table, write_text_atomic

if TYPE_CHECKING:
    from carve.ir.graph import MaseGraph

META_KINDS = ("all", "common", "hardware", "software")
_META_COLUMNS = {"common": "Common Param", "hardware": "Hardware Param",
                 "software": "Software Param"}  # fmt: skip


@dataclass
class NoArgs:
    """No arguments."""


@dataclass
class ReportNodeMetaParamArgs:
    """``which``: metadata kinds to show; ``save_path``: also write the table there."""

    which: tuple[str, ...] | list[str] = ("all",)
    save_path: str | None = None

    def __post_init__(self) -> None:
        for kind in self.which:
            if kind not in META_KINDS:
                accepted = ", ".join(META_KINDS)
                raise CarveError(
                    f"pass_args['which'] entry {kind!r} is unknown; accepted: {accepted}"
                )


def _value_type(common: dict[str, Any]) -> str:
    entry = common.get("args", {}).get("data_in_0")
    return entry.get("type", "NA") if isinstance(entry, dict) else "NA"


def _emit(title: str, columns: list[str], rows: list, save_path: str | None) -> str:
    text = render_table(title, columns, rows)
    print(text, end="")
    if save_path:
        write_text_atomic(save_path, text)
    return text


def report_node_type_analysis_pass(
    graph: MaseGraph, pass_args: dict | None = None
) -> tuple[MaseGraph, dict]:
    """Table: Node name, Fx Node op, Mase type, Mase op, Value type (of ``data_in_0``)."""
    parse_pass_args(NoArgs, pass_args, "report_node_type_analysis_pass")
    rows = []
    for node in graph.nodes:
        common = get_mase(node).parameters["common"]
        rows.append(
            (
                node.name,
                node.op,
                common.get("mase_type"),
                common.get("mase_op"),
                _value_type(common),
            )
        )
    columns = ["Node name", "Fx Node op", "Mase type", "Mase op", "Value type"]
    text = _emit("Node types", columns, rows, None)
    return graph, {"text": text, "rows": rows}


def _describe(entry: Any) -> str:
    if isinstance(entry, dict) and "shape" in entry:
        return str(entry["shape"])
    return repr(entry)


def report_node_shape_analysis_pass(
    graph: MaseGraph, pass_args: dict | None = None
) -> tuple[MaseGraph, dict]:
    """Table: per node, ``in:`` argument shapes (values for constants) and ``out:`` shapes."""
    parse_pass_args(NoArgs, pass_args, "report_node_shape_analysis_pass")
    rows = []
    for node in graph.nodes:
        common = get_mase(node).parameters["common"]
        ins = "\n".join(f"{k}: {_describe(v)}" for k, v in common.get("args", {}).items())
        outs = "\n".join(f"{k}: {_describe(v)}" for k, v in common.get("results", {}).items())
        rows.append((node.name, ins or "-", outs or "-"))
    text = _emit("Node shapes", ["Node name", "in", "out"], rows, None)
    return graph, {"text": text, "rows": rows}


def summarise_values(data: Any) -> Any:
    """A copy of ``data`` with tensors replaced by a short description."""
    if isinstance(data, torch.Tensor):
        return f"<tensor {list(data.shape)} {str(data.dtype).removeprefix('torch.')}>"
    if isinstance(data, dict):
        return {key: summarise_values(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)) and any(isinstance(v, torch.Tensor) for v in data):
        return type(data)(summarise_values(v) for v in data)
    return data


def report_node_meta_param_analysis_pass(
    graph: MaseGraph, pass_args: dict | None = None
) -> tuple[MaseGraph, dict]:
    """Table of each node's metadata kinds in ``which`` (MASE: ``{"which": ("software",)}``)."""
    args = parse_pass_args(
        ReportNodeMetaParamArgs, pass_args, "report_node_meta_param_analysis_pass"
    )
    kinds = ["common", "hardware", "software"] if "all" in args.which else list(args.which)
    print("Inspecting graph [add_common_meta_param_analysis_pass]")
    rows = []
    for node in graph.nodes:
        meta = get_mase(node)
        common = meta.parameters["common"]
        row = [node.name, node.op, common.get("mase_type"), common.get("mase_op")]
        row += [pprint.pformat(summarise_values(meta.parameters[k]), width=70) for k in kinds]
        rows.append(row)
    columns = ["Node name", "Fx Node op", "Mase type", "Mase op"]
    columns += [_META_COLUMNS[k] for k in kinds]
    text = _emit("Node metadata", columns, rows, args.save_path)
    if args.save_path:
        print(f"Node meta param table is saved to {args.save_path}")
    return graph, {"text": text}
