"""Histograms for a lab report: values a node saw, and each layer's quantization error.

``plot_profile_histograms_analysis_pass`` draws every ``histogram`` statistic
that ``profile_statistics_analysis_pass`` stored (``weight_statistics`` /
``activation_statistics`` ``{"histogram": {"bins": 64}}``), one panel per node
and operand. ``plot_quantization_error_analysis_pass`` draws, per quantized
layer and parameter, the histogram of ``quantize(w) - w`` with the format,
its widths and the largest error in the panel title: round-to-nearest keeps
the errors within half a step, saturation shows as long tails.

Both write a PNG (150 dpi; ``.svg``/``.pdf`` by the ``save_path`` suffix) and
return ``info = {"file": path, "panels": [...]}``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carve.errors import CarveError
from carve.fileio import atomic_write
from carve.passes.utils import parse_pass_args

DPI = 150


@dataclass
class HistogramPlotArgs:
    """``save_path``: the image to write (``.png``, ``.svg`` or ``.pdf``); ``bins`` for errors."""

    save_path: str = "histograms.png"
    bins: int = 64


def _draw(graph: Any, panels: list, save_path: str, title: str, xlabel: str, empty: str):
    """``(graph, info)`` after drawing ``panels``; no panel at all is a CarveError ``empty``."""
    if not panels:
        raise CarveError(empty)
    _grid(panels, Path(save_path), title, xlabel)
    return graph, {"file": str(save_path), "panels": [p[0] for p in panels]}


def _grid(panels: list[tuple[str, Any, Any]], path: Path, title: str, xlabel: str) -> None:
    """One bar histogram per panel ``(title, counts, edges)`` on a grid, saved atomically."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    columns = min(3, len(panels))
    rows = math.ceil(len(panels) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 2.9 * rows), squeeze=False)
    for axis, (name, counts, edges) in zip(axes.flat, panels):
        widths = [b - a for a, b in itertools.pairwise(edges)]
        axis.bar(edges[:-1], counts, width=widths, align="edge", color="#4a86c5")
        axis.set_title(name, fontsize=8)
        axis.set_xlabel(xlabel, fontsize=8)
        axis.set_ylabel("count", fontsize=8)
        axis.tick_params(labelsize=7)
        axis.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts
        axis.grid(alpha=0.3)
    for axis in list(axes.flat)[len(panels) :]:
        axis.set_visible(False)
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    fmt = path.suffix.lstrip(".").lower() or "png"
    if fmt not in ("png", "svg", "pdf"):
        raise CarveError(f"save_path {str(path)!r}: accepted suffixes .png, .svg, .pdf")
    atomic_write(path, lambda file: figure.savefig(file, dpi=DPI, format=fmt))
    plt.close(figure)


def plot_profile_histograms_analysis_pass(graph: Any, pass_args: Any = None) -> tuple[Any, dict]:
    """Draw the ``histogram`` statistics stored by ``profile_statistics_analysis_pass``."""
    args = parse_pass_args(HistogramPlotArgs, pass_args, "plot_profile_histograms_analysis_pass")
    panels = []
    for node in graph.nodes:
        software = node.meta["mase"].parameters.get("software", {}) if "mase" in node.meta else {}
        for kind in ("args", "results"):
            for operand, slot in software.get(kind, {}).items():
                found = slot.get("stat", {}).get("histogram") if isinstance(slot, dict) else None
                if found and found["count"]:
                    name = f"{node.name}.{operand} ({found['count']:,} values)"
                    panels.append((name, found["counts"], found["edges"]))
    empty = ("plot_profile_histograms_analysis_pass: no histogram statistic in the graph; run "
             'profile_statistics_analysis_pass with {"histogram": {"bins": 64}} first')  # fmt: skip
    return _draw(graph, panels, args.save_path, "Values seen by each profiled node", "value", empty)


def plot_quantization_error_analysis_pass(graph: Any, pass_args: Any = None) -> tuple[Any, dict]:
    """Per quantized layer and parameter: histogram of ``quantize(w) - w``."""
    import numpy as np
    import torch

    from carve.quant.layers import quantized_layers

    args = parse_pass_args(HistogramPlotArgs, pass_args, "plot_quantization_error_analysis_pass")
    panels = []
    for node, layer in quantized_layers(graph):
        for name in layer.parameters_quantized:
            quantizer = layer.quantizers()[name]
            tensor = getattr(layer, name, None)
            if not quantizer.enabled or not isinstance(tensor, torch.Tensor):
                continue
            with torch.no_grad():
                error = (quantizer(tensor) - tensor).double().flatten().cpu().numpy()
            counts, edges = np.histogram(error, bins=args.bins)
            precision = quantizer.format.precision(quantizer.spec)
            title = (f"{node.name}.{name}: {quantizer.type} {precision}, "
                     f"max |err| {np.abs(error).max():.3g}")  # fmt: skip
            panels.append((title, counts.tolist(), edges.tolist()))
    return _draw(graph, panels, args.save_path, "Quantization error per layer: quantize(w) - w",
                 "error", "plot_quantization_error_analysis_pass: the graph has no quantized "
                 "parameter (run quantize_transform_pass)")  # fmt: skip
