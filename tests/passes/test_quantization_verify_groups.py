"""Distinct values are counted per block/scale group, so honest configs verify as passed."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import torch

from carve.ir import MaseGraph
from carve.passes import (
    add_common_metadata_analysis_pass,
    init_metadata_analysis_pass,
    quantize_transform_pass,
    verify_quantization_analysis_pass,
)

CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "formats"


@pytest.mark.parametrize("name", ["block_fp", "mxint", "scaled_integer", "mxfp", "block_log"])
def test_shipped_format_configs_verify_as_passed(name):
    table = tomllib.loads((CONFIGS / f"{name}.toml").read_text())["passes"]["quantize"]
    torch.manual_seed(0)
    mg, _ = init_metadata_analysis_pass(MaseGraph.from_registered("jsc-toy"))
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": torch.randn(4, 16)}})
    qmg, _ = quantize_transform_pass(mg, table)
    inputs = torch.randn(3000, 16, generator=torch.Generator().manual_seed(1)) * 2
    _, info = verify_quantization_analysis_pass(qmg, {"inputs": inputs, "batch_size": 1000})
    rows = info["operands"]
    assert rows and all(row["on_grid"] == row["numel"] and row["in_range"] for row in rows)
    assert all(row["distinct"] <= row["capacity"] for row in rows), rows
    assert info["ok"] and all(row["ok"] for row in rows)
    header = info["table_text"].splitlines()[2]
    assert header.replace(" ", "").endswith("|Maxquanterror|OK|")


def test_per_block_count_matches_a_hand_count():
    from carve.quant import FORMATS

    fmt = FORMATS["block_fp"]
    spec = fmt.make_spec(width=4, exponent_width=8, exponent_bias=127, block_size=(4,))
    x = torch.tensor([[0.5, 0.5, 0.25, 0.125, 1.0, 2.0, 3.0, 4.0, 7.0, 7.0]])
    q = fmt.quantize(x, spec)
    blocks = [q[0, 0:4], q[0, 4:8], q[0, 8:10]]  # right-aligned blocks of 4; ragged end
    expected = max(len(set(block.tolist())) for block in blocks)
    report = fmt.grid_check(q, spec)
    assert report.distinct == expected == 4
    assert len(set(q.flatten().tolist())) > report.distinct  # the old whole-tensor count
