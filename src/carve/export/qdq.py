"""The standard-ONNX dialect: QuantizeLinear / Clip / DequantizeLinear (QCDQ).

A fixed-point operand ``fixed<w, f>`` is ``QuantizeLinear(x, 2**-f, 0)`` into
the smallest ONNX integer type holding ``w`` bits (int8/uint8 up to 8 bits,
int16/uint16 up to 16), a ``Clip`` to ``[-2**(w-1), 2**(w-1)-1]`` (or ``[0,
2**w-1]``) when ``w`` is narrower than that type, and ``DequantizeLinear``
back (for the 16-bit types ONNX Runtime has no integer ``Clip`` kernel, so the
dequantized float32 value is clipped to ``[lo, hi] * 2**-f`` instead: both
exact, the same numbers). Why this is carve's quantizer exactly: dividing by a power of two is
exact, QuantizeLinear rounds half to even and saturates to its type, exactly
as carve does; floor rounding is written as ``Floor(x * 2**f)`` before a
scale-1 QuantizeLinear. A bipolar binary activation (+1 where ``x >= 0``,
else -1) is ``Where(x >= 0, 1, -1)``. Quantized weights and biases are stored as integer
codes (int8/16/32) with a DequantizeLinear; a weight in a format ONNX has no
type for (minifloat, log, block, MX...) is stored as its exact float32 values.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from carve.errors import CarveError
from carve.export.graph_view import FixedPoint, OperandFormat
from carve.export.onnx_builder import OPSET, exact_affine


def container(fixed: FixedPoint, constant: bool = False) -> np.dtype:
    """Smallest ONNX integer type of QuantizeLinear/DequantizeLinear holding ``fixed``."""
    signed = [(8, np.int8), (16, np.int16)] + ([(32, np.int32)] if constant else [])
    unsigned = [(8, np.uint8), (16, np.uint16)] + ([(31, np.int32)] if constant else [])
    for bits, dtype in signed if fixed.signed else unsigned:
        if fixed.width <= bits:
            return np.dtype(dtype)
    return None


def pow2_scale(frac_width: int) -> np.ndarray:
    return np.array(2.0**-frac_width, dtype=np.float32)


class QDQDialect:
    name = "onnx"
    opset = OPSET
    extra_opsets: ClassVar[dict[str, int]] = {}
    quantize_after_relu = False

    def affine(
        self, b: Any, x: str, x_fmt: OperandFormat, alpha: np.ndarray, beta: np.ndarray, where: str
    ) -> str:
        return exact_affine(b, x, alpha, beta, where)

    def activation(self, b: Any, x: str, fmt: OperandFormat, where: str) -> str:
        if fmt.bipolar:  # +1 where x >= 0, else -1: exact float ops
            zero = b.const(f"{where}.zero", np.array(0.0, np.float32))
            sign = b.node("GreaterOrEqual", [x, zero], f"{where}.nonneg")
            plus = b.const(f"{where}.plus", np.array(1.0, np.float32))
            minus = b.const(f"{where}.minus", np.array(-1.0, np.float32))
            return b.node("Where", [sign, plus, minus], f"{where}.bipolar")
        fixed = fmt.fixed
        if fixed is None:
            raise CarveError(
                f"export onnx: {where} uses format {fmt.format!r}, which ONNX QDQ cannot "
                "express for activations (fixed point or bipolar binary; see docs/deploy.md)"
            )
        dtype = container(fixed)
        if dtype is None:
            raise CarveError(
                f"export onnx: {where} is {fixed.describe()}: activations wider than 16 bits "
                "have no ONNX QuantizeLinear type"
            )
        zero = b.const(f"{where}.zero_point", np.zeros((), dtype))
        scale = b.const(f"{where}.scale", pow2_scale(fixed.frac_width))
        if fixed.rounding == "floor":
            grid = b.const(f"{where}.grid", np.array(2.0**fixed.frac_width, np.float32))
            x = b.node("Floor", [b.node("Mul", [x, grid], f"{where}.scaled")], f"{where}.floor")
            one = b.const(f"{where}.one", np.array(1.0, np.float32))
            q = b.node("QuantizeLinear", [x, one, zero], f"{where}.q")
        else:
            q = b.node("QuantizeLinear", [x, scale, zero], f"{where}.q")
        lo, hi = fixed.int_range
        info = np.iinfo(dtype)
        if (lo, hi) == (info.min, info.max):
            return b.node("DequantizeLinear", [q, scale, zero], f"{where}.dq")
        if dtype.itemsize == 1:  # QCDQ: Clip on the 8-bit codes
            q = b.node(
                "Clip",
                [
                    q,
                    b.const(f"{where}.min", np.array(lo, dtype)),
                    b.const(f"{where}.max", np.array(hi, dtype)),
                ],
                f"{where}.clip",
            )
            return b.node("DequantizeLinear", [q, scale, zero], f"{where}.dq")
        # ONNX Runtime has no int16/uint16 Clip kernel: clip the dequantized float32
        # value (code * 2**-f, exact) to [lo, hi] * 2**-f (exact): the same numbers
        dq = b.node("DequantizeLinear", [q, scale, zero], f"{where}.dq")
        step = 2.0**-fixed.frac_width
        return b.node(
            "Clip",
            [
                dq,
                b.const(f"{where}.min", np.array(lo * step, np.float32)),
                b.const(f"{where}.max", np.array(hi * step, np.float32)),
            ],
            f"{where}.clip",
        )

    def parameter(self, b: Any, name: str, value: Any, fmt: OperandFormat) -> str:
        fixed = fmt.fixed
        dtype = container(fixed, constant=True) if fixed is not None else None
        if dtype is None:  # exact float32 values of the format (or a too-wide fixed point)
            return b.const(name, value.numpy())
        codes = value.double().numpy() * 2.0**fixed.frac_width
        ints = np.rint(codes).astype(dtype)
        assert np.array_equal(ints, codes), f"{name} is not on its grid"
        zero = b.const(f"{name}.zero_point", np.zeros((), dtype))
        return b.node(
            "DequantizeLinear",
            [
                b.const(f"{name}.codes", ints),
                b.const(f"{name}.scale", pow2_scale(fixed.frac_width)),
                zero,
            ],
            name,
        )
