"""Parity of an exported model with carve: run both on the same rows, compare exactly.

Exactness, not closeness, is the claim for fixed-point graphs, so the check
counts differing output elements and reports the largest difference; the
report states ``exact`` only when no element differs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


@dataclass
class Parity:
    """Result of comparing an exported model's outputs with carve's."""

    runner: str  # what executed the export (onnxruntime, qonnx.core.onnx_exec, hls4ml C++)
    reference: str  # what carve computed (fake-quantized graph, integer reference)
    rows: int
    elements: int
    mismatches: int
    max_abs_diff: float

    @property
    def exact(self) -> bool:
        return self.mismatches == 0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "exact": self.exact}

    def line(self) -> str:
        verdict = "EXACT" if self.exact else f"{self.mismatches:,} element(s) differ"
        return (
            f"parity {self.runner} vs carve {self.reference}: {self.rows:,} rows, "
            f"{verdict}, max |diff| {self.max_abs_diff:.3g}"
        )


def compare(out: np.ndarray, ref: np.ndarray, runner: str, reference: str) -> Parity:
    """Exact element-wise comparison (float32 values; NaN equal to NaN)."""
    out = np.asarray(out, dtype=np.float64).reshape(ref.shape)
    ref = np.asarray(ref, dtype=np.float64)
    same = (out == ref) | (np.isnan(out) & np.isnan(ref))
    diff = np.abs(out - ref)
    diff = diff[~same]
    return Parity(
        runner,
        reference,
        int(ref.shape[0]),
        int(ref.size),
        int((~same).sum()),
        float(diff.max()) if diff.size else 0.0,
    )


def fake_quant_outputs(model: Any, x: Any) -> np.ndarray:
    """carve's fake-quantized graph on ``x`` (eval mode, no autograd), as float32 numpy."""
    import torch

    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            return model(torch.as_tensor(x, dtype=torch.float32)).numpy()
    finally:
        model.train(was_training)


def integer_reference_outputs(model: Any, x: Any) -> np.ndarray:
    """carve's integer-only reference run of the graph (integer kernels where a layer has one)."""
    import torch

    from carve.passes.analysis.quantization.integer_reference import IntegerReference

    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            out = IntegerReference(model).run(torch.as_tensor(x, dtype=torch.float32))
        return out.numpy()
    finally:
        model.train(was_training)


def onnxruntime_outputs(model_bytes: bytes, input_name: str, x: np.ndarray) -> np.ndarray:
    """Run a serialized ONNX model in onnxruntime on the CPU, graph optimisations off."""
    import onnxruntime as ort

    from carve.errors import CarveError

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    try:
        session = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
        return session.run(None, {input_name: np.ascontiguousarray(x, dtype=np.float32)})[0]
    except Exception as error:  # onnxruntime's own exception types (pybind), not a user mistake
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CarveError(
            f"export: onnxruntime {ort.__version__} cannot run the written model ({first}); "
            "this is a carve export bug: please report it with the command line"
        ) from None
