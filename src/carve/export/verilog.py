"""The ``verilog`` export: synthesizable Verilog-2001 of an integer MLP, proven by simulation.

Public entry (stable; the yosys estimate and the cost model read it)::

    design = emit_verilog(view, folder)   # -> RtlDesign
    design.top            # top module name ("carve_net")
    design.files          # every .v file written (rtl/<module>.v, rtl/<top>.v)
    design.modules        # node name -> its Verilog module name (one module per node)
    design.latency        # cycles from data_in_0 to data_out_0
    design.inputs, design.outputs   # packed ports (channels x width, signedness)

Interface of the top module: ``clk``, ``rst`` (clears the valid bits only),
``in_valid``, ``data_in_0`` (the first node's ``data_in_0`` codes, channel
``i`` in bits ``[i*W +: W]``), ``out_valid``, ``data_out_0`` (the last node's
output codes). Fully parallel and pipelined: one register stage per node, one
input vector per clock, no back-pressure; ``out_valid`` is ``in_valid``
delayed by the latency. What each stage computes is in
:mod:`carve.export.verilog_plan`.

``carve export ... --format verilog`` builds the design with Verilator, feeds
it every row of the test split and compares each output code with carve's
integer reference; Icarus Verilog runs the emitted testbench (``tb/``, 256
rows of random input codes, expected codes from the integer reference) as a
second simulator.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from carve.export.graph_view import ExportGraph
from carve.export.parity import Parity, compare, integer_reference_outputs
from carve.export.protocol import Exporter
from carve.export.verilog_plan import Datapath, plan_datapath, quantize_codes
from carve.export.verilog_rtl import layer_module, top_module
from carve.fileio import atomic_write_text
from carve.hardware.icarus import PURPOSE as TESTBENCH
from carve.hardware.icarus import hex_rows, run_testbench, testbench
from carve.hardware.tools import require
from carve.hardware.verilator import PURPOSE as SIMULATION
from carve.hardware.verilator import Port, build, simulate

TOP = "carve_net"
TB_ROWS = 256
TB_SEED = 0


@dataclass
class RtlDesign:
    """What :func:`emit_verilog` wrote (see the module doc)."""

    top: str
    folder: Path
    files: list[Path]
    modules: dict[str, str]
    latency: int
    inputs: Port
    outputs: Port
    datapath: Datapath = field(repr=False)

    def decode(self, codes: np.ndarray) -> np.ndarray:
        """Output codes as carve's float32 values (exact, rounded once)."""
        return np.ldexp(codes.astype(np.float64), self.datapath.output.exponent).astype(np.float32)

    def encode(self, x: np.ndarray) -> np.ndarray:
        """Input rows as the first node's ``data_in_0`` codes (carve's quantizer)."""
        values = np.asarray(x, dtype=np.float32).astype(np.float64)
        return quantize_codes(values, self.datapath.input_format)


def plan_design(view: ExportGraph, folder: Path, top: str = TOP, rtl: str = "rtl") -> RtlDesign:
    """The design of ``view`` (its datapath and file names under ``folder/rtl``), unwritten."""
    path = plan_datapath(view, top)
    files = [folder / rtl / f"{layer.module}.v" for layer in path.layers]
    files.append(folder / rtl / f"{top}.v")
    inputs = Port("data_in_0", path.n_in, path.input.width, path.input.signed)
    outputs = Port("data_out_0", path.n_out, path.output.width, path.output.signed)
    modules = {layer.node: layer.module for layer in path.layers}
    return RtlDesign(top, folder, files, modules, path.latency, inputs, outputs, path)


def emit_verilog(view: ExportGraph, folder: Path, top: str = TOP, rtl: str = "rtl") -> RtlDesign:
    """Plan ``view``'s integer datapath and write its Verilog into ``folder/rtl``."""
    design = plan_design(view, folder, top, rtl)
    design.files[0].parent.mkdir(parents=True, exist_ok=True)
    texts = [layer_module(layer) for layer in design.datapath.layers]
    for file, text in zip(design.files, [*texts, top_module(design.datapath)], strict=True):
        atomic_write_text(file, text)
    return design


def emit_testbench(
    design: RtlDesign,
    view: ExportGraph,
    rows: int = TB_ROWS,
    subfolder: str = "tb",
    codes: np.ndarray | None = None,
) -> list[Path]:
    """``tb/tb_<top>.v`` with input codes (random unless given) and the integer reference's
    output codes."""
    lo, hi = design.datapath.input_format.int_range
    if codes is None:
        shape = (rows, design.inputs.channels)
        codes = np.random.default_rng(TB_SEED).integers(lo, hi + 1, size=shape)
    rows = len(codes)
    x = np.ldexp(codes.astype(np.float64), -design.datapath.input_format.frac_width)
    expected = integer_reference_outputs(view.model, x.astype(np.float32))
    out_codes = np.ldexp(expected.astype(np.float64), -design.datapath.output.exponent)
    tb = design.folder / subfolder
    tb.mkdir(parents=True, exist_ok=True)
    files = [tb / f"tb_{design.top}.v", tb / "tb_inputs.hex", tb / "tb_expected.hex"]
    atomic_write_text(
        files[0], testbench(design.top, design.inputs, design.outputs, design.latency, rows)
    )
    atomic_write_text(files[1], hex_rows(codes, design.inputs))
    atomic_write_text(files[2], hex_rows(np.rint(out_codes).astype(np.int64), design.outputs))
    return files


