"""``report_sparsity_analysis_pass``: per-layer sparsity and what it saves (table, CSV, plot).

For every prunable node: weights, measured weight and input sparsity, dense
and non-zero MACs and BitOPs per input sample (the one cost function,
:func:`carve.passes.analysis.flops.node_costs`) and stored weight bits (non-zero work and sparse
storage, :mod:`.storage`), with totals and the storage assumption written
under the table. Needs common metadata (for the costs). With ``save_dir`` it
writes ``sparsity.txt``, ``sparsity.csv`` and ``sparsity.png`` (a bar plot of
weight and input sparsity per layer). :func:`plot_tradeoff` draws accuracy
against BitOPs for a series of pruned/quantized variants (docs/pruning.md).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from carve.figures import pyplot, save_figure
from carve.fileio import atomic_write_text
from carve.passes.analysis.flops import node_costs
from carve.passes.analysis.pruning.measure import count_zeros, write_metadata
from carve.passes.analysis.pruning.storage import SPARSE_STORAGE
from carve.passes.results import ReportInfo
from carve.passes.utils import parse_pass_args, render_table, require_graph

PASS = "report_sparsity_analysis_pass"
COLUMNS = ("node", "weights", "weight_sparsity", "input_sparsity", "dense_macs", "macs",
           "bitops", "weight_bits")  # fmt: skip

if TYPE_CHECKING:
    from carve.ir.graph import MaseGraph


@dataclass
class ReportSparsityArgs:
    """``dummy_in``: input batch (input sparsity measured only with it); ``save_dir``:
    write the table, CSV and plot there; ``print_table``: print the table."""

    dummy_in: dict[str, Any] | None = None
    save_dir: str | None = None
    print_table: bool = False


def sparsity_rows(graph: Any, dummy_in: dict | None) -> list[dict[str, Any]]:
    """One row per prunable node (see the module doc), measured now."""
    counts = count_zeros(graph, dummy_in, PASS)
    write_metadata(graph, counts)
    rows = []
    for node in graph.nodes:
        if node.name not in counts:
            continue
        costs, c = node_costs(node), counts[node.name]
        rows.append({"node": node.name, "weights": c.weight_numel,
                     "weight_sparsity": c.weight_sparsity,
                     "input_sparsity": c.activation_sparsity,
                     "dense_macs": costs["dense_macs"], "macs": costs["macs"],
                     "bitops": costs["bitops"], "weight_bits": costs["weight_bits"]})  # fmt: skip
    return rows


def total_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Sums, and overall sparsities weighted by element count."""
    weights = sum(r["weights"] for r in rows)
    zeros = sum(r["weights"] * r["weight_sparsity"] for r in rows)
    measured = [r for r in rows if r["input_sparsity"] is not None]
    total = {key: sum(r[key] for r in rows) for key in ("dense_macs", "macs", "bitops",
                                                         "weight_bits")}  # fmt: skip
    return {"node": "total", "weights": weights,
            "weight_sparsity": zeros / weights if weights else 0.0,
            "input_sparsity": (sum(r["input_sparsity"] for r in measured) / len(measured))
            if measured else None, **total}  # fmt: skip


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and value <= 1.0:
        return f"{value:.1%}"
    return f"{value:,.0f}" if isinstance(value, int | float) else str(value)


def render(rows: list[dict[str, Any]], total: dict[str, Any]) -> str:
    headers = ["Node", "Weights", "Weight sparsity", "Input sparsity",
               "MACs/sample (dense)", "MACs/sample (non-zero)", "BitOPs/sample (non-zero)",
               "Weight bits (stored)"]  # fmt: skip
    body = [[_cell(r[k]) for k in COLUMNS] for r in [*rows, total]]
    note = (f"Sparse storage: {SPARSE_STORAGE}. MACs/BitOPs skip multiplications by zero "
            "weights; zero inputs are data-dependent and not skipped. Input sparsity of the "
            "total: mean over layers.\n")  # fmt: skip
    return render_table("Sparsity and cost per layer", headers, body) + note


def plot_sparsity(rows: list[dict[str, Any]], path: Path) -> Path:
    """Bar plot: weight and input sparsity (%) per layer."""
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(max(4.0, 1.1 * len(rows) + 1.5), 3.2))
    xs = range(len(rows))
    weight = [100 * r["weight_sparsity"] for r in rows]
    inputs = [100 * (r["input_sparsity"] or 0.0) for r in rows]
    axis.bar([x - 0.2 for x in xs], weight, width=0.4, label="weights")
    if any(r["input_sparsity"] is not None for r in rows):
        axis.bar([x + 0.2 for x in xs], inputs, width=0.4, label="inputs")
    axis.set_xticks(list(xs), [r["node"] for r in rows], rotation=20)
    axis.set_ylabel("zeros (%)")
    axis.set_ylim(0, 100)
    axis.set_title("Sparsity per layer")
    axis.legend()
    figure.tight_layout()
    save_figure(figure, path)
    plt.close(figure)
    return path


def plot_tradeoff(points: list[dict[str, Any]], path: str | Path, x: str = "bitops",
                  y: str = "accuracy") -> Path:  # fmt: skip
    """``y`` against ``x`` (log scale) for labelled variants: ``[{"label", x, y, "group"?}]``."""
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(6, 3.6))
    groups = list(dict.fromkeys(p.get("group", "") for p in points))
    for group in groups:
        line = [p for p in points if p.get("group", "") == group]
        axis.plot([p[x] for p in line], [p[y] for p in line], marker="o", label=group or None)
        for p in line:
            axis.annotate(p["label"], (p[x], p[y]), textcoords="offset points", xytext=(4, 4),
                          fontsize=8)  # fmt: skip
    axis.set_xscale("log")
    axis.set_xlabel(x.replace("_", " "))
    axis.set_ylabel(y.replace("_", " "))
    if any(groups):
        axis.legend()
    figure.tight_layout()
    save_figure(figure, Path(path))
    plt.close(figure)
    return Path(path)


def _csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(COLUMNS))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def report_sparsity_analysis_pass(
    graph: MaseGraph, pass_args: dict | None = None
) -> tuple[MaseGraph, dict]:
    """Info: ``{"rows": [...], "total": {...}, "text": table, "files": [...]}``."""
    require_graph(graph, PASS)
    args = parse_pass_args(ReportSparsityArgs, pass_args, PASS)
    rows = sparsity_rows(graph, args.dummy_in)
    total = total_row(rows)
    text = render(rows, total)
    files = []
    if args.save_dir is not None:
        folder = Path(args.save_dir)
        folder.mkdir(parents=True, exist_ok=True)
        files.append(atomic_write_text(folder / "sparsity.txt", text))
        files.append(atomic_write_text(folder / "sparsity.csv", _csv([*rows, total])))
        files.append(plot_sparsity(rows, folder / "sparsity.png"))
    if args.print_table:
        print(text, end="")
    return graph, ReportInfo(rows=rows, total=total, text=text, files=[str(f) for f in files])
