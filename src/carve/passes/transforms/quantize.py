"""``quantize_transform_pass``: swap float ops for quantized ones, by type, name or regex.

Modules (``call_module``: Linear, Conv, ReLU, BatchNorm, pooling) are replaced
in their parent by a quantized subclass holding the same parameters; functions
(``x + y``, ``torch.bmm``, ``F.relu``...) stay ``call_function`` nodes whose
target becomes the quantized function (``add_integer``; see
:mod:`carve.quant.layers.functions`), as in MASE; a method call (``x.add(y)``)
becomes such a node too. Nodes keep their names and metadata. Ask
:func:`carve.quant.layers.quantized_layer_of` for a node's quantized layer,
whatever its kind. The metadata of each quantized node gets ``type`` (format
name), ``precision`` (MASE's list) and ``storage_bits`` for every quantized
argument, so FLOPs/BitOPs and average-bits passes see the new precisions.

Search applies hundreds of configurations to one trained model, so the pass
works on a copy unless ``pass_args["in_place"]`` is true, and never modifies
``pass_args``. The info dict maps every quantizable node to the config it
received (None when left in float).

>>> import torch
>>> from carve.ir import MaseGraph
>>> from carve.passes import init_metadata_analysis_pass, add_common_metadata_analysis_pass
>>> mg, _ = init_metadata_analysis_pass(MaseGraph.from_registered("jsc-tiny"))
>>> mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": torch.randn(4, 16)}})
>>> config = {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4,
...           "weight_width": 8, "weight_frac_width": 4, "bias_width": 8, "bias_frac_width": 4}
>>> qmg, info = quantize_transform_pass(mg, {"by": "type", "linear": {"config": config}})
>>> type(qmg.modules["seq_blocks.2"]).__name__, type(mg.modules["seq_blocks.2"]).__name__
('LinearInteger', 'Linear')
>>> info["quantized"]
['seq_blocks_2']
>>> mlp, _ = init_metadata_analysis_pass(MaseGraph.from_registered("toy-mlp"))
>>> mlp, _ = add_common_metadata_analysis_pass(mlp, {"dummy_in": {"x": torch.randn(4, 16)}})
>>> relu_config = {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4}
>>> qmlp, _ = quantize_transform_pass(mlp, {"by": "type", "relu": {"config": relu_config}})
>>> relu = next(n for n in qmlp.nodes if n.name == "relu")
>>> relu.op, relu.target.__name__, relu.meta["mase"]["common"]["args"]["data_in_0"]["type"]
('call_function', 'relu_integer', 'integer')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from torch import fx

from carve.errors import CarveError, unknown_name_message
from carve.ir.metadata import get_mase
from carve.passes.results import TransformInfo
from carve.passes.transforms.graph_edit import (
    copy_mase_graph,
    replace_with_function_call,
    set_submodule,
)
from carve.passes.transforms.profiled_thresholds import fill_profiled_config
from carve.passes.transforms.quantize_args import (
    PASS,
    QuantizeArgs,
    config_for,
    drop_node_name_keys,
    parse_quantize_args,
    skipped,
)
from carve.passes.utils import require_graph
from carve.quant.layers import (
    QUANTIZED_OPS,
    QuantizedFunction,
    quantized_function_module,
    quantized_layer_of,
    quantized_module,
)
from carve.quant.node_config import NodeQuantConfig, record_layer_formats

if TYPE_CHECKING:
    from carve.ir.graph import MaseGraph


def quantizable_op(node: fx.Node, modules: dict) -> str | None:
    """The node's mase_op if the pass can quantize this node, else None."""
    if node.op not in ("call_module", "call_function", "call_method"):
        return None
    common = get_mase(node).parameters["common"]
    if "mase_op" not in common:
        raise CarveError(
            f"{PASS}: node {node.name!r} has no mase_op; run add_common_metadata_analysis_pass "
            "before quantizing"
        )
    op = common["mase_op"]
    entry = QUANTIZED_OPS.get(op)
    if entry is None:
        return None
    if node.op == "call_module":
        return op if entry.module_class is not None else None
    if entry.function_class is None:
        return None
    if node.op == "call_method":
        return op if node.target == op else None
    if isinstance(quantized_layer_of(node), QuantizedFunction):  # quantized again
        return op
    return op if node.target in entry.fx_targets else None


def quantizable_nodes(graph: MaseGraph, modules: dict | None = None) -> dict[str, str]:
    """``{node name: mase_op}`` of every node the pass can quantize, in graph order."""
    modules = dict(graph.model.named_modules()) if modules is None else modules
    found = {}
    for node in graph.nodes:
        op = quantizable_op(node, modules)
        if op is not None:
            found[node.name] = op
    return found


