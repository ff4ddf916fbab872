"""Verilog passes: ``export_verilog_transform_pass`` and MASE's emit pass names.

- ``export_verilog_transform_pass(graph, {"save_dir", "inputs"?, "input_shape"?})``:
  the whole export (RTL, testbench, Verilator parity, Icarus check, report),
  as the other ``export_*`` passes;
- ``emit_verilog_top_transform_pass(graph, {"project_dir", "top_name"?})``: MASE's
  name; writes the RTL into ``<project_dir>/hardware/rtl`` (MASE's layout);
- ``emit_verilog_tb_transform_pass(graph, {"project_dir", "top_name"?})``: MASE's
  name; writes the self-checking testbench into ``<project_dir>/hardware/test``.

The emit passes fill the hardware metadata first (``add_hardware_metadata``)
when it is missing, and return ``info["design"]`` (an
:class:`~carve.export.verilog.RtlDesign`). A folder that already holds files is
refused (nothing is overwritten).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carve.errors import CarveError
from carve.export.passes import _export
from carve.passes.utils import parse_pass_args


@dataclass
class EmitArgs:
    """``project_dir``: MASE's project folder; ``top_name``: the top module."""

    project_dir: str = ""
    top_name: str = "carve_net"


def export_verilog_transform_pass(graph: Any, pass_args: Any = None) -> tuple[Any, dict]:
    """Write Verilog RTL + testbench; Verilator parity vs the integer reference; report."""
    return _export("export_verilog_transform_pass", "verilog", graph, pass_args)


def _emit_args(name: str, pass_args: Any) -> EmitArgs:
    args = parse_pass_args(EmitArgs, pass_args, name)
    if not args.project_dir:
        raise CarveError(f"{name}: pass_args needs 'project_dir' (where hardware/ is written)")
    if not args.top_name.isidentifier():
        raise CarveError(f"{name}: pass_args['top_name'] {args.top_name!r} is not a Verilog name")
    return args


def _fresh(folder: Path, name: str) -> Path:
    if folder.exists() and any(folder.iterdir()):
        raise CarveError(
            f"{name}: {folder} already holds files; emitted files are never overwritten"
        )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _ensure_hardware_metadata(graph: Any, top: str) -> None:
    from carve.ir.metadata import get_mase
    from carve.passes.analysis.hardware_metadata import add_hardware_metadata_analysis_pass

    if any(not get_mase(n).parameters.get("hardware") for n in graph.nodes):
        add_hardware_metadata_analysis_pass(graph, {"top_name": top})


def _emit(name: str, graph: Any, pass_args: Any, subfolder: str, write) -> tuple[Any, dict]:
    """Check ``pass_args``, fill hardware metadata, ``write(view, hardware, top)`` into the new
    ``<project_dir>/hardware/<subfolder>`` (removed again if anything fails)."""
    from carve.export.graph_view import export_view

    args = _emit_args(name, pass_args)
    _ensure_hardware_metadata(graph, args.top_name)
    view = export_view(graph)
    hardware = Path(args.project_dir) / "hardware"
    _fresh(hardware / subfolder, name)
    try:
        design, files = write(view, hardware, args.top_name)
    except BaseException:
        shutil.rmtree(hardware / subfolder, ignore_errors=True)
        raise
    return graph, {"design": design, "files": [str(f) for f in files]}


def emit_verilog_top_transform_pass(graph: Any, pass_args: Any = None) -> tuple[Any, dict]:
    """MASE's name: the RTL (one module per node + top) into ``<project_dir>/hardware/rtl``."""
    from carve.export.verilog import emit_verilog

    def write(view, hardware: Path, top: str):
        design = emit_verilog(view, hardware, top, "rtl")
        return design, design.files

    return _emit("emit_verilog_top_transform_pass", graph, pass_args, "rtl", write)


def emit_verilog_tb_transform_pass(graph: Any, pass_args: Any = None) -> tuple[Any, dict]:
    """MASE's name: the self-checking testbench into ``<project_dir>/hardware/test``."""
    from carve.export.verilog import emit_testbench, plan_design

    def write(view, hardware: Path, top: str):
        design = plan_design(view, hardware, top, "rtl")
        return design, emit_testbench(design, view, subfolder="test")

    return _emit("emit_verilog_tb_transform_pass", graph, pass_args, "test", write)
