"""``add_software_metadata_analysis_pass``: empty ``stat`` slots for the profiler.

Slots (as MASE): every tensor edge argument (``data_in_i``, or ``weight``/
``bias`` of functional ops), every parameter and buffer of a module (BatchNorm's
``num_batches_tracked`` excluded: it is a counter, not data) and
``data_out_0``. Placeholders and get_attr nodes get a result slot only, the
output node an argument slot only, ``size`` no result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from torch import fx

from carve.ir.arguments import node_arguments
from carve.ir.metadata import get_mase
from carve.passes.utils import parse_pass_args

if TYPE_CHECKING:
    from carve.ir.graph import MaseGraph


@dataclass
class AddSoftwareMetadataArgs:
    """No arguments."""


def software_arg_names(node: fx.Node, module=None) -> list[str]:
    """Names of the software ``args`` slots of a node (edges first, then module tensors)."""
    names = [name for name, source in node_arguments(node, module) if isinstance(source, fx.Node)]
    if module is not None:
        names += [name for name, _ in module.named_parameters(recurse=False)]
        names += [
            name for name, _ in module.named_buffers(recurse=False) if name != "num_batches_tracked"
        ]
    return names


def add_software_metadata_analysis_pass(
    graph: MaseGraph, pass_args: dict | None = None
) -> tuple[MaseGraph, dict]:
    """Give each node ``software = {"args": {name: {"stat": {}}}, "results": {...}}``."""
    parse_pass_args(AddSoftwareMetadataArgs, pass_args, "add_software_metadata_analysis_pass")
    modules = dict(graph.model.named_modules())
    for node in graph.nodes:
        meta = get_mase(node)
        module = modules.get(node.target) if node.op == "call_module" else None
        args = {name: {"stat": {}} for name in software_arg_names(node, module)}
        results = {} if node.op == "output" else {"data_out_0": {"stat": {}}}
        if node.op == "call_method" and node.target == "size":
            results = {}
        meta.parameters["software"] = {"args": args, "results": results}
    return graph, {}
