"""``calculate_avg_bits_mg_analysis_pass``: average storage bits of activations and weights.

Over the ``linear``/``conv1d``/``conv2d`` nodes (MASE's scope), weighted by
element count: ``data_avg_bit`` from each node's ``data_in_0``,
``w_avg_bit`` from its ``weight``. Bits are *storage* bits
(:func:`carve.ir.metadata.storage_bits`): an 8-bit fixed-point number with 4
fractional bits counts 8. MASE summed the precision list (width + frac = 12
for the same number), which is not a bit count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from carve.ir.metadata import get_common
from carve.passes.analysis.pruning.storage import stored_bits
from carve.passes.utils import parse_pass_args

if TYPE_CHECKING:
    from carve.ir.graph import MaseGraph

COUNTED_OPS = ("linear", "conv1d", "conv2d")


@dataclass
class AvgBitsArgs:
    """No arguments."""


def _average(entries: list[dict]) -> float | None:
    sizes = [math.prod(e["shape"]) for e in entries]
    if not sum(sizes):
        return None
    return sum(stored_bits(e, size) for size, e in zip(sizes, entries)) / sum(sizes)


def calculate_avg_bits_mg_analysis_pass(
    graph: MaseGraph, pass_args: dict | None = None
) -> tuple[MaseGraph, dict]:
    """``{"data_avg_bit": float, "w_avg_bit": float}`` (None when no counted op exists)."""
    parse_pass_args(AvgBitsArgs, pass_args, "calculate_avg_bits_mg_analysis_pass")
    data, weights = [], []
    for node in graph.nodes:
        common = get_common(node)
        if common.get("mase_op") in COUNTED_OPS:
            args = common["args"]
            if isinstance(args.get("data_in_0"), dict):
                data.append(args["data_in_0"])
            if isinstance(args.get("weight"), dict):
                weights.append(args["weight"])
    return graph, {"data_avg_bit": _average(data), "w_avg_bit": _average(weights)}
