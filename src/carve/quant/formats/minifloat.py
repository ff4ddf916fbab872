"""Minifloats (MASE ``minifloat_ieee`` and ``minifloat_denorm``).

``width = 1 sign + exponent_width + M mantissa bits`` (M >= 1); ``exponent_bias``
defaults to ``2**(exponent_width-1) - 1`` (TOML ``"NA"``). No code is reserved
for inf/NaN (as MASE): the top exponent field is an ordinary binade and values
beyond the largest finite value saturate.

- ``minifloat_ieee``: implicit leading 1; exponents ``[1-bias, 2**E-1-bias]``
  for normals, exponent field 0 gives subnormals ``m * 2**(1-bias-M)``.
  Largest value ``(2 - 2**-M) * 2**(2**E-1-bias)``.
- ``minifloat_denorm``: no implicit bit: ``m/2**M * 2**e`` with ``m < 2**M``
  and ``e`` in ``[-bias, 2**E-1-bias]``. Largest ``(1 - 2**-M) * 2**(2**E-1-bias)``.

Both round to the nearest representable value, ties to even. Where MASE
differs (it clamps a mantissa that rounds up to the next power of two instead of
carrying into the exponent, and passes ``|x| <= 1e-8`` through unquantized)
carve follows the rounding rule; ``tests/quant/test_golden.py`` checks every
other element of MASE's outputs bit for bit.

>>> import torch
>>> spec = MinifloatSpec(width=8, exponent_width=4)  # e4m3 without inf/NaN, max 480
>>> MINIFLOAT_IEEE.quantize(torch.tensor([0.1, 1.95, 1000.0, -3.0]), spec).tolist()
[0.1015625, 2.0, 480.0, -3.0]
>>> MINIFLOAT_DENORM.quantize(torch.tensor([0.1, 1.95, 1000.0]), spec).tolist()
[0.09375, 2.0, 224.0]
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor

from carve.errors import CarveError
from carve.quant.base import Encoded, NumberFormat
from carve.quant.formats.float_grid import magnitude, round_to_float_grid, signed_significand
from carve.quant.spec import check_int, set_field


@dataclass(frozen=True)
class MinifloatSpec:
    width: int
    exponent_width: int
    exponent_bias: int | None = None

    def __post_init__(self) -> None:
        check_int("minifloat", "width", self.width, 3, 32)
        check_int("minifloat", "exponent_width", self.exponent_width, 1, 11)
        if self.width < self.exponent_width + 2:
            raise CarveError(
                f"minifloat: width={self.width} is too narrow for exponent_width="
                f"{self.exponent_width}: width counts 1 sign bit, the exponent bits and at least "
                f"1 mantissa bit, so it must be >= {self.exponent_width + 2} (or exponent_width "
                f"<= {self.width - 2})"
            )
        if self.exponent_bias is None:
            set_field(self, "exponent_bias", 2 ** (self.exponent_width - 1) - 1)
        check_int("minifloat", "exponent_bias", self.exponent_bias, -512, 512)

    @property
    def mantissa_width(self) -> int:
        return self.width - self.exponent_width - 1

    @property
    def exponent_max(self) -> int:
        return 2**self.exponent_width - 1 - self.exponent_bias


class _Minifloat(NumberFormat):
    spec_cls = MinifloatSpec
    implicit_bit: bool

    def grid(self, spec: MinifloatSpec) -> tuple[int, int, int]:
        """(precision bits, smallest step exponent, largest step exponent)."""
        m, bias = spec.mantissa_width, spec.exponent_bias
        if self.implicit_bit:
            return m + 1, 1 - bias - m, spec.exponent_max - m
        return m, -bias - m, spec.exponent_max - m

    def encode(self, x: Tensor, spec: MinifloatSpec) -> Encoded:
        v, sign = magnitude(x)
        bits, lo, hi = self.grid(spec)
        n, q = round_to_float_grid(v, bits, lo, hi)
        return Encoded(signed_significand(n, sign), exponent=q)

    def storage_bits(self, spec: MinifloatSpec) -> float:
        return float(spec.width)


class MinifloatIEEEFormat(_Minifloat):
    name = "minifloat_ieee"
    implicit_bit = True

    def capacity(self, spec: MinifloatSpec) -> int:
        return 2**spec.width - 1  # +0 and -0 coincide


class MinifloatDenormFormat(_Minifloat):
    name = "minifloat_denorm"
    implicit_bit = False

    def capacity(self, spec: MinifloatSpec) -> int:
        m, e = spec.mantissa_width, spec.exponent_width
        positive = (2**m - 1) + (2**e - 1) * 2 ** (m - 1)  # codes m < 2**(M-1) repeat
        return 2 * positive + 1


MINIFLOAT_IEEE = MinifloatIEEEFormat()
MINIFLOAT_DENORM = MinifloatDenormFormat()
