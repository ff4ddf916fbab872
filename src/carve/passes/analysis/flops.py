"""``flops_analysis_pass``: MACs, FLOPs, parameters, memory bits and BitOPs per node.

Every figure is **per input sample**: counts are taken on the dummy input of
``add_common_metadata`` and divided by its batch size (the leading dimension
of the graph's first input), so a graph analysed with a 128-row batch and one
analysed with 1 row report the same numbers (search's ``bitops`` is the same
figure). Parameters and weight bits do not depend on the batch.

Counting rules:

* MACs (multiply-accumulates) of ``linear`` = output elements x in_features;
  ``conv1d``/``conv2d`` = output elements x (C_in / groups) x kernel size;
  ``convtranspose2d`` = input elements x (C_out / groups) x kernel size;
  ``matmul``/``bmm``/``mm`` = output elements x the reduced dimension. Bias
  additions are not MACs. Other ops have 0 MACs; their element count is
  reported as ``other_ops`` (one operation per output element).
* FLOPs = 2 x MACs (a multiply and an add), the convention of
  ``torch.utils.flop_counter``, which the tests cross-check.
* Memory: ``activation_bits`` = elements of the tensors an op reads from other
  nodes x their storage bits (counted per consuming op; the output node reads
  nothing); ``weight_bits`` = elements of the op's parameters (``weight``,
  ``bias``; BatchNorm running statistics are buffers, not counted) x their
  storage bits.
* BitOPs = MACs x weight bits x activation bits, bits read from metadata
  (``storage_bits`` when quantized, else the precision width; 32/32 for float).
* Sparsity: when a weight entry records ``sparsity`` (pruning, measured
  zeros), MACs count only the multiplications by non-zero weights and
  ``weight_bits`` the sparse storage (:mod:`carve.passes.analysis.pruning.storage`
  states the assumption); ``dense_macs`` keeps the dense count.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from carve.ir.metadata import get_common, storage_bits
from carve.passes.analysis.pruning.storage import nonzero_fraction, stored_bits
from carve.passes.utils import parse_pass_args, render_table, write_text_atomic

if TYPE_CHECKING:
    from carve.ir.graph import MaseGraph


@dataclass
class FlopsArgs:
    """``print_table``: print the per-node table; ``save_path``: also write it there."""

    print_table: bool = False
    save_path: str | None = None


def _numel(entry: Any) -> int:
    if isinstance(entry, dict) and entry.get("shape") is not None and "torch_dtype" in entry:
        return math.prod(entry["shape"])
    return 0


def _out(results: dict) -> int:
    return _numel(results.get("data_out_0"))


def _linear(args: dict, results: dict) -> int:
    return _out(results) * args["data_in_0"]["shape"][-1]


def _conv(args: dict, results: dict) -> int:
    weight = args["weight"]["shape"]  # [C_out, C_in / groups, *kernel]
    return _out(results) * math.prod(weight[1:])


def _conv_transpose(args: dict, results: dict) -> int:
    weight = args["weight"]["shape"]  # [C_in, C_out / groups, *kernel]: each input scatters
    return _numel(args["data_in_0"]) * math.prod(weight[1:])


def _matmul(args: dict, results: dict) -> int:
    return _out(results) * args["data_in_0"]["shape"][-1]


MAC_RULES: dict[str, Callable[[dict, dict], int]] = {
    "linear": _linear,
    "conv1d": _conv,
    "conv2d": _conv,
    "convtranspose2d": _conv_transpose,
    "matmul": _matmul,
    "bmm": _matmul,
    "mm": _matmul,
}
_NO_COMPUTE = {"placeholder", "get_attr", "output"}
_PARAMETER_ARGS = ("weight", "bias")


def _is_parameter(name: str, entry: Any) -> bool:
    return isinstance(entry, dict) and (name in _PARAMETER_ARGS or "from" in entry)


def _weight_and_activation_bits(args: dict) -> tuple[float, float]:
    activation = args.get("data_in_0", {})
    weight = args.get("weight") if "weight" in args else args.get("data_in_1", {})
    return storage_bits(weight or {}), storage_bits(activation or {})


def batch_size(graph: Any) -> int:
    """Rows in the batch the metadata was recorded with: the leading dimension of the
    first graph input's recorded shape (1 when it has none)."""
    for node in graph.nodes:
        if node.op == "placeholder":
            entry = get_common(node).get("results", {}).get("data_out_0")
            shape = entry.get("shape") if isinstance(entry, dict) else None
            return int(shape[0]) if shape else 1
    return 1


