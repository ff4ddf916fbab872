"""Block formats: a shared exponent (``block_fp``) or shared bias (``block_minifloat``,
``block_log``) per block of any tensor rank (tiling: :mod:`.blocking`).

- ``block_fp`` (MSFP): ``width`` = sign + ``M = width-1`` mantissa bits; per block
  the shared exponent is ``e = floor(log2 max|x|) + 1`` clamped to
  ``[-bias, 2**exponent_width - 1 - bias]``; elements ``sign * m * 2**(e-M)`` with
  ``m = min(round(|x| * 2**(M-e)), 2**M - 1)``. MASE uses ``ceil(log2 max)``,
  which equals ``e`` except when the block max is an exact power of two: MASE
  then clamps the max element to ``(1 - 2**-M) * max``; carve keeps it exact.
- ``block_minifloat``: minifloat_ieee elements whose exponent bias is shared per
  block: ``bias = clamp(2**E - 1 - floor(log2 max|x|), 0, 2**exponent_bias_width - 1)``,
  so the block max falls in the top binade. (MASE uses ``bias = floor(log2 max)``,
  which shrinks the range as the values grow; carve uses the direction that fits
  the data. MASE's backward also fails; carve's is the identity STE.)
- ``block_log``: log elements with a shared bias
  ``clamp(2**(width-1) - 1 - ceil(log2 max|x|), 0, 2**exponent_bias_width - 1)`` (MASE's rule);
  an all-zero block takes the largest bias, so its zeros become the smallest
  magnitude ``2**-(2**exponent_bias_width - 1)`` (log has no zero).

Blocks of zeros quantize to zeros. The integer view carries one exponent per
element (the block's, broadcast) so decoding stays one formula.

>>> import torch
>>> spec = BlockFPSpec(width=4, exponent_width=8, block_size=(4,))
>>> BLOCK_FP.quantize(torch.tensor([1.0, 0.3, -0.05, 0.6]), spec).tolist()
[1.0, 0.25, 0.0, 0.5]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import Tensor

from carve.errors import CarveError
from carve.quant.base import Encoded, NumberFormat
from carve.quant.formats.blocking import Tiling, block_shape
from carve.quant.formats.float_grid import (
    ceil_log2,
    finite_for_exponent,
    floor_log2,
    magnitude,
    round_to_fixed_step,
    round_to_float_grid,
    signed_significand,
)
from carve.quant.formats.log import log_encode
from carve.quant.spec import check_bool, check_int, set_field


def normalize_block_size(fmt: str, value: Any) -> tuple[int, ...]:
    """``16`` or ``[1, 16]`` -> tuple; each entry -1 (whole dim) or >= 1."""
    sizes = [value] if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(sizes, list | tuple) or not 1 <= len(sizes) <= 8:
        raise CarveError(
            f"{fmt}: block_size={value!r} is not accepted; accepted: an integer or a list of "
            "1 to 8 integers (each >= 1, or -1 for a whole dimension)"
        )
    for size in sizes:
        if isinstance(size, bool) or not isinstance(size, int) or not (size == -1 or size >= 1):
            raise CarveError(
                f"{fmt}: block_size={value!r} has entry {size!r}; accepted: integers >= 1 or -1"
            )
    return tuple(sizes)


def block_numel(block_size: tuple[int, ...]) -> int:
    """Elements per block as far as the spec tells (``-1`` entries count as 1)."""
    return math.prod(size for size in block_size if size > 0)


@dataclass(frozen=True)
class _BlockSpecBase:
    def _check_blocks(self, fmt: str) -> None:
        set_field(self, "block_size", normalize_block_size(fmt, self.block_size))
        set_field(self, "skip_first_dim", check_bool(fmt, "skip_first_dim", self.skip_first_dim))

    def blocks_for(self, shape: torch.Size) -> list[int]:
        return block_shape(shape, self.block_size, self.skip_first_dim)


@dataclass(frozen=True)
class BlockFPSpec(_BlockSpecBase):
    width: int
    exponent_width: int
    exponent_bias: int | None = None
    block_size: tuple[int, ...] = (16,)
    skip_first_dim: bool = False

    def __post_init__(self) -> None:
        check_int("block_fp", "width", self.width, 2, 25)
        check_int("block_fp", "exponent_width", self.exponent_width, 1, 11)
        if self.exponent_bias is None:
            set_field(self, "exponent_bias", 2 ** (self.exponent_width - 1) - 1)
        check_int("block_fp", "exponent_bias", self.exponent_bias, -512, 512)
        self._check_blocks("block_fp")


@dataclass(frozen=True)
class BlockMinifloatSpec(_BlockSpecBase):
    width: int
    exponent_width: int
    exponent_bias_width: int
    block_size: tuple[int, ...] = (16,)
    skip_first_dim: bool = False

    def __post_init__(self) -> None:
        check_int("block_minifloat", "width", self.width, 3, 32)
        check_int("block_minifloat", "exponent_width", self.exponent_width, 1, self.width - 2)
        check_int("block_minifloat", "exponent_bias_width", self.exponent_bias_width, 1, 9)
        self._check_blocks("block_minifloat")


@dataclass(frozen=True)
class BlockLogSpec(_BlockSpecBase):
    width: int
    exponent_bias_width: int
    block_size: tuple[int, ...] = (16,)
    skip_first_dim: bool = False

    def __post_init__(self) -> None:
        check_int("block_log", "width", self.width, 2, 10)
        check_int("block_log", "exponent_bias_width", self.exponent_bias_width, 1, 9)
        self._check_blocks("block_log")


class _BlockFormat(NumberFormat):
    shared_bits: ClassVar[str]  # spec field: bits of the block's shared exponent or bias

    def spec_from_keys(self, values: dict[str, Any], operand: str = "", **overrides: Any) -> Any:
        # MASE blocks activations per sample unless told otherwise.
        if values.get("skip_first_dim") is None:
            values = {**values, "skip_first_dim": operand == "data_in"}
        return self.make_spec(**values, **overrides)

    def tiled(self, x: Tensor, spec: Any) -> tuple[Tiling, Tensor, Tensor, Tensor]:
        """(tiling, |x| tiled, x tiled (signs), per-block max |x| with inf -> huge)."""
        tiling = Tiling(x.shape, spec.blocks_for(x.shape))
        v, signs = magnitude(tiling.tile(x))
        return tiling, v, signs, finite_for_exponent(tiling.reduce_max(v).to(torch.float64))

    def storage_bits(self, spec: Any) -> float:
        """Element bits plus the block's shared bits spread over its elements."""
        return spec.width + getattr(spec, self.shared_bits) / block_numel(spec.block_size)

    def scale_groups(self, x: Tensor, spec: Any) -> Tensor:
        return Tiling(x.shape, spec.blocks_for(x.shape)).groups(x)

    def capacity(self, spec: Any) -> int:
        return 2**spec.width - 1  # per block; +0 and -0 coincide

    def precision(self, spec: Any) -> list:
        """MASE's list: the keys' values, ``block_size`` as a list."""
        return [list(spec.block_size) if k == "block_size" else getattr(spec, k) for k in self.keys]


