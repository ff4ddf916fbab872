"""quantize_transform_pass: selection, copies, errors, metadata, function nodes, save/load."""

from __future__ import annotations

import copy
import re

import pytest
import torch

from carve.errors import CarveError
from carve.passes import quantize_transform_pass
from carve.quant import fixed_point_config
from carve.quant.layers import quantized_layer_of

INT8 = fixed_point_config(8, 4)


def by_type(**entries):
    return {"by": "type", "default": {"config": {"name": None}},
            **{op: {"config": dict(cfg)} for op, cfg in entries.items()}}  # fmt: skip


def quantized_nodes(mg):
    return [n.name for n in mg.nodes if quantized_layer_of(n) is not None]


def test_lab2_by_type_linear_changes_only_the_linear(jsc_tiny):
    qmg, info = quantize_transform_pass(jsc_tiny, by_type(linear=INT8))
    assert quantized_nodes(qmg) == ["seq_blocks_2"]  # MASE lab 2: only 1 op changes
    assert info["quantized"] == ["seq_blocks_2"]
    assert info["configs"]["seq_blocks_2"]["weight_width"] == 8
    assert info["configs"]["seq_blocks_1"] == {"name": None}  # ReLU got the NA default
    assert quantized_nodes(jsc_tiny) == []  # the original graph is untouched


def test_caller_dict_never_mutated_and_reusable(jsc_tiny):
    args = by_type(linear=INT8)
    frozen = copy.deepcopy(args)
    quantize_transform_pass(jsc_tiny, args)
    quantize_transform_pass(jsc_tiny, args)  # MASE fails here: `by` was popped
    assert args == frozen


def test_two_fresh_applications_are_identical(make_graph):
    args = by_type(linear=INT8, relu=INT8)
    mg = make_graph("jsc-s")
    a, _ = quantize_transform_pass(mg, args)
    b, _ = quantize_transform_pass(mg, args)
    assert a.model.code == b.model.code
    assert [type(m) for m in a.model.modules()][1:] == [type(m) for m in b.model.modules()][1:]
    sa, sb = a.model.state_dict(), b.model.state_dict()
    assert sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)
    assert [n.meta["mase"].parameters for n in a.nodes] == [
        n.meta["mase"].parameters for n in b.nodes
    ]
    assert (
        a.model.get_submodule("module_list.2").weight
        is not b.model.get_submodule("module_list.2").weight
    )  # independent copies: training one cannot move the other


def test_in_place_modifies_the_given_graph(jsc_tiny):
    out, _ = quantize_transform_pass(jsc_tiny, {**by_type(linear=INT8), "in_place": True})
    assert out is jsc_tiny and quantized_nodes(jsc_tiny) == ["seq_blocks_2"]


def test_metadata_gets_type_precision_and_storage_bits(jsc_tiny):
    qmg, _ = quantize_transform_pass(
        jsc_tiny, by_type(linear=INT8 | {"weight_width": 4, "weight_frac_width": 2})
    )
    args = next(n for n in qmg.nodes if n.name == "seq_blocks_2").meta["mase"]["common"]["args"]
    assert args["weight"]["type"] == "integer" and args["weight"]["precision"] == [4, 2]
    assert args["weight"]["storage_bits"] == 4.0
    assert args["data_in_0"]["precision"] == [8, 4] and args["bias"]["storage_bits"] == 8.0
    ori = next(n for n in jsc_tiny.nodes if n.name == "seq_blocks_2").meta["mase"]["common"]
    assert ori["args"]["weight"]["type"] == "float"  # the original's metadata untouched


def test_by_name_regex_and_bypass(make_graph):
    mg = make_graph("jsc-s")
    qmg, _ = quantize_transform_pass(mg, {"by": "name", "module_list_5": {"config": INT8}})
    assert quantized_nodes(qmg) == ["module_list_5"]
    regex = {"by": "regex_name", "module_list_(2|5)": {"config": INT8},
             "module_list_1.*": {"config": INT8}}  # fmt: skip
    qmg, info = quantize_transform_pass(mg, regex)
    assert quantized_nodes(qmg) == [
        "module_list_1",
        "module_list_2",
        "module_list_5",
        "module_list_10",
        "module_list_11",
        "module_list_12",
        "module_list_13",
    ]
    qmg, info = quantize_transform_pass(mg, by_type(linear=INT8 | {"bypass": True}))
    assert quantized_nodes(qmg) == [] and "module_list_2" in info["bypassed"]
    qmg, _ = quantize_transform_pass(mg, {"by": "type", "default": {"config": INT8}})
    assert len(quantized_nodes(qmg)) == 11  # MASE's ops: every linear and relu
    all_ops = {"by": "type", "default": {"config": INT8}, "default_ops": "all"}
    qmg, _ = quantize_transform_pass(mg, all_ops)
    assert len(quantized_nodes(qmg)) == 14  # every linear, relu and batch norm


