"""Quantized JSC MLP graphs of a given shape, widths and sparsity, for hardware checks.

:func:`design_graph` builds a registered model (``jsc-tiny``, ``jsc-toy``,
``jsc-s``...), optionally with *random* weights of the right shapes (the cost
model check needs many designs, not trained ones: resources depend on widths,
kept weights and their values' bit patterns, not on accuracy), prunes it
(``prune_transform_pass``, l1-norm per layer) and quantizes every BatchNorm,
ReLU and Linear by name (``quantize_transform_pass``) with the integer format.
The result is what ``carve export --format verilog`` takes.

A :class:`DesignSpec` names one design: per Linear layer ``(data width, weight
width)`` and a sparsity; BatchNorm/ReLU inputs take their next Linear's data
width.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from carve.errors import CarveError


@dataclass(frozen=True)
class DesignSpec:
    """One design: model, per-Linear (data width, weight width) and sparsity."""

    model: str
    widths: tuple[tuple[int, int], ...]  # per Linear, in order
    sparsity: tuple[float, ...] = ()  # per Linear; empty: dense
    seed: int = 0
    label: str = field(default="", compare=False)
    data_int: int = 2  # integer bits of data codes (sign included): range +-2**(data_int - 1)
    weight_int: int = 1  # of weight codes: weights in [-2**(weight_int-1), 2**(weight_int-1))

    @property
    def name(self) -> str:
        if self.label:
            return self.label
        bits = "-".join(f"{d}x{w}" for d, w in self.widths)
        sparse = "-".join(f"{round(s * 100)}" for s in self.sparsity) or "0"
        return f"{self.model}_{bits}_s{sparse}_r{self.seed}"


def data_config(width: int, integer: int = 2) -> dict[str, Any]:
    """Input quantizer of a node: ``width`` bits, ``integer`` of them before the point."""
    return {"data_in_width": width, "data_in_frac_width": max(width - integer, 0)}


def linear_config(data: int, weight: int, data_int: int = 2, weight_int: int = 1) -> dict:
    return {
        "name": "integer",
        **data_config(data, data_int),
        "weight_width": weight,
        "weight_frac_width": max(weight - weight_int, 0),
        "bias_width": 8,
        "bias_frac_width": 6,
    }


def quantize_args(
    graph: Any, widths: tuple[tuple[int, int], ...], data_int: int = 2, weight_int: int = 1
) -> dict[str, Any]:
    """``quantize_transform_pass`` arguments by name: Linear ``i`` gets ``widths[i]``;
    a BatchNorm or ReLU gets the data width of the next Linear (the last one's after it)."""
    from carve.passes.transforms.quantize import quantizable_nodes

    ops = quantizable_nodes(graph)
    linears = [name for name, op in ops.items() if op == "linear"]
    if len(linears) != len(widths):
        raise CarveError(
            f"design: {len(widths)} width pair(s) given for {len(linears)} Linear layer(s)"
        )
    args: dict[str, Any] = {"by": "name", "default": {"config": {"name": None}}}
    index = 0
    for name, op in ops.items():
        data = widths[min(index, len(widths) - 1)][0]
        if op == "linear":
            args[name] = {"config": linear_config(*widths[index], data_int, weight_int)}
            index += 1
        elif op == "batch_norm1d":
            config = {"name": "integer", **data_config(data, data_int), "weight_width": 8,
                      "weight_frac_width": 5, "bias_width": 8, "bias_frac_width": 5}  # fmt: skip
            args[name] = {"config": config}
        elif op == "relu":
            args[name] = {"config": {"name": "integer", **data_config(data, data_int)}}
    return args


def randomize(model: Any, seed: int) -> None:
    """Weights uniform in [-1, 1) (every code of a weight format reachable), BatchNorm
    statistics and affine parameters drawn around identity."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.Linear):
                module.weight.copy_(torch.rand(module.weight.shape, generator=generator) * 2 - 1)
                if module.bias is not None:
                    module.bias.copy_(torch.rand(module.bias.shape, generator=generator) - 0.5)
            elif isinstance(module, torch.nn.BatchNorm1d):
                n = module.num_features
                module.running_mean.copy_(torch.randn(n, generator=generator) * 0.3)
                module.running_var.copy_(torch.rand(n, generator=generator) + 0.5)
                module.weight.copy_(torch.rand(n, generator=generator) + 0.5)
                module.bias.copy_(torch.randn(n, generator=generator) * 0.3)


def base_graph(model: Any, num_features: int = 16, seed: int = 0) -> Any:
    """``model`` (a registered name: random weights; or a module) as an analysed MaseGraph."""
    import torch

    from carve.ir import MaseGraph
    from carve.passes import add_common_metadata_analysis_pass, init_metadata_analysis_pass

    if isinstance(model, str):
        graph = MaseGraph.from_registered(model)
        randomize(graph.model, seed)
    else:
        graph = MaseGraph(model.eval())
    graph, _ = init_metadata_analysis_pass(graph)
    sample = torch.randn(8, num_features, generator=torch.Generator().manual_seed(seed))
    graph, _ = add_common_metadata_analysis_pass(graph, {"dummy_in": {"x": sample}})
    return graph


def prune_graph(graph: Any, sparsity: tuple[float, ...]) -> Any:
    """``graph`` with Linear ``i`` pruned to ``sparsity[i]`` (l1-norm, per layer); as is if
    every sparsity is 0."""
    from carve.passes.transforms.prune.prune import prunable_layers, prune_transform_pass

    if not any(s > 0 for s in sparsity):
        return graph
    layers = list(prunable_layers(graph))
    if len(layers) != len(sparsity):
        raise CarveError(
            f"design: {len(sparsity)} sparsities given for {len(layers)} Linear layer(s)"
        )
    graph, _ = prune_transform_pass(graph, {"weight": {"sparsity": dict(zip(layers, sparsity))}})
    return graph


def design_graph(spec: DesignSpec, model: Any = None, num_features: int = 16) -> Any:
    """The quantized (and pruned) MaseGraph of ``spec``; random weights unless ``model``."""
    from carve.passes.transforms.quantize import quantize_transform_pass

    graph = base_graph(spec.model if model is None else model, num_features, spec.seed)
    graph = prune_graph(graph, spec.sparsity or (0.0,) * len(spec.widths))
    args = quantize_args(graph, spec.widths, spec.data_int, spec.weight_int)
    graph, _ = quantize_transform_pass(graph, args)
    return graph
