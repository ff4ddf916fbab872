"""``add_common_metadata_analysis_pass``: op identity, argument and result descriptions.

Runs the graph once on ``dummy_in`` (a dict keyed by placeholder names, as in
MASE) and records, per node, ``mase_type``, ``mase_op``, ``args`` and
``results`` (see :mod:`carve.ir.metadata`). A quantized layer's operands get
its formats (``type``, ``precision``, ``storage_bits``), as the quantize pass
writes them, so running this pass again on a quantized (or loaded) graph keeps
the costs at the quantized widths. The model runs in eval mode under
``no_grad`` and its mode is restored: an analysis pass must not move
BatchNorm running statistics.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch import fx

from carve.errors import CarveError
from carve.ir.arguments import node_arguments, target_name
from carve.ir.metadata import get_mase, tensor_entry, value_entry
from carve.ir.ops import classify_function, classify_module, declared_op
from carve.passes.utils import parse_pass_args
from carve.quant.node_config import node_config_of, record_layer_formats

if TYPE_CHECKING:
    from carve.ir.graph import MaseGraph


@dataclass
class AddCommonMetadataArgs:
    """``dummy_in``: placeholder name -> input; ``add_value``: keep tensor values."""

    dummy_in: dict[str, Any]
    add_value: bool = True
    force_device_meta: bool = False  # accepted for MASE compatibility; carve runs on the CPU


def mase_type_and_op(node: fx.Node, modules: dict) -> tuple[str, str]:
    """``(mase_type, mase_op)`` of any node."""
    if node.op in ("placeholder", "output"):
        return node.op, node.op
    if node.op == "get_attr":
        return "get_attr", "get_attr"
    if node.op == "call_module":
        return classify_module(modules[node.target])
    if node.op == "call_method":
        return classify_function(node.target, default_type="implicit_func")
    declared = declared_op(type(node.target))  # a quantized function says what it computes
    return declared if declared is not None else classify_function(target_name(node))


def concrete_value(graph, placeholder: str) -> tuple[bool, Any]:
    """``(True, value)`` when ``placeholder`` stands for a ``cf_args`` entry (fx renames
    ``flag`` to ``flag_1``), else ``(False, None)``."""
    cf_args = getattr(graph, "cf_args", None) or {}
    base = re.sub(r"_\d+$", "", placeholder)
    for key in (placeholder, base):
        if key in cf_args:
            return True, cf_args[key]
    return False, None


def bind_single_input(graph, provided: dict[str, Any]) -> dict[str, Any]:
    """``provided`` keyed by placeholder names; one input under another name is the graph's one.

    fx names a placeholder after ``forward``'s argument, so an ``nn.Sequential``'s
    input is ``input_1``, not the ``x`` of carve's models: with a single free input
    there is nothing to confuse, and ``{"x": batch}`` binds to it.
    """
    placeholders = [node.name for node in graph.nodes if node.op == "placeholder"]
    free = [name for name in placeholders if not concrete_value(graph, name)[0]]
    if len(provided) == 1 and len(free) == 1 and next(iter(provided)) not in placeholders:
        return {free[0]: next(iter(provided.values()))}
    return provided


def graph_inputs(graph, provided: dict[str, Any], pass_name: str, what: str) -> list[Any]:
    """Positional inputs of the GraphModule: ``provided`` by placeholder name (a single
    input under any name), concrete arguments filled in; an unknown or missing name is a
    CarveError naming it."""
    placeholders = [node.name for node in graph.nodes if node.op == "placeholder"]
    provided = bind_single_input(graph, provided)
    for key in provided:
        if key not in placeholders:
            raise CarveError(
                f"{pass_name}: {what} key {key!r} is not a graph input; "
                f"inputs: {', '.join(placeholders)}"
            )
    inputs, missing = [], []
    for name in placeholders:
        if name in provided:
            inputs.append(provided[name])
            continue
        found, value = concrete_value(graph, name)
        if not found:
            missing.append(name)
        inputs.append(value)
    if missing:
        raise CarveError(f"{pass_name}: {what} lacks graph input(s): {', '.join(missing)}")
    return inputs


def own_parameters(module: torch.nn.Module) -> list[tuple[str, torch.Tensor]]:
    """A module's own parameters by name; a parametrized one (pruning mask) as its
    effective value under its plain name (``weight``, not ``parametrizations...``)."""
    from torch.nn.utils import parametrize

    names = list(module.parametrizations) if parametrize.is_parametrized(module) else []
    own = [(name, getattr(module, name)) for name in names]
    return own + list(module.named_parameters(recurse=False))


class _Recorder(fx.Interpreter):
    """Runs the graph and fills ``common`` for each node as it executes."""

    def __init__(self, graph, add_value: bool) -> None:
        super().__init__(graph.model, garbage_collect_values=True)
        self.modules = dict(graph.model.named_modules())
        self.add_value = add_value

    def run_node(self, node: fx.Node) -> Any:
        common = get_mase(node).parameters["common"]
        module = self.modules.get(node.target) if node.op == "call_module" else None
        common["mase_type"], common["mase_op"] = mase_type_and_op(node, self.modules)
        args: dict[str, Any] = {}
        for name, source in node_arguments(node, module):
            if isinstance(source, fx.Node):
                args[name] = value_entry(self.env[source], self.add_value)
            else:
                args[name] = source
        if module is not None:
            for name, parameter in own_parameters(module):
                args[name] = tensor_entry(parameter, self.add_value) | {"from": None}
        common["args"] = args
        result = super().run_node(node)
        if node.op == "output":
            common["results"] = {}
        else:
            common["results"] = {"data_out_0": value_entry(result, self.add_value)}
        layer = module if module is not None else node.target
        if node.op in ("call_module", "call_function") and node_config_of(layer) is not None:
            record_layer_formats(common, layer)  # a quantized layer's widths, not float32's
        return result


def add_common_metadata_analysis_pass(
    graph: MaseGraph, pass_args: dict | None = None
) -> tuple[MaseGraph, dict]:
    """Fill ``common`` metadata of every node by running the graph on ``dummy_in``.

    >>> import torch
    >>> from carve.ir import MaseGraph
    >>> from carve.passes import init_metadata_analysis_pass as init
    >>> mg, _ = init(MaseGraph.from_registered("jsc-tiny"))
    >>> mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": torch.zeros(8, 16)}})
    >>> common = list(mg.nodes)[3].meta["mase"]["common"]
    >>> common["mase_type"], common["mase_op"], common["args"]["weight"]["shape"]
    ('module_related_func', 'linear', [5, 16])
    """
    name = "add_common_metadata_analysis_pass"
    args = parse_pass_args(AddCommonMetadataArgs, pass_args, name)
    inputs = graph_inputs(graph, args.dummy_in, name, "dummy_in")
    model = graph.model
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            _Recorder(graph, args.add_value).run(*inputs)
    finally:
        model.train(was_training)
    _graph_level(graph)
    return graph, {}


def _graph_level(graph) -> None:
    nodes = list(graph.nodes)
    inputs = [n for n in nodes if n.op == "placeholder"]
    outputs = [n for n in nodes if n.op == "output"]
    level = graph.meta.setdefault("mase", {"common": {}, "software": {}, "hardware": {}})
    level["common"] = {
        "nodes_in": [n.name for n in inputs],
        "nodes_out": [a.name for n in outputs for _, a in node_arguments(n)],
        "args": {n.name: n.meta["mase"]["common"]["results"]["data_out_0"] for n in inputs},
        "results": {
            name: entry for n in outputs for name, entry in n.meta["mase"]["common"]["args"].items()
        },
    }
