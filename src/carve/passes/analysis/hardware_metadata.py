"""MASE's hardware metadata: ``add_hardware_metadata_analysis_pass`` and its report.

Fills ``node.meta["mase"].parameters["hardware"]`` of every node, with MASE's
keys, from the common metadata (so run it after ``add_common_metadata``; the
quantize pass's types and precisions are read when it has run):

- ``is_implicit``: placeholder/output and ops without a module of their own;
- ``toolchain``: ``"INTERNAL_RTL"`` where carve's Verilog target emits the node
  (``linear``, ``batch_norm1d``, ``relu`` on integer formats of 1-16 bits),
  ``"UNSUPPORTED"`` with a ``reason`` otherwise (a float graph gets metadata
  too: MASE's report tests call this pass on unquantized toys);
- ``module``: the Verilog module the emitter writes for the node
  (``<top>_<node name>``, one module per node);
- ``verilog_param``: per operand ``<OPERAND>_PRECISION_0/1`` (width, fractional
  width), ``<OPERAND>_TENSOR_SIZE_DIM_i`` and ``<OPERAND>_PARALLELISM_DIM_i``
  (equal: fully parallel), plus ``LATENCY`` (cycles);
- ``interface``: per parameter ``{"storage": "CONSTANT", "transpose": False}``
  (weights are constants in the logic), ``device_id`` -1, ``dependence_files`` [].

``pass_args``: ``top_name`` (default ``"carve_net"``, the top module's name).
``verify_hardware_metadata_analysis_pass`` checks that every node has it with
MASE's keys and types (``raise_on_error`` as the other verify passes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from carve.ir.metadata import get_mase
from carve.passes.analysis.verify import VerifyArgs, _finish
from carve.passes.results import ReportInfo
from carve.passes.utils import parse_pass_args, render_table

RTL_OPS = ("linear", "batch_norm1d", "relu")
MAX_WIDTH = 16
PARAMETERS = ("weight", "bias")


@dataclass
class HardwareMetadataArgs:
    """``top_name``: the Verilog top module (node modules are ``<top_name>_<node>``)."""

    top_name: str = "carve_net"


@dataclass
class NoArgs:
    """No arguments."""


def module_name(top: str, node_name: str) -> str:
    """The Verilog module carve emits for a node."""
    return f"{top}_{node_name}"


def _operands(common: dict[str, Any]) -> dict[str, dict]:
    entries = {k: v for k, v in common.get("args", {}).items() if isinstance(v, dict)}
    entries |= {k: v for k, v in common.get("results", {}).items() if isinstance(v, dict)}
    return {k: v for k, v in entries.items() if "shape" in v and "precision" in v}


def _support(common: dict[str, Any], operands: dict[str, dict]) -> str | None:
    """Why the Verilog target cannot emit the node (None when it can)."""
    op = common.get("mase_op")
    if op not in RTL_OPS:
        return f"op {op!r} has no Verilog emitter (supported: {', '.join(RTL_OPS)})"
    for name, entry in operands.items():
        if name == "data_out_0" or (op == "relu" and entry.get("type") == "float"):
            continue  # a float output is re-rounded by the next node; a float ReLU commutes
        if op == "batch_norm1d" and name in PARAMETERS:
            continue  # folded into the per-channel code table, any format
        kind, precision = entry.get("type"), entry.get("precision") or [0]
        if kind != "integer":
            return f"{name} is {kind}; the Verilog target takes integer (fixed point)"
        if not 1 <= int(precision[0]) <= MAX_WIDTH:
            return f"{name} is {precision[0]} bits; the Verilog target takes 1-{MAX_WIDTH}"
    return None


def _verilog_params(operands: dict[str, dict]) -> dict[str, int]:
    params: dict[str, int] = {}
    for name, entry in operands.items():
        key = name.upper()
        precision = list(entry.get("precision") or [])
        for i, value in enumerate(precision[:2]):
            params[f"{key}_PRECISION_{i}"] = int(value)
        shape = [int(d) for d in entry.get("shape") or []]
        if name.startswith("data_"):
            shape = shape[1:] or [1]  # no batch dimension
        for d, size in enumerate(reversed(shape)):  # MASE: dim 0 is the innermost
            params[f"{key}_TENSOR_SIZE_DIM_{d}"] = size
            params[f"{key}_PARALLELISM_DIM_{d}"] = size  # fully parallel
    return params


def node_hardware(node: Any, top: str) -> dict[str, Any]:
    """The hardware metadata of one node (see the module doc)."""
    common = get_mase(node).parameters["common"]
    if node.op in ("placeholder", "output") or common.get("mase_type") in (
        "implicit_func",
        "placeholder",
        "output",
    ):
        return {"is_implicit": True}
    operands = _operands(common)
    reason = _support(common, operands)
    params = _verilog_params(operands)
    if reason is None:
        params["LATENCY"] = 1
    entry: dict[str, Any] = {
        "is_implicit": False,
        "toolchain": "INTERNAL_RTL" if reason is None else "UNSUPPORTED",
        "module": module_name(top, node.name) if reason is None else None,
        "device_id": -1,
        "interface": {
            p: {"storage": "CONSTANT", "transpose": False} for p in PARAMETERS if p in operands
        },
        "verilog_param": params,
        "dependence_files": [],
    }
    if reason is not None:
        entry["reason"] = reason
    return entry


def add_hardware_metadata_analysis_pass(graph: Any, pass_args: dict | None = None):
    """Fill every node's ``hardware`` metadata (module, toolchain, Verilog parameters)."""
    args = parse_pass_args(HardwareMetadataArgs, pass_args, "add_hardware_metadata_analysis_pass")
    emitted = 0
    for node in graph.nodes:
        hardware = node_hardware(node, args.top_name)
        get_mase(node).parameters["hardware"] = hardware
        emitted += hardware.get("toolchain") == "INTERNAL_RTL"
    return graph, {"rtl_nodes": emitted}


