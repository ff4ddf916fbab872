"""Sparsity analysis: measured/natural sparsity vs torch counts, sparse costs by hand, report."""

from __future__ import annotations

import csv

import pytest
import torch

from carve.passes import (
    add_natural_sparsity_metadata_analysis_pass,
    add_pruning_metadata_analysis_pass,
    calculate_avg_bits_mg_analysis_pass,
    flops_analysis_pass,
    hook_inspection_analysis_pass,
    prune_transform_pass,
    quantize_transform_pass,
    report_sparsity_analysis_pass,
)
from carve.quant import fixed_point_config

INT4 = fixed_point_config(4, 2)


def _inputs_of(graph, target: str, x: torch.Tensor) -> torch.Tensor:
    """The input a layer receives, captured with a plain torch hook (independent of the pass)."""
    seen = []
    handle = graph.modules[target].register_forward_pre_hook(lambda m, a: seen.append(a[0].clone()))
    graph.model.eval()
    with torch.no_grad():
        graph.model(x)
    handle.remove()
    return seen[0]


def test_pruning_metadata_counts_weight_and_input_zeros(analyse):
    graph = analyse("jsc-s")
    pruned, _ = prune_transform_pass(graph, {"weight": {"sparsity": 0.6},
                                             "activation": {"sparsity": 0.25}})  # fmt: skip
    x = torch.randn(32, 16)
    _, info = add_pruning_metadata_analysis_pass(pruned, {"dummy_in": {"x": x}})
    node = info["nodes"]["module_list_5"]
    assert node["weight_sparsity"] == round(0.6 * 2048) / 2048
    masked = (
        _inputs_of(pruned, "module_list.5", x) * pruned.modules["module_list.5"].activation_mask
    )
    assert node["activation_sparsity"] == float((masked == 0).float().mean())
    assert node["activation_sparsity"] >= 0.25
    weights = sum(n["weight_numel"] for n in info["nodes"].values())
    assert abs(info["weight_sparsity"] * weights - 0.6 * weights) <= 5  # 5 layers, <=1 each
    meta = next(n for n in pruned.nodes if n.name == "module_list_5").meta["mase"].parameters
    assert meta["common"]["args"]["weight"]["sparsity"] == node["weight_sparsity"]
    assert meta["software"]["args"]["data_in_0"]["sparsity"] == node["activation_sparsity"]


def test_natural_sparsity_reports_density_of_relu_inputs(analyse):
    graph = analyse("jsc-s")
    x = torch.randn(64, 16)
    _, info = add_natural_sparsity_metadata_analysis_pass(graph, {"dummy_in": {"x": x}})
    seen = _inputs_of(graph, "module_list.7", x)
    assert info["module_list_7"]["activation"] == (seen.numel(), float((seen != 0).float().mean()))
    assert info["module_list_7"]["weight"] == (1024, 1.0)
    assert 0.0 < info["avg_activation"] < 1.0 and info["avg_weight"] == 1.0


def test_flops_and_avg_bits_count_nonzero_work_and_bitmask_storage(analyse):
    graph = analyse("jsc-s", batch=2)
    pruned, _ = prune_transform_pass(graph, {"weight": {"sparsity": 0.75}})
    quantized, _ = quantize_transform_pass(pruned, {"by": "type", "linear": {"config": INT4}})
    _, measured = add_pruning_metadata_analysis_pass(quantized)
    _, costs = flops_analysis_pass(quantized)
    node = costs["nodes"]["module_list_5"]
    sparsity = measured["nodes"]["module_list_5"]["weight_sparsity"]  # >= 0.75: 4-bit rounding
    nonzero = round(2048 * (1 - sparsity))
    assert node["dense_macs"] == 64 * 32 and node["macs"] == nonzero  # per input sample
    assert node["bitops"] == nonzero * 4 * 4
    # bitmask: 1 bit per element + 4 bits per non-zero weight; bias (32, dense) 4 bits each
    assert node["weight_bits"] == pytest.approx(2048 + 4 * nonzero + 32 * 4)
    _, bits = calculate_avg_bits_mg_analysis_pass(quantized)
    layers = measured["nodes"].values()
    stored = sum(n["weight_numel"] * (1 + 4 * (1 - n["weight_sparsity"])) for n in layers)
    assert bits["w_avg_bit"] == pytest.approx(stored / sum(n["weight_numel"] for n in layers))


def test_report_table_csv_and_bar_plot(analyse, tmp_path):
    graph = analyse("jsc-s")
    pruned, _ = prune_transform_pass(graph, {"weight": {"sparsity": 0.5}})
    _, info = report_sparsity_analysis_pass(
        pruned, {"dummy_in": {"x": torch.randn(16, 16)}, "save_dir": str(tmp_path)}
    )
    assert "Sparse storage: bitmask (1 bit/element) + non-zero values" in info["text"]
    rows = list(csv.DictReader((tmp_path / "sparsity.csv").open()))
    assert [r["node"] for r in rows][-1] == "total" and len(rows) == 6
    assert float(rows[-1]["weight_sparsity"]) == 0.5
    assert int(rows[-1]["macs"]) * 2 == int(rows[-1]["dense_macs"])
    assert (tmp_path / "sparsity.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_hook_inspection_lists_activation_hooks(analyse):
    graph = analyse("jsc-tiny")
    assert hook_inspection_analysis_pass(graph)[1] == {}
    pruned, _ = prune_transform_pass(graph, {"activation": {"sparsity": 0.5}})
    hooks = hook_inspection_analysis_pass(pruned)[1]
    assert [key.rsplit("_", 1)[0] for key in hooks] == ["seq_blocks.2"]
