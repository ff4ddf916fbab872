"""Verify passes: the metadata is complete and consistent, or a CarveError lists why.

``verify_common_metadata_analysis_pass`` checks: unique node names; every node
typed (``mase_type`` in :data:`carve.ir.MASE_TYPES`, a non-empty ``mase_op``);
every tensor entry complete (type, precision list, integer shape, dtype);
exactly one result per node except ``output`` (none); one ``data_in_i`` per
graph edge; and on every edge, the consumer's argument shape equals the
producer's ``data_out_0`` shape. ``verify_software_metadata_analysis_pass``
checks the ``stat`` slots. (MASE's verify looked for keys it never wrote, so
it failed on every real graph.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from torch import fx

from carve.errors import CarveError
from carve.ir.arguments import node_arguments
from carve.ir.ops import MASE_TYPES
from carve.passes.results import CheckInfo
from carve.passes.utils import parse_pass_args

if TYPE_CHECKING:
    from carve.ir.graph import MaseGraph

_ENTRY_KEYS = ("type", "precision", "shape", "torch_dtype")
_SHOWN = 20


@dataclass
class VerifyArgs:
    """``raise_on_error``: raise a CarveError listing the problems (else only report them)."""

    raise_on_error: bool = True


def _entry_problems(where: str, entry: Any) -> list[str]:
    if not isinstance(entry, dict):
        return []
    if "torch_dtype" not in entry:  # a non-tensor value on an edge
        return [] if "type" in entry else [f"{where}: no 'type'"]
    problems = [f"{where}: missing {key!r}" for key in _ENTRY_KEYS if key not in entry]
    shape = entry.get("shape")
    if not (isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)):
        problems.append(f"{where}: shape {shape!r} is not a list of sizes")
    if not isinstance(entry.get("precision"), list):
        problems.append(f"{where}: precision {entry.get('precision')!r} is not a list")
    return problems


def common_problems(graph) -> tuple[list[str], int]:
    """Problems found in common metadata, and how many edges were checked."""
    problems: list[str] = []
    names: set[str] = set()
    modules = dict(graph.model.named_modules())
    edges = 0
    for node in graph.nodes:
        if node.name in names:
            problems.append(f"duplicate node name {node.name!r}")
        names.add(node.name)
        meta = node.meta.get("mase")
        common = meta.parameters.get("common", {}) if meta is not None else {}
        if not common.get("mase_type"):
            problems.append(f"{node.name}: no metadata (run add_common_metadata first)")
            continue
        if common["mase_type"] not in MASE_TYPES:
            problems.append(f"{node.name}: unknown mase_type {common['mase_type']!r}")
        if not common.get("mase_op"):
            problems.append(f"{node.name}: empty mase_op")
        args, results = common.get("args", {}), common.get("results", {})
        for key, entry in [*args.items(), *results.items()]:
            problems += _entry_problems(f"{node.name}.{key}", entry)
        wanted = 0 if node.op == "output" else 1
        if len(results) != wanted or (wanted and "data_out_0" not in results):
            problems.append(f"{node.name}: expected {wanted} result(s), found {list(results)}")
        module = modules.get(node.target) if node.op == "call_module" else None
        for name, source in node_arguments(node, module):
            if not isinstance(source, fx.Node):
                continue
            edges += 1
            if name not in args:
                problems.append(f"{node.name}: edge from {source.name} has no args[{name!r}]")
                continue
            produced = source.meta.get("mase")
            out = produced.parameters["common"].get("results", {}).get("data_out_0", {})
            if args[name].get("shape") != out.get("shape"):
                problems.append(
                    f"edge {source.name} -> {node.name}.{name}: shape {args[name].get('shape')} "
                    f"!= produced {out.get('shape')}"
                )
    return problems, edges


def software_problems(graph) -> list[str]:
    """Problems found in software metadata (slots present, ``stat`` a dict)."""
    problems = []
    for node in graph.nodes:
        meta = node.meta.get("mase")
        software = meta.parameters.get("software", {}) if meta is not None else {}
        if "args" not in software or "results" not in software:
            problems.append(f"{node.name}: no software metadata (run add_software_metadata)")
            continue
        for kind in ("args", "results"):
            for key, slot in software[kind].items():
                if not isinstance(slot, dict) or not isinstance(slot.get("stat"), dict):
                    problems.append(f"{node.name}.{kind}.{key}: 'stat' is not a dict")
    return problems


def _finish(graph, problems: list[str], info: dict, raise_on_error: bool, what: str):
    info = CheckInfo(info, problems=problems, ok=not problems)
    if problems and raise_on_error:
        shown = "; ".join(problems[:_SHOWN])
        more = f" (and {len(problems) - _SHOWN} more)" if len(problems) > _SHOWN else ""
        raise CarveError(f"{what} failed: {shown}{more}")
    return graph, info


def verify_common_metadata_analysis_pass(
    graph: MaseGraph, pass_args: dict | None = None
) -> tuple[MaseGraph, dict]:
    """Check common metadata; info = ``{"problems", "nodes", "edges"}``."""
    args = parse_pass_args(VerifyArgs, pass_args, "verify_common_metadata_analysis_pass")
    problems, edges = common_problems(graph)
    info = {"nodes": len(graph.fx_graph.nodes), "edges": edges}
    return _finish(graph, problems, info, args.raise_on_error, "metadata verification")


def verify_software_metadata_analysis_pass(
    graph: MaseGraph, pass_args: dict | None = None
) -> tuple[MaseGraph, dict]:
    """Check software metadata slots; info = ``{"problems"}``."""
    args = parse_pass_args(VerifyArgs, pass_args, "verify_software_metadata_analysis_pass")
    return _finish(graph, software_problems(graph), {}, args.raise_on_error,
                   "software metadata verification")  # fmt: skip


def verify_metadata_analysis_pass(
    graph: MaseGraph, pass_args: dict | None = None
) -> tuple[MaseGraph, dict]:
    """Both checks (software only where ``add_software_metadata`` ran)."""
    args = parse_pass_args(VerifyArgs, pass_args, "verify_metadata_analysis_pass")
    problems, edges = common_problems(graph)
    if any("args" in n.meta["mase"].parameters["software"] for n in graph.nodes
           if "mase" in n.meta):  # fmt: skip
        problems += software_problems(graph)
    info = {"nodes": len(graph.fx_graph.nodes), "edges": edges}
    return _finish(graph, problems, info, args.raise_on_error, "metadata verification")
