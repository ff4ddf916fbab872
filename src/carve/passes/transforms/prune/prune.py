"""``prune_transform_pass`` and ``prune_detach_hook_transform_pass`` (MASE's names and shapes).

The prune pass masks the weights of every Linear/Conv1d/Conv2d node (quantized
ones included) through a ``torch.nn.utils.parametrize`` parametrization and,
with an ``activation`` table, installs a pre-hook that masks the layer inputs
on every call; see :mod:`.args` for ``pass_args`` and :mod:`.criteria` for
how the masks are chosen (exact counts). Channel pruning also masks the bias
of a pruned channel, so the whole output channel is zero. It needs no
metadata values (MASE silently required ``add_value``); when common metadata
exists, each pruned weight entry gets ``sparsity`` (the fraction of zeros),
which the FLOPs/BitOPs and average-bits passes read.

Like the quantize pass it works on a copy unless ``in_place`` is true, and
it records itself in the graph's recipe: a saved pruned graph reloads with its
masks (they are buffers in the state dict). The detach pass bakes the masks
into the weights and removes the activation hooks.

>>> import torch
>>> from carve.ir import MaseGraph
>>> mg = MaseGraph.from_registered("jsc-s")
>>> pruned, info = prune_transform_pass(mg, {"weight": {"sparsity": 0.5}})
>>> info["weight"]["module_list_2"]
{'sparsity': 0.5, 'pruned': 512, 'numel': 1024}
>>> baked, _ = prune_detach_hook_transform_pass(pruned)
>>> float((baked.modules["module_list.2"].weight == 0).float().mean())
0.5
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from torch import nn

from carve.errors import CarveError
from carve.passes.results import TransformInfo
from carve.passes.transforms.graph_edit import copy_mase_graph
from carve.passes.transforms.prune.args import (
    PASS,
    PruneSpec,
    check_nodes,
    parse_prune_args,
)
from carve.passes.transforms.prune.criteria import magnitude_threshold, select_masks
from carve.passes.transforms.prune.masks import (
    ActivationMask,
    bake_masks,
    remove_activation_masks,
    set_activation_mask,
    set_weight_mask,
)
from carve.passes.utils import parse_pass_args, require_graph

PRUNABLE_TYPES = (nn.Linear, nn.Conv1d, nn.Conv2d)

if TYPE_CHECKING:
    from carve.ir.graph import MaseGraph


def prunable_layers(graph: Any) -> dict[str, nn.Module]:
    """Node name -> module of the prunable ``call_module`` nodes (first node per module)."""
    modules = dict(graph.model.named_modules())
    layers: dict[str, nn.Module] = {}
    seen: set[str] = set()
    for node in graph.nodes:
        if node.op != "call_module" or node.target in seen:
            continue
        module = modules[node.target]
        if isinstance(module, PRUNABLE_TYPES):
            layers[node.name] = module
            seen.add(node.target)
    return layers


def prune_weights(layers: dict[str, nn.Module], spec: PruneSpec) -> dict[str, dict]:
    """Mask the weights of ``layers`` as ``spec`` says; per node: sparsity, pruned, numel."""
    chosen = {name: m for name, m in layers.items() if spec.sparsity_of(name) is not None}
    if not chosen:
        return {}
    weights = {name: module.weight for name, module in chosen.items()}
    sparsity = spec.sparsity if not isinstance(spec.sparsity, dict) else {
        name: spec.sparsity[name] for name in chosen}  # fmt: skip
    try:
        masks = select_masks(weights, sparsity, spec.scope, spec.granularity, spec.method,
                             spec.seed)  # fmt: skip
    except CarveError as error:
        raise CarveError(f"{PASS}: {error}") from None
    report = {}
    for name, module in chosen.items():
        mask = masks[name]
        set_weight_mask(module, "weight", mask)
        if spec.granularity == "channel" and getattr(module, "bias", None) is not None:
            set_weight_mask(module, "bias", mask.reshape(mask.shape[0], -1).any(dim=1))
        pruned = int((~mask).sum())
        report[name] = {"sparsity": pruned / mask.numel(), "pruned": pruned,
                        "numel": mask.numel()}  # fmt: skip
    return report


def _activation_spec(graph: Any, layers: dict[str, nn.Module], spec: PruneSpec) -> PruneSpec:
    """Global scope: fix the shared threshold from the recorded input values."""
    if spec.scope != "global" or spec.threshold is not None or spec.method == "random":
        return spec
    values = []
    for node in graph.nodes:
        if node.name in layers:
            meta = node.meta.get("mase")
            entry = meta.parameters["common"].get("args", {}).get("data_in_0", {}) if meta else {}
            if "value" not in entry:
                raise CarveError(
                    f"{PASS}: activation scope 'global' ranks recorded layer inputs, but node "
                    f"{node.name!r} has none: run add_common_metadata_analysis_pass with a real "
                    "input batch and add_value=True first, or give activation.threshold"
                )
            values.append(entry["value"])
    return replace(spec, threshold=magnitude_threshold(values, spec.sparsity))


def prune_activations(layers: dict[str, nn.Module], spec: PruneSpec) -> dict[str, dict]:
    """Install the activation-mask pre-hooks; per node: target sparsity (and threshold)."""
    report = {}
    for name, module in layers.items():
        sparsity = spec.sparsity_of(name)
        if sparsity is None:
            continue
        set_activation_mask(module, ActivationMask(sparsity, spec.method, spec.threshold,
                                                   spec.seed))  # fmt: skip
        report[name] = {"sparsity": sparsity, "threshold": spec.threshold}
    return report


def write_weight_sparsity(graph: Any, sparsity: dict[str, float]) -> None:
    """Record each node's weight sparsity in its common ``weight`` entry (for the cost passes)."""
    for node in graph.nodes:
        meta = node.meta.get("mase")
        if node.name not in sparsity or meta is None:
            continue
        entry = meta.parameters["common"].get("args", {}).get("weight")
        if isinstance(entry, dict):
            entry["sparsity"] = sparsity[node.name]