PER_SAMPLE = ("macs", "dense_macs", "flops", "other_ops", "activation_bits", "bitops")


def node_costs(node, batch: int | None = None) -> dict[str, Any]:
    """The cost figures of one node, per input sample (needs common metadata).

    ``batch``: rows the metadata was recorded with (default: :func:`batch_size`)."""
    batch = batch_size(node.graph) if batch is None else batch
    costs = _batch_costs(node)
    for key in PER_SAMPLE:
        costs[key] = costs[key] / batch if costs[key] % batch else costs[key] // batch
    return costs


def _batch_costs(node) -> dict[str, Any]:
    common = get_common(node)
    op, mase_type = common.get("mase_op", node.op), common.get("mase_type", node.op)
    args, results = common.get("args", {}), common.get("results", {})
    dense_macs = MAC_RULES[op](args, results) if op in MAC_RULES else 0
    macs = round(dense_macs * nonzero_fraction(args.get("weight")))
    weights = [e for k, e in args.items() if _is_parameter(k, e)]
    parameters = sum(_numel(e) for e in weights)
    weight_bits = sum(stored_bits(e, _numel(e)) for e in weights)
    activation_bits = sum(
        _numel(v) * storage_bits(v)
        for k, v in args.items()
        if k.startswith("data_in_") and isinstance(v, dict) and mase_type not in _NO_COMPUTE
    )
    w_bits, a_bits = _weight_and_activation_bits(args)
    other = 0 if dense_macs or mase_type in _NO_COMPUTE else _out(results)
    return {
        "mase_op": op,
        "macs": macs,
        "dense_macs": dense_macs,
        "flops": 2 * macs,
        "other_ops": other,
        "parameters": parameters,
        "weight_bits": weight_bits,
        "activation_bits": activation_bits,
        "bitops": macs * w_bits * a_bits,
    }


def flops_analysis_pass(graph: MaseGraph, pass_args: dict | None = None) -> tuple[MaseGraph, dict]:
    """Per-node and total costs; info = ``{"nodes": {name: costs}, "total": costs}``.

    >>> import torch
    >>> from carve.ir import MaseGraph
    >>> from carve.passes import init_metadata_analysis_pass, add_common_metadata_analysis_pass
    >>> mg, _ = init_metadata_analysis_pass(MaseGraph.from_registered("jsc-tiny"))
    >>> mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": torch.zeros(1, 16)}})
    >>> total = flops_analysis_pass(mg)[1]["total"]
    >>> total["macs"], total["flops"], total["bitops"]
    (80, 160, 81920.0)
    """
    args = parse_pass_args(FlopsArgs, pass_args, "flops_analysis_pass")
    batch = batch_size(graph)
    nodes = {node.name: node_costs(node, batch) for node in graph.nodes}
    keys = ("macs", "flops", "other_ops", "parameters", "weight_bits", "activation_bits",
            "bitops")  # fmt: skip
    total = {key: sum(costs[key] for costs in nodes.values()) for key in keys}
    info: dict[str, Any] = {"nodes": nodes, "total": total}
    if args.print_table or args.save_path:
        rows = [(name, c["mase_op"], *(f"{c[k]:,.0f}" for k in keys)) for name, c in nodes.items()]
        rows.append(("total", "", *(f"{total[k]:,.0f}" for k in keys)))
        text = render_table("FLOPs and BitOPs per input sample", ["Node", "Mase op", *keys],
                            rows)  # fmt: skip
        info["text"] = text
        if args.print_table:
            print(text, end="")
        if args.save_path:
            write_text_atomic(args.save_path, text)
    return graph, info
