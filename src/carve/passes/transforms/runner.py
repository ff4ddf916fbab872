"""Run the ``[passes.*]`` tables of a config in file order (what ``carve transform`` does).

Each table names a registered pass (``[passes.quantize]``, ``[passes.report_graph]``...)
and holds its ``pass_args``. Some passes need things a TOML file cannot hold
(an input generator, the graph before quantization) or get default output
files under ``<project>/software/transform/``: a *preparer* per pass name adds
them, so the loop itself has no per-pass branches (as MASE's action does).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from carve.errors import CarveError

logger = logging.getLogger("carve.passes")


@dataclass
class RunContext:
    """What preparers may use: output folder, data splits, the graph before quantization."""

    out_dir: Path
    train_x: Any = None
    test_x: Any = None
    test_y: Any = None
    batch_size: int = 128
    original: Any = None  # graph before the latest quantize pass
    results: list[tuple[str, dict]] = field(default_factory=list)


Preparer = Callable[[dict, RunContext, Any], dict]
PREPARERS: dict[str, Preparer] = {}
# passes that return a new graph object the next passes must use
AFTER: dict[str, Callable[[Any, dict, RunContext, Any], None]] = {}


def preparer(name: str) -> Callable[[Preparer], Preparer]:
    def register(function: Preparer) -> Preparer:
        PREPARERS[name] = function
        return function

    return register


def _input_name(graph: Any) -> str:
    names = [n.name for n in graph.nodes if n.op == "placeholder"]
    if len(names) != 1:
        raise CarveError(f"carve transform feeds one input; the graph has {names}")
    return names[0]


@preparer("quantize")
def _quantize(args: dict, ctx: RunContext, graph: Any) -> dict:
    ctx.original = graph
    return args


def _summarize_after(graph: Any, info: dict, ctx: RunContext, original: Any) -> None:
    from carve.passes.analysis.quantization.summarize import summarize_quantization_analysis_pass

    _, summary = summarize_quantization_analysis_pass(
        graph, {"original_graph": original, "save_dir": str(ctx.out_dir / "quantize")}
    )
    info["summary"] = summary


AFTER["quantize"] = _summarize_after


@preparer("summarize_quantization")
def _summarize(args: dict, ctx: RunContext, graph: Any) -> dict:
    if ctx.original is None:
        raise CarveError("[passes.summarize_quantization] needs a [passes.quantize] before it")
    return {"original_graph": ctx.original, "save_dir": str(ctx.out_dir / "quantize"), **args}


@preparer("profile_statistics")
def _profile(args: dict, ctx: RunContext, graph: Any) -> dict:
    if "input_generator" in args or ctx.train_x is None:
        return args
    name, size = _input_name(graph), ctx.batch_size
    batches = ({name: chunk} for chunk in ctx.train_x.split(size))
    return {**args, "input_generator": batches}


@preparer("report_graph")
def _report_graph(args: dict, ctx: RunContext, graph: Any) -> dict:
    return {"file_name": str(ctx.out_dir / "report_graph.txt"), **args}


@preparer("report_node_meta_param")
def _report_meta(args: dict, ctx: RunContext, graph: Any) -> dict:
    return {"save_path": str(ctx.out_dir / "report"), **args}


@preparer("verify_quantization")
def _verify(args: dict, ctx: RunContext, graph: Any) -> dict:
    defaults = {"save_dir": str(ctx.out_dir / "verify")}
    if ctx.test_x is not None:
        defaults |= {"inputs": ctx.test_x, "labels": ctx.test_y}
    return {**defaults, **args}


@preparer("save_mase_graph")
def _save(args: dict, ctx: RunContext, graph: Any) -> dict:
    return {"save_dir": str(ctx.out_dir / "saved_mase_graph"), **args}


def run_pass_tables(graph: Any, tables: dict[str, Any], ctx: RunContext) -> Any:
    """Apply each ``[passes.<name>]`` table to ``graph`` in order; returns the final graph."""
    from carve.passes.registry import get_pass

    if not isinstance(tables, dict):
        raise CarveError("[passes] must be a table of [passes.<name>] tables")
    for name, table in tables.items():
        function = get_pass(name)  # unknown pass -> error listing the registered ones
        args = copy.deepcopy(table) if isinstance(table, dict) else table
        if isinstance(args, dict):  # other values reach the pass as given; it rejects them
            args = PREPARERS.get(name, lambda a, c, g: a)(args, ctx, graph)
        before = graph
        logger.info("running pass %s", name)
        graph, info = function(graph, args)
        if name in AFTER:
            AFTER[name](graph, info, ctx, before)
        ctx.results.append((name, info))
    return graph
