"""The Verilog export: Verilator parity with the integer reference, RTL structure, Icarus.

Every case builds a design with Verilator (seconds each), so the cases are
chosen to cover widths 8/6/4/3, a mixed by-name config, a pruned network and
all three JSC models with few builds; widths 1-16 are covered without
Verilator by the Icarus testbench in ``test_icarus_testbench_at_every_width``.
"""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest
import torch

from carve.export.api import export_graph
from carve.export.graph_view import export_view
from carve.export.parity import integer_reference_outputs
from carve.export.verilog import emit_testbench, emit_verilog
from carve.hardware.icarus import run_testbench
from carve.hardware.verilator import simulate

ROWS = 3000


def mixed_all(graph, fixed) -> dict:
    """By name: every node quantized, widths differ per layer, one floor rounding, one float
    ReLU (between a batch norm and a linear layer), unsigned ReLU inputs elsewhere."""
    args: dict = {"by": "name", "default": {"config": {"name": "NA"}}}
    widths = [(8, 4, 6, 3), (6, 2, 8, 5), (4, 2, 6, 3), (5, 1, 7, 4)]
    kinds = {"Linear": 0, "ReLU": 0, "BatchNorm1d": 0}
    for node in graph.nodes:
        if node.op != "call_module":
            continue
        kind = type(graph.model.get_submodule(node.target)).__name__
        k = kinds[kind]
        kinds[kind] += 1
        if kind == "Linear":
            x_w, x_f, w_w, w_f = widths[k % len(widths)]
            config = {"name": "integer", "data_in_width": x_w, "data_in_frac_width": x_f,
                      "weight_width": w_w, "weight_frac_width": w_f,
                      "bias_width": 12, "bias_frac_width": 6}  # fmt: skip
            if k == 1:
                config["data_in_floor"] = True
        elif kind == "BatchNorm1d":
            config = fixed(7 - k % 3, 3)
        elif k == 1:
            continue  # a float ReLU: commutes with the next quantizer
        else:
            config = fixed(5 + k % 2, 2, ("data_in",))
        args[node.name] = {"config": config}
    return args


def pruned(config: dict, sparsity: float):
    """Zero the smallest ``sparsity`` of each Linear's weights, then quantize with ``config``."""

    def quantize(graph):
        with torch.no_grad():
            for module in graph.model.modules():
                if isinstance(module, torch.nn.Linear):
                    w = module.weight
                    cut = w.abs().flatten().kthvalue(int(sparsity * w.numel())).values
                    w[w.abs() <= cut] = 0.0
        return config

    return quantize


