"""Quantized functions stay ``call_function`` nodes, and every consumer still reads them.

The references are independent: torch's own ops on operands quantized by MASE's
quantizer functions (``carve.compat.quantizers``), composed by hand.
"""

from __future__ import annotations

import copy
import pickle

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from carve.compat import quantizers as mase
from carve.ir import MaseGraph
from carve.passes import (
    add_common_metadata_analysis_pass,
    calculate_avg_bits_mg_analysis_pass,
    flops_analysis_pass,
    init_metadata_analysis_pass,
    quantize_transform_pass,
    verify_quantization_analysis_pass,
)
from carve.quant.layers import quantized_layer_of, quantized_layers

INT = {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4}
# format -> (config for data_in, quantizer of a tensor, unsigned quantizer for ReLU inputs)
FORMATS = {
    "integer": (INT, lambda t: mase.integer_quantizer(t, 8, 4),
                lambda t: mase.integer_quantizer(t, 8, 4, is_signed=False)),
    "minifloat_ieee": (
        {"name": "minifloat_ieee", "data_in_width": 7, "data_in_exponent_width": 3,
         "data_in_exponent_bias": 3},
        lambda t: mase.minifloat_ieee_quantizer(t, 7, 3, 3), None),
    "log": ({"name": "log", "data_in_width": 5, "data_in_exponent_bias": 7},
            lambda t: mase.log_quantizer(t, 5, 7), None),
}  # fmt: skip


def analysed(model: nn.Module, x: torch.Tensor) -> MaseGraph:
    graph, _ = init_metadata_analysis_pass(MaseGraph(model))
    graph, _ = add_common_metadata_analysis_pass(graph, {"dummy_in": {"x": x}})
    return graph


@pytest.fixture(scope="module")
def mlp():
    torch.manual_seed(0)
    x = torch.randn(6, 16) * 3
    return MaseGraph.from_registered("toy-mlp"), x


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_relu_and_add_outputs_equal_torch_ops_on_mase_quantizers(mlp, fmt):
    base, x = mlp
    graph = analysed(base.model, x)
    config, q, q_unsigned = FORMATS[fmt]
    qmg, info = quantize_transform_pass(graph, {"by": "type", "relu": {"config": config},
                                                "add": {"config": config}})  # fmt: skip
    assert info["quantized"] == ["relu", "relu_1", "add"]
    assert [n.op for n in qmg.nodes if n.name in info["quantized"]] == ["call_function"] * 3
    relu_in = q_unsigned or q
    m = qmg.model
    h = F.relu(relu_in(m.fc_in(x)))
    h = q(h) + q(F.relu(relu_in(m.fc_mid(h))))
    assert torch.equal(m(x), m.fc_out(h))  # bit for bit
    assert torch.equal(graph.model(x), base.model(x))  # the input graph stays float


def test_quantized_function_targets_metadata_and_one_helper(mlp):
    base, x = mlp
    qmg, _ = quantize_transform_pass(analysed(base.model, x), {"by": "type", "default":
                                     {"config": INT | {"weight_width": 8, "weight_frac_width": 4,
                                      "bias_width": 8, "bias_frac_width": 4}}})  # fmt: skip
    nodes = {n.name: n for n in qmg.nodes}
    relu, add = nodes["relu"], nodes["add"]
    assert (relu.target.__name__, add.target.__name__) == ("relu_integer", "add_integer")
    assert relu.target is nodes["relu_1"].target  # one object per (op, config), shared
    common = relu.meta["mase"].parameters["common"]
    assert (common["mase_type"], common["mase_op"]) == ("module_related_func", "relu")
    entry = common["args"]["data_in_0"]
    assert (entry["type"], entry["precision"], entry["storage_bits"]) == ("integer", [8, 4], 8.0)
    assert entry["shape"] == [6, 32]  # toy-mlp's hidden width, batch 6
    assert common["quant_config"]["data_in_width"] == 8
    # one helper answers for modules and functions alike
    kinds = {n.name: type(layer).__name__ for n, layer in quantized_layers(qmg)}
    assert kinds == {"fc_in": "LinearInteger", "relu": "ReLUFunctionInteger",
                     "fc_mid": "LinearInteger", "relu_1": "ReLUFunctionInteger",
                     "add": "AddInteger", "fc_out": "LinearInteger"}  # fmt: skip
    assert quantized_layer_of(nodes["x"]) is None
    assert quantized_layer_of(add).y_quantizer.precision == [8, 4]
    # no module was added: state_dict and parameters are the float model's
    assert list(qmg.model.state_dict()) == list(base.model.state_dict())
    assert not hasattr(qmg.model, "quantized_functions")
    assert torch.equal(qmg.model.to("cpu")(x), qmg.model(x))
    qmg.model(x).sum().backward()  # QAT: straight-through gradients cross the function nodes
    assert qmg.model.fc_in.weight.grad.abs().sum() > 0
    # metadata consumers see the quantized precisions of function nodes
    _, flops = flops_analysis_pass(qmg)
    relu_elems = 32  # per input sample (the batch of 6 divided out)
    assert flops["nodes"]["relu"]["activation_bits"] == relu_elems * 8
    assert flops["nodes"]["add"]["activation_bits"] == 2 * relu_elems * 8
    _, bits = calculate_avg_bits_mg_analysis_pass(qmg)
    assert bits == {"data_avg_bit": 8.0, "w_avg_bit": 8.0}


