"""``profile_statistics_analysis_pass``: weight and activation statistics into software metadata.

pass_args as MASE's: ``by`` (``"type"`` matches ``mase_op``, ``"name"`` the node
name), ``target_weight_nodes``, ``target_activation_nodes``,
``weight_statistics`` / ``activation_statistics`` (``{stat_name: kwargs}``, see
:mod:`.stats`), ``input_generator`` (an iterable of ``{input_name: batch}``
dicts, e.g. ``carve.data.InputGenerator``), ``num_samples``.

Differences from MASE, on purpose: batches are fed whole (vectorised, no loop
over single samples); exactly ``num_samples`` samples are used (the last batch
is cut; MASE used every sample of ``ceil(num_samples / batch_size)`` batches);
``profile_output_activation=True`` also profiles each target's ``data_out_0``;
recorded values are copied before the node runs, so in-place ops (JSC's ReLUs)
cannot change them; the model runs in eval mode under ``no_grad``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal

import torch
from torch import fx

from carve.errors import CarveError
from carve.ir.arguments import node_arguments
from carve.ir.metadata import get_mase
from carve.passes.analysis.common_metadata import graph_inputs
from carve.passes.analysis.statistics.stats import Stat, check_stat_config, make_stat
from carve.passes.utils import parse_pass_args, select_nodes
from carve.schema import Range

if TYPE_CHECKING:
    from carve.ir.graph import MaseGraph

logger = logging.getLogger("carve.passes")
PASS_NAME = "profile_statistics_analysis_pass"


@dataclass
class ProfileStatisticsArgs:
    """MASE's pass_args of the statistics profiler."""

    by: Literal["type", "name"] = "type"
    target_weight_nodes: list[str] | tuple[str, ...] = ()
    target_activation_nodes: list[str] | tuple[str, ...] = ()
    weight_statistics: dict[str, dict | None] = field(default_factory=dict)
    activation_statistics: dict[str, dict | None] = field(default_factory=dict)
    input_generator: Iterable | None = None
    num_samples: Annotated[int, Range(1)] = 32
    profile_output_activation: bool = False

    def __post_init__(self) -> None:
        check_stat_config(self.weight_statistics, "weight_statistics")
        check_stat_config(self.activation_statistics, "activation_statistics")
        if self.target_activation_nodes and self.input_generator is None:
            raise CarveError(
                "target_activation_nodes needs pass_args['input_generator'] (an iterable of "
                "{input_name: batch} dicts, e.g. carve.data.InputGenerator)"
            )


def _fresh(config: dict[str, dict | None]) -> dict[str, Stat]:
    return {name: make_stat(name, kwargs) for name, kwargs in config.items()}


def _slots(node: fx.Node) -> dict[str, Any]:
    software = get_mase(node).parameters["software"]
    if "args" not in software:
        raise CarveError(f"{PASS_NAME}: run add_software_metadata_analysis_pass first")
    return software


def _profile_weights(nodes, config, modules) -> dict:
    collected = {}
    for node in nodes:
        if node.op != "call_module":
            continue  # functional weights are edges: profiled as activations, as in MASE
        module = modules[node.target]
        tensors = dict(module.named_parameters(recurse=False))
        tensors |= dict(module.named_buffers(recurse=False))
        for name in _slots(node)["args"]:
            if name in tensors:
                stats = _fresh(config)
                for stat in stats.values():
                    stat.update(tensors[name].detach().unsqueeze(0))
                collected[(node, "args", name)] = stats
    return collected


class _ActivationProbe(fx.Interpreter):
    """Feeds each target node's tensor arguments (and optionally results) to statistics."""

    def __init__(self, graph, targets: dict, outputs: bool) -> None:
        super().__init__(graph.model, garbage_collect_values=True)
        self.modules = dict(graph.model.named_modules())
        self.targets = targets  # node -> {arg name: {stat: Stat}}
        self.outputs = outputs
        self.first_batch = True

    def run_node(self, node: fx.Node) -> Any:
        slots = self.targets.get(node)
        if slots is not None:
            module = self.modules.get(node.target) if node.op == "call_module" else None
            for name, source in node_arguments(node, module):
                if name in slots and isinstance(source, fx.Node):
                    self._feed(slots[name], self.env[source], source.op == "get_attr")
        result = super().run_node(node)
        if slots is not None and "data_out_0" in slots.get("__results__", {}):
            self._feed(slots["__results__"]["data_out_0"], result, False)
        return result

    def _feed(self, stats: dict[str, Stat], value: Any, constant: bool) -> None:
        if not isinstance(value, torch.Tensor) or (constant and not self.first_batch):
            return
        samples = value.unsqueeze(0) if constant or value.dim() == 0 else value
        for stat in stats.values():
            stat.update(samples)