class VerilogExporter(Exporter):
    """Verilog-2001 RTL + testbench; Verilator parity vs the integer reference, Icarus check."""

    name = "verilog"
    description = (
        "Verilog-2001 RTL (one module per node, pipelined, one input per clock); "
        "checked by Verilator simulation, cross-checked by Icarus iverilog"
    )

    def __init__(self) -> None:
        super().__init__()
        self.design: RtlDesign | None = None
        self.binary: Path | None = None
        self.seconds: dict[str, float] = {}

    def write(self, view: ExportGraph, folder: Path) -> list[Path]:
        start = time.perf_counter()
        self.design = emit_verilog(view, folder)
        files = [*self.design.files, *emit_testbench(self.design, view)]
        self.seconds["emit"] = time.perf_counter() - start
        self.extra = {"verilog": self.summary(), "resources": None}  # resources: yosys estimate
        path = self.design.datapath
        self.notes = [
            f"RTL: top {self.design.top}, {len(path.layers)} node modules, latency "
            f"{self.design.latency} cycles, one input vector per clock; input "
            f"{path.n_in} x {path.input.width}-bit codes, output {path.n_out} x "
            f"{path.output.width}-bit codes (value = code * 2**{path.output.exponent})",
            *batch_norm_notes(path),
        ]
        from carve.hardware.resources import export_resources  # yosys estimate (stream yosys)

        self.extra["resources"], lines = export_resources(self.design)
        self.notes += lines
        return files

    def summary(self) -> dict[str, Any]:
        design = self.design
        path = design.datapath
        return {
            "top": design.top,
            "latency_cycles": design.latency,
            "modules": design.modules,
            "interface": {
                "data_in_0": vars(design.inputs) | {"exponent": path.input.exponent},
                "data_out_0": vars(design.outputs) | {"exponent": path.output.exponent},
                "handshake": "in_valid/out_valid only (no ready): one vector per clock",
            },
            "weights": {
                layer.node: {"total": int(layer.weight.size), "nonzero": layer.kept_weights}
                for layer in path.layers
                if layer.weight is not None
            },
            "seconds": dict(self.seconds),
        }

    def run(self, folder: Path, view: ExportGraph, x: np.ndarray) -> np.ndarray:
        """Build (once) with Verilator and stream ``x``'s input codes through the design."""
        if self.design is None:
            self.design = plan_design(view, folder)
        design = self.design
        if self.binary is None:
            start = time.perf_counter()
            self.binary = build(folder / "sim", design.top, design.files, design.inputs,
                                design.outputs, design.latency)  # fmt: skip
            self.seconds["verilator_build"] = time.perf_counter() - start
        start = time.perf_counter()
        codes = simulate(self.binary, design.encode(x), design.outputs.channels)
        self.seconds["verilator_simulate"] = time.perf_counter() - start
        return design.decode(codes)

    def parity(self, folder: Path, view: ExportGraph, x: np.ndarray) -> Parity:
        for tool, purpose in (
            ("verilator", SIMULATION),
            ("make", SIMULATION),
            ("g++", SIMULATION),
            ("iverilog", TESTBENCH),
            ("vvp", TESTBENCH),
        ):
            require(tool, purpose)  # before minutes of building: a missing tool fails at once
        out = self.run(folder, view, x)
        ref = integer_reference_outputs(view.model, x)
        parity = compare(out, ref, "Verilator RTL simulation", "integer reference")
        start = time.perf_counter()
        rows, checked, mismatches = run_testbench(folder / "tb", self.design.top, self.design.files)
        self.seconds["icarus_testbench"] = time.perf_counter() - start
        icarus = {"rows": rows, "checked": checked, "mismatches": mismatches}
        self.extra["verilog"] = self.summary() | {"icarus": icarus}
        verdict = "EXACT" if mismatches == 0 and checked == rows else f"{mismatches} DIFFER"
        self.notes.append(
            f"Icarus iverilog testbench (tb/tb_{self.design.top}.v): {checked}/{rows} rows of "
            f"random input codes checked against the integer reference: {verdict}"
        )
        if checked != rows or mismatches:
            parity.mismatches += max(mismatches, 1)
        return parity


def batch_norm_notes(path: Datapath) -> list[str]:
    lines = []
    for layer in path.layers:
        if layer.steps:
            kinds = [s.kind for s in layer.steps]
            exceptions = sum(len(s.exceptions) for s in layer.steps)
            lines.append(
                f"batch norm {layer.node}: every (input code, channel) pair matched exactly by "
                f"{kinds.count('affine')} integer affine ({exceptions} exception codes) and "
                f"{kinds.count('steps')} threshold channel(s)"
            )
    return lines