class BlockFPFormat(_BlockFormat):
    name = "block_fp"
    spec_cls = BlockFPSpec
    shared_bits = "exponent_width"

    def encode(self, x: Tensor, spec: BlockFPSpec) -> Encoded:
        tiling, v, signs, amax = self.tiled(x, spec)
        mantissa_bits = spec.width - 1
        emin = -spec.exponent_bias
        emax = 2**spec.exponent_width - 1 - spec.exponent_bias
        step = torch.clamp(floor_log2(amax) + 1, emin, emax) - mantissa_bits
        n = round_to_fixed_step(v, step, 2**mantissa_bits - 1)
        return Encoded(signed_significand(n, signs), exponent=step, untile=tiling.untile)


class BlockMinifloatFormat(_BlockFormat):
    name = "block_minifloat"
    spec_cls = BlockMinifloatSpec
    shared_bits = "exponent_bias_width"

    def encode(self, x: Tensor, spec: BlockMinifloatSpec) -> Encoded:
        tiling, v, signs, amax = self.tiled(x, spec)
        m, e = spec.width - spec.exponent_width - 1, spec.exponent_width
        top = 2**e - 1
        bias = torch.clamp(top - floor_log2(amax), 0, 2**spec.exponent_bias_width - 1)
        n, q = round_to_float_grid(v, m + 1, 1 - bias - m, top - bias - m)
        return Encoded(signed_significand(n, signs), exponent=q, untile=tiling.untile)


class BlockLogFormat(_BlockFormat):
    name = "block_log"
    spec_cls = BlockLogSpec
    shared_bits = "exponent_bias_width"

    def encode(self, x: Tensor, spec: BlockLogSpec) -> Encoded:
        tiling, _, _, amax = self.tiled(x, spec)
        top = 2 ** (spec.width - 1) - 1
        bias = torch.clamp(top - ceil_log2(amax), 0, 2**spec.exponent_bias_width - 1)
        encoded = log_encode(tiling.tile(x), -bias, top - bias)
        encoded.untile = tiling.untile
        return encoded

    def capacity(self, spec: BlockLogSpec) -> int:
        return 2**spec.width


BLOCK_FP = BlockFPFormat()
BLOCK_MINIFLOAT = BlockMinifloatFormat()
BLOCK_LOG = BlockLogFormat()