@pytest.mark.parametrize(
    "args,message",
    [({"linear": {"config": INT8}}, "need 'by'"),
     ({"by": "kind"}, "by='kind' is not accepted; accepted: type, name, regex_name"),
     ({"by": "type", "conv2d": {"config": INT8}}, "'conv2d' matches no quantizable node"),
     ({"by": "type", "flatten": {"config": INT8}}, "pass: unknown quantizable op 'flatten'; "),
     ({"by": "name", "seq_blocks_9": {"config": INT8}}, "'seq_blocks_9' matches no"),
     ({"by": "regex_name", "seq_(": {"config": INT8}}, "not a valid regex"),
     ({"by": "type", "linear": {"config": INT8 | {"name": "intger"}}}, "did you mean 'integer'"),
     ({"by": "type", "linear": {"config": {k: v for k, v in INT8.items() if k != "bias_width"}}},
      "entry 'linear'.*lacks key 'bias_width'"),
     ({"by": "type", "linear": {"config": INT8 | {"weight_width": 64}}}, "width=64 is out of"),
     ({"by": "type", "linear": {"config": INT8 | {"wieght_width": 4}}}, "wieght_width"),
     ({"by": "type", "linear": INT8}, "must be a table with a 'config' table"),
     ({"by": "type", "in_place": "yes"}, "in_place must be true/false")],
)  # fmt: skip
def test_mistakes_are_errors_naming_the_key(jsc_tiny, args, message):
    with pytest.raises(CarveError, match=message):
        quantize_transform_pass(jsc_tiny, args)


def test_function_nodes_keep_names_and_compute_quantized(make_graph):
    mg = make_graph("toy-mlp")
    names = [n.name for n in mg.nodes]
    qmg, info = quantize_transform_pass(mg, by_type(add=INT8, relu=INT8))
    assert [n.name for n in qmg.nodes] == names
    assert set(info["quantized"]) == {n for n in names if n.startswith(("add", "relu"))}
    model = qmg.model
    x = torch.randn(6, 16) * 3

    def fixed(t, signed=True):
        lo, hi = (-128, 127) if signed else (0, 255)
        return torch.clamp(torch.round(t * 16), lo, hi) / 16

    fc_in, fc_mid, fc_out = model.fc_in, model.fc_mid, model.fc_out
    h = torch.relu(fixed(fc_in(x), signed=False))
    h = fixed(h) + fixed(torch.relu(fixed(fc_mid(h), signed=False)))
    torch.testing.assert_close(model(x), fc_out(h), rtol=0, atol=0)
    add = next(n for n in qmg.nodes if n.name.startswith("add"))
    # as MASE: the node stays a call_function node, the quantized function its target
    assert add.op == "call_function" and add.meta["mase"]["common"]["mase_op"] == "add"
    assert add.target.__name__ == "add_integer" and quantized_layer_of(add) is add.target
    assert add.meta["mase"].node is add
    assert add.meta["mase"]["common"]["args"]["data_in_1"]["type"] == "integer"


def test_transformer_matmul_bmm_and_requantizing_a_quantized_graph(make_graph):
    mg = make_graph("toy-transformer")
    config = INT8 | {"weight_width": 6, "weight_frac_width": 3}
    qmg, info = quantize_transform_pass(mg, by_type(bmm=config, matmul=config, linear=config))
    ops = {n.meta["mase"]["common"]["mase_op"] for n in qmg.nodes if n.name in info["quantized"]}
    assert ops == {"bmm", "matmul", "linear"}
    out = qmg.model(torch.randn(3, 16))
    assert torch.isfinite(out).all()
    again, info2 = quantize_transform_pass(qmg, by_type(bmm=INT8))  # re-quantize: new spec
    bmm = next(n for n in again.nodes if n.name in info2["quantized"])
    assert quantized_layer_of(bmm).y_quantizer.spec.width == 8
    assert (bmm.op, bmm.target.__name__) == ("call_function", "bmm_integer")


