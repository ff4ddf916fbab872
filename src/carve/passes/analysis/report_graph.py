"""``report_graph_analysis_pass``: the fx listing, op counts and layer types.

Same content as MASE's report, without its glitches: "Network overview:"
starts on its own line (MASE glued it to ``return ...``) and "Layer types:"
lists the modules actually called.
"""

from __future__ import annotations

from dataclasses import dataclass

from carve.passes.utils import parse_pass_args, write_text_atomic

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


def report_graph_analysis_pass(graph, pass_args=None):
    """Print (and optionally save) the graph report; info has ``text`` and ``op_counts``.

    >>> from carve.ir import MaseGraph
    >>> _, info = report_graph_analysis_pass(MaseGraph.from_registered("jsc-tiny"))  # doctest: +ELLIPSIS
    graph():
        %x : [num_users=1] = placeholder[target=x]
        %seq_blocks_0 : [num_users=1] = call_module[target=seq_blocks.0](args = (%x,), kwargs = {})
    ...
    Network overview:
    {'placeholder': 1, 'get_attr': 0, 'call_function': 0, 'call_method': 0, 'call_module': 4, 'output': 1}
    Layer types:
    [BatchNorm1d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True), ReLU(inplace=True), Linear(in_features=16, out_features=5, bias=True), ReLU(inplace=True)]
    <BLANKLINE>
    """
    args = parse_pass_args(ReportGraphArgs, pass_args, "report_graph_analysis_pass")
    text = graph_report(graph)
    print(text, end="")
    if args.file_name:
        write_text_atomic(args.file_name, text)
    counts = {op: sum(node.op == op for node in graph.nodes) for op in FX_OPS}
    return graph, {"text": text, "op_counts": counts}
