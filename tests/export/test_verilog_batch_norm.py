"""Batch norm in RTL: exact for every input code of every channel, on adversarial constants.

torch computes ``x * alpha + beta`` in float32 and the next quantizer rounds
it; the constants below put values exactly on rounding ties of the next grid
(round half to even decides), make float32 round ``x * alpha`` (``alpha`` =
1/3, held as 85/256 by the 16-bit weight format), saturate (large
``alpha``), decrease (negative ``alpha``) and stay
constant (``alpha`` = 0). The emitted testbench feeds every input code to every
channel at once and Icarus compares each output code with carve's integer
reference.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from carve.export.graph_view import export_view
from carve.export.verilog import emit_testbench, emit_verilog
from carve.export.verilog_plan import plan_datapath
from carve.hardware.icarus import run_testbench
from carve.ir import MaseGraph
from carve.passes import (
    add_common_metadata_analysis_pass,
    init_metadata_analysis_pass,
    quantize_transform_pass,
)

ALPHA = [1.5, 1 / 3, 40.0, -0.75, 0.0, 2.5]
BETA = [0.25, 0.125, -3.0, 0.375, 0.7, -0.0625]


def bn_graph(in_width: int, out_width: int, floor: bool = False) -> MaseGraph:
    model = torch.nn.Sequential(torch.nn.BatchNorm1d(len(ALPHA), eps=0.0), torch.nn.ReLU())
    with torch.no_grad():
        bn = model[0]
        bn.running_mean.zero_()
        bn.running_var.fill_(1.0)  # alpha = weight, beta = bias: exact constants
        bn.weight.copy_(torch.tensor(ALPHA))
        bn.bias.copy_(torch.tensor(BETA))
    graph, _ = init_metadata_analysis_pass(MaseGraph(model))
    name = next(n.name for n in graph.model.graph.nodes if n.op == "placeholder")
    dummy = {name: torch.randn(4, len(ALPHA))}
    graph, _ = add_common_metadata_analysis_pass(graph, {"dummy_in": dummy, "add_value": False})
    relu = {"name": "integer", "data_in_width": out_width, "data_in_frac_width": 1}
    if floor:
        relu["data_in_floor"] = True
    args = {
        "by": "type",
        "default": {"config": {"name": "NA"}},
        "batch_norm1d": {"config": {"name": "integer", "data_in_width": in_width,
                                    "data_in_frac_width": 2, "weight_width": 16,
                                    "weight_frac_width": 8, "bias_width": 16,
                                    "bias_frac_width": 8}},
        "relu": {"config": relu},
    }  # fmt: skip
    graph, _ = quantize_transform_pass(graph, args)
    return graph


@pytest.mark.parametrize(("in_width", "out_width", "floor"), [(6, 4, False), (8, 6, True),
                                                             (12, 5, False)])  # fmt: skip
def test_every_code_of_every_channel_in_icarus(in_width, out_width, floor, tmp_path):
    graph = bn_graph(in_width, out_width, floor)
    view = export_view(graph)
    codes = np.arange(-(1 << (in_width - 1)), 1 << (in_width - 1))
    ties = np.ldexp(codes, -2)[:, None] * np.float32(1.5) + np.float32(0.25)
    assert (np.ldexp(ties, 1) % 1 == 0.5).any()  # the table holds exact rounding ties
    design = emit_verilog(view, tmp_path)
    emit_testbench(design, view, codes=np.repeat(codes[:, None], len(ALPHA), axis=1))
    rows, checked, mismatches = run_testbench(tmp_path / "tb", design.top, design.files)
    assert (checked, mismatches) == (rows, 0) and rows == len(codes)
    steps = plan_datapath(view).layers[0].steps
    assert steps[4].kind == "affine" and steps[4].a == 0  # alpha = 0: a constant


def test_table_matches_torch_and_affine_is_preferred():
    graph = bn_graph(8, 6)
    layer = plan_datapath(export_view(graph)).layers[0]
    codes = np.arange(-128, 128)
    x = torch.from_numpy(np.ldexp(codes, -2)).float()[:, None].expand(-1, len(ALPHA))
    with torch.inference_mode():
        values = graph.model.eval()(x.contiguous()).double().numpy()  # BN then ReLU (quantized)
    for c, step in enumerate(layer.steps):
        np.testing.assert_array_equal(
            np.maximum(step.evaluate(codes), 0), np.rint(np.ldexp(values[:, c], 1))
        )
    assert [s.kind for s in layer.steps].count("affine") >= 5
