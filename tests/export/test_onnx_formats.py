"""ONNX (QDQ) and QONNX exports equal carve's fake-quantized outputs exactly on the test split."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
import torch

from carve.export.api import export_graph
from carve.export.graph_view import export_view
from carve.export.onnx_builder import IR_VERSION, OPSET, exactness

MODELS = ("jsc-tiny", "jsc-toy", "jsc-s", "jsc-10x")
CASES = ("8-bit", "4-bit", "mixed")


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("model", MODELS)
def test_onnx_equals_fake_quant_exactly(model, case, quantized, configs, test_split, tmp_path):
    graph = quantized(model, configs[case])
    report = export_graph(graph, "onnx", tmp_path / "onnx", inputs=test_split.x)
    assert report.parity.rows == len(test_split.x) == 166_000
    assert report.parity.mismatches == 0 and report.parity.max_abs_diff == 0.0
    # every Linear's float32 accumulation is provably exact (worst case below 2**24)
    assert all(exactness(export_view(graph)).values())


def test_onnx_file_run_independently_in_onnxruntime(quantized, configs, test_split, tmp_path):
    """The written file, loaded and run here (not through carve's parity code)."""
    import onnxruntime as ort

    graph = quantized("jsc-s", configs["mixed"])
    export_graph(graph, "onnx", tmp_path / "onnx")
    model_proto = onnx.load(tmp_path / "onnx" / "model.onnx")
    onnx.checker.check_model(model_proto, full_check=True)
    assert model_proto.ir_version == IR_VERSION
    assert [(o.domain, o.version) for o in model_proto.opset_import] == [("", OPSET)]
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(str(tmp_path / "onnx" / "model.onnx"), options)
    out = session.run(None, {"x": test_split.x.numpy()})[0]
    with torch.inference_mode():
        reference = graph.model.eval()(test_split.x).numpy()
    np.testing.assert_array_equal(out, reference)


def test_qdq_structure_quantizes_every_fixed_operand(quantized, configs, tmp_path):
    graph = quantized("jsc-tiny", configs["4-bit"])
    export_graph(graph, "onnx", tmp_path / "e")
    model = onnx.load(tmp_path / "e" / "model.onnx")
    ops = [n.op_type for n in model.graph.node]
    # BN input, ReLU input, Linear input and final ReLU input: QuantizeLinear + Clip (4 < 8 bits)
    assert ops.count("QuantizeLinear") == 4 and ops.count("Clip") == 4
    # BN weight/bias are folded into alpha/beta; Linear weight and bias are int8 codes + DQ
    codes = {i.name: onnx.numpy_helper.to_array(i) for i in model.graph.initializer}
    weight = codes["seq_blocks_2.weight.codes"]
    assert weight.dtype == np.int8 and weight.min() >= -8 and weight.max() <= 7
    np.testing.assert_array_equal(
        weight * 0.25,
        graph.model.get_submodule("seq_blocks.2").quantized_parameter("weight").detach().numpy(),
    )
    clips = [n for n in model.graph.node if n.op_type == "Clip"]
    relu_clip = next(c for c in clips if c.input[1].startswith("seq_blocks_1"))
    assert codes[relu_clip.input[1]] == 0 and codes[relu_clip.input[2]] == 15  # unsigned 4 bits


@pytest.mark.parametrize("model", MODELS)
def test_qonnx_validated_with_qonnx_equals_fake_quant(
    model, quantized, configs, test_split, tmp_path
):
    from qonnx.core.modelwrapper import ModelWrapper

    graph = quantized(model, configs["mixed" if model == "jsc-toy" else "8-bit"])
    report = export_graph(graph, "qonnx", tmp_path / "q", inputs=test_split.x)
    assert report.parity.rows == 166_000 and report.parity.exact, report.text()
    wrapper = ModelWrapper(str(tmp_path / "q" / "model_qonnx.onnx"))
    quant = [n for n in wrapper.graph.node if n.op_type == "Quant"]
    assert quant and all(n.domain == "qonnx.custom_op.general" for n in quant)
    # batch size 1 after qonnx's cleanup (what FINN and hls4ml read), shapes inferred
    assert wrapper.get_tensor_shape(wrapper.graph.input[0].name) == [1, 16]
    assert wrapper.get_tensor_shape(wrapper.graph.output[0].name) == [1, 5]


def test_qonnx_quant_nodes_carry_carve_formats(quantized, configs, tmp_path):
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.custom_op.registry import getCustomOp

    graph = quantized("jsc-tiny", configs["4-bit"])
    export_graph(graph, "qonnx", tmp_path / "q")
    wrapper = ModelWrapper(str(tmp_path / "q" / "model_qonnx.onnx"))
    relu_quant = wrapper.find_consumer(wrapper.graph.input[0].name)  # BN input first
    found = []
    for node in wrapper.graph.node:
        if node.op_type != "Quant":
            continue
        op = getCustomOp(node)
        scale = wrapper.get_initializer(node.input[1])
        bits = wrapper.get_initializer(node.input[3])
        found.append(
            (
                int(op.get_nodeattr("signed")),
                float(scale),
                float(bits),
                op.get_nodeattr("rounding_mode"),
            )
        )
    assert relu_quant.op_type == "Quant"
    assert (0, 0.25, 4.0, "ROUND") in found  # ReLU input: unsigned 4 bits, 2 fractional
    assert (1, 0.25, 4.0, "ROUND") in found


def test_bipolar_binary_exports_exactly(quantized, test_split, tmp_path):
    """Binary bipolar Linear inputs and weights: ONNX Where(x >= 0, 1, -1), QONNX BipolarQuant."""
    from qonnx.core.modelwrapper import ModelWrapper

    fields = {"width": 1, "stochastic": 0, "bipolar": 1}
    config = {"name": "binary"}
    for operand in ("data_in", "weight", "bias"):
        config |= {f"{operand}_{key}": value for key, value in fields.items()}
    args = {"by": "type", "default": {"config": {"name": "NA"}}, "linear": {"config": config}}
    graph = quantized("jsc-toy", args)
    for fmt in ("onnx", "qonnx"):
        report = export_graph(graph, fmt, tmp_path / fmt, inputs=test_split.x)
        assert report.parity.rows == 166_000 and report.parity.exact, report.text()
    ops = [n.op_type for n in onnx.load(tmp_path / "onnx" / "model.onnx").graph.node]
    assert ops.count("Where") == 3  # one per Linear input
    wrapper = ModelWrapper(str(tmp_path / "qonnx" / "model_qonnx.onnx"))
    assert [n.op_type for n in wrapper.graph.node].count("BipolarQuant") >= 3
