"""The shape every number format shares: encode once, decode one way.

A format only implements :meth:`NumberFormat.encode`, which splits a tensor
into integer significands (held in a float tensor so NaN can flow through),
a power-of-two exponent, an optional float scale and an optional zero point.
Everything else is derived here, so all formats agree on:

- ``quantize(x, spec)``: fake quantization, float in / float out, with a
  straight-through gradient (``identity`` for the saturating formats, as MASE;
  ``clipped`` - zero outside ``[-1, 1]`` - for binary and ternary);
- ``to_int`` / ``from_int``: the integer view and its decoding, bit-exact with
  ``quantize`` because both evaluate the same formula (:func:`decode`);
- ``grid_check``: proof that a tensor lies on the grid and within range.

NaN/inf policy (all formats): NaN stays NaN in ``quantize`` and makes
``to_int`` fail (no integer stands for NaN); ``+-inf`` saturates to the
largest finite value of the format (no format carries infinities).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, ClassVar

import torch
from torch import Tensor

from carve.errors import CarveError
from carve.quant.catalog import FORMAT_INFO, FormatInfo
from carve.quant.views import GridReport, IntView


@dataclass
class Encoded:
    """What :meth:`NumberFormat.encode` returns (see :class:`IntView`).

    ``significand`` is a float tensor of integer values (NaN where the input was
    NaN); ``exponent`` int32/int64 (broadcastable), ``scale`` float64 (broadcastable),
    ``zero_point`` int64 (broadcastable), each optional.
    """

    significand: Tensor
    exponent: Tensor | None = None
    scale: Tensor | None = None
    zero_point: Tensor | None = None
    # block formats encode a tiled view (see formats.blocking.Tiling); this maps
    # a tiled or per-block tensor back to the input's shape
    untile: Callable[[Tensor], Tensor] | None = None

    def restore(self, t: Tensor | None) -> Tensor | None:
        return t if t is None or self.untile is None else self.untile(t)


def pow2(exponent: Tensor) -> Tensor:
    """Exact float64 ``2**exponent`` for int64 exponents in [-1022, 1023] (bit construction)."""
    return ((exponent.to(torch.int64) + 1023) << 52).view(torch.float64)


def pow2_float32(exponent: Tensor) -> Tensor:
    """Exact float32 ``2**exponent`` for integer exponents in [-126, 127]."""
    return ((exponent.to(torch.int32) + 127) << 23).view(torch.float32)


def _fits_float32(significand: Tensor, exponent: Tensor | None) -> bool:
    if significand.dtype not in (torch.float32, torch.int64) or significand.numel() == 0:
        return False
    if significand.dtype == torch.int64 and int(significand.abs().max()) >= 2**24:
        return False
    if exponent is None:
        return True
    return int(exponent.min()) >= -126 and int(exponent.max()) <= 127


def decode(
    significand: Tensor,
    exponent: Tensor | None,
    scale: Tensor | None,
    zero_point: Tensor | None,
    dtype: torch.dtype,
) -> Tensor:
    """``(significand - zero_point) * 2**exponent * scale`` in float64, cast to ``dtype``.

    When the result is float32, there is no scale/zero point, the significands
    fit in 24 bits and the exponents in float32's normal range, the product is
    formed in float32 instead: one correctly rounded multiply by a power of two,
    hence the same bits as the float64 route, at a fraction of the cost.
    """
    if (
        dtype == torch.float32
        and scale is None
        and zero_point is None
        and _fits_float32(significand, exponent)
    ):
        value = significand.to(torch.float32)
        return value if exponent is None else value * pow2_float32(exponent)
    value = significand.to(torch.float64)
    if zero_point is not None:
        value = value - zero_point.to(torch.float64)
    if exponent is not None:
        value = value * pow2(exponent)
    if scale is not None:
        value = value * scale.to(torch.float64)
    return value.to(dtype)


def check_tensor(x: Any) -> None:
    if not isinstance(x, Tensor):
        raise CarveError(f"quantizers take a torch.Tensor, got {type(x).__name__}")


def float_input(x: Tensor) -> Tensor:
    """``x`` itself when float32/float64, else ``x`` as float32: what encoders compute on."""
    return x if x.dtype in (torch.float32, torch.float64) else x.to(torch.float32)


def working_copy(x: Tensor) -> Tensor:
    """Detached :func:`float_input` of ``x`` (for views and checks that may run under autograd)."""
    check_tensor(x)
    return float_input(x.detach())


def output_dtype(x: Tensor) -> torch.dtype:
    return x.dtype if x.is_floating_point() else torch.float32


class _StraightThrough(torch.autograd.Function):
    """Forward: ``fake(x)``. Backward: gradient passed (identity, or zero where ``|x| > clip``).

    The quantized tensor is computed inside ``forward`` rather than passed in,
    and detached (no copy): autograd marks an output that is an input, or a
    view made inside ``forward`` (block formats untile one), as a view, and an
    in-place op on it (``ReLU(inplace=True)``) would then fail.
    """

    @staticmethod
    def forward(
        ctx: Any, x: Tensor, fake: Callable[[Tensor], Tensor], clip: float | None
    ) -> Tensor:
        ctx.clip = clip
        if clip is not None:
            ctx.save_for_backward(x)
        return fake(x).detach()

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None, None]:
        if ctx.clip is None:
            return grad, None, None
        (x,) = ctx.saved_tensors
        return grad * (x.abs() <= ctx.clip).to(grad.dtype), None, None


class NumberFormat:
    """Base class of a registered number format (see the module docstring).

    Subclasses set ``name`` and ``spec_cls`` and implement :meth:`encode`,
    :meth:`storage_bits`, :meth:`precision` and :meth:`capacity`. Their config
    keys, straight-through kind and summary are read from the format's row of
    :data:`carve.quant.catalog.FORMAT_INFO` (one place for format metadata).
    """

    name: ClassVar[str]
    spec_cls: ClassVar[type]

    # -- metadata: one place, carve.quant.catalog.FORMAT_INFO -------------------
    @functools.cached_property
    def info(self) -> FormatInfo:
        """This format's row of :data:`carve.quant.catalog.FORMAT_INFO`."""
        return FORMAT_INFO[self.name]

    @property
    def keys(self) -> tuple[str, ...]:
        """MASE's config field names (``<operand>_<key>``), in MASE's ``precision`` order."""
        return self.info.keys

    @property
    def extra_keys(self) -> tuple[str, ...]:
        """carve's optional extensions (not in ``precision``)."""
        return self.info.extra_keys

    @property
    def optional_keys(self) -> tuple[str, ...]:
        return self.info.optional_keys

    @property
    def ste(self) -> str:
        return self.info.ste

    @property
    def description(self) -> str:
        return self.info.summary

    # -- to implement -----------------------------------------------------
    def encode(self, x: Tensor, spec: Any) -> Encoded:
        raise NotImplementedError

    def storage_bits(self, spec: Any) -> float:
        """Average stored bits per element, shared exponents/scales amortised."""
        raise NotImplementedError

    def precision(self, spec: Any) -> list:
        """MASE's metadata ``precision`` list: the spec's values of ``keys``, in order."""
        return [getattr(spec, key) for key in self.keys]

    def capacity(self, spec: Any) -> int:
        """Number of distinct values one element can take (per block/scale group)."""
        raise NotImplementedError

    def scale_groups(self, x: Tensor, spec: Any) -> Tensor:
        """``x`` as rows of elements sharing one block exponent/bias/scale (NaN = padding).

        :meth:`capacity` counts the values of one such group. Element-wise
        formats (no shared scale) are one group: the whole tensor.
        """
        return x.reshape(1, -1)

    @property
    def shares_scale(self) -> bool:
        """Whether elements share a data-dependent block exponent, bias or scale."""
        return type(self).scale_groups is not NumberFormat.scale_groups

    def nonnegative(self, spec: Any) -> bool:
        """Whether every value ``quantize`` gives is >= 0 (NaN aside): ReLU is then a no-op."""
        return False

    # -- derived ------------------------------------------------------------
    def make_spec(self, **fields_: Any) -> Any:
        """Build a validated spec from keyword fields (unknown field -> CarveError)."""
        known = {f.name for f in fields(self.spec_cls)}
        unknown = sorted(set(fields_) - known)
        if unknown:
            raise CarveError(
                f"{self.name}: unknown field(s) {', '.join(unknown)}; accepted: "
                f"{', '.join(sorted(known))}"
            )
        return self.spec_cls(**fields_)

    def spec_from_keys(self, values: dict[str, Any], operand: str = "", **overrides: Any) -> Any:
        """Spec from MASE field values (``"NA"`` already mapped to None) for ``operand``."""
        return self.make_spec(**values, **overrides)

    def check_spec(self, spec: Any) -> None:
        if not isinstance(spec, self.spec_cls):
            raise CarveError(
                f"format {self.name!r} needs a spec of type {self.spec_cls.__name__}, "
                f"got {type(spec).__name__}"
            )

    @property
    def config_keys(self) -> tuple[str, ...]:
        """Every field a config may give per operand: ``keys`` then ``extra_keys``."""
        return self.info.config_keys

    @property
    def ste_clip(self) -> float | None:
        return 1.0 if self.ste == "clipped" else None

    def quantize(self, x: Tensor, spec: Any) -> Tensor:
        """Fake-quantize ``x`` (same shape and float dtype), straight-through gradient.

        The result is always a new tensor (never ``x`` nor a view of it), so
        in-place ops on it are safe. Without autograd (no grad mode, or ``x``
        needs no gradient) no autograd Function is involved.
        """
        self.check_spec(spec)
        check_tensor(x)
        if torch.is_grad_enabled() and x.requires_grad:
            fake = functools.partial(self._fake_quantize, spec=spec)
            return _StraightThrough.apply(x, fake, self.ste_clip)
        return self._fake_quantize(x, spec)

    def _fake_quantize(self, x: Tensor, spec: Any) -> Tensor:
        # never taped: called without autograd or inside _StraightThrough.forward
        enc = self.encode(float_input(x), spec)
        q = decode(enc.significand, enc.exponent, enc.scale, enc.zero_point, output_dtype(x))
        return enc.restore(q)

    def to_int(self, x: Tensor, spec: Any) -> IntView:
        """Integer view of ``quantize(x, spec)``; NaN inputs are an error (no code for NaN)."""
        self.check_spec(spec)
        enc = self.encode(working_copy(x), spec)
        bad = int(torch.isnan(enc.significand).sum())
        if bad:
            raise CarveError(f"{self.name}: {bad} NaN value(s) have no integer representation")
        return IntView(
            ints=enc.restore(enc.significand.to(torch.int64)),
            exponent=None if enc.exponent is None else enc.restore(enc.exponent.to(torch.int64)),
            scale=enc.restore(enc.scale),
            zero_point=enc.restore(enc.zero_point),
            dtype=output_dtype(x),
        )

    def from_int(self, view: IntView, spec: Any = None) -> Tensor:
        """Decode an :class:`IntView`; equals ``quantize`` of the encoded tensor bit for bit."""
        dtype = view.dtype if view.dtype is not None else torch.float32
        return decode(view.ints, view.exponent, view.scale, view.zero_point, dtype)

    def on_grid_mask(self, x: Tensor, spec: Any, quantized: Tensor) -> Tensor:
        """Elements of ``x`` that the format represents exactly.

        Default: the fixed points of ``quantize`` (exactly representable, so also
        within range). Formats whose scale is a statistic of the data (binary,
        ternary) override this with a check of the value set.
        """
        return quantized == x

    def grid_check(self, x: Tensor, spec: Any) -> GridReport:
        """Is ``x`` on the grid of ``spec`` and in range? (see :class:`GridReport`)"""
        x = x.detach()
        q = self.quantize(x, spec)
        finite = torch.isfinite(x)
        on_grid = int((self.on_grid_mask(x, spec, q) & finite).sum())
        diff = (q - x).abs()[finite]
        err = float(diff.max()) if diff.numel() else 0.0
        ints = None
        if bool(finite.all()) and x.numel() and on_grid == x.numel():
            ints = self.to_int(x, spec).ints
        return GridReport(
            numel=x.numel(),
            on_grid=on_grid,
            nonfinite=int((~finite).sum()),
            max_abs_error=err,
            distinct=max_distinct_per_group(self.scale_groups(x, spec)),
            capacity=self.capacity(spec),
            int_min=None if ints is None else int(ints.min()),
            int_max=None if ints is None else int(ints.max()),
        )

    def __repr__(self) -> str:
        return f"<number format {self.name!r} keys={list(self.keys)} ste={self.ste}>"


def max_distinct_per_group(groups: Tensor) -> int:
    """The largest number of distinct finite values in one row of ``groups`` (vectorised).

    >>> max_distinct_per_group(torch.tensor([[1.0, 1.0, 2.0], [3.0, 4.0, 5.0], [7.0, 7.0, 7.0]]))
    3
    """
    if groups.numel() == 0:
        return 0
    ordered = torch.sort(groups.detach(), dim=1).values
    new = torch.ones_like(ordered, dtype=torch.bool)
    new[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    return int((new & torch.isfinite(ordered)).sum(dim=1).max())
