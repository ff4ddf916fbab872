"""Exact building blocks of the floating-point-like formats.

All arithmetic is in float64 on values that came from float32/float64, so
scaling by powers of two is exact and the only rounding is the one the
format defines (round half to even on the significand). Exponents are read
from the float64 bit pattern (exact), not from ``log2`` (which rounds near
powers of two); every float32 value, subnormals included, is normal in float64.

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

from carve.quant.base import pow2

HUGE = 2.0**1000  # stands in for +inf when deriving exponents (saturates anyway)


MANTISSA_MASK = (1 << 52) - 1


def keep_nan(values: Tensor, source: Tensor) -> Tensor:
    """``values`` with NaN wherever ``source`` is NaN (only touched when there is one)."""
    nan = torch.isnan(source)
    if bool(nan.any()):
        values = values.masked_fill(nan, torch.nan)
    return values


def magnitude(x: Tensor) -> tuple[Tensor, Tensor]:
    """``(|x|, x)`` in float64; the second carries the sign for :func:`signed_significand`."""
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


def round_to_fixed_step(v: Tensor, step_exp: Tensor, top: int) -> Tensor:
    """``min(round(v / 2**step_exp), top)`` for float64 ``v >= 0`` (one step per block)."""
    return torch.round(v * pow2(-step_exp)).clamp_(max=float(top))


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
    ``2**max_step_exp``. ``n`` is float64 (NaN where ``v`` is NaN) and
    normalised (a carry into the next binade moves to the next exponent).
    """
    full = 2**precision_bits
    top = full - 1 if top_max is None else top_max
    # saturate first: below top * 2**max_step_exp nothing can round past the top code
    if isinstance(max_step_exp, Tensor):
        v = torch.minimum(v, top * pow2(max_step_exp))
    else:
        v = v.clamp(max=top * 2.0**max_step_exp)
    q = torch.clamp(floor_log2(v) - (precision_bits - 1), min=min_step_exp)
    n = torch.round(v * pow2(-q))
    carry = n == full
    # arithmetic instead of torch.where, which is several times slower on CPU
    n = n - carry.to(n.dtype) * float(full // 2)
    q = q + carry.to(q.dtype)
    return n, q
