"""MASE's quantizer functions, with MASE's signatures, as thin calls of carve's formats.

``integer_quantizer(x, width, frac_width, is_signed=True)`` and friends build
the format's validated spec from their arguments and return
``FORMATS[name].quantize(x, spec)``: the same values the quantize pass
produces, with a straight-through gradient. Rounding follows carve's formats,
which differ from MASE's on purpose in a few corner cases (see
``docs/mase.md``). Bad arguments raise :class:`carve.errors.CarveError`.

>>> import torch
>>> integer_quantizer(torch.tensor([0.3, -0.8, 9.0]), 4, 2).tolist()
[0.25, -0.75, 1.75]
>>> integer_quantizer(torch.tensor([-1.0, 5.0]), 4, 1, is_signed=False).tolist()
[0.0, 5.0]
>>> IntegerQuantize.apply(torch.tensor([0.3]), 8, 4).tolist()
[0.3125]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import Tensor

from carve.quant.catalog import FORMATS


def _quantize(name: str, x: Tensor, **fields: Any) -> Tensor:
    fmt = FORMATS[name]
    return fmt.quantize(x, fmt.spec_cls(**fields))


def _blocks(block_size: Sequence[int] | int) -> tuple[int, ...]:
    return (block_size,) if isinstance(block_size, int) else tuple(block_size)


def integer_quantizer(x: Tensor, width: int, frac_width: int, is_signed: bool = True) -> Tensor:
    """Fixed point: multiples of ``2**-frac_width``, round half to even, saturating."""
    return _quantize("integer", x, width=width, frac_width=frac_width, signed=is_signed)


def integer_floor_quantizer(
    x: Tensor, width: int, frac_width: int, is_signed: bool = True
) -> Tensor:
    """Fixed point rounding towards minus infinity."""
    return _quantize(
        "integer", x, width=width, frac_width=frac_width, signed=is_signed, rounding="floor"
    )


def minifloat_denorm_quantizer(
    x: Tensor, width: int, exponent_width: int, exponent_bias: int | None = None
) -> Tensor:
    """Minifloat without implicit leading bit (``exponent_bias`` None: 2**(E-1)-1)."""
    return _quantize("minifloat_denorm", x, width=width, exponent_width=exponent_width,
                     exponent_bias=exponent_bias)  # fmt: skip


def minifloat_ieee_quantizer(
    x: Tensor, width: int, exponent_width: int, exponent_bias: int | None = None
) -> Tensor:
    """IEEE-style minifloat: implicit bit, subnormals, saturating, no inf/NaN codes."""
    return _quantize("minifloat_ieee", x, width=width, exponent_width=exponent_width,
                     exponent_bias=exponent_bias)  # fmt: skip


def log_quantizer(x: Tensor, width: int, exponent_bias: int | None = None) -> Tensor:
    """Sign and power of two (zero becomes ``+2**-exponent_bias``, as MASE)."""
    return _quantize("log", x, width=width, exponent_bias=exponent_bias)


def block_fp_quantizer(
    x: Tensor,
    width: int = 12,
    exponent_width: int = 8,
    exponent_bias: int | None = None,
    block_size: Sequence[int] | int = (16,),
    skip_first_dim: bool = True,
) -> Tensor:
    """MSFP: one shared exponent per block of ``block_size`` elements."""
    return _quantize("block_fp", x, width=width, exponent_width=exponent_width,
                     exponent_bias=exponent_bias, block_size=_blocks(block_size),
                     skip_first_dim=skip_first_dim)  # fmt: skip


def block_minifloat_quantizer(
    x: Tensor,
    width: int,
    exponent_width: int,
    exponent_bias_width: int,
    block_size: Sequence[int] | int = (16,),
    skip_first_dim: bool = False,
) -> Tensor:
    """Minifloat elements with a shared exponent bias per block."""
    return _quantize("block_minifloat", x, width=width, exponent_width=exponent_width,
                     exponent_bias_width=exponent_bias_width, block_size=_blocks(block_size),
                     skip_first_dim=skip_first_dim)  # fmt: skip


def block_log_quantizer(
    x: Tensor,
    width: int,
    exponent_bias_width: int | None = None,
    block_size: Sequence[int] | int = (16,),
    skip_first_dim: bool = False,
) -> Tensor:
    """Log elements with a shared bias per block."""
    return _quantize("block_log", x, width=width, exponent_bias_width=exponent_bias_width,
                     block_size=_blocks(block_size), skip_first_dim=skip_first_dim)  # fmt: skip


def binary_quantizer(x: Tensor, stochastic: bool = False, bipolar: bool = False) -> Tensor:
    """One bit: bipolar +-1 (``x >= 0`` -> +1), or {0, alpha} otherwise."""
    return _quantize("binary", x, width=1, stochastic=stochastic, bipolar=bipolar)


def ternary_quantizer(
    x: Tensor,
    threshold: float | None = None,
    maximum: float | None = None,
    median: float | None = None,
    mean: float | None = None,
    scaling_factor: bool = False,
) -> Tensor:
    """{-1, 0, +1} (times alpha with ``scaling_factor``); thresholds as carve's ternary."""
    return _quantize("ternary", x, width=2, threshold=threshold, max=maximum, median=median,
                     mean=mean, scaling_factor=scaling_factor)  # fmt: skip


class IntegerQuantize:
    """MASE's autograd-function spelling: ``IntegerQuantize.apply(x, width, frac_width)``.

    carve's formats already carry the straight-through gradient, so ``apply``
    is :func:`integer_quantizer`.
    """

    @staticmethod
    def apply(x: Tensor, width: int, frac_width: int, is_signed: bool = True) -> Tensor:
        return integer_quantizer(x, width, frac_width, is_signed)


# MASE's ``quantizer_map``: format name -> quantizer function
quantizer_map = {
    "log": log_quantizer,
    "block_log": block_log_quantizer,
    "minifloat_denorm": minifloat_denorm_quantizer,
    "minifloat_ieee": minifloat_ieee_quantizer,
    "block_minifloat": block_minifloat_quantizer,
    "block_fp": block_fp_quantizer,
    "integer": integer_quantizer,
    "binary": binary_quantizer,
    "ternary": ternary_quantizer,
}
