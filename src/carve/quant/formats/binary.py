"""Binary (MASE ``binary``): one bit per element, optionally scaled.

- ``bipolar=True``: ``+1`` where ``x >= 0``, else ``-1`` (MASE's rule); with the
  carve extension ``scaled=True`` the levels are ``+-alpha``.
- ``bipolar=False``: ``{0, alpha}``: ``alpha`` where ``x > 0`` (MASE's
  zero/scaled binarisation).
- ``alpha`` is the mean ``|x|`` of each slice along dimension 0 (per sample of
  an activation, per output channel of a weight), over finite values; over the
  whole tensor for 0-D/1-D tensors. MASE computes it the same way but only on
  the tensors it was written for; carve accepts any rank.
- ``stochastic=True``: the bit is ``hardsigmoid(x) = clamp((x+1)/2, 0, 1) >= u``
  with ``u ~ U(0, 1)`` from torch's global generator (seed it for repeatable
  results; ``from_int(to_int(x)) == quantize(x)`` then needs the same RNG state).
  MASE's non-bipolar stochastic path ignores ``u``; carve uses it.

``width`` is a MASE config key recorded in the metadata; the element is one bit.
Straight-through gradient: clipped (passed where ``|x| <= 1``, zero elsewhere),
the usual estimator for binarised networks (MASE passes it unclipped).

>>> import torch
>>> spec = BinarySpec(width=1, stochastic=False, bipolar=True)
>>> BINARY.quantize(torch.tensor([-0.5, 0.0, 2.0]), spec).tolist()
[-1.0, 1.0, 1.0]
>>> spec = BinarySpec(width=1, stochastic=False, bipolar=False)
>>> BINARY.quantize(torch.tensor([[-1.0, 3.0], [0.5, 0.5]]), spec).tolist()
[[0.0, 2.0], [0.5, 0.5]]
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from carve.quant.base import Encoded, NumberFormat
from carve.quant.formats.float_grid import keep_nan
from carve.quant.spec import check_bool, check_int, set_field


def slice_mean(values: Tensor, mask: Tensor) -> Tensor:
    """Mean of ``values`` where ``mask``, per dim-0 slice (keepdim); whole tensor if ndim < 2.

    Empty selections give 0. Computed in float64.
    """
    # masked values (never NaN/inf: callers mask non-finite ones) without torch.where
    values = torch.nan_to_num(values.to(torch.float64) * mask, nan=0.0)
    count = mask.to(torch.float64)
    dims = tuple(range(1, values.ndim)) if values.ndim >= 2 else tuple(range(values.ndim))
    if not dims:  # 0-d tensor
        return torch.where(count > 0, values / count.clamp(min=1), 0.0)
    total = values.sum(dim=dims, keepdim=True)
    n = count.sum(dim=dims, keepdim=True)
    return torch.where(n > 0, total / n.clamp(min=1), 0.0)


def slice_groups(x: Tensor) -> Tensor:
    """One row per dim-0 slice (the elements sharing one alpha); one row if ndim < 2."""
    return x.reshape(x.shape[0], -1) if x.ndim >= 2 else x.reshape(1, -1)


def slice_level_mask(x: Tensor, levels: tuple[float, ...], scaled: bool) -> Tensor:
    """Elements equal to ``level * alpha`` for one of ``levels``, with one ``alpha`` per
    dim-0 slice (the slice's max |x|; 1 when not scaled)."""
    v = x.to(torch.float64)
    alpha = torch.ones_like(v)
    if scaled:
        dims = tuple(range(1, v.ndim)) if v.ndim >= 2 else tuple(range(v.ndim))
        amax = v.abs().amax(dim=dims, keepdim=True) if dims else v.abs()
        alpha = alpha * amax
    mask = torch.zeros_like(v, dtype=torch.bool)
    for level in levels:
        mask |= v == level * alpha
    return mask


def nan_kept(codes: Tensor, x: Tensor) -> Tensor:
    """``codes`` (float) with NaN where ``x`` is NaN."""
    return keep_nan(codes.to(torch.float64), x)


@dataclass(frozen=True)
class BinarySpec:
    width: int = 1
    stochastic: bool = False
    bipolar: bool = True
    scaled: bool = False

    def __post_init__(self) -> None:
        check_int("binary", "width", self.width, 1, 32)
        for field in ("stochastic", "bipolar", "scaled"):
            set_field(self, field, check_bool("binary", field, getattr(self, field)))


class BinaryFormat(NumberFormat):
    name = "binary"
    spec_cls = BinarySpec

    def encode(self, x: Tensor, spec: BinarySpec) -> Encoded:
        if spec.stochastic:
            prob = torch.clamp((x.to(torch.float64) + 1) / 2, 0, 1)
            bit = prob >= torch.rand(x.shape, dtype=torch.float64, device=x.device)
        else:
            bit = x >= 0 if spec.bipolar else x > 0
        codes = bit.to(torch.float64) * 2 - 1 if spec.bipolar else bit.to(torch.float64)
        scale = None
        if spec.scaled or not spec.bipolar:
            finite = torch.isfinite(x)
            scale = slice_mean(x.abs(), finite)
        return Encoded(nan_kept(codes, x), scale=scale)

    def on_grid_mask(self, x: Tensor, spec: BinarySpec, quantized: Tensor) -> Tensor:
        levels = (-1.0, 1.0) if spec.bipolar else (0.0, 1.0)
        return slice_level_mask(x, levels, spec.scaled or not spec.bipolar)

    def scale_groups(self, x: Tensor, spec: BinarySpec) -> Tensor:
        return slice_groups(x)

    def storage_bits(self, spec: BinarySpec) -> float:
        return 1.0  # per-slice scales not counted: their number depends on the shape

    def capacity(self, spec: BinarySpec) -> int:
        return 2


BINARY = BinaryFormat()
