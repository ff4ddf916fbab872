"""``summarize_quantization_analysis_pass``: which nodes quantization changed.

Both of MASE's signatures work::

    summarize_quantization_analysis_pass(ori_mg, mg, save_dir="out")          # early 2024
    summarize_quantization_analysis_pass(mg, {"original_graph": ori_mg,
                                              "save_dir": "out"})             # later

The per-node table has MASE's columns ``Ori name, New name, MASE_TYPE,
Mase_OP, Original type, Quantized type, Changed`` (type = module class,
function name, or target); the histogram groups it by original type into
``OP, Total, Changed, Unchanged``. Both are logged (the histogram at INFO, as an
org-mode table after "Quantized graph histogram:"), returned, and with a
``save_dir`` written atomically as ``quantize_table.csv`` and
``quantize_histogram.csv``. ``info["formats"]`` gives each quantized node's
format per operand, read from its typed config
(:func:`carve.quant.node_config.node_config_of`).
"""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path
from typing import Any

from carve.errors import CarveError
from carve.fileio import atomic_write_text
from carve.passes.results import SummaryInfo

logger = logging.getLogger("carve.passes")

TABLE_COLUMNS = ["Ori name", "New name", "MASE_TYPE", "Mase_OP", "Original type",
                 "Quantized type", "Changed"]  # fmt: skip
HISTOGRAM_COLUMNS = ["Original type", "OP", "Total", "Changed", "Unchanged"]
ACCEPTED = ("original_graph", "save_dir")


def node_type(graph: Any, node: Any) -> str:
    """Module class name, function ``__name__`` or the target (placeholders, methods)."""
    if node.op == "call_module":
        return type(graph.model.get_submodule(node.target)).__name__
    if node.op == "call_function":
        return getattr(node.target, "__name__", str(node.target))
    return str(node.target)


def _callee(graph: Any, node: Any) -> Any:
    if node.op == "call_module":
        return type(graph.model.get_submodule(node.target))
    return (node.op, node.target)


def _mase(node: Any, key: str) -> str:
    meta = node.meta.get("mase")
    return meta.parameters["common"].get(key, "NA") if meta is not None else "NA"


def quantization_table(original: Any, graph: Any) -> list[dict[str, Any]]:
    """One row per node of ``graph``, paired by name with ``original`` (else by position)."""
    originals = {node.name: node for node in original.nodes}
    ordered = list(original.nodes)
    rows = []
    for position, node in enumerate(graph.nodes):
        ori = originals.get(node.name) or (ordered[position] if position < len(ordered) else None)
        if ori is None:
            raise CarveError(f"summarize_quantization: node {node.name!r} has no original node")
        rows.append({
            "Ori name": ori.name,
            "New name": node.name,
            "MASE_TYPE": _mase(node, "mase_type"),
            "Mase_OP": _mase(node, "mase_op"),
            "Original type": node_type(original, ori),
            "Quantized type": node_type(graph, node),
            "Changed": _callee(original, ori) != _callee(graph, node),
        })  # fmt: skip
    return rows


def quantization_histogram(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows grouped by original type (sorted as pandas' groupby): OP, Total, Changed, Unchanged."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row["Original type"], []).append(row)
    histogram = []
    for kind in sorted(groups):
        members = groups[kind]
        changed = sum(bool(r["Changed"]) for r in members)
        histogram.append({
            "Original type": kind, "OP": members[0]["Mase_OP"], "Total": len(members),
            "Changed": changed, "Unchanged": len(members) - changed,
        })  # fmt: skip
    return histogram


def org_table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """An org-mode table (what MASE logs)."""
    from tabulate import tabulate

    cells = [[row[c] for c in columns] for row in rows]
    return tabulate(cells, headers=columns, tablefmt="orgtbl", disable_numparse=True)


def node_formats(graph: Any) -> dict[str, dict[str, str]]:
    """``{node: {operand: format name}}`` of every quantized node (from its typed config)."""
    from carve.quant.node_config import node_config_of

    found = {}
    for node in graph.nodes:
        config = node_config_of(node)
        if config is not None and config.format_name is not None:
            found[node.name] = {op: spec.format_name for op, spec in config.operands.items()}
    return found


def _csv(rows: list[dict[str, Any]], columns: list[str], index: bool) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["", *columns] if index else columns)
    for i, row in enumerate(rows):
        values = [row[c] for c in columns]
        writer.writerow([i, *values] if index else values)
    return buffer.getvalue()


def _parse(args: tuple, kwargs: dict) -> tuple[Any, Any, str | None]:
    if len(args) >= 2 and hasattr(args[1], "nodes"):  # (ori_graph, graph, save_dir=...)
        extra = set(kwargs) - {"save_dir"}
        if extra or len(args) > 3:
            raise CarveError(
                "summarize_quantization_analysis_pass(ori_graph, graph, save_dir=None)"
            )
        save_dir = args[2] if len(args) == 3 else kwargs.get("save_dir")
        return args[0], args[1], save_dir
    if not args:
        raise CarveError("summarize_quantization_analysis_pass needs a graph")
    graph = args[0]
    pass_args = args[1] if len(args) > 1 else kwargs.pop("pass_args", None)
    pass_args = dict(pass_args or {})
    unknown = [k for k in pass_args if k not in ACCEPTED]
    if unknown:
        raise CarveError(
            f"summarize_quantization_analysis_pass: unknown pass_args key {unknown[0]!r}; "
            f"accepted: {', '.join(ACCEPTED)}"
        )
    if "original_graph" not in pass_args:
        raise CarveError(
            "summarize_quantization_analysis_pass: pass_args need 'original_graph' (the graph "
            "before quantize_transform_pass)"
        )
    return pass_args["original_graph"], graph, pass_args.get("save_dir")


def summarize_quantization_analysis_pass(*args: Any, **kwargs: Any) -> tuple[Any, dict]:
    """Compare a quantized graph with its original; see the module docstring for the forms."""
    original, graph, save_dir = _parse(args, kwargs)
    rows = quantization_table(original, graph)
    histogram = quantization_histogram(rows)
    table_text = org_table(rows, TABLE_COLUMNS)
    histogram_text = org_table(histogram, HISTOGRAM_COLUMNS)
    logger.debug("Quantized graph table:\n%s", table_text)
    logger.info("Quantized graph histogram:\n%s", histogram_text)
    files = []
    if save_dir is not None:
        folder = Path(save_dir)
        table_csv = _csv(rows, TABLE_COLUMNS, index=True)
        histogram_csv = _csv(histogram, HISTOGRAM_COLUMNS, index=False)
        files.append(atomic_write_text(folder / "quantize_table.csv", table_csv))
        files.append(atomic_write_text(folder / "quantize_histogram.csv", histogram_csv))
    info = SummaryInfo({
        "table": rows,
        "histogram": histogram,
        "formats": node_formats(graph),
        "table_text": table_text,
        "histogram_text": histogram_text,
        "files": [str(f) for f in files],
    })  # fmt: skip
    return graph, info
