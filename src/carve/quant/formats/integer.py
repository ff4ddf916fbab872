"""Fixed point (MASE ``integer``/``fixed``): ``width`` bits, ``frac_width`` after the point.

``q = clamp(round_half_even(x * 2**f), lo, hi) / 2**f`` with ``[lo, hi] =
[-2**(w-1), 2**(w-1) - 1]`` (signed) or ``[0, 2**w - 1]`` (unsigned, MASE's
choice for ReLU inputs). Saturating: out-of-range values and +-inf clamp to the
ends. ``frac_width=None`` (TOML ``"NA"``) means ``width // 2`` as in MASE;
the optional key ``floor`` (MASE HEAD) rounds toward minus infinity instead.
Negative zero becomes +0 (an integer code has no sign of zero).

>>> import torch
>>> spec = IntegerSpec(width=4, frac_width=1)
>>> INTEGER.quantize(torch.tensor([0.25, 0.75, 1.26, 9.0, -9.0]), spec).tolist()
[0.0, 1.0, 1.5, 3.5, -4.0]
>>> INTEGER.to_int(torch.tensor([0.75, -9.0]), spec).ints.tolist()
[2, -8]
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch
from torch import Tensor

from carve.quant.base import Encoded, NumberFormat
from carve.quant.spec import check_bool, check_choice, check_int, set_field

MAX_WIDTH = 32
ROUNDINGS = ("nearest_even", "floor")
FLOAT32_SIGNIFICAND = 24  # bits: float32 holds every integer up to 2**24


def float32_floor(value: int) -> int:
    """The largest integer <= ``value`` (>= 0) that float32 represents exactly.

    >>> float32_floor(2**31 - 1), float32_floor(2**24 + 1), float32_floor(5)
    (2147483520, 16777216, 5)
    """
    drop = max(value.bit_length() - FLOAT32_SIGNIFICAND, 0)
    return (value >> drop) << drop


@dataclass(frozen=True)
class IntegerSpec:
    width: int
    frac_width: int | None = None
    signed: bool = True
    rounding: str = "nearest_even"

    def __post_init__(self) -> None:
        check_int("integer", "width", self.width, 1, MAX_WIDTH)
        if self.frac_width is None:
            set_field(self, "frac_width", self.width // 2)
        check_int("integer", "frac_width", self.frac_width, -64, 64)
        if not isinstance(self.signed, bool):
            set_field(self, "signed", bool(self.signed))
        check_choice("integer", "rounding", self.rounding, ROUNDINGS)

    # cached: read on every quantize call (the instance dict, not a dataclass field)
    @functools.cached_property
    def int_min(self) -> int:
        return -(2 ** (self.width - 1)) if self.signed else 0

    @functools.cached_property
    def int_max(self) -> int:
        return 2 ** (self.width - 1) - 1 if self.signed else 2**self.width - 1


def fixed_point_significand(
    x: Tensor, frac_width: int, int_min: int, int_max: int, rounding: str
) -> Tensor:
    """Integer codes (as floats) of ``x`` on the grid ``2**-frac_width``, saturated.

    One new tensor (the scaled input); rounding, saturation and ``-0 -> +0``
    run in place on it, since a fresh allocation per step costs more than the
    arithmetic on activation-sized tensors.
    """
    if max(abs(int_min), abs(int_max)) >= 2**24 and x.dtype != torch.float64:
        x = x.to(torch.float64)  # float32 cannot hold the wider bounds exactly
    codes = x.mul(2.0**frac_width)  # a power of two: exact (or +-inf, clamped below)
    codes = codes.floor_() if rounding == "floor" else codes.round_()  # round: half to even
    return codes.clamp_(int_min, int_max).add_(0.0)  # -0.0 -> +0.0


class IntegerFormat(NumberFormat):
    name = "integer"
    spec_cls = IntegerSpec

    def encode(self, x: Tensor, spec: IntegerSpec) -> Encoded:
        int_min, int_max = spec.int_min, spec.int_max
        if x.dtype != torch.float64 and spec.width > FLOAT32_SIGNIFICAND:
            # float32 cannot hold the extreme codes of a wide format: saturate to the
            # extreme codes it can hold, so no value lands one code past the range
            int_min, int_max = -float32_floor(-int_min), float32_floor(int_max)
        codes = fixed_point_significand(x, spec.frac_width, int_min, int_max, spec.rounding)
        return Encoded(codes, exponent=torch.scalar_tensor(-spec.frac_width, dtype=torch.int64))

    def _fake_quantize(self, x: Tensor, spec: IntegerSpec) -> Tensor:
        """``decode(encode(x))`` fused: the float32 codes times ``2**-frac_width``, in place.

        For float32 input and widths up to 24 bits this is exactly decode's
        float32 route (codes and a power of two, both exact in float32), done on
        the codes tensor instead of a new one: evaluation allocates one tensor
        per quantizer. Anything else takes the generic encode/decode.
        """
        if x.dtype != torch.float32 or spec.width > FLOAT32_SIGNIFICAND:
            return super()._fake_quantize(x, spec)
        codes = fixed_point_significand(
            x, spec.frac_width, spec.int_min, spec.int_max, spec.rounding
        )
        return codes.mul_(2.0**-spec.frac_width)

    def spec_from_keys(self, values: dict, operand: str = "", **overrides) -> IntegerSpec:
        values = dict(values)
        floor = values.pop("floor", None)
        if floor is not None:
            values["rounding"] = (
                "floor" if check_bool("integer", "floor", floor) else "nearest_even"
            )
        return self.make_spec(**values, **overrides)

    def storage_bits(self, spec: IntegerSpec) -> float:
        return float(spec.width)

    def capacity(self, spec: IntegerSpec) -> int:
        return 2**spec.width

    def nonnegative(self, spec: IntegerSpec) -> bool:
        return not spec.signed


INTEGER = IntegerFormat()
