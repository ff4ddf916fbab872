"""The integer datapath of a quantized MLP, planned node by node for the Verilog target.

Each node becomes one pipeline stage computing on integer codes exactly what
carve's integer reference computes (``passes/analysis/quantization/
integer_reference.py``):

- the node's input quantizer (``data_in_0``) re-rounds the incoming codes
  (round half to even or floor, saturate), as the reference's quantizer does
  on the incoming value;
- ``linear``: integer products of input and weight codes (zero weights
  dropped), the bias aligned to the finer binary point, then the node's
  output quantizer if it has one; accumulators are as wide as their range;
- ``batch_norm1d``: torch's float32 ``x * alpha + beta`` followed by the next
  quantizer is a table over the node's few input codes; it is computed with
  torch for every code of every channel and realised exactly by
  :func:`carve.hardware.step.fit_step` (integer affine, else thresholds);
- ``relu``: ``max(x, 0)`` on codes (a float ReLU commutes with the next quantizer).

Where the reference rounds an accumulator to float32 before the next
quantizer (magnitudes over ``2**24``), the stage rounds it the same way first
(24 significant bits, half to even) so the codes stay identical.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from carve.errors import CarveError
from carve.export.graph_view import ExportGraph, ExportNode, FixedPoint
from carve.export.onnx_builder import batch_norm_affine
from carve.hardware.rtl import Codes, float32_value, held_in_float32, requantized
from carve.hardware.step import Step, fit_step
from carve.passes.analysis.hardware_metadata import module_name  # the metadata's names

MAX_WIDTH = 16
WHERE = "export verilog"


@dataclass
class Layer:
    """One node as a pipeline stage: what arrives, how it is re-rounded, what leaves."""

    node: str
    op: str
    module: str  # the Verilog module name
    n_in: int
    n_out: int
    src: Codes  # codes arriving on data_in_0 (the producer's output)
    x_fmt: FixedPoint | None  # the node's input quantizer (None: the codes pass as they are)
    x: Codes  # codes after the input quantizer
    out: Codes  # codes leaving on data_out_0
    latency: int = 1
    weight: np.ndarray | None = None  # linear: codes at the accumulator's binary point
    bias: np.ndarray | None = None
    acc: list[Codes] = field(default_factory=list)  # linear: per output
    out_fmt: FixedPoint | None = None  # the node's output quantizer
    steps: list[Step] = field(default_factory=list)  # batch norm: per channel

    @property
    def kept_weights(self) -> int:
        return int(np.count_nonzero(self.weight)) if self.weight is not None else 0


@dataclass
class Datapath:
    """The planned network: its stages in order, input/output codes and latency."""

    top: str
    layers: list[Layer]
    input: Codes
    output: Codes
    input_format: FixedPoint
    n_in: int
    n_out: int

    @property
    def latency(self) -> int:
        return sum(layer.latency for layer in self.layers)


def fixed_operand(node: ExportNode, operand: str, required: bool) -> FixedPoint | None:
    """The node's fixed-point format of ``operand`` (checked), None when it is float."""
    fmt = node.operand(operand)
    if not fmt.quantized:
        if required:
            raise CarveError(
                f"{WHERE}: node {node.name!r} {operand} is float32; the Verilog datapath is "
                f"integer: quantize it with the integer (fixed) format ({operand}_width, "
                f"{operand}_frac_width)"
            )
        return None
    if fmt.fixed is None:
        raise CarveError(
            f"{WHERE}: node {node.name!r} {operand} uses format {fmt.describe()!r}; "
            "Verilog takes the integer (fixed point) format only"
        )
    if not 1 <= fmt.fixed.width <= MAX_WIDTH:
        raise CarveError(
            f"{WHERE}: node {node.name!r} {operand} is {fmt.fixed.width} bits wide; "
            f"the Verilog export takes widths 1-{MAX_WIDTH}"
        )
    return fmt.fixed


