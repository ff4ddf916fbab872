"""Cross-layer entries: what higher layers add to a lower layer's registry, in one place.

A registry belongs to the layer that looks names up in it (passes, models, load
types), but some entries live higher up: the saved-graph passes in
:mod:`carve.pipeline`, the export passes in :mod:`carve.export`, MASE's toy
models in :mod:`carve.compat`, loading a saved graph (QAT) from the pipeline.
The lower layer must not name those modules, so they are registered here,
from above, by the root package (``import carve`` runs :func:`register_all`
before any registry is read). Entries stay lazy: ``"module:attr"`` strings,
imported on first lookup, so ``import carve`` imports no torch.

To add a pass that lives above :mod:`carve.passes`, append a row to
:data:`PASS_ROWS` (same shape as :data:`carve.passes.catalog.PASS_CATALOG`).

>>> from carve.passes import PASSES
>>> PASSES.meta("export_onnx")["function"]
'export_onnx_transform_pass'
>>> from carve.models import MODELS
>>> MODELS.meta("toy")["info"].model_source
'toy'
"""

from __future__ import annotations

from carve.passes.needs import PassNeeds

_P = "carve.pipeline"
_E = "carve.export.passes"
_EV = "carve.export.verilog_passes"

# passes living above carve.passes: (registry key, "module:function", kind, description, needs)
PASS_ROWS: list[tuple] = [
    ("save_mase_graph", f"{_P}.saved_graph:save_mase_graph_interface_pass", "interface",
     "save recipe + weights (safetensors) + metadata (JSON), no pickled code",
     PassNeeds(output=("save_dir", "saved_mase_graph"))),
    ("load_mase_graph", f"{_P}.saved_graph:load_mase_graph_interface_pass", "interface",
     "rebuild a saved graph, its weights and metadata"),
    ("export_onnx", f"{_E}:export_onnx_transform_pass", "export",
     "ONNX QDQ model + onnxruntime parity (exact) + report",
     PassNeeds(test_inputs="inputs", output=("save_dir", "export_onnx"))),
    ("export_qonnx", f"{_E}:export_qonnx_transform_pass", "export",
     "QONNX (Quant nodes) model + qonnx execution parity + report",
     PassNeeds(test_inputs="inputs", output=("save_dir", "export_qonnx"))),
    ("export_hls4ml", f"{_E}:export_hls4ml_transform_pass", "export",
     "hls4ml project (ap_fixed per operand) + C++ emulation parity + report",
     PassNeeds(test_inputs="inputs", output=("save_dir", "export_hls4ml"))),
    ("export_verilog", f"{_EV}:export_verilog_transform_pass", "export",
     "Verilog-2001 RTL + testbench + Verilator parity (exact) + Icarus check + report",
     PassNeeds(test_inputs="inputs", output=("save_dir", "export_verilog"))),
    ("emit_verilog_top", f"{_EV}:emit_verilog_top_transform_pass", "export",
     "MASE name: Verilog RTL (one module per node, pipelined) into project_dir/hardware/rtl",
     PassNeeds(output=("project_dir", "emit_verilog"))),
    ("emit_verilog_tb", f"{_EV}:emit_verilog_tb_transform_pass", "export",
     "MASE name: self-checking Verilog testbench into project_dir/hardware/test",
     PassNeeds(output=("project_dir", "emit_verilog_tb"))),
]  # fmt: skip

# MASE's toy models under MASE's names (carve.compat.toys): what MASE's tests build
_MASE_TOY_INFO = {
    "model_source": "toy",
    "task_type": "vision",
    "physical_data_point_classification": False,
    "image_classification": True,
}
MODEL_ROWS: list[tuple] = [
    ("toy", "carve.compat.toys:build_toy", 253,
     "MASE's ToyNet: seq_blocks Linear-ReLU-Linear-ReLU-Linear"),
    ("toy_tiny", "carve.compat.toys:build_toy_tiny", 49,
     "MASE's ToyTiny: l1 + relu_1 (l2, relu_2 unused)"),
    ("toy_custom_fn", "carve.compat.toys:build_toy_custom_fn", 2900,
     "MASE's ToyCustomFnNet: linear, relu, add, mul, sub, conv1d/2d, matmul, bmm"),
]  # fmt: skip

# load types (carve.models.load_model) whose loaders live above carve.models
LOAD_TYPE_ROWS: list[tuple[str, str, str]] = [
    # a saved graph folder (quantized graphs for QAT): the pipeline layer owns that format
    ("graph", "carve.pipeline.qat:load_graph_module",
     "folder saved by carve transform / save_mase_graph (see carve.pipeline)"),
    # MASE's name for a saved graph (graph_module.mz); carve's saved folder or a path inside it
    ("mz", "carve.compat.load:load_mz",
     "MASE's name: a folder saved by carve transform / save_mase_graph (or .mz in it)"),
]  # fmt: skip

# entries of a carve checkpoint that need a higher layer to load (carve.models.load.load_ours)
CHECKPOINT_ROWS: list[tuple[str, str]] = [
    # a QAT checkpoint embeds its saved graph's files: the pipeline rebuilds the graph
    ("graph_files", "carve.pipeline.qat:model_from_graph_files"),
]


def register_all() -> None:
    """Add every row above to its registry (once; the root package calls this on import)."""
    from carve.models.load import CHECKPOINT_ENTRIES, LOAD_TYPES
    from carve.models.registry import MODELS, register_lazy_model
    from carve.passes.registry import PASSES, register_pass

    for row in PASS_ROWS:
        if row[0] not in PASSES:
            register_pass(*row)
    for name, target, params, description in MODEL_ROWS:
        if name not in MODELS:
            register_lazy_model(name, target, params=params, description=description,
                                **_MASE_TOY_INFO)  # fmt: skip
    for name, target, description in LOAD_TYPE_ROWS:
        if name not in LOAD_TYPES:
            LOAD_TYPES.add_lazy(name, target, description=description)
    for key, target in CHECKPOINT_ROWS:
        if key not in CHECKPOINT_ENTRIES:
            CHECKPOINT_ENTRIES.add_lazy(key, target)
