"""OCP Microscaling (MX v1.0): ``mxint`` and ``mxfp``.

Blocks of ``block_size`` (default 32) consecutive elements along the last
dimension (the reduction dimension of a Linear weight or activation; ragged
ends padded) share one 8-bit power-of-two scale (E8M0).

Scale rule (the spec's, as in Microsoft's microxcaling reference):
``X = 2**(floor(log2 max|x|) - emax_elem)`` with ``emax_elem`` the exponent of
the largest power of two the element format holds (0 for MXINT, 8 for
FP8 E4M3, 15 for E5M2, 4 for FP6 E3M2, 2 for E2M3 and FP4 E2M1), clamped to
E8M0's ``[-127, 127]``; an all-zero block uses ``2**-127``. Elements are
``x / X`` rounded half to even and saturated to the element's largest finite
value (OCP's saturating conversion; no inf/NaN produced: ``inf`` counts as
float32's largest value when the scale is chosen, so it saturates to a finite
value).

- ``mxint``: ``width``-bit signed integer with ``width-2`` fraction bits,
  codes in ``[-(2**(width-1) - 1), 2**(width-1) - 1]`` (MXINT8: +-1.984375).
- ``mxfp``: the OCP element formats only (FP8 E4M3/E5M2, FP6 E3M2/E2M3, FP4
  E2M1, chosen by ``width``/``exponent_width``; others are refused): minifloat
  elements with ``exponent_width`` bits, bias
  ``2**(E-1) - 1``, subnormals; E4M3 reserves only ``S.1111.111`` (max 448),
  E5M2 reserves its top exponent (max 57344), FP6/FP4 have no reserved codes.

>>> import torch
>>> x = torch.tensor([0.3, -1.0, 5.0, 0.01])
>>> MXINT.quantize(x, MXIntSpec(width=8, block_size=4)).tolist()
[0.3125, -1.0, 5.0, 0.0]
>>> MXFP.quantize(x, MXFPSpec(width=4, exponent_width=2, block_size=4)).tolist()
[0.5, -1.0, 4.0, 0.0]
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from carve.errors import CarveError
from carve.quant.base import Encoded, NumberFormat
from carve.quant.formats.blocking import Tiling, block_shape
from carve.quant.formats.float_grid import (
    floor_log2,
    magnitude,
    round_to_fixed_step,
    round_to_float_grid,
    signed_significand,
)
from carve.quant.spec import check_int

SCALE_BITS = 8
# the element formats of the OCP MX v1.0 spec (what the docs list), by (width, exponent_width)
OCP_ELEMENTS = {(8, 4): "FP8 E4M3", (8, 5): "FP8 E5M2", (6, 3): "FP6 E3M2", (6, 2): "FP6 E2M3",
                (4, 2): "FP4 E2M1"}  # fmt: skip
SCALE_MIN, SCALE_MAX = -127, 127
FLOAT32_MAX = float(torch.finfo(torch.float32).max)


def mx_blocks(x: Tensor, block_size: int, emax_elem: int) -> tuple[Tiling, Tensor, Tensor, Tensor]:
    """(tiling, |x| tiled, x tiled (signs), per-block E8M0 exponent).

    The exponent is ``floor(log2 amax) - emax_elem`` clamped to [-127, 127]
    (``-127`` for an all-zero block); inf counts as float32's largest value, so
    a block holding inf saturates to finite values.
    """
    tiling = Tiling(x.shape, block_shape(x.shape, [block_size]))
    v, signs = magnitude(tiling.tile(x))
    amax = tiling.reduce_max(v).to(torch.float64).clamp_(max=FLOAT32_MAX)
    exp = torch.where(amax > 0, floor_log2(amax) - emax_elem, SCALE_MIN)
    return tiling, v, signs, torch.clamp(exp, SCALE_MIN, SCALE_MAX)


@dataclass(frozen=True)
class MXIntSpec:
    width: int = 8
    block_size: int = 32

    def __post_init__(self) -> None:
        check_int("mxint", "width", self.width, 2, 16)
        check_int("mxint", "block_size", self.block_size, 1, 4096)


@dataclass(frozen=True)
class MXFPSpec:
    width: int = 8
    exponent_width: int = 4
    block_size: int = 32

    def __post_init__(self) -> None:
        check_int("mxfp", "width", self.width, 1, 64)
        check_int("mxfp", "exponent_width", self.exponent_width, 1, 64)
        check_int("mxfp", "block_size", self.block_size, 1, 4096)
        if (self.width, self.exponent_width) not in OCP_ELEMENTS:
            accepted = ", ".join(f"{name} (width={w}, exponent_width={e})"
                                 for (w, e), name in OCP_ELEMENTS.items())  # fmt: skip
            raise CarveError(
                f"mxfp: width={self.width}, exponent_width={self.exponent_width} is not an OCP MX "
                f"element format; accepted: {accepted}"
            )

    @property
    def mantissa_width(self) -> int:
        return self.width - self.exponent_width - 1

    @property
    def bias(self) -> int:
        return 2 ** (self.exponent_width - 1) - 1

    @property
    def ieee_specials(self) -> bool:
        """E5M2 keeps IEEE inf/NaN codes (top exponent reserved)."""
        return (self.exponent_width, self.mantissa_width) == (5, 2)

    @property
    def nan_mantissa_only(self) -> bool:
        """E4M3 reserves only the all-ones code for NaN."""
        return (self.exponent_width, self.mantissa_width) == (4, 3)

    @property
    def emax(self) -> int:
        top_field = 2**self.exponent_width - (2 if self.ieee_specials else 1)
        return top_field - self.bias


class MXIntFormat(NumberFormat):
    name = "mxint"
    spec_cls = MXIntSpec

    def encode(self, x: Tensor, spec: MXIntSpec) -> Encoded:
        tiling, v, signs, scale = mx_blocks(x, spec.block_size, 0)
        step = scale - (spec.width - 2)
        n = round_to_fixed_step(v, step, 2 ** (spec.width - 1) - 1)
        return Encoded(signed_significand(n, signs), exponent=step, untile=tiling.untile)

    def storage_bits(self, spec: MXIntSpec) -> float:
        return spec.width + SCALE_BITS / spec.block_size

    def capacity(self, spec: MXIntSpec) -> int:
        return 2**spec.width - 1


class MXFPFormat(NumberFormat):
    name = "mxfp"
    spec_cls = MXFPSpec

    def encode(self, x: Tensor, spec: MXFPSpec) -> Encoded:
        tiling, v, signs, scale = mx_blocks(x, spec.block_size, spec.emax)
        m = spec.mantissa_width
        full = 2 ** (m + 1)
        top = full - 2 if spec.nan_mantissa_only else full - 1
        n, q = round_to_float_grid(
            v, m + 1, 1 - spec.bias - m + scale, spec.emax - m + scale, top_max=top
        )
        return Encoded(signed_significand(n, signs), exponent=q, untile=tiling.untile)

    def storage_bits(self, spec: MXFPSpec) -> float:
        return spec.width + SCALE_BITS / spec.block_size

    def capacity(self, spec: MXFPSpec) -> int:
        fields = 2**spec.exponent_width - (1 if spec.ieee_specials else 0)
        positive = fields * 2**spec.mantissa_width - 1 - (1 if spec.nan_mantissa_only else 0)
        return 2 * positive + 1


MXINT = MXIntFormat()
MXFP = MXFPFormat()
