"""Integer formats wider than float32's 24-bit significand: no code past the range, ever."""

from __future__ import annotations

import pytest
import torch

from carve.quant import FORMATS

INTEGER = FORMATS["integer"]


@pytest.mark.parametrize("width,signed", [(25, True), (26, True), (32, True), (32, False)])
def test_float32_saturates_inside_the_range_and_the_grid_check_rejects_the_code_past_it(
    width, signed
):
    spec = INTEGER.make_spec(width=width, frac_width=0, signed=signed)
    top = 2**width - 1 if signed is False else 2 ** (width - 1) - 1
    # largest float32 <= top, by hand: keep the 24 leading bits
    drop = top.bit_length() - 24
    representable = (top >> drop) << drop
    x = torch.tensor([1e12, float(top), -1e12], dtype=torch.float32)
    q = INTEGER.quantize(x, spec)
    assert q[0].item() == q[1].item() == representable <= top
    assert q[2].item() == (-(2 ** (width - 1)) if signed else 0)
    view = INTEGER.to_int(x, spec)
    assert int(view.ints.max()) <= top and torch.equal(INTEGER.from_int(view), q)
    past = torch.tensor([float(top + 1)], dtype=torch.float32)  # float32 rounds top to top + 1
    assert past.item() == top + 1
    report = INTEGER.grid_check(past, spec)
    assert report.on_grid == 0
    assert INTEGER.grid_check(q, spec).on_grid == 3


def test_float64_keeps_every_code():
    spec = INTEGER.make_spec(width=32, frac_width=0)
    x = torch.tensor([1e12, 2.0**31 - 1], dtype=torch.float64)
    assert INTEGER.quantize(x, spec).tolist() == [2**31 - 1, 2**31 - 1]
    assert INTEGER.grid_check(x[1:], spec).int_max == 2**31 - 1
