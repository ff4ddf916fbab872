"""The ``onnx`` (QDQ) and ``qonnx`` (Quant) export formats: write, read back, check parity."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from carve.export.batch_norm_check import check_lines
from carve.export.graph_view import ExportGraph
from carve.export.onnx_builder import IR_VERSION, OPSET, build_onnx
from carve.export.parity import Parity, compare, fake_quant_outputs, onnxruntime_outputs
from carve.export.protocol import Exporter
from carve.export.qonnx_dialect import OPSET as QONNX_OPSET


class ONNXExporter(Exporter):
    """Standard ONNX with QuantizeLinear/Clip/DequantizeLinear; runs in onnxruntime."""

    name = "onnx"
    filename = "model.onnx"
    description = f"ONNX QDQ/QCDQ (opset {OPSET}, IR {IR_VERSION}); checked in onnxruntime"
    arithmetic = "float64"  # how batch norm is computed (carve.export.batch_norm_check)

    def dialect(self):
        from carve.export.qdq import QDQDialect

        return QDQDialect()

    def write(self, view: ExportGraph, folder: Path) -> list[Path]:
        import onnx

        path = folder / self.filename
        onnx.save_model(build_onnx(view, self.dialect()), path)
        self.notes = check_lines(view, self.arithmetic)
        return [path]

    def run(self, folder: Path, view: ExportGraph, x: np.ndarray) -> np.ndarray:
        """Read the written file back (onnx.load + checker) and run it in onnxruntime."""
        import onnx

        model = onnx.load(folder / self.filename)
        onnx.checker.check_model(model, full_check=True)
        return onnxruntime_outputs(model.SerializeToString(), view.input_name, x)

    def parity(self, folder: Path, view: ExportGraph, x: np.ndarray) -> Parity:
        out = self.run(folder, view, x)
        ref = fake_quant_outputs(view.model, x)
        return compare(out, ref, "onnxruntime (optimisations off)", "fake-quantized graph")


class QONNXExporter(ONNXExporter):
    """QONNX ``Quant`` dialect, cleaned with qonnx and executed by ``qonnx.core.onnx_exec``."""

    name = "qonnx"
    filename = "model_qonnx.onnx"
    description = (
        f"QONNX Quant nodes (opset {QONNX_OPSET}; FINN and hls4ml's QONNX frontend read it); "
        "checked with qonnx execution"
    )
    arithmetic = "float32"

    def dialect(self):
        from carve.export.qonnx_dialect import QONNXDialect

        return QONNXDialect()

    def write(self, view: ExportGraph, folder: Path) -> list[Path]:
        """The model with batch size 1, through qonnx's cleanup (shape inference, folding)."""
        from qonnx.core.modelwrapper import ModelWrapper
        from qonnx.util.cleanup import cleanup_model

        model = ModelWrapper(build_onnx(view, self.dialect()))
        _set_batch(model, 1)
        model = cleanup_model(model)
        path = folder / self.filename
        model.save(str(path))
        self.notes = check_lines(view, self.arithmetic)
        return [path]

    def run(self, folder: Path, view: ExportGraph, x: np.ndarray) -> np.ndarray:
        """Load the file with qonnx, set the batch size, infer shapes, execute node by node."""
        from qonnx.core.modelwrapper import ModelWrapper
        from qonnx.core.onnx_exec import execute_onnx
        from qonnx.transformation.infer_shapes import InferShapes

        model = ModelWrapper(str(folder / self.filename))
        _set_batch(model, len(x))
        model.graph.ClearField("value_info")  # shapes inferred for batch 1
        model = model.transform(InferShapes())
        name = model.graph.input[0].name
        result = execute_onnx(model, {name: np.ascontiguousarray(x, dtype=np.float32)})
        return result[model.graph.output[0].name]

    def parity(self, folder: Path, view: ExportGraph, x: np.ndarray) -> Parity:
        out = self.run(folder, view, x)
        ref = fake_quant_outputs(view.model, x)
        return compare(out, ref, "qonnx.core.onnx_exec", "fake-quantized graph")


def _set_batch(model, rows: int) -> None:
    for value in [*model.graph.input, *model.graph.output]:
        shape = model.get_tensor_shape(value.name)
        model.set_tensor_shape(value.name, [rows, *shape[1:]])
