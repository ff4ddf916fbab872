"""Run ``[passes.*]`` tables in order, supplying what each pass declares it needs.

Each table names a registered pass (``[passes.quantize]``,
``[passes.report_graph]``...) and holds its ``pass_args``. What a TOML file
cannot hold (batches of data, the graph before quantization) or what has a
default under the run's output folder is declared by the pass itself, as a
:class:`~carve.passes.needs.PassNeeds` in its catalog row; :func:`fill_needs`
supplies every declared key the user left out. A pass may declare a follow-up
analysis (quantize -> summarize_quantization), whose info lands under
``"summary"``. The loop has no per-pass branches.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from carve.errors import CarveError
from carve.passes.needs import PassNeeds
from carve.passes.results import PassInfo

logger = logging.getLogger("carve.passes")


@dataclass
class PipelineContext:
    """What the pipeline can supply to passes: output folder, data splits, graph before."""

    out_dir: Path | None = None
    train_x: Any = None
    test_x: Any = None
    test_y: Any = None
    batch_size: int = 128
    original: Any = None  # graph before the latest graph-building transform


@dataclass
class PassResult:
    """One pass run: its registry key and its info, typed by pass family (still a dict).

    Callers read ``info.verdict``, ``info.files`` and ``info.terminal_text(...)``
    (:class:`~carve.passes.results.PassInfo`), never a key chosen by pass name.
    """

    name: str
    info: PassInfo = field(default_factory=PassInfo)

    def __post_init__(self) -> None:
        self.info = PassInfo.of(self.info)


def _input_name(graph: Any) -> str:
    from carve.passes.graph_build import input_names

    names = input_names(graph)
    if len(names) != 1:
        raise CarveError(f"the pipeline feeds one input; the graph has {names}")
    return names[0]


def _train_batches(graph: Any, ctx: PipelineContext) -> Iterator[dict[str, Any]]:
    name = _input_name(graph)
    return ({name: chunk} for chunk in ctx.train_x.split(ctx.batch_size))


def fill_needs(name: str, needs: PassNeeds, args: dict, ctx: PipelineContext, graph: Any) -> dict:
    """``args`` plus every key ``needs`` declares that the caller did not give."""
    supplied: dict[str, Any] = {}
    if needs.train_batches and ctx.train_x is not None:
        supplied[needs.train_batches] = _train_batches(graph, ctx)
    if needs.input_batch and ctx.train_x is not None:
        supplied[needs.input_batch] = {_input_name(graph): ctx.train_x[: ctx.batch_size]}
    if needs.test_inputs and ctx.test_x is not None:
        supplied[needs.test_inputs] = ctx.test_x
        if needs.test_labels:
            supplied[needs.test_labels] = ctx.test_y
    if needs.original_graph and needs.original_graph not in args:
        if ctx.original is None:
            raise CarveError(
                f"[passes.{name}] needs the graph before a graph-building transform: "
                "put a [passes.quantize] (or another transform) before it"
            )
        supplied[needs.original_graph] = ctx.original
    if needs.output and ctx.out_dir is not None:
        key, relative = needs.output
        supplied[key] = str(ctx.out_dir / relative)
    return {**supplied, **args}


def run_pass(name: str, graph: Any, args: Any, ctx: PipelineContext) -> tuple[Any, PassResult]:
    """Run registered pass ``name`` on ``graph`` with its needs filled in."""
    from carve.passes.registry import get_pass, pass_needs

    function = get_pass(name)  # unknown pass -> error listing the registered ones
    needs = pass_needs(name)
    args = copy.deepcopy(args) if isinstance(args, dict) else args
    if isinstance(args, dict):  # other values reach the pass as given; it rejects them
        args = fill_needs(name, needs, args, ctx, graph)
    before = graph
    logger.info("running pass %s", name)
    graph, info = function(graph, args)
    if needs.replayable:
        ctx.original = before
    if needs.followed_by:
        _, follow = run_pass(needs.followed_by, graph, {}, ctx)
        info = PassInfo.of(info)
        info["summary"] = follow.info
    return graph, PassResult(name, info)


def run_passes(
    graph: Any, tables: Mapping[str, Any], ctx: PipelineContext
) -> tuple[Any, list[PassResult]]:
    """Apply each ``[passes.<name>]`` table to ``graph`` in order; the final graph and results."""
    if not isinstance(tables, Mapping):
        raise CarveError("[passes] must be a table of [passes.<name>] tables")
    results = []
    for name, table in tables.items():
        graph, result = run_pass(name, graph, table, ctx)
        results.append(result)
    return graph, results