def _batches(generator: Iterable, graph):
    """``(batch size, inputs)`` per batch; a tensor is accepted for a single-input graph."""
    placeholders = [node.name for node in graph.nodes if node.op == "placeholder"]
    for batch in generator:
        if isinstance(batch, torch.Tensor) and len(placeholders) == 1:
            batch = {placeholders[0]: batch}
        if not isinstance(batch, dict):
            raise CarveError(
                f"{PASS_NAME}: input_generator must yield dicts keyed by graph input "
                f"({', '.join(placeholders)}), got {type(batch).__name__}"
            )
        inputs = graph_inputs(graph, batch, PASS_NAME, "input batch")
        size = next(int(v.shape[0]) for v in batch.values() if isinstance(v, torch.Tensor))
        yield size, inputs


def _profile_activations(graph, nodes, config, args) -> tuple[dict, int]:
    modules = dict(graph.model.named_modules())
    targets: dict = {}
    collected = {}
    for node in nodes:
        module = modules.get(node.target) if node.op == "call_module" else None
        edges = {name for name, src in node_arguments(node, module) if isinstance(src, fx.Node)}
        slots = {name: _fresh(config) for name in _slots(node)["args"] if name in edges}
        for name, stats in slots.items():
            collected[(node, "args", name)] = stats
        if args.profile_output_activation and "data_out_0" in _slots(node)["results"]:
            stats = _fresh(config)
            slots["__results__"] = {"data_out_0": stats}
            collected[(node, "results", "data_out_0")] = stats
        targets[node] = slots
    probe = _ActivationProbe(graph, targets, args.profile_output_activation)
    seen = 0
    for size, inputs in _batches(args.input_generator, graph):
        take = min(size, args.num_samples - seen)
        if take < size:
            inputs = [v[:take] if isinstance(v, torch.Tensor) else v for v in inputs]
        probe.run(*inputs)
        probe.first_batch = False
        seen += take
        if seen >= args.num_samples:
            break
    if seen < args.num_samples:
        logger.warning("%s: input_generator ran out after %d of %d samples",
                       PASS_NAME, seen, args.num_samples)  # fmt: skip
    return collected, seen


def profile_statistics_analysis_pass(
    graph: MaseGraph, pass_args: dict | None = None
) -> tuple[MaseGraph, dict]:
    """Profile weights and activations of the selected nodes; info reports what was done."""
    args = parse_pass_args(ProfileStatisticsArgs, pass_args, PASS_NAME)
    weight_nodes = select_nodes(graph, args.by, args.target_weight_nodes,
                                "target_weight_nodes", PASS_NAME)  # fmt: skip
    activation_nodes = select_nodes(graph, args.by, args.target_activation_nodes,
                                    "target_activation_nodes", PASS_NAME)  # fmt: skip
    model = graph.model
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            modules = dict(model.named_modules())
            collected = _profile_weights(weight_nodes, args.weight_statistics, modules)
            seen = 0
            if activation_nodes and args.activation_statistics:
                activations, seen = _profile_activations(
                    graph, activation_nodes, args.activation_statistics, args
                )
                collected |= {k: v for k, v in activations.items() if k not in collected}
    finally:
        model.train(was_training)
    for (node, kind, name), stats in collected.items():
        slot = _slots(node)[kind][name]
        slot["stat"] = {stat_name: stat.compute() for stat_name, stat in stats.items()}
    info = {
        "weight_nodes": [node.name for node in weight_nodes],
        "activation_nodes": [node.name for node in activation_nodes],
        "num_samples": seen,
    }
    return graph, info
