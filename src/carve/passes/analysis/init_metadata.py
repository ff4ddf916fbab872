"""``init_metadata_analysis_pass``: a fresh, empty :class:`MaseMetadata` on every node."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from carve.ir.metadata import MaseMetadata
from carve.passes.utils import parse_pass_args

if TYPE_CHECKING:
    from carve.ir.graph import MaseGraph


@dataclass
class InitMetadataArgs:
    """No arguments (MASE's pass takes none)."""


def init_metadata_analysis_pass(
    graph: MaseGraph, pass_args: dict | None = None
) -> tuple[MaseGraph, dict]:
    """Attach empty ``node.meta["mase"]`` to every node and ``graph.meta["mase"]``.

    >>> from carve.ir import MaseGraph
    >>> mg, info = init_metadata_analysis_pass(MaseGraph.from_registered("jsc-tiny"))
    >>> next(iter(mg.nodes)).meta["mase"].parameters
    {'common': {}, 'software': {}, 'hardware': {}}
    """
    parse_pass_args(InitMetadataArgs, pass_args, "init_metadata_analysis_pass")
    for node in graph.nodes:
        node.meta["mase"] = MaseMetadata(node=node, model=graph.model)
    graph.meta["mase"] = {"common": {}, "software": {}, "hardware": {}}
    return graph, {}
