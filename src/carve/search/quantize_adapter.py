"""The one module where search meets today's graph and quantization API.

Everything search needs from the graph layer goes through here: building the
MaseGraph of a model once, the models of quantization candidates, and their
costs (average bits, model size, BitOPs) from the analysis passes. When the
``pipeline`` layer lands, this is the file that switches to it.

Two ways to get a candidate's model, both exact:

* :meth:`QuantizedModels.trainable` runs ``quantize_transform_pass`` on a fresh
  copy of the base graph (what QAT fine-tunes);
* :meth:`QuantizedModels.inference` is the fast path for post-training search:
  when every quantizable node calls its own module (the JSC MLPs) or a
  function (``F.relu``, ``x + y``, ``torch.bmm``: a ``call_function`` node), a
  trial only swaps what those nodes call, as the pass does (a module, or the
  node's target), so one evaluation shell is reused and each (node, config)
  quantized module or function is built once and put in place by the functions
  the pass uses (``quantized_layer_for``, ``apply_node_config``). Every trial
  sets *every* quantizable node (float or quantized), and quantized layers
  hold no state, so a trial cannot see an earlier one; tests check the logits
  equal the pass's bit for bit whatever ran before. A graph with a quantizable
  method call (``x.add(y)``, which the pass turns into a
  new function node) or a module called from several nodes takes the pass.
"""

from __future__ import annotations

import json
import math
from typing import Any

import torch

from carve.ir.metadata import get_common
from carve.passes.analysis.avg_bits import COUNTED_OPS, calculate_avg_bits_mg_analysis_pass
from carve.passes.analysis.flops import flops_analysis_pass
from carve.passes.transforms.graph_edit import copy_containers, copy_mase_graph, set_submodule
from carve.passes.transforms.quantize import (
    apply_node_config,
    quantizable_nodes,
    quantize_transform_pass,
    quantized_layer_for,
)
from carve.quant.layers import QUANTIZED_OPS
from carve.quant.layers.base import PARAMETER_OPERANDS
from carve.quant.node_config import parse_node_config


def build_graph(model: torch.nn.Module, sample: torch.Tensor):
    """A MaseGraph of ``model`` with common and software metadata for one input row.

    One row, so element counts, sizes and BitOPs are per sample.
    """
    from carve.passes.graph_build import graph_with_metadata

    return graph_with_metadata(model.eval(), inputs=sample[:1], software=True)


def build_config_graph(config, dataset):
    """The analysed graph of ``config``'s model (pipeline layer), for one input row."""
    from carve.pipeline import build_graph as pipeline_graph

    return pipeline_graph(config.replace(batch_size=1), dataset)


def pass_args(node_configs: dict[str, dict | None]) -> dict[str, Any]:
    """``quantize_transform_pass`` arguments (by name) giving each node its config."""
    args: dict[str, Any] = {"by": "name", "default": {"config": {"name": None}}}
    for name, config in node_configs.items():
        if config is not None:
            args[name] = {"config": dict(config)}
    return args


def graph_costs(graph) -> dict[str, float]:
    """Cost metrics of a graph from its metadata (analysis passes; float counts 32 bits).

    ``average_bitwidth`` weighs the data and weight averages of
    ``calculate_avg_bits`` by their element counts.
    """
    _, bits = calculate_avg_bits_mg_analysis_pass(graph)
    _, flops = flops_analysis_pass(graph)
    data, weights = 0, 0
    for node in graph.nodes:
        common = get_common(node)
        if common.get("mase_op") in COUNTED_OPS:
            args = common["args"]
            data += math.prod(args["data_in_0"]["shape"]) if "data_in_0" in args else 0
            weights += math.prod(args["weight"]["shape"]) if "weight" in args else 0
    data_bits = bits["data_avg_bit"] or 0.0
    weight_bits = bits["w_avg_bit"] or 0.0
    total = data + weights
    return {
        "average_bitwidth": (data_bits * data + weight_bits * weights) / total if total else 0.0,
        "data_bitwidth": data_bits,
        "weight_bitwidth": weight_bits,
        "model_size": flops["total"]["weight_bits"] / 8,
        "bitops": float(flops["total"]["bitops"]),
    }


