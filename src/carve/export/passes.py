"""Export passes: ``export_onnx_transform_pass``, ``export_qonnx_transform_pass``,
``export_hls4ml_transform_pass``.

``pass(graph, pass_args) -> (graph, info)`` as every carve pass; the graph is
returned unchanged. ``pass_args``:

- ``save_dir`` (required): a new folder for the export (an existing one is an
  error: exports are never overwritten);
- ``inputs`` (optional): rows to check parity on (e.g. the test split's ``x``);
- ``input_shape`` (optional): feature shape when the first layer does not tell it.

``info`` holds ``report`` (an :class:`~carve.export.report.ExportReport`),
``files`` (name -> bytes), ``parity`` (dict or None) and ``report_text``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Annotated, Any

from carve.schema import Required, parse_table


@dataclass(frozen=True)
class ExportArgs:
    """An export pass's ``pass_args``, validated by carve's schema system (carve.schema)."""

    save_dir: Annotated[str | os.PathLike, Required("a new folder path")]
    inputs: Any = None
    input_shape: list[int] | tuple[int, ...] | None = None

    @classmethod
    def parse(cls, pass_name: str, pass_args: Any) -> ExportArgs:
        args = parse_table(cls, pass_args, pass_name)
        shape = None if args.input_shape is None else tuple(args.input_shape)
        return cls(str(args.save_dir), args.inputs, shape)


def _export(pass_name: str, format: str, graph: Any, pass_args: Any) -> tuple[Any, dict]:
    from carve.export.api import export_graph

    args = ExportArgs.parse(pass_name, pass_args)
    report = export_graph(graph, format, args.save_dir, args.inputs, args.input_shape)
    info = {
        "report": report,
        "files": report.files,
        "parity": None if report.parity is None else report.parity.to_dict(),
        "report_text": report.text(),
        "save_dir": str(report.folder),
    }
    return graph, info


def export_onnx_transform_pass(graph: Any, pass_args: Any = None) -> tuple[Any, dict]:
    """Write ``graph`` as standard ONNX (QDQ); parity in onnxruntime vs carve's fake-quant."""
    return _export("export_onnx_transform_pass", "onnx", graph, pass_args)


def export_qonnx_transform_pass(graph: Any, pass_args: Any = None) -> tuple[Any, dict]:
    """Write ``graph`` as QONNX (Quant nodes); parity with qonnx's executor vs fake-quant."""
    return _export("export_qonnx_transform_pass", "qonnx", graph, pass_args)


def export_hls4ml_transform_pass(graph: Any, pass_args: Any = None) -> tuple[Any, dict]:
    """Write an hls4ml project; parity of its C++ emulation vs carve's integer reference."""
    return _export("export_hls4ml_transform_pass", "hls4ml", graph, pass_args)