def report_node_hardware_type_analysis_pass(graph: Any, pass_args: dict | None = None):
    """Table: node, fx op, mase op, toolchain, Verilog module, latency (or why not emitted)."""
    parse_pass_args(NoArgs, pass_args, "report_node_hardware_type_analysis_pass")
    rows = []
    for node in graph.nodes:
        meta = get_mase(node).parameters
        hardware = meta.get("hardware") or {}
        if hardware.get("is_implicit"):
            toolchain, module, note = "implicit", "-", "-"
        else:
            toolchain = hardware.get("toolchain", "NA (run add_hardware_metadata)")
            module = hardware.get("module") or "-"
            note = hardware.get("reason") or (
                f"latency {hardware.get('verilog_param', {}).get('LATENCY', '?')}"
            )
        rows.append((node.name, node.op, meta["common"].get("mase_op"), toolchain, module, note))
    columns = ["Node name", "Fx Node op", "Mase op", "Toolchain", "Module", "Latency / reason"]
    text = render_table("Node hardware types", columns, rows)
    print(text, end="")
    return graph, ReportInfo(text=text, rows=rows)


_TYPES = {"toolchain": str, "device_id": int, "interface": dict, "verilog_param": dict,
          "dependence_files": list}  # fmt: skip


def hardware_problems(graph: Any) -> list[str]:
    """Problems in hardware metadata: missing, keys absent or of the wrong type."""
    problems = []
    for node in graph.nodes:
        hardware = get_mase(node).parameters.get("hardware") or {}
        if not isinstance(hardware.get("is_implicit"), bool):
            problems.append(f"{node.name}: no hardware metadata (run add_hardware_metadata)")
            continue
        if hardware["is_implicit"]:
            continue
        for key, kind in _TYPES.items():
            if not isinstance(hardware.get(key), kind):
                problems.append(f"{node.name}.hardware.{key}: not a {kind.__name__}")
        params = hardware.get("verilog_param") or {}
        problems += [f"{node.name}.hardware.verilog_param.{k}: not an int"
                     for k, v in params.items() if not isinstance(v, int)]  # fmt: skip
        if hardware.get("toolchain") == "INTERNAL_RTL" and not isinstance(hardware["module"], str):
            problems.append(f"{node.name}.hardware.module: an emitted node needs its module name")
    return problems


def verify_hardware_metadata_analysis_pass(graph: Any, pass_args: dict | None = None):
    """Check every node's hardware metadata (MASE's keys and types); info = ``{"problems"}``."""
    args = parse_pass_args(VerifyArgs, pass_args, "verify_hardware_metadata_analysis_pass")
    return _finish(graph, hardware_problems(graph), {}, args.raise_on_error,
                   "hardware metadata verification")  # fmt: skip
