"""The typed quantization boundary: parse once, round trip, read back from layers and nodes."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from carve.errors import CarveError
from carve.ir import MaseGraph
from carve.passes import (
    add_common_metadata_analysis_pass,
    init_metadata_analysis_pass,
    load_mase_graph_interface_pass,
    quantize_transform_pass,
    save_mase_graph_interface_pass,
)
from carve.quant import FORMATS, fixed_point_config
from carve.quant.catalog import FORMAT_INFO, FORMAT_TABLE
from carve.quant.layers import (
    FUNCTION_CLASSES,
    FUNCTION_TARGETS,
    MODULE_CLASSES,
    QUANTIZABLE_OPS,
    QUANTIZED_OPS,
)
from carve.quant.node_config import NodeQuantConfig, node_config_of, parse_node_config

INT8 = fixed_point_config(8, 4)

# one valid weight config per format (MASE keys as a config would give them)
EXAMPLES = {
    "integer": {"weight_width": 6, "weight_frac_width": "NA", "weight_floor": True},
    "minifloat_ieee": {"weight_width": 8, "weight_exponent_width": 4, "weight_exponent_bias": 7},
    "minifloat_denorm": {"weight_width": 8, "weight_exponent_width": 4,
                         "weight_exponent_bias": 7},
    "log": {"weight_width": 5, "weight_exponent_bias": 8},
    "block_fp": {"weight_width": 6, "weight_exponent_width": 8, "weight_exponent_bias": 127,
                 "weight_block_size": [1, 4]},
    "block_minifloat": {"weight_width": 6, "weight_exponent_width": 3,
                        "weight_exponent_bias_width": 4, "weight_block_size": [4]},
    "block_log": {"weight_width": 5, "weight_exponent_bias_width": 4, "weight_block_size": [4]},
    "scaled_integer": {"weight_width": 4, "weight_granularity": "channel"},
    "binary": {"weight_width": 1, "weight_stochastic": False, "weight_bipolar": True},
    "ternary": {"weight_width": 2, "weight_scaling_factor": 1, "weight_mean": "NA",
                "weight_median": None, "weight_max": None},
    "mxint": {"weight_width": 8},
    "mxfp": {"weight_width": 8, "weight_exponent_width": 4, "weight_block_size": 32},
}  # fmt: skip


def test_every_format_has_an_example():
    assert set(EXAMPLES) == {info.name for info in FORMAT_TABLE}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_round_trip_through_the_mase_dict(name):
    config = parse_node_config({"name": name, **EXAMPLES[name]})
    again = parse_node_config(config.to_mase_dict())
    assert again == config and hash(again) == hash(config)
    operand = config.operands["weight"]
    assert operand.format is FORMATS[name] and isinstance(operand.spec, FORMATS[name].spec_cls)
    # the dict gives back the keys as written ("NA" read as None, lists kept as lists)
    expected = {k: (None if v == "NA" else v) for k, v in EXAMPLES[name].items()}
    assert config.to_mase_dict() == {"name": name, **expected}


def test_the_spec_is_validated_once_at_the_edge():
    config = parse_node_config(INT8)
    assert sorted(config.operands) == ["bias", "data_in", "weight"]
    weight = config.operand("weight").spec
    assert (weight.width, weight.frac_width, weight.signed) == (8, 4, True)
    with pytest.raises(CarveError, match=r"^integer: width=40 is out of range"):
        parse_node_config(INT8 | {"weight_width": 40})
    with pytest.raises(CarveError, match="lacks key 'bias_width'"):
        parse_node_config({k: v for k, v in INT8.items() if k != "bias_width"})


def test_aliases_and_skips():
    assert parse_node_config({"name": "fixed", **EXAMPLES["integer"]}).format_name == "integer"
    skip = parse_node_config({"name": "NA"})
    assert skip.skips and skip.format_name is None and skip.to_mase_dict() == {"name": None}
    bypassed = parse_node_config(INT8 | {"bypass": 1})
    assert bypassed.skips and bypassed.to_mase_dict()["bypass"] is True


@pytest.mark.parametrize(
    "config,message",
    [(["integer"], "must be a table/dict, got \\['integer'\\]"),
     ({"weight_width": 8}, "has no 'name' key; known formats: binary, "),
     ({"name": "intger"}, "unknown format 'intger'; did you mean 'integer'"),
     (INT8 | {"wieght_width": 4}, "unknown integer config key 'wieght_width'"),
     (INT8 | {"bypass": "yes"}, "bypass must be true/false, got 'yes'"),
     ({"name": "NA", "weight_width": 8}, "unknown NA config key 'weight_width'")],
)  # fmt: skip
def test_bad_configs_are_one_clear_error(config, message):
    with pytest.raises(CarveError, match=message):
        parse_node_config(config, "where: ")


def test_operand_the_config_lacks_names_the_key():
    config = parse_node_config({"name": "integer", "data_in_width": 8, "data_in_frac_width": 4})
    with pytest.raises(CarveError, match="operand 'weight' lacks key 'weight_width'"):
        config.operand("weight")
    assert not config.has("weight") and config.has("data_in")


def test_unsigned_override_keeps_only_fields_the_spec_has():
    integer = parse_node_config(INT8).operand("data_in").with_overrides(signed=False)
    assert integer.spec.signed is False and integer.spec.width == 8
    log = parse_node_config({"name": "log", **EXAMPLES["log"]}).operand("weight")
    assert log.with_overrides(signed=False) is log


def _quantized_jsc_tiny():
    torch.manual_seed(0)
    graph, _ = init_metadata_analysis_pass(MaseGraph.from_registered("jsc-tiny"))
    dummy = {"x": torch.randn(4, 16)}
    graph, _ = add_common_metadata_analysis_pass(graph, {"dummy_in": dummy})
    return quantize_transform_pass(graph, {"by": "type", "linear": {"config": INT8}})


def test_node_config_of_layer_node_and_reloaded_node(tmp_path):
    graph, info = _quantized_jsc_tiny()
    expected = parse_node_config(INT8)
    assert info["node_configs"]["seq_blocks_2"] == expected
    assert info["configs"]["seq_blocks_2"] == INT8
    layer = graph.modules["seq_blocks.2"]
    node = next(n for n in graph.nodes if n.name == "seq_blocks_2")
    assert node_config_of(layer) == expected and node_config_of(node) == expected
    assert layer.config == INT8  # the MASE dict, as before
    relu = next(n for n in graph.nodes if n.name == "seq_blocks_3")
    assert node_config_of(relu) is None and node_config_of(graph.modules["seq_blocks.3"]) is None
    save_mase_graph_interface_pass(graph, {"save_dir": str(tmp_path / "g")})
    loaded, _ = load_mase_graph_interface_pass(None, {"load_dir": str(tmp_path / "g")})
    again = next(n for n in loaded.nodes if n.name == "seq_blocks_2")
    assert node_config_of(again) == expected
    assert node_config_of(loaded.modules["seq_blocks.2"]) == expected


def test_layers_accept_the_typed_config():
    from torch import nn

    from carve.quant.layers import quantized_module

    config = parse_node_config(INT8)
    layer = quantized_module(nn.Linear(3, 2), "linear", config)
    assert layer.node_config is config
    assert type(layer).__name__ == "LinearInteger"


def test_one_dispatch_table_and_its_views():
    modules = {op: e.module_class for op, e in QUANTIZED_OPS.items() if e.module_class}
    functions = {op: e.function_class for op, e in QUANTIZED_OPS.items() if e.function_class}
    assert tuple(sorted(QUANTIZED_OPS)) == QUANTIZABLE_OPS
    assert (modules, functions) == (MODULE_CLASSES, FUNCTION_CLASSES)
    assert FUNCTION_TARGETS["add"] == QUANTIZED_OPS["add"].fx_targets
    relu = QUANTIZED_OPS["relu"]
    assert relu.module_class is not None and relu.function_class is not None
    assert torch.nn.functional.relu in relu.fx_targets


def test_format_metadata_has_one_source():
    for name in FORMATS.names():
        fmt, info = FORMATS[name], FORMAT_INFO[name]
        assert fmt.info is info and fmt.keys == info.keys and fmt.ste == info.ste
        for attribute in ("keys", "extra_keys", "optional_keys", "ste", "description"):
            assert attribute not in vars(type(fmt)), f"{type(fmt).__name__} redefines {attribute}"


def test_importing_the_quant_layers_edits_no_ir_table():
    code = (
        "import carve.ir as ir; before = (dict(ir.MODULE_OPS), dict(ir.FUNCTION_OPS), "
        "set(ir.LEAF_MODULES)); import carve.quant.layers; "
        "print(before == (dict(ir.MODULE_OPS), dict(ir.FUNCTION_OPS), set(ir.LEAF_MODULES)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_ir_classifies_and_keeps_quantized_layers_as_leaves():
    from carve.ir import classify_module
    from carve.ir.tracer import trace

    graph, _ = _quantized_jsc_tiny()
    module, _ = trace(graph.model)  # tracing the quantized model again keeps the layer whole
    calls = [n.target for n in module.graph.nodes if n.op == "call_module"]
    assert "seq_blocks.2" in calls
    assert classify_module(graph.modules["seq_blocks.2"]) == ("module_related_func", "linear")


def test_typed_config_is_immutable_and_shared_on_copy():
    import copy

    config = parse_node_config(INT8)
    assert copy.deepcopy(config) is config
    with pytest.raises(AttributeError):
        config.format_name = "log"  # type: ignore[misc]
    assert isinstance(config, NodeQuantConfig)
