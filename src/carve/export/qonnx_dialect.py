"""The QONNX dialect: ``Quant`` nodes (domain ``qonnx.custom_op.general``), as FINN and hls4ml read.

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
from carve.export.graph_view import OperandFormat
from carve.export.qdq import pow2_scale

DOMAIN = "qonnx.custom_op.general"


class QONNXDialect:
    name = "qonnx"
    extra_opsets: ClassVar[dict[str, int]] = {DOMAIN: 1}

    def _quant(self, b: Any, x: str, fmt: OperandFormat, where: str) -> str:
        fixed = fmt.fixed
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
        return self._quant(b, x, fmt, where)

    def parameter(self, b: Any, name: str, value: Any, fmt: OperandFormat) -> str:
        initializer = b.const(name, value.numpy())
        if fmt.bipolar:
            return self._bipolar(b, initializer, name)
        if fmt.fixed is None:
            return initializer
        return self._quant(b, initializer, fmt, name)
