"""Several variants of one fx graph evaluated in one pass over the rows, shared work done once.

The candidates of a post-training quantization search differ only in what
some nodes call (a quantized module, or a quantized function in place of
``F.relu``, ``+``...). Run one after the other, every candidate recomputes
everything its nodes share with the others: the float layers before the first
quantized node, the first layers when only later ones differ, the same
quantized layer drawn by several trials. Here each chunk of rows is read once
for the whole batch of variants, and every node is computed once per distinct
*prefix*: its own choice of callable together with the prefixes of its inputs
(planned once per batch; values are freed as soon as nothing reads them).

Exact by construction: every variant's value at every node comes from the
same callable called on the same tensors as its own forward pass (the code fx
generates calls exactly these), so its logits are bit for bit those of
evaluating it alone (tested). In-place ops get a copy of a shared input, so
one variant never changes what another reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import fx

from carve.train.evaluate import EVAL_BATCH_SIZE, Totals


def _in_place(node: fx.Node, module: Any) -> bool:
    if node.op == "call_module":
        return bool(getattr(module, "inplace", False))
    if node.op == "call_method":
        return str(node.target).endswith("_") and not str(node.target).endswith("__")
    return bool(node.kwargs.get("inplace", False))


@dataclass
class _Step:
    """One distinct computation: a node with its choice of callable, on distinct inputs."""

    node: fx.Node
    call: Any  # the module or function it calls (its own, or a variant's), or None
    inputs: dict[fx.Node, int]  # input node -> index of the step computing it
    uses: int = 0  # steps (and outputs) reading this one


def _plan(
    nodes: list[fx.Node], own: Mapping[str, Any], chosen: list[dict[str, Any]]
) -> tuple[list[_Step], list[int]]:
    """The distinct steps of all variants in dependency order; each variant's output step.

    A choice is known by its identity: equal choices share one cached module or function.
    """
    steps: list[_Step] = []
    index: dict[tuple, int] = {}
    outputs = []
    for swapped in chosen:
        prefix: dict[fx.Node, int] = {}
        for node in nodes:
            if node.op == "output":
                (result,) = node.all_input_nodes
                outputs.append(prefix[result])
                steps[prefix[result]].uses += 1
                continue
            call = swapped.get(node.name, own[node.name])
            inputs = {n: prefix[n] for n in node.all_input_nodes}
            key = (node.name, id(call), tuple(inputs.values()))
            if key not in index:
                index[key] = len(steps)
                steps.append(_Step(node, call, inputs))
                for step in inputs.values():
                    steps[step].uses += 1
            prefix[node] = index[key]
    return steps, outputs


def evaluate_variants(
    graph_module: fx.GraphModule,
    variants: Sequence[Mapping[str, Any]],
    split: Any,
    batch_size: int = EVAL_BATCH_SIZE,
) -> list[dict[str, float]]:
    """``{"loss", "acc"}`` per variant (``{node name: module or function to call instead}``,
    for ``call_module`` and ``call_function`` nodes).

    The same numbers :func:`carve.train.evaluate` gives for each variant's
    model (mean cross-entropy, accuracy) on ``split``, modules in eval mode.
    Each distinct step runs once per chunk of rows and its value is dropped
    as soon as the last step reading it has run.
    """
    modules = dict(graph_module.named_modules())
    own = {node.name: _own_call(node, modules) for node in graph_module.graph.nodes}
    steps, outputs = _plan(list(graph_module.graph.nodes), own, list(variants))
    totals = [Totals() for _ in variants]
    with torch.inference_mode():
        for start in range(0, len(split), batch_size):
            x = split.x[start : start + batch_size]
            y = split.y[start : start + batch_size]
            values: dict[int, Any] = {}
            left = [step.uses for step in steps]
            for number, step in enumerate(steps):
                values[number] = _run(step, graph_module, values, left, x)
                for source in step.inputs.values():
                    left[source] -= 1
                    if left[source] == 0:
                        del values[source]
            for total, step in zip(totals, outputs):
                total.add(values[step], y)
    return [total.metrics(len(split)) for total in totals]


def _run(step: _Step, graph_module, values, left, x) -> Any:
    """The value of ``step`` (its inputs are in ``values``)."""
    node = step.node
    if node.op == "placeholder":
        return x
    if node.op == "get_attr":
        value = graph_module
        for atom in node.target.split("."):
            value = getattr(value, atom)
        return value
    args = fx.node.map_arg(node.args, lambda n: values[step.inputs[n]])
    kwargs = fx.node.map_arg(node.kwargs, lambda n: values[step.inputs[n]])
    call = step.call
    if _in_place(node, call) and node.all_input_nodes:
        first = step.inputs[node.all_input_nodes[0]]
        if left[first] > 1 and args and isinstance(args[0], torch.Tensor):
            args = (args[0].clone(), *args[1:])  # another step still reads this input
    if node.op == "call_method":
        self_value, *rest = args
        return getattr(self_value, node.target)(*rest, **kwargs)
    return call(*args, **kwargs)


def _own_call(node: fx.Node, modules: Mapping[str, Any]) -> Any:
    """What ``node`` calls in the graph itself: its module, or its function (else None)."""
    if node.op == "call_module":
        return modules[node.target]
    return node.target if node.op == "call_function" else None
