"""MASE's hardware metadata pass and hardware report, in MASE's own test order."""

from __future__ import annotations

import pytest

from carve.errors import CarveError
from carve.passes import (
    add_hardware_metadata_analysis_pass,
    quantize_transform_pass,
    report_node_hardware_type_analysis_pass,
    report_node_meta_param_analysis_pass,
    verify_hardware_metadata_analysis_pass,
    verify_metadata_analysis_pass,
)

INT6 = {"name": "integer", "data_in_width": 6, "data_in_frac_width": 3, "weight_width": 6,
        "weight_frac_width": 3, "bias_width": 6, "bias_frac_width": 3}  # fmt: skip


def test_mase_report_sequence_runs_on_a_float_toy(analyse, capsys):
    """MASE's report/verify tests: common -> software -> hardware -> report, on float models."""
    graph = analyse("toy-mlp")
    graph, info = add_hardware_metadata_analysis_pass(graph, None)
    graph, _ = report_node_meta_param_analysis_pass(graph, {"which": ("all",)})
    graph, _ = verify_metadata_analysis_pass(graph)
    graph, checked = verify_hardware_metadata_analysis_pass(graph)
    assert checked.ok
    graph, _ = report_node_hardware_type_analysis_pass(graph)
    out = capsys.readouterr().out
    assert "Hardware Param" in out and "Node hardware types" in out
    linear = next(n for n in graph.nodes if n.meta["mase"]["common"].get("mase_op") == "linear")
    hardware = linear.meta["mase"]["hardware"]
    assert hardware["toolchain"] == "UNSUPPORTED" and "data_in_0 is float" in hardware["reason"]
    assert info == {"rtl_nodes": 2}  # the two ReLUs (max on codes, any input format)
    placeholder = next(n for n in graph.nodes if n.op == "placeholder")
    assert placeholder.meta["mase"]["hardware"] == {"is_implicit": True}


def test_quantized_nodes_get_module_widths_parallelism_and_latency(analyse):
    graph = analyse("jsc-tiny")
    int6_relu = {"name": "integer", "data_in_width": 6, "data_in_frac_width": 3}
    args = {"by": "type", "linear": {"config": INT6}, "batch_norm1d": {"config": INT6},
            "relu": {"config": int6_relu}}  # fmt: skip
    graph, _ = quantize_transform_pass(graph, args)
    graph, info = add_hardware_metadata_analysis_pass(graph, {"top_name": "net"})
    assert info == {"rtl_nodes": 4}
    linear = next(n for n in graph.nodes if n.name == "seq_blocks_2").meta["mase"]["hardware"]
    assert linear["toolchain"] == "INTERNAL_RTL" and linear["module"] == "net_seq_blocks_2"
    params = linear["verilog_param"]
    assert params["DATA_IN_0_PRECISION_0"] == 6 and params["DATA_IN_0_PRECISION_1"] == 3
    assert params["WEIGHT_PRECISION_0"] == 6 and params["LATENCY"] == 1
    assert params["DATA_IN_0_TENSOR_SIZE_DIM_0"] == 16 == params["DATA_IN_0_PARALLELISM_DIM_0"]
    assert params["WEIGHT_TENSOR_SIZE_DIM_0"] == 16 and params["WEIGHT_TENSOR_SIZE_DIM_1"] == 5
    assert linear["interface"]["weight"] == {"storage": "CONSTANT", "transpose": False}
    graph, table = report_node_hardware_type_analysis_pass(graph)
    assert ("seq_blocks_2", "call_module", "linear", "INTERNAL_RTL", "net_seq_blocks_2",
            "latency 1") in table["rows"]  # fmt: skip


def test_wide_format_is_marked_unsupported_with_reason(analyse):
    graph = analyse("jsc-tiny")
    wide = INT6 | {"weight_width": 20, "weight_frac_width": 10}
    graph, _ = quantize_transform_pass(graph, {"by": "type", "linear": {"config": wide}})
    graph, _ = add_hardware_metadata_analysis_pass(graph)
    linear = next(n for n in graph.nodes if n.name == "seq_blocks_2").meta["mase"]["hardware"]
    assert linear["reason"] == "weight is 20 bits; the Verilog target takes 1-16"


def test_pass_args_are_checked():
    with pytest.raises(CarveError, match="unknown pass_args key 'top'"):
        add_hardware_metadata_analysis_pass(None, {"top": "x"})


def test_verify_hardware_metadata_lists_problems(analyse):
    graph = analyse("toy-mlp")
    with pytest.raises(CarveError, match="no hardware metadata \\(run add_hardware_metadata\\)"):
        verify_hardware_metadata_analysis_pass(graph)
    graph, _ = add_hardware_metadata_analysis_pass(graph)
    node = next(n for n in graph.nodes if n.op == "call_module")
    node.meta["mase"]["hardware"]["verilog_param"]["LATENCY"] = "one"
    graph, info = verify_hardware_metadata_analysis_pass(graph, {"raise_on_error": False})
    assert info["problems"] == [f"{node.name}.hardware.verilog_param.LATENCY: not an int"]
