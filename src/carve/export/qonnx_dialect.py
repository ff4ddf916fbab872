"""The QONNX dialect: ``Quant`` nodes (domain ``qonnx.custom_op.general``), as FINN and hls4ml read.

Structure follows Brevitas-exported QONNX, so hls4ml's QONNX frontend
(``hls4ml.converters.convert_from_onnx_model`` after qonnx's cleanup) and FINN
read it: standard ops at opset 13 (every op used is unchanged since 13, which
older converters target), a ReLU's activation ``Quant`` *after* the
``Relu`` (``quantize(relu(x)) == relu(quantize(x))`` for fixed point), and only
float32 ops besides ``Quant``/``BipolarQuant`` (no ``Cast``: hls4ml has none).
``narrow=0`` everywhere: carve's signed range includes ``-2**(w-1)`` (Brevitas'
weights use ``narrow=1`` because its weight range is symmetric; carve's is not).

Batch norm is ``Add(Mul(x, Quant(alpha)), Quant(beta))``: alpha and beta are
carve's float32 constants (torch's own), each behind a ``Quant`` whose
fixed-point type holds every value exactly, so hls4ml gives them exact
``ap_fixed`` types and computes ``x * alpha + beta`` exactly (as carve's direct
hls4ml export does). In float32 (qonnx execution, onnxruntime) the product and
the sum round separately, where torch rounds ``x * alpha + beta`` once (fused
multiply-add): the two can differ in the last bit, which matters only when the
next quantizer sees a rounding tie. :func:`carve.export.batch_norm_check`
enumerates every input code of every channel and counts such codes; the
support matrix in docs/deploy.md lists the widths where they occur.

A fixed-point operand ``fixed<w, f>`` is ``Quant(x, scale=2**-f, zeropt=0,
bitwidth=w, signed, narrow=0, rounding_mode=ROUND|FLOOR)``: QONNX computes
``clip(round(x / scale), min, max) * scale`` with numpy's round half to even,
which is carve's quantizer. A bipolar binary operand (+1 where ``x >= 0``,
else -1; not scaled, not stochastic) is ``BipolarQuant(x, scale=1)``.
Weights and biases stay float32 initializers (on their grid) followed by a
``Quant`` node, the QONNX convention; weights in formats QONNX has no node
for are stored as their exact float32 values.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from carve.errors import CarveError
from carve.export.graph_view import FixedPoint, OperandFormat
from carve.export.hls_types import constant_type
from carve.export.qdq import pow2_scale

DOMAIN = "qonnx.custom_op.general"


OPSET = 13


class QONNXDialect:
    name = "qonnx"
    opset = OPSET
    extra_opsets: ClassVar[dict[str, int]] = {DOMAIN: 1}
    quantize_after_relu = True

    def affine(
        self, b: Any, x: str, x_fmt: OperandFormat, alpha: np.ndarray, beta: np.ndarray, where: str
    ) -> str:
        """``Add(Mul(x, Quant(alpha)), Quant(beta))``; with a fixed-point ``x`` the product
        passes an identity ``Quant`` of its exact type (hls4ml then keeps Mul and Add apart:
        its ``fuse_consecutive_batch_normalization`` drops the shift's type when it fuses)."""
        alpha_t = constant_type(alpha.astype(np.float64))
        scale = self._quant(b, b.const(f"{where}.alpha", alpha), alpha_t, f"{where}.alpha")
        scaled = b.node("Mul", [x, scale], f"{where}.scaled")
        if x_fmt.fixed is not None:  # float32 rounding keeps the product on this grid
            product = FixedPoint(
                x_fmt.fixed.width + alpha_t.width, x_fmt.fixed.frac_width + alpha_t.frac_width
            )
            scaled = self._quant(b, scaled, product, f"{where}.product")
        beta_t = constant_type(beta.astype(np.float64))
        shift = self._quant(b, b.const(f"{where}.beta", beta), beta_t, f"{where}.beta")
        return b.node("Add", [scaled, shift], where)

    def _quant(self, b: Any, x: str, fixed: FixedPoint, where: str) -> str:
        inputs = [
            x,
            b.const(f"{where}.scale", pow2_scale(fixed.frac_width)),
            b.const(f"{where}.zeropt", np.array(0.0, np.float32)),
            b.const(f"{where}.bitwidth", np.array(float(fixed.width), np.float32)),
        ]
        rounding = "FLOOR" if fixed.rounding == "floor" else "ROUND"
        return b.node(
            "Quant",
            inputs,
            f"{where}.quant",
            domain=DOMAIN,
            signed=int(fixed.signed),
            narrow=0,
            rounding_mode=rounding,
        )

    def _bipolar(self, b: Any, x: str, where: str) -> str:
        scale = b.const(f"{where}.scale", np.array(1.0, np.float32))
        return b.node("BipolarQuant", [x, scale], f"{where}.bipolar", domain=DOMAIN)

    def activation(self, b: Any, x: str, fmt: OperandFormat, where: str) -> str:
        if fmt.bipolar:
            return self._bipolar(b, x, where)
        if fmt.fixed is None:
            raise CarveError(
                f"export qonnx: {where} uses format {fmt.format!r}, which QONNX Quant cannot "
                "express for activations (fixed point or bipolar binary; see docs/deploy.md)"
            )
        return self._quant(b, x, fmt.fixed, where)

    def parameter(self, b: Any, name: str, value: Any, fmt: OperandFormat) -> str:
        initializer = b.const(name, value.numpy())
        if fmt.bipolar:
            return self._bipolar(b, initializer, name)
        if fmt.fixed is None:
            return initializer
        return self._quant(b, initializer, fmt.fixed, name)
