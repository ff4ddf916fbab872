"""Exact building blocks of the floating-point-like formats.

All arithmetic is in float64 on values that came from float32/float64, so
scaling by powers of two is exact and the only rounding is the one the
format defines (round half to even on the significand). Exponents come from
``frexp`` (exact), not from ``log2`` (which rounds near powers of two).

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


def magnitude(x: Tensor) -> tuple[Tensor, Tensor]:
    """``(|x|, sign)`` in float64 with ``sign`` in {-1, +1} (+1 for +-0) and NaN kept in |x|."""
    x = x.to(torch.float64)
    sign = torch.where(x < 0, -1.0, 1.0).to(torch.float64)
    return x.abs(), sign


def floor_log2(v: Tensor) -> Tensor:
    """Exact ``floor(log2 v)`` (int64) for positive finite float64 ``v``; 0 -> -1075."""
    _, exp = torch.frexp(v)
    return torch.where(v > 0, exp.to(torch.int64) - 1, -1075)


def ceil_log2(v: Tensor) -> Tensor:
    """Exact ``ceil(log2 v)`` for positive finite float64 ``v`` (powers of two: exact)."""
    mant, exp = torch.frexp(v)
    exp = exp.to(torch.int64)
    return torch.where(mant == 0.5, exp - 1, exp)


def finite_for_exponent(v: Tensor) -> Tensor:
    """Replace NaN by 0 and inf by a huge finite number, to derive exponents safely."""
    return torch.nan_to_num(v, nan=0.0, posinf=HUGE)


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
    k = floor_log2(finite_for_exponent(v))
    q = torch.clamp(k - (precision_bits - 1), min=min_step_exp)
    q = torch.minimum(q, torch.as_tensor(max_step_exp, dtype=torch.int64))
    n = torch.round(v * pow2(-q))
    at_top = q == torch.as_tensor(max_step_exp, dtype=torch.int64)
    n = torch.where(at_top, torch.clamp(n, max=float(top)), n)
    carry = n == full
    n = torch.where(carry, float(full // 2), n)
    q = torch.where(carry, q + 1, q)
    return n, q