def _check_keys_match(args: QuantizeArgs, names: dict[str, str]) -> None:
    """Every key of ``args`` selects at least one quantizable node."""
    for key in args.entries:
        if args.by == "type":
            hit = key in names.values()
        elif args.by == "name":
            hit = key in names
        else:
            hit = any(args.patterns[key].fullmatch(name) for name in names)
        if not hit:
            what = {"type": "node type", "name": "node name", "regex_name": "node-name regex"}
            known = sorted(set(names.values())) if args.by == "type" else sorted(names)
            raise CarveError(
                f"{PASS}: {what[args.by]} key {key!r} matches no quantizable node. "
                + unknown_name_message("quantizable node", key, known)
            )


def _update_metadata(node: fx.Node, layer: Any) -> None:
    record_layer_formats(get_mase(node).parameters["common"], layer)


def quantized_layer_for(node: fx.Node, op: str, config: NodeQuantConfig, float_module: Any = None):
    """The quantized module (``float_module``'s parameters) or function ``node`` gets under
    ``config`` (profiled thresholds filled from the node's software metadata)."""
    config = fill_profiled_config(config, get_mase(node).parameters.get("software", {}))
    if node.op == "call_module":
        return quantized_module(float_module, op, config)
    return quantized_function_module(op, config)


def apply_node_config(graph: Any, node: fx.Node, layer: Any) -> fx.Node:
    """Put ``layer`` (from :func:`quantized_layer_for`) in place of ``node``'s float op and
    record its config and precisions in the node's metadata; the node now calling it.

    The one way a node gets quantized: the quantize pass and search trials both use it.
    A module replaces the node's submodule, a function becomes the node's target
    (as in MASE), a method call (``x.add(y)``) becomes a ``call_function`` node.
    """
    if node.op == "call_module":
        set_submodule(graph.model, node.target, layer)
    elif node.op == "call_function":
        node.target = layer
    else:
        node = replace_with_function_call(graph.model, node, layer)
    _update_metadata(node, layer)
    return node


def _replace(graph: Any, node: fx.Node, op: str, config: NodeQuantConfig, modules: dict) -> fx.Node:
    layer = quantized_layer_for(node, op, config, modules.get(node.target))
    if node.op == "call_module":
        modules[node.target] = layer
    return apply_node_config(graph, node, layer)


def quantize_transform_pass(
    graph: MaseGraph, pass_args: dict | None = None
) -> tuple[MaseGraph, dict]:
    """Quantize ``graph`` (a copy unless ``in_place``) as ``pass_args`` says; see the module doc."""
    require_graph(graph, PASS)
    args = parse_quantize_args(pass_args if pass_args is not None else {})
    if not args.in_place:
        graph = copy_mase_graph(graph)
    modules = dict(graph.model.named_modules())
    names = quantizable_nodes(graph, modules)
    drop_node_name_keys(args, [node.name for node in graph.nodes])
    _check_keys_match(args, names)

    plan = []
    configs: dict[str, NodeQuantConfig | None] = {}
    by_target: dict[str, tuple[str, NodeQuantConfig]] = {}
    for node in list(graph.nodes):
        if node.name not in names:
            continue
        _, config = config_for(args, node.name, names[node.name])
        configs[node.name] = config
        if skipped(config):
            continue
        if node.op == "call_module":  # a module called from several nodes gets one config
            seen = by_target.setdefault(node.target, (node.name, config))
            if seen[1] != config:
                raise CarveError(
                    f"{PASS}: nodes {seen[0]!r} and {node.name!r} call the same module "
                    f"{node.target!r} but received different configs"
                )
            if seen[0] != node.name:
                plan.append((node, None))
                continue
        plan.append((node, config))

    quantized = []
    for node, config in plan:
        name, op = node.name, names[node.name]
        if config is None:  # shared module, already replaced
            _update_metadata(node, modules[node.target])
            quantized.append(name)
            continue
        try:
            _replace(graph, node, op, config, modules)
        except CarveError as error:
            raise CarveError(f"{PASS}: node {name!r} ({op}): {error}") from None
        quantized.append(name)
    graph.model.recompile()
    if hasattr(graph, "record_transform"):
        graph.record_transform("quantize", {**args.as_pass_args(), "in_place": True})
    info = TransformInfo({
        "by": args.by,
        "configs": {n: None if c is None else c.to_mase_dict() for n, c in configs.items()},
        "node_configs": configs,
        "quantized": quantized,
        "bypassed": [n for n, c in configs.items() if c is not None and c.bypass],
    })  # fmt: skip
    return graph, info
