"""Exact building blocks of the floating-point-like formats.

Scaling is by exact powers of two, so the only rounding is the one the format
defines (round half to even on the significand). Exponents are read from the
float bit pattern (exact), not from ``log2`` (which rounds near powers of two).
The work runs in float64 (where every float32 value, subnormals included, is
normal), or in float32 when the grid's steps and codes provably fit float32,
which gives the same bits faster.

>>> import torch
>>> floor_log2(torch.tensor([1.0, 1.5, 0.25, 3.0e-39], dtype=torch.float64)).tolist()
[0, 0, -2, -128]
>>> v = torch.tensor([0.0, 0.3, 1.0, 1.9, 3.9, 100.0], dtype=torch.float64)
>>> n, q = round_to_float_grid(v, precision_bits=2, min_step_exp=-2, max_step_exp=0)
>>> (n * 2.0 ** q).tolist()  # values with 2 significant bits, step >= 1/4, max 3
[0.0, 0.25, 1.0, 2.0, 3.0, 3.0]
"""

from __future__ import annotations

import torch
from torch import Tensor

from carve.quant.base import pow2, pow2_float32

HUGE = 2.0**1000  # stands in for +inf when deriving exponents (saturates anyway)


MANTISSA_MASK = (1 << 52) - 1


def keep_nan(values: Tensor, source: Tensor) -> Tensor:
    """``values`` with NaN wherever ``source`` is NaN (only touched when there is one)."""
    nan = torch.isnan(source)
    if bool(nan.any()):
        values = values.masked_fill(nan, torch.nan)
    return values


def magnitude(x: Tensor) -> tuple[Tensor, Tensor]:
    """``(|x|, x)``; the second carries the sign for :func:`signed_significand`.

    float32 stays float32 (the rounding functions take a float32 route when it is
    provably exact and fall back to float64 otherwise); other dtypes become float64.
    """
    if x.dtype != torch.float32:
        x = x.to(torch.float64)
    return x.abs(), x


def signed_significand(n: Tensor, signs: Tensor) -> Tensor:
    """``n`` with the sign of ``signs``, and +0 for zero (integer codes have no -0)."""
    return torch.copysign(n, signs).add_(0.0)


def floor_log2(v: Tensor) -> Tensor:
    """Exact ``floor(log2 v)`` (int64) for positive normal float64 ``v``; 0 -> -1023."""
    return (v.view(torch.int64) >> 52) - 1023


def ceil_log2(v: Tensor) -> Tensor:
    """Exact ``ceil(log2 v)`` for positive normal float64 ``v`` (powers of two: exact)."""
    bits = v.view(torch.int64)
    return (bits >> 52) - 1023 + ((bits & MANTISSA_MASK) != 0).to(torch.int64)


def finite_for_exponent(v: Tensor) -> Tensor:
    """Replace NaN by 0 and inf by a huge finite number, to derive exponents safely."""
    return torch.nan_to_num(v, nan=0.0, posinf=HUGE)


def _bounds(value: int | Tensor) -> tuple[int, int]:
    if isinstance(value, Tensor):
        return int(value.min()), int(value.max())
    return value, value


def _float32_exact(v: Tensor, lowest_step: int, highest_step: int, precision_bits: int) -> bool:
    """Can the rounding run in float32 with the same result as in float64?

    Needs: float32 input, integer codes below 2**24, every ``2**-step`` and the
    largest value ``2**(step+bits)`` normal in float32, and no step below
    float32's normal range (float32 subnormals all read exponent -127 from their bits).
    """
    return (
        v.dtype == torch.float32
        and precision_bits <= 24
        and lowest_step >= -126
        and highest_step + precision_bits <= 127
    )


def round_to_fixed_step(v: Tensor, step_exp: Tensor, top: int) -> Tensor:
    """``min(round(v / 2**step_exp), top)`` for ``v >= 0`` (one step per block)."""
    lo, hi = _bounds(step_exp)
    if _float32_exact(v, lo, hi, top.bit_length()):
        return torch.round(v * pow2_float32(-step_exp)).clamp_(max=float(top))
    return torch.round(v.to(torch.float64) * pow2(-step_exp)).clamp_(max=float(top))


def round_to_float_grid(
    v: Tensor,
    precision_bits: int,
    min_step_exp: int | Tensor,
    max_step_exp: int | Tensor,
    top_max: int | None = None,
) -> tuple[Tensor, Tensor]:
    """Round magnitudes ``v >= 0`` (float64) to a floating-point grid; return ``(n, q)``.

    The grid holds ``n * 2**q`` with ``n < 2**precision_bits`` and step exponent
    ``q`` in ``[min_step_exp, max_step_exp]`` (per element or broadcast, e.g. per
    block); below the smallest normal the step stays ``2**min_step_exp``
    (subnormals). Rounding is half to even; values beyond the largest binade
    saturate at ``top_max`` (default ``2**precision_bits - 1``) times
    ``2**max_step_exp``. ``n`` is a float tensor (NaN where ``v`` is NaN) and
    normalised (a carry into the next binade moves to the next exponent); it is
    computed in float32 when that is provably exact, else in float64.
    """
    full = 2**precision_bits
    top = full - 1 if top_max is None else top_max
    lowest, _ = _bounds(min_step_exp)
    _, highest = _bounds(max_step_exp)
    if _float32_exact(v, lowest, highest, precision_bits):
        bits, offset, int_dtype, power = 23, 127 + precision_bits - 1, torch.int32, pow2_float32
    else:
        v = v.to(torch.float64)
        bits, offset, int_dtype, power = 52, 1023 + precision_bits - 1, torch.int64, pow2
    # saturate first: below top * 2**max_step_exp nothing can round past the top code
    if isinstance(max_step_exp, Tensor):
        v = torch.minimum(v, top * power(max_step_exp))
    else:
        v = v.clamp(max=top * 2.0**max_step_exp)
    if isinstance(min_step_exp, Tensor):
        min_step_exp = min_step_exp.to(int_dtype)
    q = torch.clamp((v.view(int_dtype) >> bits) - offset, min=min_step_exp)
    n = torch.round(v * power(-q))
    carry = n == full
    # arithmetic instead of torch.where, which is several times slower on CPU
    n = n - carry.to(n.dtype) * float(full // 2)
    q = q + carry.to(q.dtype)
    return n, q
