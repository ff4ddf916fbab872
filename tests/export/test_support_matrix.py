"""Every cell of the support matrix in docs/deploy.md is what these tests measure.

The table is written by ``python tests/export/support_matrix.py`` from the same
measurements (see that module for what each cell means); a change in carve, in
onnxruntime, qonnx or hls4ml that changes a cell fails here until the table is
regenerated.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from support_matrix import FORMATS, OPS, ROWS, WIDTHS, documented, measure_hls4ml, measure_onnx


@pytest.fixture(scope="module")
def rows(test_split):
    return test_split.x[:ROWS]


def test_documented_table_covers_every_format_width_and_op():
    cells = documented()
    assert sorted(cells) == sorted((fmt, width) for fmt in FORMATS for width in WIDTHS)
    assert all(sorted(row) == sorted(OPS) for row in cells.values())


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("fmt", ["onnx", "qonnx"])
def test_onnx_and_qonnx_cells(fmt, width, rows, tmp_path):
    """Issue 22 items 1-2: every width 2..16 exports and runs (ORT had no int16 Clip)."""
    assert measure_onnx(fmt, width, rows, tmp_path / "e") == documented()[fmt, width]


@pytest.mark.skipif(shutil.which("g++") is None, reason="hls4ml compile() needs g++")
def test_hls4ml_cells(rows, tmp_path):
    """Issue 22 item 3: 12-bit batch norm is exact (beta nudged); what still differs at
    14-16 bits is counted, never hidden."""
    measured = measure_hls4ml(rows, tmp_path / "h")
    assert {w: measured[w] for w in WIDTHS} == {w: documented()["hls4ml", w] for w in WIDTHS}