def test_copy_retrace_pickle_and_requantize(mlp):
    base, x = mlp
    qmg, _ = quantize_transform_pass(analysed(base.model, x), {"by": "type",
                                     "relu": {"config": INT}, "add": {"config": INT}})  # fmt: skip
    expected = qmg.model(x)
    copied = copy.deepcopy(qmg.model)
    assert torch.equal(copied(x), expected)
    retraced = MaseGraph(nn.Sequential(qmg.model))  # tracing a quantized graph again
    relu = next(n for n in qmg.nodes if n.name == "relu").target
    assert len(retraced.fx_graph.find_nodes(op="call_function", target=relu)) == 2  # relu, relu_1
    assert torch.equal(retraced.model(x), expected)
    again = pickle.loads(pickle.dumps(relu))
    assert again.__name__ == "relu_integer" and torch.equal(again(x), relu(x))
    wider = INT | {"data_in_width": 12, "data_in_frac_width": 8}
    requantized, info = quantize_transform_pass(qmg, {"by": "type", "relu": {"config": wider}})
    node = next(n for n in requantized.nodes if n.name == "relu")
    assert node.op == "call_function" and node.target.x_quantizer.precision == [12, 8]
    assert info["quantized"] == ["relu", "relu_1"]


def test_saved_graph_replays_function_nodes(tmp_path):
    from carve.models import get_model, load_model
    from carve.passes import load_mase_graph_interface_pass, save_mase_graph_interface_pass

    torch.manual_seed(1)
    x = torch.randn(5, 16)
    graph, _ = init_metadata_analysis_pass(MaseGraph.from_registered("toy-mlp"))
    graph, _ = add_common_metadata_analysis_pass(graph, {"dummy_in": {"x": x}})
    qmg, _ = quantize_transform_pass(graph, {"by": "type", "relu": {"config": INT}})
    save_mase_graph_interface_pass(qmg, {"save_dir": str(tmp_path / "saved")})
    loaded, _ = load_mase_graph_interface_pass(None, {"load_dir": str(tmp_path / "saved")})
    relu = next(n for n in loaded.nodes if n.name == "relu")
    assert (relu.op, relu.target.__name__) == ("call_function", "relu_integer")
    assert relu.meta["mase"]["common"]["args"]["data_in_0"]["type"] == "integer"
    assert torch.equal(loaded.model(x), qmg.model(x))
    module = load_model(tmp_path / "saved", "mz", get_model("toy-mlp"))  # MASE's load type
    assert torch.equal(module(x), qmg.model(x))


def test_method_calls_become_call_function_nodes():
    class Methods(nn.Module):
        def forward(self, x):
            return x.relu().add(x)

    x = torch.tensor([[-1.3, 0.26, 3.0]])
    qmg, _ = quantize_transform_pass(analysed(Methods(), x), {"by": "type",
                                     "relu": {"config": INT}, "add": {"config": INT}})  # fmt: skip
    ops = [(n.name, n.op, getattr(n.target, "__name__", n.target)) for n in qmg.nodes]
    assert ops[1:3] == [("relu", "call_function", "relu_integer"),
                        ("add", "call_function", "add_integer")]  # fmt: skip
    q = lambda t, signed=True: mase.integer_quantizer(t, 8, 4, signed)  # noqa: E731
    assert torch.equal(qmg.model(x), q(F.relu(q(x, False))) + q(x))


def test_verify_and_integer_reference_cover_function_nodes(mlp):
    base, x = mlp
    config = INT | {"weight_width": 8, "weight_frac_width": 4, "bias_width": 8,
                    "bias_frac_width": 4}  # fmt: skip
    qmg, _ = quantize_transform_pass(analysed(base.model, x), {"by": "type",
                                     "default": {"config": config}})  # fmt: skip
    _, info = verify_quantization_analysis_pass(qmg, {"inputs": x})
    checked = {(r["node"], r["operand"]) for r in info["operands"]}
    assert {("relu", "data_in_0"), ("add", "data_in_0"), ("add", "data_in_1")} <= checked
    assert all(r["on_grid"] == r["numel"] for r in info["operands"])
    reference = info["integer_reference"]
    assert {"relu", "relu_1", "add"} <= set(reference["integer_layers"])
    assert reference["logits_equal"] and reference["ok"] and info["ok"]


def test_quantized_functional_relu_exports_with_parity(tmp_path):
    from carve.export.api import export_graph

    class FunctionalMLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2 = nn.Linear(16, 8), nn.Linear(8, 5)

        def forward(self, x):
            return self.fc2(F.relu(self.fc1(x)))

    torch.manual_seed(3)
    x = torch.randn(64, 16)
    fixed = {"name": "integer"} | {f"{op}_{k}": v for op in ("data_in", "weight", "bias")
                                   for k, v in (("width", 8), ("frac_width", 4))}  # fmt: skip
    qmg, _ = quantize_transform_pass(analysed(FunctionalMLP().eval(), x[:2]),
                                     {"by": "type", "default": {"config": fixed}})  # fmt: skip
    report = export_graph(qmg, "onnx", tmp_path / "onnx", inputs=x)
    assert [row["op"] for row in report.nodes] == ["linear", "relu", "linear"]
    assert report.parity.exact


def test_search_models_of_function_nodes_equal_the_pass(mlp):
    from carve.search.quantize_adapter import QuantizedModels, build_graph, pass_args

    base, x = mlp
    graph = build_graph(base.model, x)
    models = QuantizedModels(graph)
    assert models.fast and models.nodes["relu"] == "relu"  # the fast path swaps targets
    configs = {name: INT if op in ("relu", "add") else None for name, op in models.nodes.items()}
    candidate = models.inference(configs)
    direct, _ = quantize_transform_pass(graph, pass_args(configs))
    assert torch.equal(candidate.model(x), direct.model(x))
    assert next(n for n in candidate.nodes if n.name == "add").op == "call_function"
