"""Deployment: ONNX (QDQ), QONNX and hls4ml exports of a quantized graph, with parity checks.

``export_graph(graph, "onnx", out_dir, inputs=test_x)`` writes the model, runs
it in its own runtime on ``inputs``, compares with carve bit for bit and writes
a report. The passes ``export_onnx_transform_pass``,
``export_qonnx_transform_pass`` and ``export_hls4ml_transform_pass`` wrap it in
the pass API; ``carve export`` on the command line. Nothing heavy is imported
here (onnx, qonnx, hls4ml load inside the functions that need them).
"""

from __future__ import annotations

from carve.export.formats import EXPORT_FORMATS

__all__ = ["EXPORT_FORMATS", "export_graph"]


def __getattr__(name: str):
    if name == "export_graph":
        from carve.export.api import export_graph

        return export_graph
    raise AttributeError(f"module 'carve.export' has no attribute {name!r}")
