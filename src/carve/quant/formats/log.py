"""Base-2 logarithmic format (MASE ``log``): ``+-2**e``.

``width = 1 sign bit + (width-1) exponent bits``; ``e = round(log2|x|)``
(rounded in the log domain: the switch from ``2**k`` to ``2**(k+1)`` is at
``sqrt(2) * 2**k``), clamped to ``[-bias, 2**(width-1) - 1 - bias]``;
``exponent_bias`` defaults to ``2**(width-2) - 1``. Saturating at both ends.

Zero: every code is a signed power of two, so the format has no zero (as in
MASE). ``0`` and ``-0`` map to the smallest positive value ``+2**-bias``; a
tiny negative number maps to ``-2**-bias`` (its nearest value; MASE adds a
small positive offset before taking the sign and returns ``+2**-bias`` for
negatives smaller than ``0.1 * 2**-bias``).

The integer view is ``ints`` = sign (+-1) and ``exponent`` = e.

>>> import torch
>>> spec = LogSpec(width=4, exponent_bias=3)  # exponents -3..4
>>> LOG.quantize(torch.tensor([0.0, 1.4, 1.5, -100.0, 1e-9]), spec).tolist()
[0.125, 1.0, 2.0, -16.0, 0.125]
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

import torch
from torch import Tensor

from carve.quant.base import Encoded, NumberFormat
from carve.quant.formats.float_grid import (
    MANTISSA_MASK,
    keep_nan,
    magnitude,
)
from carve.quant.spec import check_int, set_field

SQRT2_MANTISSA = struct.unpack("<q", struct.pack("<d", math.sqrt(2.0)))[0] & MANTISSA_MASK
# float32(sqrt 2) lies below sqrt 2, so "mantissa > this" <=> "fraction > sqrt 2" for float32
SQRT2_MANTISSA_F32 = struct.unpack("<i", struct.pack("<f", math.sqrt(2.0)))[0] & ((1 << 23) - 1)


@dataclass(frozen=True)
class LogSpec:
    width: int
    exponent_bias: int | None = None

    def __post_init__(self) -> None:
        check_int("log", "width", self.width, 2, 12)
        if self.exponent_bias is None:
            set_field(self, "exponent_bias", 2 ** (self.width - 2) - 1)
        check_int("log", "exponent_bias", self.exponent_bias, -512, 512)

    @property
    def exponent_min(self) -> int:
        return -self.exponent_bias

    @property
    def exponent_max(self) -> int:
        return 2 ** (self.width - 1) - 1 - self.exponent_bias


# (int dtype, exponent shift, bias, mantissa mask, sqrt(2)'s mantissa) per float dtype
_LAYOUT = {
    torch.float64: (torch.int64, 52, 1023, MANTISSA_MASK, SQRT2_MANTISSA),
    torch.float32: (torch.int32, 23, 127, (1 << 23) - 1, SQRT2_MANTISSA_F32),
}


def nearest_log_exponent(v: Tensor, lo: int | Tensor, hi: int | Tensor) -> Tensor:
    """``clamp(round(log2 v), lo, hi)`` exactly, for float32/float64 ``v >= 0``.

    float32 is used only when ``lo >= -126`` (float32 subnormals, whose exponent
    bits read -127, then clamp to ``lo`` like their true exponents would).
    """
    if v.dtype == torch.float32 and int(torch.as_tensor(lo).min()) < -126:
        v = v.to(torch.float64)
    int_dtype, shift, bias, mask, sqrt2 = _LAYOUT[v.dtype]
    big = float(torch.finfo(v.dtype).max)
    bits = torch.nan_to_num(v, nan=0.0, posinf=big).view(int_dtype)
    # fraction v / 2**k in [1, 2) above sqrt(2) <=> its mantissa bits are above sqrt(2)'s
    e = (bits >> shift) - bias + ((bits & mask) > sqrt2).to(int_dtype)
    lo = lo.to(int_dtype) if isinstance(lo, Tensor) else lo
    return torch.minimum(torch.clamp(e, min=lo), torch.as_tensor(hi, dtype=int_dtype))


def log_encode(x: Tensor, lo: int | Tensor, hi: int | Tensor) -> Encoded:
    v, signs = magnitude(x)
    e = nearest_log_exponent(v, lo, hi)
    sig = keep_nan(torch.copysign(torch.ones_like(v), signs + 0.0), v)  # -0 -> +1
    return Encoded(sig, exponent=e)


class LogFormat(NumberFormat):
    name = "log"
    spec_cls = LogSpec

    def encode(self, x: Tensor, spec: LogSpec) -> Encoded:
        return log_encode(x, spec.exponent_min, spec.exponent_max)

    def storage_bits(self, spec: LogSpec) -> float:
        return float(spec.width)

    def capacity(self, spec: LogSpec) -> int:
        return 2**spec.width


LOG = LogFormat()
