"""Results of the number formats that are not tensors themselves.

:class:`IntView` is the integer view of a fake-quantized tensor: the integers a
hardware datapath would store, plus the (power-of-two and/or float) scales that
turn them back into the fake-quantized floats. Decoding is one fixed formula,

    value = (ints - zero_point) * 2**exponent * scale

evaluated in float64 and cast to ``dtype``, so ``from_int(to_int(x))`` equals
``quantize(x)`` bit for bit (both go through the same formula).

:class:`GridReport` is what :meth:`NumberFormat.grid_check` returns: the proof
that a tensor lies on a format's grid and inside its range.

This module imports no torch so that ``carve --info`` stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from torch import Tensor


@dataclass(frozen=True)
class IntView:
    """Integers plus the scales that decode them (see the module docstring).

    ``ints`` is an int64 tensor of the input's shape. ``exponent`` (int64,
    broadcastable to ``ints``: a 0-d tensor for a fixed-point grid, one per
    element for minifloat/log, one per block for block formats) is a power of
    two. ``scale`` (float64, broadcastable) is a non-power-of-two factor (scaled
    integer, scaled binary/ternary) or None. ``zero_point`` (int64,
    broadcastable) is the asymmetric offset or None. ``dtype`` is the float
    dtype of the fake-quantized tensor.
    """

    ints: Tensor
    exponent: Tensor | None = None
    scale: Tensor | None = None
    zero_point: Tensor | None = None
    dtype: Any = None

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.ints.shape)


@dataclass(frozen=True)
class GridReport:
    """Evidence that a tensor lies on a format's grid and within its range.

    ``on_grid`` counts the finite elements that the format maps to themselves
    (``quantize(x) == x``: exactly representable, hence also within range);
    ``max_abs_error`` is ``max |quantize(x) - x|`` over finite elements (0.0 when
    the tensor is on the grid); ``distinct`` is the number of distinct finite
    values and ``capacity`` the number of values the format can represent
    (per block or per scale group for data-scaled formats).
    """

    numel: int
    on_grid: int
    nonfinite: int
    max_abs_error: float
    distinct: int
    capacity: int
    int_min: int | None = None
    int_max: int | None = None

    @property
    def ok(self) -> bool:
        """True when every element is finite and on the grid."""
        return self.on_grid == self.numel and self.nonfinite == 0
