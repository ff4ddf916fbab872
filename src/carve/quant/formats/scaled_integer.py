"""Integer with a scale taken from the data (carve ``scaled_integer``).

Per tensor (``granularity="tensor"``) or per slice along ``channel_dim``
(``"channel"``: output channels of a weight, ``channel_dim=1`` for the channels
of an activation), from the finite values:

- symmetric: ``scale = max|x| / (2**(w-1) - 1)``, codes in
  ``[-(2**(w-1) - 1), 2**(w-1) - 1]`` (narrow range, zero exact);
- asymmetric: ``scale = (hi - lo) / (2**w - 1)`` with ``lo = min(min x, 0)``,
  ``hi = max(max x, 0)``, ``zero_point = round(-lo / scale)``, codes in
  ``[0, 2**w - 1]``; value ``(code - zero_point) * scale``.

Round half to even, saturating (inf -> the end code), NaN stays NaN. An
all-zero group gets scale 1. The scale is a float64 (not a power of two), kept
in the integer view.

>>> import torch
>>> spec = ScaledIntegerSpec(width=3)  # codes -3..3, scale max|x|/3
>>> SCALED_INTEGER.quantize(torch.tensor([-3.0, 0.4, 1.6, 2.9]), spec).tolist()
[-3.0, 0.0, 2.0, 3.0]
>>> spec = ScaledIntegerSpec(width=2, symmetric=False)  # 4 codes over [-1, 2]
>>> SCALED_INTEGER.quantize(torch.tensor([-1.0, 0.2, 2.0]), spec).tolist()
[-1.0, 0.0, 2.0]
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from carve.errors import CarveError
from carve.quant.base import Encoded, NumberFormat
from carve.quant.spec import check_bool, check_choice, check_int, set_field

GRANULARITIES = ("tensor", "channel")


@dataclass(frozen=True)
class ScaledIntegerSpec:
    width: int
    granularity: str = "tensor"
    symmetric: bool = True
    channel_dim: int = 0

    def __post_init__(self) -> None:
        check_int("scaled_integer", "width", self.width, 2, 24)
        check_choice("scaled_integer", "granularity", self.granularity, GRANULARITIES)
        set_field(self, "symmetric", check_bool("scaled_integer", "symmetric", self.symmetric))
        check_int("scaled_integer", "channel_dim", self.channel_dim, -8, 7)


def _group_reduce(values: Tensor, spec: ScaledIntegerSpec, op: str) -> Tensor:
    """amax/amin over the whole tensor or over all dims but ``channel_dim`` (keepdim)."""
    if spec.granularity == "tensor" or values.ndim == 0:
        return getattr(values, op)().reshape([1] * values.ndim)
    dim = spec.channel_dim % values.ndim if -values.ndim <= spec.channel_dim < values.ndim else None
    if dim is None:
        raise CarveError(
            f"scaled_integer: channel_dim={spec.channel_dim} is out of range for a "
            f"{values.ndim}-D tensor"
        )
    dims = tuple(d for d in range(values.ndim) if d != dim)
    return getattr(values, op)(dim=dims, keepdim=True) if dims else values


class ScaledIntegerFormat(NumberFormat):
    name = "scaled_integer"
    spec_cls = ScaledIntegerSpec

    def encode(self, x: Tensor, spec: ScaledIntegerSpec) -> Encoded:
        x64 = x.to(torch.float64)
        safe = torch.nan_to_num(x64, nan=0.0, posinf=0.0, neginf=0.0)
        if spec.symmetric:
            top = 2 ** (spec.width - 1) - 1
            amax = _group_reduce(safe.abs(), spec, "amax")
            scale = torch.where(amax > 0, amax / top, 1.0)
            codes = torch.clamp(torch.round(x64 / scale), -top, top).add_(0.0)
            return Encoded(codes, scale=scale)
        top = 2**spec.width - 1
        lo = torch.clamp(_group_reduce(safe, spec, "amin"), max=0.0)
        hi = torch.clamp(_group_reduce(safe, spec, "amax"), min=0.0)
        scale = torch.where(hi > lo, (hi - lo) / top, 1.0)
        zero_point = torch.clamp(torch.round(-lo / scale), 0, top)
        codes = torch.clamp(torch.round(x64 / scale) + zero_point, 0, top)
        return Encoded(codes, scale=scale, zero_point=zero_point.to(torch.int64))

    def on_grid_mask(self, x: Tensor, spec: ScaledIntegerSpec, quantized: Tensor) -> Tensor:
        # Re-quantizing recomputes the scale from the quantized values; for the
        # asymmetric range it can move by float rounding, so allow 1e-6 relative.
        return torch.isclose(quantized, x, rtol=1e-6, atol=0.0)

    def scale_groups(self, x: Tensor, spec: ScaledIntegerSpec) -> Tensor:
        if spec.granularity == "tensor" or x.ndim == 0:
            return x.reshape(1, -1)
        _group_reduce(x, spec, "amax")  # the channel_dim check and its message
        return x.movedim(spec.channel_dim, 0).reshape(x.shape[spec.channel_dim], -1)

    def storage_bits(self, spec: ScaledIntegerSpec) -> float:
        return float(spec.width)  # scales (one per tensor or channel) not counted

    def capacity(self, spec: ScaledIntegerSpec) -> int:
        return 2**spec.width - (1 if spec.symmetric else 0)


SCALED_INTEGER = ScaledIntegerFormat()