def after_quantizer(node: ExportNode, src: Codes, fmt: FixedPoint | None) -> Codes:
    """``src`` codes after the quantizer ``fmt`` (unchanged without one)."""
    return src if fmt is None else requantized(src, fmt)


def after_input_quantizer(node: ExportNode, src: Codes, fmt: FixedPoint | None) -> Codes:
    """The node's input codes: an accumulator beyond ``2**24`` is first rounded to float32,
    as carve's reference holds it between nodes, then re-quantized."""
    if fmt is not None and held_in_float32(src):
        lo, hi = float32_value(src.lo), float32_value(src.hi)
        src = Codes.of_range(lo, hi, src.exponent)
    return after_quantizer(node, src, fmt)


def _codes_of(values: Any, fmt: FixedPoint, name: str) -> np.ndarray:
    """Integer codes of on-grid float values (a quantized parameter)."""
    scaled = np.asarray(values, dtype=np.float64) * 2.0**fmt.frac_width
    codes = np.rint(scaled)
    if not np.array_equal(codes, scaled):
        raise CarveError(f"{WHERE}: {name} holds values off its fixed-point grid")
    return codes.astype(np.int64)


def _linear(node: ExportNode, src: Codes, n_in: int, view: ExportGraph, module: str) -> Layer:
    x_fmt = fixed_operand(node, "data_in_0", True)
    w_fmt = fixed_operand(node, "weight", True)
    x = after_input_quantizer(node, src, x_fmt)
    weight = _codes_of(node.parameter("weight").numpy(), w_fmt, f"{node.name}.weight")
    product_exp = -x_fmt.frac_width - w_fmt.frac_width
    exponent, bias = product_exp, None
    if node.module.bias is not None:
        b_fmt = fixed_operand(node, "bias", True)
        bias = _codes_of(node.parameter("bias").numpy(), b_fmt, f"{node.name}.bias")
        exponent = min(product_exp, -b_fmt.frac_width)
        bias = bias << (-b_fmt.frac_width - exponent)
    weight = weight << (product_exp - exponent)
    low = np.minimum(weight * x.lo, weight * x.hi).sum(axis=1)
    high = np.maximum(weight * x.lo, weight * x.hi).sum(axis=1)
    if bias is not None:
        low, high = low + bias, high + bias
    acc = [Codes.of_range(int(lo), int(hi), exponent) for lo, hi in zip(low, high, strict=True)]
    out_fmt = fixed_operand(node, "data_out_0", False)
    whole = Codes.of_range(int(low.min()), int(high.max()), exponent)
    out = after_quantizer(node, whole, out_fmt)
    n_out, n_in = weight.shape
    return Layer(node.name, node.op, module, n_in, n_out, src, x_fmt, x, out,
                 weight=weight, bias=bias, acc=acc, out_fmt=out_fmt)  # fmt: skip


def _relu(node: ExportNode, src: Codes, n_in: int, view: ExportGraph, module: str) -> Layer:
    x_fmt = fixed_operand(node, "data_in_0", False)
    x = after_input_quantizer(node, src, x_fmt)
    rect = Codes(x.width, x.signed, x.exponent, max(x.lo, 0), max(x.hi, 0))
    out_fmt = fixed_operand(node, "data_out_0", False)
    out = after_quantizer(node, rect, out_fmt)
    channels = n_in
    return Layer(node.name, node.op, module, channels, channels, src, x_fmt, x, out,
                 out_fmt=out_fmt)  # fmt: skip


