"""carve fixed point -> hls4ml ``ap_fixed<W, I, Q, O>``, and exact types for sums and constants.

The mapping (see docs/deploy.md):

- an operand ``fixed<w, f>`` (signed) is ``ap_fixed<w, w - f, AP_RND_CONV, AP_SAT>``;
  unsigned is ``ap_ufixed``. ``AP_RND_CONV`` is round half to even (carve's
  default rounding), ``AP_SAT`` saturates to the two's-complement ends
  (``-2**(w-1)``, ``2**(w-1) - 1``), as carve does; carve's floor rounding is
  ``AP_TRN``. hls4ml's default (``AP_TRN``, ``AP_WRAP``) would truncate and wrap.
- results that carve does not quantize (a Linear's sum, a ReLU of a
  quantized value) get a type that holds every possible value exactly:
  enough fractional bits for the finest grid involved and enough integer bits
  for the worst-case magnitude, so no rounding or overflow can happen.
- float32 constants (batch-norm scale and shift) get the exact fixed-point
  type of their values (float32 has 24 significant bits, so this is finite).
"""

from __future__ import annotations

import math

import numpy as np

from carve.errors import CarveError
from carve.export.graph_view import FixedPoint

AP_MAX_WIDTH = 1024  # AP_INT_MAX_W of the ap_types headers hls4ml ships


def ap_type(fixed: FixedPoint) -> str:
    """The hls4ml precision string of a carve fixed-point operand.

    >>> ap_type(FixedPoint(8, 4, signed=False))
    'ap_ufixed<8,4,AP_RND_CONV,AP_SAT>'
    """
    kind = "ap_fixed" if fixed.signed else "ap_ufixed"
    rounding = "AP_TRN" if fixed.rounding == "floor" else "AP_RND_CONV"
    return f"{kind}<{fixed.width},{fixed.integer_bits},{rounding},AP_SAT>"


def frac_bits(values: np.ndarray) -> int:
    """Fewest fractional bits ``f`` with every ``values * 2**f`` an integer (finite floats).

    >>> frac_bits(np.array([0.5, 0.375, 3.0]))
    3
    """
    values = np.asarray(values, dtype=np.float64)
    nonzero = values[values != 0]
    if not np.all(np.isfinite(values)):
        raise CarveError("export hls4ml: a constant is not finite")
    if nonzero.size == 0:
        return 0
    mantissa, exponent = np.frexp(nonzero)  # value = mantissa * 2**exponent, 0.5 <= |m| < 1
    ints = np.ldexp(mantissa, 53).astype(np.int64)  # exact 53-bit significands
    trailing = np.array([(int(i) & -int(i)).bit_length() - 1 for i in ints])
    return int(max(0, (53 - exponent - trailing).max()))


def holding(max_abs: float, frac: int, signed: bool = True) -> FixedPoint:
    """Narrowest type with ``frac`` fractional bits holding ``[-max_abs, max_abs]``."""
    codes = math.ceil(max_abs * 2.0**frac)
    width = max(codes.bit_length(), 1) + (1 if signed else 0)
    if width > AP_MAX_WIDTH:
        raise CarveError(f"export hls4ml: an exact type needs {width} bits (> {AP_MAX_WIDTH})")
    return FixedPoint(width, frac, signed)


def constant_type(values: np.ndarray) -> FixedPoint:
    """Exact type of a constant array (float32 values: batch-norm scale/shift, float weights)."""
    values = np.asarray(values, dtype=np.float64)
    return holding(float(np.abs(values).max(initial=0.0)), frac_bits(values))


def max_abs(fixed: FixedPoint) -> float:
    lo, hi = fixed.int_range
    return max(abs(lo), abs(hi)) * 2.0**-fixed.frac_width
