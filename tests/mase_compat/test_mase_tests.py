"""MASE's software tests (machop/test/passes/graph/...), as call sequences ported by carve.

Each test is our own code making MASE's calls with MASE's arguments and
imports (``chop...``); it is rewritten by ``carve port`` and run, then its
results are checked against independent values (hand counts, torch ops).
"""

from __future__ import annotations

import csv
import tomllib

import torch

HEADER = """
import torch
from chop.ir.graph import MaseGraph
from chop.models.toys.toy_custom_fn import ToyCustomFnNet
from chop.models.toys.toy import ToyNet
from chop.tools.logger import set_logging_verbosity
from chop.passes.graph.analysis import (
    init_metadata_analysis_pass,
    add_common_metadata_analysis_pass,
    add_software_metadata_analysis_pass,
    report_graph_analysis_pass,
    report_node_meta_param_analysis_pass,
    report_node_shape_analysis_pass,
    report_node_type_analysis_pass,
    calculate_avg_bits_mg_analysis_pass,
    verify_common_metadata_analysis_pass,
    report,
)
from chop.passes.graph.transforms import (
    quantize_transform_pass,
    summarize_quantization_analysis_pass,
)
from chop.passes.graph.utils import deepcopy_mase_graph, get_parent_name, get_mase_op
set_logging_verbosity("debug")
torch.manual_seed(0)
"""

CUSTOM_FN = (
    HEADER
    + """
net = ToyCustomFnNet(image_size=(1, 28, 28), num_classes=10)
mg = MaseGraph(model=net)
x = torch.randn((8, 28 * 28))
mg, _ = init_metadata_analysis_pass(mg, None)
mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": x}, "add_value": True})
mg, _ = add_software_metadata_analysis_pass(mg, {"dummy_in": {"x": x}})
mg, graph_report = report_graph_analysis_pass(mg, {})
"""
)


def nodes(mg) -> dict:
    return {node.name: node for node in mg.fx_graph.nodes}


def test_add_common_and_software_metadata_and_report_graph(run_ported, capsys):
    ns = run_ported(CUSTOM_FN)
    mg, x = ns["mg"], ns["x"]
    by_name = nodes(mg)
    ops = {name: ns["get_mase_op"](n) for name, n in by_name.items()}
    for op in ("linear", "relu", "add", "mul", "sub", "conv2d", "conv1d", "matmul", "bmm"):
        assert op in ops.values()
    common = by_name["seq_blocks_0"].meta["mase"].parameters["common"]
    assert common["args"]["data_in_0"]["shape"] == [8, 784]
    assert common["args"]["weight"]["shape"] == [100, 784]
    assert common["results"]["data_out_0"]["shape"] == [8, 100]
    # add_value=True: the recorded value is the layer's output on the dummy input
    layer = mg.modules["seq_blocks.0"]
    expected = torch.nn.functional.linear(x, layer.weight, layer.bias)
    torch.testing.assert_close(common["results"]["data_out_0"]["value"], expected)
    assert by_name["bmm"].meta["mase"].parameters["common"]["results"]["data_out_0"]["shape"] == [
        1, 100, 100]  # fmt: skip
    software = by_name["seq_blocks_0"].meta["mase"].parameters["software"]
    assert software["args"].keys() == {"data_in_0", "weight", "bias"}
    assert "Network overview" in ns["graph_report"]["text"]
    assert ns["graph_report"]["op_counts"]["call_module"] == 5  # linear, relu, conv2d, pool, conv1d


def test_report_node_passes_and_avg_bits_on_toynet(run_ported, capsys):
    ns = run_ported(
        HEADER
        + """
net = ToyNet(image_size=(1, 28, 28), num_classes=10)
mg = MaseGraph(model=net)
x = torch.randn((8, 28 * 28))
pass_args = {}
mg, _ = init_metadata_analysis_pass(mg, pass_args)
mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": x}, "add_value": False})
mg, _ = add_software_metadata_analysis_pass(mg, pass_args)
mg, meta_report = report_node_meta_param_analysis_pass(mg, pass_args)
mg, shape_report = report_node_shape_analysis_pass(mg, pass_args)
mg, type_report = report_node_type_analysis_pass(mg, pass_args)
mg, bits = calculate_avg_bits_mg_analysis_pass(mg, {})
mg, _ = verify_common_metadata_analysis_pass(mg)
"""
    )
    out = capsys.readouterr().out
    names = [node.name for node in ns["mg"].fx_graph.nodes]
    assert names == ["x", "size", "view", *(f"seq_blocks_{i}" for i in range(5)), "output"]
    assert [row[0] for row in ns["type_report"]["rows"]] == names
    for name in names:
        assert name in ns["meta_report"]["text"] and name in out
    # float graph: every operand stored in 32 bits
    assert ns["bits"]["data_avg_bit"] == 32 and ns["bits"]["w_avg_bit"] == 32