def prune_transform_pass(graph: MaseGraph, pass_args: dict | None = None) -> tuple[MaseGraph, dict]:
    """Prune ``graph`` (a copy unless ``in_place``); info: per-node weight/activation results."""
    require_graph(graph, PASS)
    args = parse_prune_args(pass_args if pass_args is not None else {})
    if not args.in_place:
        graph = copy_mase_graph(graph)
    layers = prunable_layers(graph)
    if not layers:
        raise CarveError(f"{PASS}: the graph has no prunable (Linear/Conv1d/Conv2d) node")
    check_nodes(args.weight, "weight", list(layers))
    check_nodes(args.activation, "activation", list(layers))
    info = TransformInfo(weight={}, activation={})
    if args.weight is not None:
        info["weight"] = prune_weights(layers, args.weight)
        write_weight_sparsity(graph, {k: v["sparsity"] for k, v in info["weight"].items()})
    activation = args.activation
    if activation is not None:
        activation = _activation_spec(graph, layers, activation)
        info["activation"] = prune_activations(layers, activation)
    if hasattr(graph, "record_transform"):
        recorded = replace(args, activation=activation)
        graph.record_transform("prune", {**recorded.as_pass_args(), "in_place": True})
    return graph, info


@dataclass
class DetachArgs:
    """``in_place``: bake the masks in ``graph`` itself (default: in a copy)."""

    in_place: bool = False


def prune_detach_hook_transform_pass(
    graph: MaseGraph, pass_args: dict | None = None
) -> tuple[MaseGraph, dict]:
    """Bake the pruning masks into the weights and remove activation hooks (makes pruning final).

    Info: ``{"baked": {node: [tensor names]}, "hooks_removed": {node: count}}``.
    """
    require_graph(graph, "prune_detach_hook_transform_pass")
    args = parse_pass_args(DetachArgs, pass_args, "prune_detach_hook_transform_pass")
    if not args.in_place:
        graph = copy_mase_graph(graph)
    baked, removed = {}, {}
    for name, module in prunable_layers(graph).items():
        names = bake_masks(module)
        if names:
            baked[name] = names
        count = remove_activation_masks(module)
        if count:
            removed[name] = count
    if hasattr(graph, "record_transform"):
        graph.record_transform("prune_detach_hook", {"in_place": True})
    return graph, TransformInfo(baked=baked, hooks_removed=removed)