CASES = {  # name: (model, quantize config from the builders)
    "jsc-tiny-8": ("jsc-tiny", lambda b: b.by_type(8)),
    "jsc-toy-4-pruned-75": ("jsc-toy", lambda b: pruned(b.by_type(4), 0.75)),
    "jsc-toy-mixed": ("jsc-toy", lambda b: lambda graph: mixed_all(graph, b.fixed)),
    "jsc-s-3": ("jsc-s", lambda b: b.by_type(3)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_verilator_parity_every_output_code(case, tmp_path, test_split, builders):
    model, quantize = CASES[case]
    graph = builders.quantized_graph(model, quantize(builders))
    x = test_split.x[:ROWS]
    report = export_graph(graph, "verilog", tmp_path / "v", inputs=x)
    parity = report.parity
    assert parity.exact and parity.rows == ROWS and parity.elements == ROWS * 5
    # independent of the report: the built harness on codes from carve's own quantizer
    first = export_view(graph).nodes[0].module.quantizers()["data_in_0"]
    codes = first.format.to_int(x, first.spec).ints.numpy().astype(np.int64)
    out = simulate(tmp_path / "v" / "sim" / "harness", codes, 5)
    exponent = report.to_dict()["verilog"]["interface"]["data_out_0"]["exponent"]
    ref = integer_reference_outputs(graph.model, x)
    np.testing.assert_array_equal(np.ldexp(out.astype(np.float64), exponent), ref)
    assert len(np.unique(ref)) > 3  # the outputs vary: the check is not vacuous
    icarus = report.to_dict()["verilog"]["icarus"]
    assert icarus == {"rows": 256, "checked": 256, "mismatches": 0}
    text = (tmp_path / "v" / "report.md").read_text()
    assert "Verilator RTL simulation vs carve integer reference: 3,000 rows, EXACT" in text


def test_pruned_weights_leave_the_adder_trees(tmp_path, builders):
    graph = builders.quantized_graph("jsc-toy", pruned(builders.by_type(4), 0.75))
    design = emit_verilog(export_view(graph), tmp_path)
    for layer in design.datapath.layers:
        if layer.op != "linear":
            continue
        text = (tmp_path / "rtl" / f"{layer.module}.v").read_text()
        used = set()  # (output, input) pairs the adder trees read
        for line in text.splitlines():
            declared = re.match(r"\s*wire (?:signed )?\[\d+:0\] acc_(\d+)\w* =", line)
            if declared:
                right = line.split("=", 1)[1]
                used |= {
                    (int(declared[1]), int(i)) for i in re.findall(r"\bx_(\d+)(?:_[nu])?\[", right)
                }
        kept = {(int(j), int(i)) for j, i in zip(*np.nonzero(layer.weight), strict=True)}
        assert used == kept and len(kept) == layer.kept_weights < 0.3 * layer.weight.size


def test_design_structure_and_latency(tmp_path, builders):
    graph = builders.quantized_graph("jsc-toy", builders.by_type(4))
    design = emit_verilog(export_view(graph), tmp_path)
    nodes = [n.name for n in export_view(graph).nodes]
    assert list(design.modules) == nodes and design.latency == len(nodes)
    assert [f.name for f in design.files] == [f"carve_net_{n}.v" for n in nodes] + ["carve_net.v"]
    top = (tmp_path / "rtl" / "carve_net.v").read_text()
    assert "input  wire [63:0] data_in_0" in top  # 16 x 4-bit codes
    assert f"reg [{len(nodes) - 1}:0] valid_q;" in top
    for path in design.files:  # one module per file, plain Verilog-2001 (no SystemVerilog)
        text = path.read_text()
        assert text.count("\nmodule ") + text.startswith("module ") == 1
        assert not re.search(r"\b(logic|always_ff|always_comb|generate)\b", text)
    # a third tool reads it: yosys elaborates the hierarchy (every module, every port)
    script = (
        f"read_verilog {' '.join(str(f) for f in design.files)}; hierarchy -check -top carve_net"
    )
    done = subprocess.run(["yosys", "-q", "-p", script], capture_output=True, text=True)
    assert done.returncode == 0 and "Warning" not in done.stdout + done.stderr, done.stderr


@pytest.mark.parametrize("width", [1, 2, 5, 12, 16])
def test_icarus_testbench_at_every_width(width, tmp_path, builders):
    """Widths 1-16 (no Verilator build): the emitted testbench checks 64 rows of random
    input codes against the integer reference, in Icarus Verilog."""
    graph = builders.quantized_graph("jsc-tiny", builders.by_type(width))
    view = export_view(graph)
    design = emit_verilog(view, tmp_path)
    emit_testbench(design, view, rows=64)
    rows, checked, mismatches = run_testbench(tmp_path / "tb", design.top, design.files)
    assert (rows, checked, mismatches) == (64, 64, 0)


def test_wide_accumulators_are_rounded_as_carve_holds_them(tmp_path, builders):
    """16-bit inputs and weights: jsc-toy's accumulators pass 2**24, where carve's reference
    rounds them to float32 before the next quantizer; the RTL rounds the same way (Icarus,
    2,000 rows of random input codes against the integer reference)."""
    config = builders.by_type(16)
    config["linear"]["config"] |= {"weight_frac_width": 12, "data_in_frac_width": 10}
    graph = builders.quantized_graph("jsc-toy", config)
    view = export_view(graph)
    design = emit_verilog(view, tmp_path)
    wide = [layer.node for layer in design.datapath.layers if "f32_0" in
            (tmp_path / "rtl" / f"{layer.module}.v").read_text()]  # fmt: skip
    assert wide, "no accumulator passed 2**24: the case is not exercised"
    emit_testbench(design, view, rows=2000)
    assert run_testbench(tmp_path / "tb", design.top, design.files) == (2000, 2000, 0)
