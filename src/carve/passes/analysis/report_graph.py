"""``report_graph_analysis_pass``: the fx listing, op counts and layer types.

Same content as MASE's report, without its glitches: "Network overview:"
starts on its own line (MASE glued it to ``return ...``) and "Layer types:"
lists the modules actually called.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from carve.passes.utils import parse_pass_args, write_text_atomic

if TYPE_CHECKING:
    from carve.ir.graph import MaseGraph

FX_OPS = ("placeholder", "get_attr", "call_function", "call_method", "call_module", "output")


@dataclass
class ReportGraphArgs:
    """``file_name``: also write the report there (printed either way)."""

    file_name: str | None = None


def graph_report(graph) -> str:
    """The report text."""
    counts = dict.fromkeys(FX_OPS, 0)
    layers = []
    modules = dict(graph.model.named_modules())
    for node in graph.nodes:
        counts[node.op] += 1
        if node.op == "call_module":
            layers.append(modules[node.target])
    listing = str(graph.fx_graph).rstrip("\n")
    return f"{listing}\nNetwork overview:\n{counts}\nLayer types:\n{layers}\n"


def report_graph_analysis_pass(
    graph: MaseGraph, pass_args: dict | None = None
) -> tuple[MaseGraph, dict]:
    """Print (and optionally save) the graph report; info has ``text`` and ``op_counts``.

    >>> from carve.ir import MaseGraph
    >>> lines = graph_report(MaseGraph.from_registered("jsc-tiny")).splitlines()
    >>> lines[:2]
    ['graph():', '    %x : [num_users=1] = placeholder[target=x]']
    >>> lines[-5:-3]
    ['    return seq_blocks_3', 'Network overview:']
    >>> eval(lines[-3])["call_module"], lines[-2], lines[-1][:30]
    (4, 'Layer types:', '[BatchNorm1d(16, eps=1e-05, mo')
    """
    args = parse_pass_args(ReportGraphArgs, pass_args, "report_graph_analysis_pass")
    text = graph_report(graph)
    print(text, end="")
    if args.file_name:
        write_text_atomic(args.file_name, text)
    counts = {op: sum(node.op == op for node in graph.nodes) for op in FX_OPS}
    return graph, {"text": text, "op_counts": counts}
