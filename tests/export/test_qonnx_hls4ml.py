"""Issue 22 item 2: carve's QONNX loads in hls4ml's own QONNX frontend, and is exact there.

The flow of docs/deploy.md: qonnx cleanup, channels-last, Gemm to MatMul, cleanup,
``hls4ml.converters.convert_from_onnx_model``. Before, every model with a
BatchNorm was refused (``Unsupported operation type: Cast``).
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch

from carve.export.api import export_graph
from carve.export.parity import fake_quant_outputs

MODELS = ("jsc-tiny", "jsc-toy", "jsc-s", "jsc-10x")


def hls4ml_from_qonnx(path, output_dir, input_type="fixed<8,4,RND_CONV,SAT>"):
    """docs/deploy.md's recipe; ``input_type``: the network input's type, the first Quant's."""
    import hls4ml
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.transformation.channels_last import ConvertToChannelsLastAndClean
    from qonnx.transformation.gemm_to_matmul import GemmToMatMul
    from qonnx.util.cleanup import cleanup_model

    model = cleanup_model(ModelWrapper(str(path))).transform(ConvertToChannelsLastAndClean())
    model = cleanup_model(model.transform(GemmToMatMul()))
    config = hls4ml.utils.config.config_from_onnx_model(model, granularity="name", backend="Vivado")
    config["LayerName"]["global_in"]["Precision"]["result"] = input_type
    return hls4ml.converters.convert_from_onnx_model(
        model, hls_config=config, backend="Vivado", output_dir=str(output_dir),
        io_type="io_parallel",
    )  # fmt: skip


@pytest.mark.parametrize("model", MODELS)
def test_hls4ml_qonnx_frontend_loads_every_jsc_model(model, quantized, configs, tmp_path):
    graph = quantized(model, configs["8-bit"])
    export_graph(graph, "qonnx", tmp_path / "q")
    hls_model = hls4ml_from_qonnx(tmp_path / "q" / "model_qonnx.onnx", tmp_path / "h")
    kinds = [layer.class_name for layer in hls_model.get_layers()]
    modules = list(graph.model.modules())
    norms = sum(isinstance(m, torch.nn.BatchNorm1d) for m in modules)
    assert norms and kinds.count("ApplyAlpha") == 2 * norms  # scale and shift of each BN
    assert kinds.count("Dense") == sum(isinstance(m, torch.nn.Linear) for m in modules)


@pytest.mark.skipif(shutil.which("g++") is None, reason="hls4ml compile() needs g++")
def test_hls4ml_from_carve_qonnx_equals_carve_exactly(quantized, configs, test_split, tmp_path):
    graph = quantized("jsc-toy", configs["8-bit"])  # four BatchNorms, three Linears
    export_graph(graph, "qonnx", tmp_path / "q")
    hls_model = hls4ml_from_qonnx(tmp_path / "q" / "model_qonnx.onnx", tmp_path / "h")
    hls_model.compile()
    x = test_split.x[:20_000].numpy()
    out = np.asarray(hls_model.predict(x.astype(np.float64)), dtype=np.float64)
    np.testing.assert_array_equal(out.astype(np.float32), fake_quant_outputs(graph.model, x))