def _batch_norm(node: ExportNode, src: Codes, n_in: int, view: ExportGraph, module: str) -> Layer:
    import torch

    x_fmt = fixed_operand(node, "data_in_0", True)
    x = after_input_quantizer(node, src, x_fmt)
    target = fixed_operand(node, "data_out_0", False) or _next_quantizer(view, node)
    lo, hi = x_fmt.int_range
    codes = np.arange(lo, hi + 1, dtype=np.int64)
    channels = node.module.num_features
    grid = torch.from_numpy(np.ldexp(codes.astype(np.float64), -x_fmt.frac_width)).float()
    layer = node.module
    was = layer.training
    try:
        with torch.inference_mode():
            values = layer.eval()(grid.unsqueeze(1).expand(-1, channels).contiguous())
    finally:
        layer.train(was)
    y = quantize_codes(values.double().numpy(), target)
    q_lo, q_hi = target.int_range
    alpha, _ = batch_norm_affine(node)  # the slope in codes guides the affine search
    slopes = alpha.astype(np.float64) * 2.0 ** (target.frac_width - x_fmt.frac_width)
    steps = [fit_step(codes, y[:, c], q_lo, q_hi, float(slopes[c])) for c in range(channels)]
    reach = y[(codes >= x.lo) & (codes <= x.hi)]
    out = Codes(target.width, target.signed, -target.frac_width, int(reach.min()), int(reach.max()))
    return Layer(node.name, node.op, module, channels, channels, src, x_fmt, x, out,
                 out_fmt=target, steps=steps)  # fmt: skip


def quantize_codes(values: np.ndarray, fmt: FixedPoint) -> np.ndarray:
    """carve's fixed-point quantizer on float values, as integer codes (numpy, exact)."""
    scaled = values * 2.0**fmt.frac_width  # float32 values: exact in float64
    rounded = np.floor(scaled) if fmt.rounding == "floor" else np.rint(scaled)  # half to even
    lo, hi = fmt.int_range
    return np.clip(rounded, lo, hi).astype(np.int64)


def _next_quantizer(view: ExportGraph, node: ExportNode) -> FixedPoint:
    """The first quantizer a batch norm's float output meets (through float ReLUs)."""
    current = node
    while True:
        users = [n for n in view.nodes if current.name in n.inputs]
        if len(users) != 1:
            raise CarveError(
                f"{WHERE}: batch norm {node.name!r} output is float32 and reaches "
                f"{'the network output' if not users else 'several nodes'}; quantize its "
                "data_out_0 (integer format)"
            )
        user = users[0]
        fmt = fixed_operand(user, "data_in_0", False)
        if fmt is not None:
            return fmt
        if user.op != "relu":
            fixed_operand(user, "data_in_0", True)  # raises: names the node
        current = user


PLANNERS = {"linear": _linear, "relu": _relu, "batch_norm1d": _batch_norm}


def plan_datapath(view: ExportGraph, top: str = "carve_net") -> Datapath:
    """The integer pipeline of ``view`` (one stage per node), or one line saying why not."""
    if len(view.input_shape) != 1:
        raise CarveError(f"{WHERE}: the input must be a feature vector, is {view.input_shape}")
    first = view.nodes[0]
    in_fmt = first.operand("data_in_0").fixed
    if in_fmt is None:
        raise CarveError(
            f"{WHERE}: the network input (node {first.name!r} data_in_0) is "
            f"{first.operand('data_in_0').describe()}; the hardware receives fixed-point "
            f"codes: quantize {first.name!r} (its {first.op} config) with the integer format "
            "and data_in_width/data_in_frac_width"
        )
    fixed_operand(first, "data_in_0", True)
    types = {view.input_name: Codes.of_format(in_fmt)}
    channels = {view.input_name: int(view.input_shape[0])}
    layers = []
    for node in view.nodes:
        source = node.inputs[0]
        plan = PLANNERS[node.op]
        layer = plan(node, types[source], channels[source], view, module_name(top, node.name))
        layers.append(layer)
        types[node.name], channels[node.name] = layer.out, layer.n_out
    output = types[view.output_names[0]]
    if layers[-1].node != view.output_names[0]:
        raise CarveError(f"{WHERE}: the last node must be the network output")
    return Datapath(top, layers, types[view.input_name], output, in_fmt,
                    int(view.input_shape[0]), layers[-1].n_out)  # fmt: skip
