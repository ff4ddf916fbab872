"""Measured sparsity of weights and activations: after pruning, and the natural one.

Both passes count zeros in what the layer really uses: the effective weight
(masked by a pruning parametrization, and passed through the layer's weight
quantizer when it has one: what the hardware stores) and, with ``dummy_in``,
the layer input as the layer sees it (after any activation mask). A trained
JSC network has many natural zeros in its activations (inputs that come out
of a ReLU); pruning adds zeros to its weights.

* ``add_pruning_metadata_analysis_pass`` (MASE's name; ``dummy_in`` optional
  here, weights only without it) writes ``sparsity`` into the software
  metadata of ``weight`` and ``data_in_0`` and into the common ``weight``
  entry (read by the FLOPs/BitOPs and average-bits passes).
* ``add_natural_sparsity_metadata_analysis_pass`` reports MASE's figures:
  per layer ``(numel, density)`` of weight and input, and the element-weighted
  averages ``avg_weight``/``avg_activation``; ``add_meta`` writes the same
  metadata as above.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch

from carve.passes.analysis.common_metadata import graph_inputs
from carve.passes.transforms.prune.prune import prunable_layers, write_weight_sparsity
from carve.passes.utils import parse_pass_args, require_graph

if TYPE_CHECKING:
    from carve.ir.graph import MaseGraph


@dataclass
class LayerCount:
    """Zeros and elements of one layer's weight and (summed over the batch) input."""

    weight_zeros: int = 0
    weight_numel: int = 0
    activation_zeros: int = 0
    activation_numel: int = 0

    @property
    def weight_sparsity(self) -> float:
        return self.weight_zeros / self.weight_numel if self.weight_numel else 0.0

    @property
    def activation_sparsity(self) -> float | None:
        return self.activation_zeros / self.activation_numel if self.activation_numel else None


def effective_weight(module: torch.nn.Module) -> torch.Tensor:
    """The weight the layer computes with: masked, and quantized when the layer quantizes it."""
    weight = module.weight
    quantizer = getattr(module, "w_quantizer", None)
    return quantizer(weight) if quantizer is not None else weight


def count_zeros(
    graph: Any, dummy_in: dict[str, Any] | None, pass_name: str
) -> dict[str, LayerCount]:
    """Per prunable node: zeros of the effective weight and (with ``dummy_in``) of its input."""
    layers = prunable_layers(graph)
    counts = {name: LayerCount() for name in layers}
    with torch.no_grad():
        for name, module in layers.items():
            weight = effective_weight(module)
            counts[name].weight_zeros = int((weight == 0).sum())
            counts[name].weight_numel = weight.numel()
    if dummy_in is None:
        return counts
    inputs = graph_inputs(graph, dummy_in, pass_name, "dummy_in")

    def counter(name: str):
        def hook(module, args):
            counts[name].activation_zeros += int((args[0] == 0).sum())
            counts[name].activation_numel += args[0].numel()

        return hook

    handles = [m.register_forward_pre_hook(counter(n)) for n, m in layers.items()]
    model, was_training = graph.model, graph.model.training
    model.eval()
    try:
        with torch.no_grad():
            model(*inputs)
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return counts


def write_metadata(graph: Any, counts: dict[str, LayerCount]) -> None:
    """Measured sparsity into software ``args.weight``/``args.data_in_0`` and common ``weight``."""
    write_weight_sparsity(graph, {name: c.weight_sparsity for name, c in counts.items()})
    for node in graph.nodes:
        meta = node.meta.get("mase")
        if node.name not in counts or meta is None:
            continue
        args = meta.parameters.setdefault("software", {}).setdefault("args", {})
        args.setdefault("weight", {})["sparsity"] = counts[node.name].weight_sparsity
        if counts[node.name].activation_sparsity is not None:
            args.setdefault("data_in_0", {})["sparsity"] = counts[node.name].activation_sparsity


def _overall(counts: dict[str, LayerCount], kind: str) -> float | None:
    zeros = sum(getattr(c, f"{kind}_zeros") for c in counts.values())
    numel = sum(getattr(c, f"{kind}_numel") for c in counts.values())
    return zeros / numel if numel else None


@dataclass
class PruningMetadataArgs:
    """``dummy_in``: placeholder name -> input batch (activations measured only with it);
    ``add_value``: also store each weight's keep-mask (bool tensor) in software metadata."""

    dummy_in: dict[str, Any] | None = None
    add_value: bool = False


def add_pruning_metadata_analysis_pass(
    graph: MaseGraph, pass_args: dict | None = None
) -> tuple[MaseGraph, dict]:
    """Measure and record sparsity; info: ``{"nodes": {name: {...}}, "weight_sparsity",
    "activation_sparsity"}`` (overall figures weighted by element count)."""
    require_graph(graph, "add_pruning_metadata_analysis_pass")
    name = "add_pruning_metadata_analysis_pass"
    args = parse_pass_args(PruningMetadataArgs, pass_args, name)
    counts = count_zeros(graph, args.dummy_in, name)
    write_metadata(graph, counts)
    if args.add_value:
        layers = prunable_layers(graph)
        for node in graph.nodes:
            if node.name in layers:
                software = node.meta["mase"].parameters["software"]["args"]["weight"]
                software["value"] = (effective_weight(layers[node.name]) != 0).detach().cpu()
    nodes = {
        name: {"weight_sparsity": c.weight_sparsity, "activation_sparsity": c.activation_sparsity,
               "weight_numel": c.weight_numel, "activation_numel": c.activation_numel}
        for name, c in counts.items()
    }  # fmt: skip
    return graph, {
        "nodes": nodes,
        "weight_sparsity": _overall(counts, "weight"),
        "activation_sparsity": _overall(counts, "activation"),
    }


@dataclass
class NaturalSparsityArgs:
    """``dummy_in``: placeholder name -> input batch; ``add_meta``: record in metadata too."""

    dummy_in: dict[str, Any] = field(default_factory=dict)
    add_meta: bool = False


def add_natural_sparsity_metadata_analysis_pass(
    graph: MaseGraph, pass_args: dict | None = None
) -> tuple[MaseGraph, dict]:
    """Density of weights and inputs of the Linear/Conv layers (MASE's report).

    Info: ``{name: {"weight": (numel, density), "activation": (numel, density)},
    "avg_weight": density, "avg_activation": density}``.
    """
    require_graph(graph, "add_natural_sparsity_metadata_analysis_pass")
    name = "add_natural_sparsity_metadata_analysis_pass"
    args = parse_pass_args(NaturalSparsityArgs, pass_args, name)
    counts = count_zeros(graph, args.dummy_in or None, name)
    if args.add_meta:
        write_metadata(graph, counts)
    info: dict[str, Any] = {}
    for layer, c in counts.items():
        activation = None if c.activation_sparsity is None else 1.0 - c.activation_sparsity
        info[layer] = {"weight": (c.weight_numel, 1.0 - c.weight_sparsity),
                       "activation": (c.activation_numel, activation)}  # fmt: skip
    weight, activation = _overall(counts, "weight"), _overall(counts, "activation")
    info["avg_weight"] = None if weight is None else 1.0 - weight
    info["avg_activation"] = None if activation is None else 1.0 - activation
    return graph, info
