"""A fast LUT / FF / latency model of carve's emitted Verilog (milliseconds, no synthesis).

It reads the planned datapath the Verilog emitter writes
(:func:`carve.export.verilog_plan.plan_datapath`: per node the input codes,
weight codes at the accumulator's binary point, accumulator widths, batch-norm
step circuits, output codes), so it sees exactly what yosys will see.

**Flip-flops** are derived, not fitted: every node module registers its
outputs, and yosys keeps one flip-flop per bit that can change: a linear
output costs the bits of its accumulator's reachable range (a bit every
reachable code agrees on is a constant; sign-extension copies of one bit
merge) less its low bits that no weight reaches (the weights' common
trailing zeros, e.g. when a finer bias shifts them: those bits are the
bias's, constant), any other channel the bits of the node's output range
(per-channel logic computes each bit separately, so yosys keeps them); the
top adds one valid bit per cycle of latency.

**Latency** is exact: one register stage per node.

**LUTs** are a linear model over structural features of each node, fitted once
(non-negative least squares of each design's total on relative error) against
yosys ``synth_xilinx -family xcup -nodsp`` on 12 calibration designs
*separate* from the 60 the check uses (``benchmarks/hardware_cost_model.py
--fit`` refits, without ``--fit`` it checks; the coefficients below are its
output). The features:

- ``adder_bits``: a linear layer's outputs are constant dot products written
  as signed-digit rows summed by two-operand carry-chain adders
  (:mod:`carve.hardware.constmul`); the model runs that same construction
  without writing text and sums every adder's width (0.7 LUT per bit: where
  only one operand remains a bit is a carry, often without a LUT);
- ``gates``: single-bit gates beside those adders (where two adder outputs
  meet at their lowest bit; fitted to 0);
- ``quant_bits``: input/output re-rounding and saturation: width of each
  channel whose quantizer changes its codes;
- ``bn_bits``: a batch norm is per channel a function of one input code:
  ``input bits**2 x output bits``.

Every estimate is a *model of yosys' mapping*, which is itself an estimate of
Vivado's: rank candidates with it and check the chosen ones with yosys
(``carve search --verify-hardware K``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from carve.hardware.constmul import Operand, SumCost, layer_sums

#: Fitted LUTs per unit of each feature (benchmarks/hardware_cost_model.py --fit).
COEFFICIENTS: dict[str, float] = {
    "adder_bits": 0.6997,
    "gates": 0.0,
    "quant_bits": 0.3618,
    "bn_bits": 0.0664,
}
FEATURES = tuple(COEFFICIENTS)
NONE = dict.fromkeys(FEATURES, 0.0)


@dataclass(frozen=True)
class LayerCost:
    """The model's figures for one node module."""

    node: str
    op: str
    luts: float
    ffs: int
    latency: int
    features: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class CostEstimate:
    """The model's figures for a whole design (label: cost model, not synthesis)."""

    layers: list[LayerCost]
    valid_ffs: int

    @property
    def luts(self) -> float:
        return float(sum(layer.luts for layer in self.layers))

    @property
    def ffs(self) -> int:
        return sum(layer.ffs for layer in self.layers) + self.valid_ffs

    @property
    def latency_cycles(self) -> int:
        return sum(layer.latency for layer in self.layers)

    def metrics(self) -> dict[str, float]:
        """The search metrics ``luts``, ``ffs`` and ``latency_cycles``."""
        return {
            "luts": round(self.luts, 1),
            "ffs": float(self.ffs),
            "latency_cycles": float(self.latency_cycles),
        }


def range_bits(lo: int, hi: int) -> int:
    """Bits that can change across codes in ``[lo, hi]`` (unsigned when ``lo >= 0``).

    >>> range_bits(0, 13), range_bits(-8, 7), range_bits(3, 3), range_bits(-1, 0)
    (4, 4, 0, 1)
    """
    if lo == hi:
        return 0
    if lo >= 0:
        return int(hi).bit_length()
    return max((-int(lo) - 1).bit_length(), int(hi).bit_length()) + 1


def _quantizer_bits(layer: Any) -> float:
    """Width of each channel whose input quantizer changes its codes."""
    if layer.x_fmt is None:
        return 0.0
    src, x = layer.src, layer.x
    if (src.lo, src.hi, src.exponent) == (x.lo, x.hi, x.exponent):
        return 0.0
    return float(layer.n_in * src.internal)


def linear_sums(layer: Any) -> list[SumCost]:
    """What each output's dot product costs, as the Verilog emitter writes it."""
    x = layer.x
    inputs = [Operand(f"x_{i}", x.lo, x.hi) for i in range(layer.n_in)]
    return layer_sums(None, inputs, layer.weight, layer.bias, [a.width for a in layer.acc])


def linear_features(layer: Any, sums: list[SumCost] | None = None) -> dict[str, float]:
    sums = linear_sums(layer) if sums is None else sums
    out = float(sum(a.width for a in layer.acc)) if layer.out_fmt is not None else 0.0
    return {
        "adder_bits": float(sum(s.adder_bits for s in sums)),
        "gates": float(sum(s.gates for s in sums)),
        "quant_bits": _quantizer_bits(layer) + out,
        "bn_bits": 0.0,
    }


def batch_norm_features(layer: Any, sums: None = None) -> dict[str, float]:
    """Per channel a function of the input code: ``input bits**2 x output bits``."""
    bits = layer.x.internal
    total = float(len(layer.steps) * bits * bits * layer.out.width)
    return {**NONE, "quant_bits": _quantizer_bits(layer), "bn_bits": total}


def relu_features(layer: Any, sums: None = None) -> dict[str, float]:
    x = layer.x
    rect = 0.0 if x.lo >= 0 else float(layer.n_in * x.internal)
    out = float(layer.n_in * x.internal) if layer.out_fmt is not None else 0.0
    return {**NONE, "quant_bits": _quantizer_bits(layer) + rect + out}


FEATURIZERS = {
    "linear": linear_features,
    "batch_norm1d": batch_norm_features,
    "relu": relu_features,
}


def layer_ffs(layer: Any, sums: list[SumCost] | None = None) -> int:
    """Output register bits that can change: the reachable code range of each channel
    (less, for a linear layer's accumulator, the low bits no weight reaches)."""
    if layer.op == "linear" and layer.out_fmt is None:
        sums = linear_sums(layer) if sums is None else sums
        return sum(max(min(range_bits(a.lo, a.hi), layer.out.width) - s.constant_low_bits, 0)
                   for a, s in zip(layer.acc, sums, strict=True))  # fmt: skip
    return layer.n_out * min(range_bits(layer.out.lo, layer.out.hi), layer.out.width)


def estimate_datapath(path: Any, coefficients: dict[str, float] | None = None) -> CostEstimate:
    """The model's LUTs, FFs and latency of a planned datapath."""
    weights = COEFFICIENTS if coefficients is None else coefficients
    layers = []
    for layer in path.layers:
        sums = linear_sums(layer) if layer.op == "linear" else None  # the slow part: once
        features = FEATURIZERS[layer.op](layer, sums)
        luts = sum(weights[name] * value for name, value in features.items())
        layers.append(LayerCost(layer.node, layer.op, luts, layer_ffs(layer, sums),
                                layer.latency, features))  # fmt: skip
    return CostEstimate(layers, valid_ffs=path.latency)
