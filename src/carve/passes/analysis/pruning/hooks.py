"""``hook_inspection_analysis_pass``: which hooks sit on the graph's modules (MASE's name).

Pruning installs forward pre-hooks (activation masks); a leftover hook changes
what a graph computes without showing in its fx listing, so this pass lists
them: ``{"<module path>_<hook id>": (hook id, hook)}`` for forward, forward
pre- and backward hooks (MASE's key format; the root module is ``model``).

>>> import torch
>>> from carve.ir import MaseGraph
>>> from carve.passes import prune_transform_pass
>>> mg = MaseGraph.from_registered("jsc-tiny")
>>> pruned, _ = prune_transform_pass(mg, {"activation": {"sparsity": 0.5}})
>>> [(key.rsplit("_", 1)[0], type(hook).__name__) for key, (_, hook)
...  in hook_inspection_analysis_pass(pruned)[1].items()]
[('seq_blocks.2', 'ActivationMask')]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from carve.passes.utils import parse_pass_args, require_graph

HOOK_DICTS = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks",
              "_backward_pre_hooks")  # fmt: skip

if TYPE_CHECKING:
    from carve.ir.graph import MaseGraph


@dataclass
class HookInspectionArgs:
    """No arguments."""


def hook_inspection_analysis_pass(
    graph: MaseGraph, pass_args: dict | None = None
) -> tuple[MaseGraph, dict]:
    """``(graph, {"<module>_<id>": (id, hook)})`` for every hook on every module."""
    require_graph(graph, "hook_inspection_analysis_pass")
    parse_pass_args(HookInspectionArgs, pass_args, "hook_inspection_analysis_pass")
    hooks = {}
    for path, module in graph.model.named_modules():
        for attribute in HOOK_DICTS:
            for key, hook in getattr(module, attribute, {}).items():
                hooks[f"{path or 'model'}_{key}"] = (key, hook)
    return graph, hooks
