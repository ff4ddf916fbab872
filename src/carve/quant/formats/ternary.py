"""Ternary (MASE ``ternary``): ``{-1, 0, +1}``, optionally scaled by ``alpha``.

Threshold ``delta`` (first that is set): the carve key ``threshold``; else
``0.75 * mean``; else ``0.05 * max``; else ``0.75 * median`` - ``mean``,
``median`` and ``max`` being profiled statistics of ``|x|`` (MASE's keys; the
quantize pass fills ``"NA"`` ones from the profile). With none set, ``delta``
is computed from the data: ``0.75 * mean|x|`` per dim-0 slice (MASE's runtime
rule, which MASE applies even when a threshold is given, and only to 4-D
tensors; carve honours the given threshold and accepts any rank).

``t = sign(x)`` where ``|x| > delta``, else 0. ``scaling_factor=True`` multiplies
by ``alpha`` = mean ``|x|`` of the elements above the threshold in each dim-0
slice (0 when there are none; MASE divides by zero there). Straight-through
gradient: clipped (``|x| <= 1``), as for binary.

>>> import torch
>>> spec = TernarySpec(width=2, scaling_factor=False, threshold=0.5)
>>> TERNARY.quantize(torch.tensor([-0.7, 0.2, 0.5, 0.9]), spec).tolist()
[-1.0, 0.0, 0.0, 1.0]
>>> spec = TernarySpec(width=2, scaling_factor=True, mean=0.4)  # delta = 0.3
>>> TERNARY.quantize(torch.tensor([-0.5, 0.2, 1.5]), spec).tolist()
[-1.0, 0.0, 1.0]
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from carve.quant.base import Encoded, NumberFormat
from carve.quant.formats.binary import nan_kept, slice_groups, slice_level_mask, slice_mean
from carve.quant.spec import check_bool, check_float, check_int, set_field


@dataclass(frozen=True)
class TernarySpec:
    width: int = 2
    scaling_factor: bool = False
    mean: float | None = None
    median: float | None = None
    max: float | None = None
    threshold: float | None = None

    def __post_init__(self) -> None:
        check_int("ternary", "width", self.width, 2, 32)
        set_field(
            self, "scaling_factor", check_bool("ternary", "scaling_factor", self.scaling_factor)
        )
        for field in ("mean", "median", "max", "threshold"):
            value = getattr(self, field)
            if value is not None:
                set_field(self, field, check_float("ternary", field, value))

    @property
    def fixed_threshold(self) -> float | None:
        """The threshold given by the spec, or None when it comes from the data."""
        if self.threshold is not None:
            return self.threshold
        for stat, factor in (("mean", 0.75), ("max", 0.05), ("median", 0.75)):
            value = getattr(self, stat)
            if value is not None:
                return factor * value
        return None


class TernaryFormat(NumberFormat):
    name = "ternary"
    spec_cls = TernarySpec

    def encode(self, x: Tensor, spec: TernarySpec) -> Encoded:
        v = x.to(torch.float64).abs()
        finite = torch.isfinite(x)
        delta = spec.fixed_threshold
        if delta is None:
            delta = 0.75 * slice_mean(v, finite)
        above = v > delta
        codes = (torch.sign(x.to(torch.float64)) * above).add_(0.0)  # no -0
        scale = slice_mean(v, above & finite) if spec.scaling_factor else None
        return Encoded(nan_kept(codes, x), scale=scale)

    def on_grid_mask(self, x: Tensor, spec: TernarySpec, quantized: Tensor) -> Tensor:
        return slice_level_mask(x, (-1.0, 0.0, 1.0), spec.scaling_factor)

    def scale_groups(self, x: Tensor, spec: TernarySpec) -> Tensor:
        return slice_groups(x)

    def storage_bits(self, spec: TernarySpec) -> float:
        return 2.0

    def capacity(self, spec: TernarySpec) -> int:
        return 3


TERNARY = TernaryFormat()
