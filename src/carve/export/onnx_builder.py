"""Write an :class:`~carve.export.graph_view.ExportGraph` as an ONNX model.

One graph walk serves both ONNX dialects; what differs between them - how a
quantized operand is written - is a :class:`Dialect` (``qdq.py``: standard
QuantizeLinear/Clip/DequantizeLinear; ``qonnx_dialect.py``: QONNX ``Quant``).

How each op is written, and why it equals carve's torch computation bit for bit:

- **linear**: ``Gemm(x, W, b, transB=1)`` in float32. When the input, weight
  and bias are fixed point and ``sum |x*w| + |b| < 2**24`` (in units of the
  finest grid; checked statically for the worst input), every partial sum is
  an exact float32, whatever order torch or ONNX Runtime adds in.
- **relu**: ``Relu``; exact.
- **batch_norm1d** (ONNX QDQ; QONNX writes it differently, see
  ``qonnx_dialect.py``): ``y = x * alpha + beta`` with ``alpha = rsqrt(var + eps) *
  weight`` and ``beta = bias - mean * alpha``, the constants computed by torch
  exactly as torch's CPU kernel does. That kernel evaluates both with fused
  multiply-adds (one rounding). ONNX has no fused multiply-add, so it is
  written as a float64 multiply (exact: 24+24 bits) and add, rounded to
  float32. This is the fused result except when the float64 sum is itself
  rounded onto a float32 tie (needs the exact sum to have more than 53
  significant bits and sit within 2**-53 of a tie): rare, and measured by
  every parity check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from carve.errors import CarveError
from carve.export.graph_view import ExportGraph, ExportNode, OperandFormat

OPSET = 21
IR_VERSION = 10
EXACT_LIMIT = 2**24


class Dialect(Protocol):
    """How quantized operands are written (one per export format)."""

    name: str
    opset: int
    extra_opsets: dict[str, int]
    quantize_after_relu: bool  # a ReLU's fixed-point input Quant written after the Relu

    def activation(self, b: Builder, x: str, fmt: OperandFormat, where: str) -> str: ...

    def parameter(self, b: Builder, name: str, value: Any, fmt: OperandFormat) -> str: ...

    def affine(
        self,
        b: Builder,
        x: str,
        x_fmt: OperandFormat,
        alpha: np.ndarray,
        beta: np.ndarray,
        where: str,
    ) -> str:
        """``x * alpha + beta`` per channel (batch norm with carve's float32 constants);
        ``x_fmt``: the format ``x`` is in."""
        ...


@dataclass
class Builder:
    """Collects nodes and initializers; gives every tensor a unique name."""

    nodes: list = field(default_factory=list)
    initializers: list = field(default_factory=list)
    _names: set[str] = field(default_factory=set)

    def fresh(self, stem: str) -> str:
        name, index = stem, 1
        while name in self._names:
            index += 1
            name = f"{stem}_{index}"
        self._names.add(name)
        return name

    def const(self, stem: str, array: np.ndarray) -> str:
        from onnx import numpy_helper

        name = self.fresh(stem)
        self.initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(self, op: str, inputs: list[str], stem: str, domain: str = "", **attrs: Any) -> str:
        from onnx import helper

        out = self.fresh(stem)
        self.nodes.append(
            helper.make_node(
                op, inputs, [out], name=self.fresh(f"{stem}/{op}"), domain=domain, **attrs
            )
        )
        return out


def _maybe_quantize(b: Builder, dialect: Dialect, x: str, node: ExportNode, operand: str) -> str:
    fmt = node.operand(operand)
    if not fmt.quantized:
        return x
    return dialect.activation(b, x, fmt, f"{node.name}.{operand}")


def _param(b: Builder, dialect: Dialect, node: ExportNode, name: str) -> str | None:
    value = node.parameter(name)
    if value is None:
        return None
    fmt = node.operand(name)
    if not fmt.quantized:
        return b.const(f"{node.name}.{name}", value.numpy())
    return dialect.parameter(b, f"{node.name}.{name}", value, fmt)


def _linear(b: Builder, dialect: Dialect, node: ExportNode, x: str) -> str:
    inputs = [x, _param(b, dialect, node, "weight")]
    bias = _param(b, dialect, node, "bias")
    if bias is not None:
        inputs.append(bias)
    return b.node("Gemm", inputs, node.name, transB=1)


def _relu(b: Builder, dialect: Dialect, node: ExportNode, x: str) -> str:
    return b.node("Relu", [x], node.name)


def batch_norm_affine(node: ExportNode) -> tuple[np.ndarray, np.ndarray]:
    """``(alpha, beta)`` float32, as torch's CPU batch-norm kernel forms them (see module doc)."""
    import torch

    layer = node.module
    if layer.running_mean is None or layer.running_var is None:
        raise CarveError(
            f"export: batch norm {node.name!r} has no running statistics "
            "(track_running_stats=False): cannot export"
        )
    weight, bias = node.parameter("weight"), node.parameter("bias")
    var, mean = layer.running_var.detach().float(), layer.running_mean.detach().float()
    alpha = torch.rsqrt(var + layer.eps)
    if weight is not None:
        alpha = alpha * weight
    bias64 = bias.double() if bias is not None else torch.zeros_like(mean, dtype=torch.float64)
    beta = (bias64 - mean.double() * alpha.double()).float()  # fused: one rounding
    return alpha.numpy(), beta.numpy()


def exact_affine(b: Builder, x: str, alpha: np.ndarray, beta: np.ndarray, where: str) -> str:
    """``Cast(x, double) * alpha + beta`` rounded back to float32 (see the module doc)."""
    from onnx import TensorProto

    wide = b.node("Cast", [x], f"{where}.x64", to=TensorProto.DOUBLE)
    scaled = b.node(
        "Mul", [wide, b.const(f"{where}.alpha", alpha.astype(np.float64))], f"{where}.scaled"
    )
    shifted = b.node(
        "Add", [scaled, b.const(f"{where}.beta", beta.astype(np.float64))], f"{where}.shifted"
    )
    return b.node("Cast", [shifted], where, to=TensorProto.FLOAT)


def _batch_norm(b: Builder, dialect: Dialect, node: ExportNode, x: str) -> str:
    # quantized weight/bias (any format) enter alpha and beta as their exact float32 values
    alpha, beta = batch_norm_affine(node)
    return dialect.affine(b, x, node.operand("data_in_0"), alpha, beta, node.name)


OP_WRITERS = {"linear": _linear, "relu": _relu, "batch_norm1d": _batch_norm}


def build_onnx(view: ExportGraph, dialect: Dialect, graph_name: str = "carve"):
    """The ``onnx.ModelProto`` of ``view`` in ``dialect`` (checked with onnx.checker)."""
    import onnx
    from onnx import TensorProto, helper

    b = Builder()
    b._names.update({view.input_name, "output"})
    values = {view.input_name: view.input_name}
    for node in view.nodes:
        x = values[node.inputs[0]]
        after_relu = node.op == "relu" and dialect.quantize_after_relu
        after_relu = after_relu and node.operand("data_in_0").fixed is not None
        if not after_relu:  # relu(quantize(x)) == quantize(relu(x)) for fixed point
            x = _maybe_quantize(b, dialect, x, node, "data_in_0")
        y = OP_WRITERS[node.op](b, dialect, node, x)
        if after_relu:
            y = _maybe_quantize(b, dialect, y, node, "data_in_0")
        values[node.name] = _maybe_quantize(b, dialect, y, node, "data_out_0")
    b.nodes.append(
        helper.make_node("Identity", [values[view.output_names[0]]], ["output"], name="output")
    )
    outputs = [
        helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", *view.output_shape])
    ]
    inputs = [
        helper.make_tensor_value_info(view.input_name, TensorProto.FLOAT, ["N", *view.input_shape])
    ]
    graph = helper.make_graph(b.nodes, graph_name, inputs, outputs, b.initializers)
    opsets = [helper.make_opsetid("", dialect.opset)]
    opsets += [helper.make_opsetid(domain, v) for domain, v in dialect.extra_opsets.items()]
    model = helper.make_model(graph, opset_imports=opsets, producer_name="carve")
    model.ir_version = IR_VERSION
    if not dialect.extra_opsets:
        onnx.checker.check_model(model, full_check=True)
    return model


def accumulation_bound(node: ExportNode) -> int | None:
    """Worst-case ``sum |x*w| + |b|`` of a fixed-point linear node, in its finest grid's units.

    None when an operand is not fixed point (no exactness claim is made then).
    """
    if node.op != "linear":
        return None
    x, w, bias = (node.operand(k).fixed for k in ("data_in_0", "weight", "bias"))
    if x is None or w is None or (node.module.bias is not None and bias is None):
        return None
    x_max = max(abs(v) for v in x.int_range)
    w_codes = np.rint(node.parameter("weight").double().numpy() * 2.0**w.frac_width).astype(
        np.int64
    )
    exponent = x.frac_width + w.frac_width
    sums = np.abs(w_codes).sum(axis=1) * x_max
    if bias is not None:
        b_codes = np.rint(node.parameter("bias").double().numpy() * 2.0**bias.frac_width)
        common = max(exponent, bias.frac_width)
        sums = sums * 2 ** (common - exponent) + np.abs(b_codes).astype(np.int64) * 2 ** (
            common - bias.frac_width
        )
    return int(sums.max())


def exactness(view: ExportGraph) -> dict[str, bool]:
    """Per linear node: is float32 accumulation provably exact (bound below 2**24)?"""
    found = {}
    for node in view.nodes:
        bound = accumulation_bound(node) if node.op == "linear" else None
        if node.op == "linear":
            found[node.name] = bound is not None and bound < EXACT_LIMIT
    return found
