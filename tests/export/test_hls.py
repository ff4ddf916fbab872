"""hls4ml: per-operand ap_fixed types, and the compiled C++ emulation equals carve bit for bit.

Needs g++ (hls4ml's ``compile()`` builds the emulation library with it); one
model in the default suite, compiled once for the module.
"""

from __future__ import annotations

import re
import shutil
from fractions import Fraction

import numpy as np
import pytest
import yaml

from carve.export.api import export_graph
from carve.export.batch_norm_check import to_grid
from carve.export.graph_view import FixedPoint
from carve.export.hls_types import ap_type, constant_type, frac_bits, holding
from carve.export.parity import fake_quant_outputs, integer_reference_outputs

needs_gxx = pytest.mark.skipif(shutil.which("g++") is None, reason="hls4ml compile() needs g++")


@pytest.fixture(scope="module")
def hls_export(tmp_path_factory, test_split):
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("c", Path(__file__).with_name("conftest.py"))
    conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conftest)
    graph = conftest.quantized_graph("jsc-tiny", conftest.by_type(8))
    folder = tmp_path_factory.mktemp("hls") / "export"
    return graph, export_graph(graph, "hls4ml", folder, inputs=test_split.x)


@needs_gxx
def test_hls4ml_emulation_equals_integer_reference(hls_export, test_split):
    graph, report = hls_export
    assert report.parity.rows == 166_000
    assert report.parity.exact, report.text()
    assert report.parity.reference == "integer reference"
    # the integer reference itself equals the fake-quantized graph here (all sums exact)
    np.testing.assert_array_equal(
        integer_reference_outputs(graph.model, test_split.x),
        fake_quant_outputs(graph.model, test_split.x),
    )
    assert any("all agree" in note for note in report.notes), report.notes


@needs_gxx
def test_hls4ml_project_types_are_carves_formats(hls_export):
    _, report = hls_export
    project = report.folder / "hls4ml_prj"
    config = yaml.safe_load((project / "hls4ml_config.yml").read_text())
    layers = config["HLSConfig"]["LayerName"]
    signed8 = "ap_fixed<8,4,AP_RND_CONV,AP_SAT>"
    assert layers["x"]["Precision"]["result"] == signed8  # BN input quantizer
    assert layers["seq_blocks_0"]["Precision"]["result"] == "ap_ufixed<8,4,AP_RND_CONV,AP_SAT>"
    assert layers["seq_blocks_2"]["Precision"]["weight"] == signed8
    assert layers["seq_blocks_2"]["Precision"]["bias"] == signed8
    defines = (project / "firmware" / "defines.h").read_text()
    accum = re.search(r"typedef (ap_fixed<[^>]*>) seq_blocks_2_accum_t", defines).group(1)
    assert accum.startswith("ap_fixed<") and ",AP_RND_CONV,AP_SAT" in accum
    assert "fuse_batch_norm" in config["HLSConfig"]["SkipOptimizers"]


def test_ap_type_mapping():
    assert ap_type(FixedPoint(8, 4)) == "ap_fixed<8,4,AP_RND_CONV,AP_SAT>"
    assert ap_type(FixedPoint(4, 2, signed=False)) == "ap_ufixed<4,2,AP_RND_CONV,AP_SAT>"
    assert ap_type(FixedPoint(6, 8, rounding="floor")) == "ap_fixed<6,-2,AP_TRN,AP_SAT>"


def test_exact_types_hold_their_values():
    values = np.array([0.75, -3.125, 1e-3], dtype=np.float32).astype(np.float64)
    t = constant_type(values)
    assert t.frac_width == frac_bits(values)
    for v in values:  # on the grid and within range: the type holds each value exactly
        code = Fraction(v) * 2**t.frac_width
        assert code.denominator == 1 and t.int_range[0] <= code <= t.int_range[1]
    assert holding(7.9375, 4) == FixedPoint(8, 4)  # 127 codes + sign
    assert holding(8.0, 4) == FixedPoint(9, 4)


def test_to_grid_rounds_half_even_and_saturates():
    t = FixedPoint(4, 1)  # codes -8..7, step 0.5
    got = [to_grid(Fraction(v), t) for v in (0.25, 0.75, -0.25, 3.6, 100, -100)]
    assert got == [0, 1, 0, Fraction(7, 2), Fraction(7, 2), -4]
    assert to_grid(Fraction(0.75), FixedPoint(4, 1, rounding="floor")) == Fraction(1, 2)


def test_12_bit_batch_norm_beta_nudge_makes_every_code_round_as_torch():
    """Issue 22 item 3: exact x * alpha + beta rounded 2 of 65,536 codes differently from
    torch's float32 at 12 bits; the nudged beta agrees on every code (checked here with
    exact fractions, independently of the export's own check)."""
    import importlib.util
    from pathlib import Path

    import torch

    from carve.export.batch_norm_check import output_rounding
    from carve.export.graph_view import export_view
    from carve.export.hls import plan_layers
    from carve.export.onnx_builder import batch_norm_affine

    spec = importlib.util.spec_from_file_location("c", Path(__file__).with_name("conftest.py"))
    conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conftest)
    graph = conftest.quantized_graph("jsc-tiny", conftest.by_type(12))
    view = export_view(graph)
    plans, _ = plan_layers(view)
    bn = next(p for p in plans if p.node is not None and p.node.op == "batch_norm1d")
    assert "nudged" in bn.note and bn.note.endswith("all agree"), bn.note
    node, x = bn.node, bn.node.operand("data_in_0").fixed
    out = output_rounding(view, node)
    alpha, beta = batch_norm_affine(node)
    nudged = bn.entry["bias_data"]
    lo, hi = x.int_range
    values = [Fraction(code, 2**x.frac_width) for code in range(lo, hi + 1)]
    grid = torch.tensor([float(v) for v in values]).unsqueeze(1).expand(-1, 16).contiguous()
    with torch.inference_mode():
        carve = node.module.eval()(grid).double().numpy()
    before = after = 0
    for c in range(16):
        a = Fraction(float(alpha[c]))
        for row, v in enumerate(values):
            torch_code = to_grid(Fraction(float(carve[row, c])), out)
            before += to_grid(v * a + Fraction(float(beta[c])), out) != torch_code
            after += to_grid(v * a + Fraction(float(nudged[c])), out) != torch_code
    assert before == 2 and after == 0
