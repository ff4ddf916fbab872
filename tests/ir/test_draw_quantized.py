"""A drawing of a quantized graph shows each quantized node's format and widths."""

from __future__ import annotations

import torch

from carve.ir import MaseGraph
from carve.ir.draw import to_dot
from carve.passes import (
    add_common_metadata_analysis_pass,
    init_metadata_analysis_pass,
    quantize_transform_pass,
)


def test_quantized_nodes_show_format_and_widths_per_operand():
    mg, _ = init_metadata_analysis_pass(MaseGraph.from_registered("jsc-tiny"))
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": torch.randn(4, 16)}})
    config = {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4, "weight_width": 8,
              "weight_frac_width": 4, "bias_width": 6, "bias_frac_width": 3}  # fmt: skip
    qmg, _ = quantize_transform_pass(mg, {"by": "type", "linear": {"config": config}})
    lines = {
        line.split(" [label=")[0].strip().strip('"'): line for line in to_dot(qmg).splitlines()
    }
    linear = lines["seq_blocks_2"]
    assert "\\nin, w: integer [8, 4]\\nb: integer [6, 3]" in linear and "#fce5cd" in linear
    assert "integer" not in lines["seq_blocks_1"]  # the float ReLU
    assert "integer" not in to_dot(mg)  # the original graph is untouched
