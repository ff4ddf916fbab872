"""MASE's emit pass names: RTL into hardware/rtl, testbench into hardware/test; they run."""

from __future__ import annotations

import pytest

from carve.errors import CarveError
from carve.hardware.icarus import run_testbench
from carve.passes import (
    emit_verilog_tb_transform_pass,
    emit_verilog_top_transform_pass,
    get_pass,
)


def test_emit_top_then_tb_in_mase_layout_and_the_testbench_passes(builders, tmp_path):
    graph = builders.quantized_graph("jsc-toy", builders.by_type(5))
    args = {"project_dir": str(tmp_path / "proj"), "top_name": "top"}
    graph, top = emit_verilog_top_transform_pass(graph, args)
    rtl = tmp_path / "proj" / "hardware" / "rtl"
    assert sorted(p.name for p in rtl.iterdir()) == sorted(
        [f"top_{n}.v" for n in top["design"].modules] + ["top.v"]
    )
    linear = next(n for n in graph.nodes if n.name == "seq_blocks_2")
    assert linear.meta["mase"]["hardware"]["module"] == "top_seq_blocks_2"  # metadata filled
    graph, tb = emit_verilog_tb_transform_pass(graph, args)
    assert len(tb["files"]) == 3
    test = tmp_path / "proj" / "hardware" / "test"
    assert sorted(p.name for p in test.iterdir()) == [
        "tb_expected.hex",
        "tb_inputs.hex",
        "tb_top.v",
    ]
    assert run_testbench(test, "top", top["design"].files) == (256, 256, 0)
    with pytest.raises(
        CarveError, match="already holds files; emitted files are never overwritten"
    ):
        emit_verilog_top_transform_pass(graph, args)


def test_emit_pass_args_and_registry():
    assert get_pass("emit_verilog_top") is emit_verilog_top_transform_pass
    assert get_pass("export_verilog").__name__ == "export_verilog_transform_pass"
    with pytest.raises(CarveError, match="pass_args needs 'project_dir'"):
        emit_verilog_top_transform_pass(None, {})
    with pytest.raises(CarveError, match="is not a Verilog name"):
        emit_verilog_tb_transform_pass(None, {"project_dir": "x", "top_name": "a-b"})
