"""MASE's quantizer functions (MASE's signatures) against MASE's own outputs and carve's formats.

The golden fixture (shared/data/mase-golden) holds MASE's outputs; each case is
called here exactly as MASE's function was (``integer_quantizer(x, width=8,
frac_width=4)``; block_fp with ``skip_first_dim=False``, as recorded). integer
and block_fp agree bit for bit (up to the sign of zero); minifloat and log
differ from MASE on purpose (docs/formats.md), so for them the MASE-signature
function must equal carve's format function.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from carve.compat import quantizers as q
from carve.quant import FORMATS

SHARED = Path(os.environ.get("CARVE_SHARED", Path(__file__).resolve().parents[3] / "shared"))
FIXTURE = SHARED / "data/mase-golden/mase_quantizers.npz"
pytestmark = pytest.mark.skipif(not FIXTURE.exists(), reason="MASE golden fixture not present")

CALLS = {
    "integer": lambda x, c: q.integer_quantizer(x, **c),
    "integer_unsigned": lambda x, c: q.integer_quantizer(x, **c, is_signed=False),
    "block_fp": lambda x, c: q.block_fp_quantizer(x, **{"skip_first_dim": False, **c}),
    "minifloat_denorm": lambda x, c: q.minifloat_denorm_quantizer(x, **c),
    "minifloat_ieee": lambda x, c: q.minifloat_ieee_quantizer(x, **c),
    "log": lambda x, c: q.log_quantizer(x, **c),
}
EXACT = ("integer", "integer_unsigned", "block_fp")


def cases():
    if not FIXTURE.exists():
        return []
    rows = [str(row).split("|") for row in np.load(FIXTURE)["__meta__"]]
    return [pytest.param(*row[:4], id=f"{row[0]}-{row[1]}") for row in rows if row[4] == "ok"]


@pytest.mark.parametrize("case,inp,fmt,config", cases())
def test_mase_signature_quantizers(case, inp, fmt, config):
    data = np.load(FIXTURE)
    x, mase = data[f"{case}__{inp}__x"], data[f"{case}__{inp}__y"]
    kwargs = ast.literal_eval(config)
    ours = CALLS[fmt](torch.from_numpy(x), dict(kwargs)).numpy()
    if fmt in EXACT:
        np.testing.assert_array_equal(ours + 0.0, mase + 0.0)  # +0.0: -0 == +0
        return
    fmt_obj = FORMATS[fmt]
    expected = fmt_obj.quantize(torch.from_numpy(x), fmt_obj.spec_cls(**kwargs)).numpy()
    np.testing.assert_array_equal(ours, expected)


def test_other_quantizers_and_integer_quantize_apply():
    x = torch.tensor([[-2.0, -0.3, 0.0, 0.2, 0.9, 3.0]])
    assert q.binary_quantizer(x, stochastic=False, bipolar=True).tolist() == [
        [-1.0, -1.0, 1.0, 1.0, 1.0, 1.0]]  # fmt: skip
    ternary = q.ternary_quantizer(x, threshold=0.25)
    assert ternary.tolist() == [[-1.0, -1.0, 0.0, 0.0, 1.0, 1.0]]
    assert q.integer_floor_quantizer(torch.tensor([0.3, -0.3]), 4, 2).tolist() == [0.25, -0.5]
    logs = q.log_quantizer(torch.tensor([3.0, -0.2]), width=8, exponent_bias=7)
    assert torch.all(torch.log2(logs.abs()) == torch.log2(logs.abs()).round())
    w = torch.randn(5, 5, requires_grad=True)
    q.IntegerQuantize.apply(w, 8, 4).sum().backward()
    assert torch.equal(w.grad, torch.ones(5, 5))  # straight-through gradient
    assert q.quantizer_map["integer"] is q.integer_quantizer
    blocks = q.block_minifloat_quantizer(torch.randn(4, 16), 8, 4, 8, [1, 16])
    assert blocks.shape == (4, 16)
    assert q.block_log_quantizer(torch.randn(4, 16), 8, 8, 16).shape == (4, 16)
