"""Histogram statistic (exact counts) and the two histogram images for a lab report."""

from __future__ import annotations

import numpy as np
import torch

from carve.ir import MaseGraph
from carve.passes import (
    add_common_metadata_analysis_pass,
    add_software_metadata_analysis_pass,
    init_metadata_analysis_pass,
    plot_profile_histograms_analysis_pass,
    plot_quantization_error_analysis_pass,
    profile_statistics_analysis_pass,
    quantize_transform_pass,
)
from carve.quant import fixed_point_config

INT8 = fixed_point_config(8, 4)


def _graph():
    torch.manual_seed(0)
    mg, _ = init_metadata_analysis_pass(MaseGraph.from_registered("jsc-tiny"))
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": torch.randn(8, 16)}})
    mg, _ = add_software_metadata_analysis_pass(mg)
    return mg


def test_histogram_statistic_matches_numpy_and_is_drawn(tmp_path):
    from PIL import Image

    mg = _graph()
    inputs = [{"x": torch.randn(16, 16)} for _ in range(2)]
    mg, _ = profile_statistics_analysis_pass(mg, {
        "by": "type", "target_weight_nodes": ["linear"], "target_activation_nodes": ["relu"],
        "weight_statistics": {"histogram": {"bins": 10}},
        "activation_statistics": {"histogram": {"bins": 8}},
        "input_generator": inputs, "num_samples": 32,
    })  # fmt: skip
    linear = next(n for n in mg.nodes if n.name == "seq_blocks_2")
    found = linear.meta["mase"].parameters["software"]["args"]["weight"]["stat"]["histogram"]
    counts, edges = np.histogram(mg.modules["seq_blocks.2"].weight.detach().numpy(), bins=10)
    assert found["counts"] == counts.tolist() and np.allclose(found["edges"], edges)
    assert found["count"] == 80
    _, info = plot_profile_histograms_analysis_pass(mg, {"save_path": str(tmp_path / "h.png")})
    assert "seq_blocks_2.weight (80 values)" in info["panels"]
    assert "seq_blocks_1.data_in_0 (512 values)" in info["panels"]  # 32 samples x 16 features
    assert round(Image.open(tmp_path / "h.png").info["dpi"][0]) >= 150


def test_quantization_error_panels_name_format_widths_and_error(tmp_path):
    qmg, _ = quantize_transform_pass(_graph(), {"by": "type", "linear": {"config": INT8}})
    _, info = plot_quantization_error_analysis_pass(qmg, {"save_path": str(tmp_path / "e.svg")})
    layer = qmg.modules["seq_blocks.2"]
    error = (layer.w_quantizer(layer.weight) - layer.weight).abs().max().item()
    assert error <= 2**-5  # round to nearest on an 8/4 grid, no saturation for these weights
    assert info["panels"][0] == f"seq_blocks_2.weight: integer [8, 4], max |err| {error:.3g}"
    assert "<svg" in (tmp_path / "e.svg").read_text()[:500]
