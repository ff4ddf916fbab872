"""The cost model and the export report's resources record, against yosys on one emitted design.

The design: jsc-tiny (BatchNorm, ReLU, Linear 16->5, ReLU) with random weights at
3-bit data and weights, emitted by carve's Verilog emitter; one yosys run
(``-nodsp``, as the model assumes) serves every test here.
"""

from __future__ import annotations

import numpy as np
import pytest

from carve.export.graph_view import export_view
from carve.export.verilog import emit_verilog
from carve.hardware.cost_model import estimate_datapath, layer_ffs, linear_features
from carve.hardware.designs import DesignSpec, design_graph
from carve.hardware.resources import design_resources, resource_lines
from carve.search.hardware_metrics import estimate_graph


@pytest.fixture(scope="module")
def design(tmp_path_factory):
    graph = design_graph(DesignSpec("jsc-tiny", ((3, 3),), seed=3))
    return emit_verilog(export_view(graph), tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def record(design):
    return design_resources(design)


def test_flip_flops_are_the_reachable_bits_of_each_register(design, record):
    for row in record["layers"]:  # yosys may find a few more constant bits than the ranges
        assert 0 <= row["model_ffs"] - row["ffs"] <= max(2, 0.05 * row["ffs"]), row["node"]
    model = estimate_datapath(design.datapath)
    top = record["ffs"] - sum(row["ffs"] for row in record["layers"])
    assert top == design.latency == model.valid_ffs  # the top's valid shift register
    assert model.latency_cycles == design.latency == 4 == record["latency_cycles"]


def test_lut_estimate_is_near_yosys(record):
    model = sum(row["model_luts"] for row in record["layers"])
    assert record["luts"] > 0
    assert abs(model / record["luts"] - 1) < 0.5
    linear = next(row for row in record["layers"] if row["op"] == "linear")
    assert linear["luts"] > 0 and linear["model_luts"] > 0


def test_resources_record_is_per_node_and_labelled(design, record):
    assert record["label"] == "yosys estimate (not Vivado)"
    assert [row["node"] for row in record["layers"]] == list(design.modules)
    assert sum(row["luts"] for row in record["layers"]) == record["luts"]  # top has no logic
    assert record["latency_ns"] == pytest.approx(
        4 * max(record["clock_ns"], record["critical_path_ns"])
    )
    lines = resource_lines(record)
    assert "yosys estimate (not Vivado)" in lines[0] and len(lines) == 2 + len(design.modules)


def test_sparser_weights_cost_fewer_luts_and_the_graph_path_agrees():
    dense = design_graph(DesignSpec("jsc-tiny", ((4, 4),), seed=5))
    sparse = design_graph(DesignSpec("jsc-tiny", ((4, 4),), (0.75,), seed=5))
    assert estimate_graph(sparse).luts < 0.5 * estimate_graph(dense).luts
    path = estimate_graph(dense)
    linear = next(layer for layer in path.layers if layer.op == "linear")
    assert linear.features["adder_bits"] > 0


def test_adder_bits_are_the_widths_of_the_emitted_adders():
    """One output, unsigned 3-bit inputs (codes 0-7), weights 1, 2, 4, 0 and no bias: rows
    x0, x1 << 1, x2 << 2 (the zero weight has none). x0 + (x1 << 1) < 22 is 5 bits, of which
    bit 0 is x0's own: a 4-bit adder; adding x2 << 2 gives < 50, 6 bits, bits 0-1 passed
    through: another 4-bit adder; no constant is left to add."""
    from types import SimpleNamespace

    from carve.hardware.rtl import Codes

    codes = Codes(4, True, 0, 0, 7)
    weight, acc = np.array([[1, 2, 4, 0]]), [Codes.of_range(0, 49, 0)]
    layer = SimpleNamespace(x=codes, src=codes, x_fmt=None, out_fmt=None, n_in=4, bias=None,
                            weight=weight, acc=acc)  # fmt: skip
    features = linear_features(layer)
    assert features["adder_bits"] == 4 + 4 and features["gates"] == 0
    layer.weight = np.array([[-1, 0, 0, 0]])  # ~x0 + 1 - 8: a 3-bit row, then a constant adder
    layer.acc = [Codes.of_range(-7, 0, 0)]
    assert linear_features(layer)["adder_bits"] == layer.acc[0].width


def test_layer_ffs_of_a_constant_channel_is_zero(design):
    import copy

    layer = copy.deepcopy(next(layer for layer in design.datapath.layers if layer.op == "relu"))
    layer.out = type(layer.out)(layer.out.width, layer.out.signed, layer.out.exponent, 0, 0)
    assert layer_ffs(layer) == 0


def test_verilog_export_report_carries_the_yosys_estimate(tmp_path):
    import json

    from carve.export.api import export_graph

    graph = design_graph(DesignSpec("jsc-tiny", ((2, 2),), seed=1))
    report = export_graph(graph, "verilog", tmp_path / "out")  # no inputs: no simulation
    resources = report.extra["resources"]
    assert resources["label"] == "yosys estimate (not Vivado)"
    assert resources["luts"] == sum(row["luts"] for row in resources["layers"]) > 0
    assert any("yosys estimate (not Vivado)" in note for note in report.notes)
    saved = json.loads((tmp_path / "out" / "report.json").read_text())
    assert saved["resources"]["ffs"] == resources["ffs"]