class QuantizedModels:
    """Candidate models and costs for node configs, from one base graph (never modified)."""

    def __init__(self, graph) -> None:
        self.graph = graph
        self.nodes = quantizable_nodes(graph)
        modules = dict(graph.model.named_modules())
        by_name = {node.name: node for node in graph.nodes}
        targets = [by_name[n].target for n in self.nodes if by_name[n].op == "call_module"]
        self.fast = len(set(targets)) == len(targets) and all(
            by_name[name].op in ("call_module", "call_function") for name in self.nodes
        )
        self._modules = modules
        self._base_nodes = by_name
        self._cache: dict[tuple[str, str], Any] = {}
        self._shell = copy_mase_graph(graph) if self.fast else None
        if self._shell is not None:
            shell_nodes = {node.name: node for node in self._shell.nodes}
            self._shell_nodes = {name: shell_nodes[name] for name in self.nodes}
            self._fresh = {name: copy_containers(get_common(by_name[name])) for name in self.nodes}

    def trainable(self, node_configs: dict[str, dict | None]):
        """A new quantized graph (the quantize pass on a copy): safe to train."""
        graph, _ = quantize_transform_pass(self.graph, pass_args(node_configs))
        return graph

    def inference(self, node_configs: dict[str, dict | None]):
        """A graph for evaluation only (reused between calls on the fast path)."""
        if not self.fast:
            return self.trainable(node_configs)
        shell = self._shell
        retargeted = False
        for name, node in self._shell_nodes.items():
            config = node_configs.get(name)
            common = get_common(node)
            fresh = self._fresh[name]
            for key in ("args", "results"):
                common[key] = copy_containers(fresh[key])
            base = self._base_nodes[name]
            float_node = config is None or config.get("name") is None or config.get("bypass")
            if float_node:  # back to the float op
                if node.op == "call_module":
                    set_submodule(shell.model, node.target, self._modules[node.target])
                elif node.target is not base.target:
                    node.target = base.target
                    retargeted = True
                continue
            layer = self._quantized(name, config)
            retargeted |= node.op == "call_function" and node.target is not layer
            apply_node_config(shell, node, layer)  # as the quantize pass
        if retargeted:
            shell.model.recompile()
        return shell

    def evaluate_many(self, node_configs: list[dict[str, dict | None]], split) -> list[dict]:
        """``{"loss", "acc"}`` of each candidate on ``split`` in one shared pass (fast path).

        The same numbers as evaluating each :meth:`inference` model alone, bit
        for bit (:mod:`carve.search.shared_eval`).
        """
        from carve.search.shared_eval import evaluate_variants

        variants = []
        for configs in node_configs:
            swapped = {}
            for name in self.nodes:
                config = configs.get(name)
                if not (config is None or config.get("name") is None or config.get("bypass")):
                    swapped[name] = self._quantized(name, config)
            variants.append(swapped)
        return evaluate_variants(self.graph.model, variants, split)

    def operands(self, name: str) -> set[str]:
        """The config operands node ``name``'s quantized layer reads (``data_in``, ``weight``...):
        its tensor inputs, the parameters its module has, and ``data_out``."""
        node = self._base_nodes[name]
        entry = QUANTIZED_OPS[self.nodes[name]]
        layer = entry.module_class if node.op == "call_module" else entry.function_class
        reads = {*layer.input_operands, "data_out"}
        if node.op == "call_module":
            module = self._modules[node.target]
            for parameter in layer.parameters_quantized:
                if getattr(module, parameter, None) is not None:
                    reads.add(PARAMETER_OPERANDS[parameter][1])
        return reads

    def check(self, name: str, config: dict) -> None:
        """Build ``name``'s quantized layer once: a config the op cannot use fails here."""
        if self._base_nodes[name].op in ("call_module", "call_function"):
            self._quantized(name, config)

    def _quantized(self, name: str, config: dict) -> Any:
        """``name``'s quantized module or function under ``config``, built once, as the pass."""
        key = (name, json.dumps(config, sort_keys=True, default=str))
        layer = self._cache.get(key)
        if layer is None:
            node = self._base_nodes[name]
            module = self._modules.get(node.target) if node.op == "call_module" else None
            layer = quantized_layer_for(node, self.nodes[name], parse_node_config(config), module)
            if node.op == "call_module":
                layer.eval()
            self._cache[key] = layer
        return layer
