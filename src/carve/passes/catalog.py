"""The pass catalog: one row per pass, read without importing torch.

Each row is ``(registry key, "module:function", kind, description[, needs])``.
The registry key is MASE's ``PASSES`` key (what ``[passes.<key>]`` in a TOML
config names); the function name is MASE's public name, exported by
:mod:`carve.passes`; ``needs`` (a :class:`~carve.passes.needs.PassNeeds`)
declares what the pipeline must supply and whether the pass is a replayable,
graph-building transform. Only passes living in :mod:`carve.passes` are listed here;
passes of higher layers (pipeline, export) are registered from above by
:mod:`carve.catalog`, so this layer names no module above it.
"""

from __future__ import annotations

from carve.passes.needs import PassNeeds

_A = "carve.passes.analysis"
_I = "carve.passes.interface"
_T = "carve.passes.transforms"
_Q = "carve.passes.analysis.quantization"
_PR = "carve.passes.transforms.prune.prune"
_PA = "carve.passes.analysis.pruning"

PASS_CATALOG: list[tuple] = [
    ("init_metadata", f"{_A}.init_metadata:init_metadata_analysis_pass", "analysis",
     "fresh empty metadata on every node"),
    ("add_common_metadata", f"{_A}.common_metadata:add_common_metadata_analysis_pass",
     "analysis", "mase_type/mase_op, argument and result shapes from a dummy input"),
    ("add_software_metadata", f"{_A}.software_metadata:add_software_metadata_analysis_pass",
     "analysis", "empty statistics slots for arguments, parameters and results"),
    ("report_graph", f"{_A}.report_graph:report_graph_analysis_pass", "analysis",
     "fx listing, op counts and layer types",
     PassNeeds(output=("file_name", "report_graph.txt"))),
    ("report_node_type", f"{_A}.report_nodes:report_node_type_analysis_pass", "analysis",
     "table of node op, mase type, mase op"),
    ("report_node_shape", f"{_A}.report_nodes:report_node_shape_analysis_pass", "analysis",
     "table of argument and result shapes"),
    ("add_hardware_metadata", f"{_A}.hardware_metadata:add_hardware_metadata_analysis_pass",
     "analysis", "hardware metadata: Verilog module, toolchain, widths, parallelism, latency"),
    ("verify_hardware_metadata",
     f"{_A}.hardware_metadata:verify_hardware_metadata_analysis_pass", "analysis",
     "check hardware metadata: present on every node, MASE's keys and types"),
    ("report_node_hardware_type",
     f"{_A}.hardware_metadata:report_node_hardware_type_analysis_pass", "analysis",
     "table of each node's toolchain, Verilog module and latency"),
    ("report_node_meta_param",
     f"{_A}.report_nodes:report_node_meta_param_analysis_pass", "analysis",
     "table of common/software/hardware metadata", PassNeeds(output=("save_path", "report"))),
    ("profile_statistics", f"{_A}.statistics.profile:profile_statistics_analysis_pass",
     "analysis", "weight and activation statistics (7 kinds, plus histogram)",
     PassNeeds(train_batches="input_generator")),
    ("plot_profile_histograms", f"{_A}.histograms:plot_profile_histograms_analysis_pass",
     "analysis", "image of the histogram statistics profile_statistics stored",
     PassNeeds(output=("save_path", "profile_histograms.png"))),
    ("plot_quantization_error", f"{_A}.histograms:plot_quantization_error_analysis_pass",
     "analysis", "image: histogram of quantize(w) - w per quantized layer",
     PassNeeds(output=("save_path", "quantization_error.png"))),
    ("flops", f"{_A}.flops:flops_analysis_pass", "analysis",
     "MACs, FLOPs, parameters, memory bits and BitOPs per node"),
    ("calculate_avg_bits", f"{_A}.avg_bits:calculate_avg_bits_mg_analysis_pass", "analysis",
     "average storage bits of activations and weights"),
    ("verify_common_metadata", f"{_A}.verify:verify_common_metadata_analysis_pass",
     "analysis", "check common metadata: complete, typed, shapes agree on every edge"),
    ("verify_software_metadata", f"{_A}.verify:verify_software_metadata_analysis_pass",
     "analysis", "check software metadata slots"),
    ("verify_metadata", f"{_A}.verify:verify_metadata_analysis_pass", "analysis",
     "both verify passes"),
    ("save_node_meta_param", f"{_I}.node_meta_toml:save_node_meta_param_interface_pass",
     "interface", "every node's metadata to a TOML file (readable, editable)"),
    ("load_node_meta_param", f"{_I}.node_meta_toml:load_node_meta_param_interface_pass",
     "interface", "node metadata back from such a TOML file"),
    ("quantize", f"{_T}.quantize:quantize_transform_pass", "transform",
     "swap float ops for quantized ones (by type / name / regex_name)",
     PassNeeds(replayable=True, followed_by="summarize_quantization")),
    ("summarize_quantization", f"{_Q}.summarize:summarize_quantization_analysis_pass",
     "analysis", "per-node table and histogram of what quantization changed (CSV)",
     PassNeeds(original_graph="original_graph", output=("save_dir", "quantize"))),
    ("verify_quantization", f"{_Q}.verify:verify_quantization_analysis_pass", "analysis",
     "prove weights/activations lie on the format grid; integer-only reference run",
     PassNeeds(test_inputs="inputs", test_labels="labels", output=("save_dir", "verify"))),
    ("prune", f"{_PR}:prune_transform_pass", "transform",
     "mask weights (parametrize) / activations (pre-hooks): local|global, element|channel|kernel",
     PassNeeds(replayable=True)),
    ("prune_detach_hook", f"{_PR}:prune_detach_hook_transform_pass", "transform",
     "bake pruning masks into the weights, remove activation hooks",
     PassNeeds(replayable=True)),
    ("add_pruning_metadata", f"{_PA}.measure:add_pruning_metadata_analysis_pass", "analysis",
     "measured weight/activation sparsity of each prunable node into metadata",
     PassNeeds(input_batch="dummy_in")),
    ("add_natural_sparsity", f"{_PA}.measure:add_natural_sparsity_metadata_analysis_pass",
     "analysis", "density (non-zero fraction) of weights and inputs of Linear/Conv nodes",
     PassNeeds(input_batch="dummy_in")),
    ("hook_inspection", f"{_PA}.hooks:hook_inspection_analysis_pass", "analysis",
     "forward / pre-forward / backward hooks on the graph's modules"),
    ("report_sparsity", f"{_PA}.report:report_sparsity_analysis_pass", "analysis",
     "per-node sparsity, non-zero MACs/BitOPs and sparse storage: table, CSV, bar plot",
     PassNeeds(input_batch="dummy_in", output=("save_dir", "sparsity"))),
]  # fmt: skip
