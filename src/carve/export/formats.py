"""``EXPORT_FORMATS``: export format name -> exporter class (loaded lazily, listed by --info)."""

from __future__ import annotations

from carve.registry import Registry

EXPORT_FORMATS: Registry = Registry("export format")
EXPORT_FORMATS.add_lazy(
    "onnx",
    "carve.export.onnx_formats:ONNXExporter",
    description="ONNX QDQ/QCDQ, onnxruntime parity vs fake-quant",
)
EXPORT_FORMATS.add_lazy(
    "qonnx",
    "carve.export.onnx_formats:QONNXExporter",
    description="QONNX Quant nodes, qonnx execution parity vs fake-quant",
)
EXPORT_FORMATS.add_lazy(
    "hls4ml",
    "carve.export.hls:HLS4MLExporter",
    description="hls4ml project, C++ emulation parity vs integer reference",
)
EXPORT_FORMATS.add_lazy(
    "verilog",
    "carve.export.verilog:VerilogExporter",
    description="Verilog-2001 RTL + testbench, Verilator parity vs integer reference",
)