def test_quantize_mlp_and_summarize_as_mase_test_quantize(run_ported, tmp_path, capsys):
    ns = run_ported(
        HEADER
        + """
class MLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(28 * 28, 28 * 28)
        self.fc2 = torch.nn.Linear(28 * 28, 28 * 4)
        self.fc3 = torch.nn.Linear(28 * 4, 10)

    def forward(self, x):
        x = torch.flatten(x, start_dim=1, end_dim=-1)
        x = torch.nn.functional.relu(self.fc1(x))
        x = torch.nn.functional.relu(self.fc2(x))
        return self.fc3(x)

mg = MaseGraph(model=MLP())
mg, _ = init_metadata_analysis_pass(mg, {})
mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": torch.randn((1, 28, 28))},
                                                "add_value": False})
quan_args = {"by": "type", "default": {"config": {"name": None}},
             "linear": {"config": {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4,
                                   "weight_width": 8, "weight_frac_width": 4,
                                   "bias_width": 8, "bias_frac_width": 4}}}
ori_mg = deepcopy_mase_graph(mg)
mg, _ = quantize_transform_pass(mg, quan_args)
summarize_quantization_analysis_pass(ori_mg, mg, save_dir="quantize_summary")
"""
    )
    err = capsys.readouterr().err
    assert "INFO     Quantized graph histogram:" in err  # set_logging_verbosity made it visible
    with open(tmp_path / "quantize_summary" / "quantize_histogram.csv") as file:
        rows = {row["Original type"]: row for row in csv.DictReader(file)}
    assert rows["Linear"]["Total"] == "3" and rows["Linear"]["Changed"] == "3"
    assert rows["relu"]["Changed"] == "0"  # the default config is None
    fc1 = ns["mg"].modules["fc1"]
    w = fc1.w_quantizer(fc1.weight)
    expected = torch.clamp(torch.round(fc1.weight * 16), -128, 127) / 16  # numpy-free reference
    torch.testing.assert_close(w, expected, rtol=0, atol=0)
    assert ns["quan_args"]["by"] == "type"  # the caller's dict is untouched (MASE popped it)


def test_complex_quantize_with_every_mase_config(run_ported, mase_configs, tmp_path):
    ns = run_ported(
        HEADER
        + """
from chop.passes.graph.analysis.statistical_profiler import profile_statistics_analysis_pass
net = ToyCustomFnNet(image_size=(3, 32, 32), num_classes=10, batch_size=8)
x = torch.randn((8, 3 * 32 * 32))
mg = MaseGraph(model=net)
mg, _ = init_metadata_analysis_pass(mg, None)
mg, _ = add_common_metadata_analysis_pass(mg, pass_args={"dummy_in": {"x": x}, "add_value": False})
mg, _ = add_software_metadata_analysis_pass(mg, pass_args=None)
stat_args = {
    "by": "type",
    "target_weight_nodes": ["linear"],
    "target_activation_nodes": ["relu", "linear"],
    "activation_statistics": {"range_min_max": {"abs": False, "dims": "all"},
                              "range_quantile": {"abs": False, "dims": "all", "quantile": 0.5}},
    "weight_statistics": {"range_min_max": {"abs": False, "dims": "all"},
                          "range_quantile": {"abs": False, "dims": "all", "quantile": 0.5}},
    "input_generator": iter([{"x": torch.randn(8, 3 * 32 * 32)} for _ in range(4)]),
    "num_samples": 32,
}
mg, _ = profile_statistics_analysis_pass(mg, stat_args)
ori_mg = deepcopy_mase_graph(mg)
results = {}
for name, text in configs.items():
    quan_args = tomllib.loads(text)["passes"]["quantize"]
    mg, info = quantize_transform_pass(mg, quan_args)
    summarize_quantization_analysis_pass(ori_mg, mg, save_dir="quantize_summary")
    results[name] = (info, mg.model(x))
""",
        configs=mase_configs,
        tomllib=tomllib,
    )
    results = ns["results"]
    assert set(results) == set(mase_configs)  # all 14 accepted
    for name, _text in mase_configs.items():
        info, out = results[name]
        assert out.shape == (1, 100, 100) and torch.isfinite(out).all(), name
        # every op MASE quantizes, nothing else (no pooling)
        assert len(info["quantized"]) == 13, name
        assert "adaptive_pool" not in info["quantized"]
    by_name = results["toy_integer_by_name"][0]["configs"]
    assert by_name["seq_blocks_0"]["weight_width"] == 16 and by_name["relu"]["weight_width"] == 8
    # "fixed" is MASE's other name for integer: same widths (8/3), same outputs
    torch.testing.assert_close(results["fixed"][1], results["integer"][1], rtol=0, atol=0)
    # ternary_scaled's node-name key under by = "type" is ignored, as in MASE
    assert results["ternary_scaled"][0]["configs"]["seq_blocks_1"]["data_in_scaling_factor"]
    # MASE's loop reassigns mg: the graph holds the last config (test_uniform: binary, bipolar)
    assert list(mase_configs)[-1] == "test_uniform"
    final = ns["mg"].modules["seq_blocks.0"]
    assert type(final).__name__ == "LinearBinary"
    assert set(final.w_quantizer(final.weight).unique().tolist()) == {-1.0, 1.0}


def test_fixed_stays_fixed_in_metadata(run_ported, mase_configs):
    ns = run_ported(
        HEADER
        + """
mg = MaseGraph(model=ToyNet(image_size=(1, 1, 16), num_classes=5))
mg, _ = init_metadata_analysis_pass(mg, None)
mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": torch.randn(4, 16)}})
mg, _ = quantize_transform_pass(mg, tomllib.loads(text)["passes"]["quantize"])
""",
        tomllib=tomllib,
        text=mase_configs["fixed"],
    )
    args = nodes(ns["mg"])["seq_blocks_0"].meta["mase"].parameters["common"]["args"]
    assert args["weight"]["type"] == "fixed" and args["weight"]["precision"] == [8, 3]