def test_quantized_graph_saves_and_loads(tmp_path, jsc_tiny):
    from carve.passes import load_mase_graph_interface_pass, save_mase_graph_interface_pass

    qmg, _ = quantize_transform_pass(jsc_tiny, by_type(linear=INT8, relu=INT8))
    save_mase_graph_interface_pass(qmg, {"save_dir": str(tmp_path)})
    loaded, _ = load_mase_graph_interface_pass(None, {"load_dir": str(tmp_path)})
    assert quantized_nodes(loaded) == quantized_nodes(qmg)
    x = torch.randn(9, 16)
    loaded.model.eval()
    assert torch.equal(loaded.model(x), qmg.model(x))
    meta = next(n for n in loaded.nodes if n.name == "seq_blocks_2").meta["mase"]["common"]
    assert meta["args"]["weight"]["type"] == "integer"


def test_flops_and_avg_bits_see_quantized_precisions(jsc_tiny):
    from carve.passes import calculate_avg_bits_mg_analysis_pass

    _, before = calculate_avg_bits_mg_analysis_pass(jsc_tiny)
    qmg, _ = quantize_transform_pass(
        jsc_tiny, by_type(linear=INT8 | {"weight_width": 4, "weight_frac_width": 2})
    )
    _, after = calculate_avg_bits_mg_analysis_pass(qmg)
    assert before["w_avg_bit"] == 32 and after["w_avg_bit"] == 4
    assert after["data_avg_bit"] == 8
    assert re.search("quantize", str(qmg.recipe.transforms))
    from carve.passes import flops_analysis_pass

    _, flops = flops_analysis_pass(qmg)
    linear = flops["nodes"]["seq_blocks_2"]
    assert linear["bitops"] == 80 * 4 * 8  # MACs per sample x weight bits x activation bits
    assert linear["weight_bits"] == 80 * 4 + 5 * 8  # 4-bit weights, 8-bit biases


def test_graph_without_metadata_is_a_clear_error():
    from carve.ir import MaseGraph
    from carve.passes import init_metadata_analysis_pass

    with pytest.raises(CarveError, match="run init_metadata_analysis_pass"):
        quantize_transform_pass(MaseGraph.from_registered("jsc-tiny"), by_type(linear=INT8))
    bare, _ = init_metadata_analysis_pass(MaseGraph.from_registered("jsc-tiny"))
    with pytest.raises(CarveError, match="run add_common_metadata_analysis_pass"):
        quantize_transform_pass(bare, by_type(linear=INT8))


def test_ternary_na_statistics_come_from_the_profile(make_graph):
    from carve.passes import add_software_metadata_analysis_pass, profile_statistics_analysis_pass

    mg, _ = add_software_metadata_analysis_pass(make_graph("jsc-tiny"))
    x = torch.randn(64, 16)
    mg, _ = profile_statistics_analysis_pass(mg, {
        "by": "type", "target_weight_nodes": ["linear"], "target_activation_nodes": ["linear"],
        "weight_statistics": {"abs_mean": {"dims": "all"},
                              "range_min_max": {"dims": "all", "abs": True}},
        "activation_statistics": {"abs_mean": {"dims": "all"}},
        "input_generator": [{"x": x}], "num_samples": 64,
    })  # fmt: skip
    stats = {"width": 2, "scaling_factor": 0, "mean": "NA", "median": "NA", "max": "NA"}
    config = {"name": "ternary"} | {
        f"{op}_{k}": v for op in ("data_in", "weight", "bias") for k, v in stats.items()
    }
    qmg, _ = quantize_transform_pass(mg, by_type(linear=config))
    layer = qmg.modules["seq_blocks.2"]
    weight = mg.modules["seq_blocks.2"].weight.detach()
    assert layer.w_quantizer.spec.mean == pytest.approx(float(weight.abs().mean()), rel=1e-5)
    assert layer.w_quantizer.spec.max == pytest.approx(float(weight.abs().max()), rel=1e-5)
    assert layer.w_quantizer.spec.median is None  # range_quantile was not profiled
    assert layer.x_quantizer.spec.mean is not None


@pytest.mark.parametrize("graph", [None, "jsc-tiny", 3])
def test_a_graph_that_is_not_a_mase_graph_is_a_clear_error(graph):
    with pytest.raises(
        CarveError,
        match=r"^quantize_transform_pass: the first argument must be a "
        rf"MaseGraph, got {type(graph).__name__}; build one",
    ):
        quantize_transform_pass(graph, {"by": "type", "linear": {"config": INT8}})
