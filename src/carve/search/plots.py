"""Search plots (PNG, drawn on matplotlib's Agg canvas, written atomically).

* ``pareto.png``: every trial in the plane of the first two metrics (the
  unscaled values), the best trials (Pareto front) highlighted and joined;
  with one metric, that metric against average bits. Trials checked by
  ``--verify-hardware`` are marked again at yosys' figure (``yosys_<metric>``);
  an axis spanning more than two decades is logarithmic.
* ``history.png``: each objective per trial number, with the best so far.

Both take the result rows of :func:`carve.search.outputs.trial_rows`.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from carve.figures import new_figure, save_figure
from carve.search.spec import SearchSpec


def _axes_metrics(spec: SearchSpec) -> tuple[str, str]:
    names = list(spec.objectives)
    if len(names) >= 2:
        return names[1], names[0]
    other = "average_bitwidth" if names[0] != "average_bitwidth" else "accuracy"
    return other, names[0]


def plot_pareto(path: Path, rows: list[dict[str, Any]], spec: SearchSpec) -> Path:
    x, y = _axes_metrics(spec)
    figure, axis = new_figure(figsize=(6, 4.5))
    axis.scatter([r[x] for r in rows], [r[y] for r in rows], s=14, color="0.6", label="trials")
    best = sorted((r for r in rows if r["best"]), key=lambda r: r[x])
    axis.plot([r[x] for r in best], [r[y] for r in best], "o-", color="tab:red", markersize=5,
              label="best (Pareto front)")  # fmt: skip
    checked = [r for r in rows if r.get(f"yosys_{x}") is not None]  # --verify-hardware
    if checked:
        axis.scatter([r[f"yosys_{x}"] for r in checked], [r[y] for r in checked], marker="x",
                     s=40, color="tab:blue", label="same trials, yosys estimate")  # fmt: skip
    values = [r[x] for r in rows if isinstance(r[x], int | float) and r[x] > 0]
    if values and max(values) > 100 * min(values):  # LUTs, BitOPs: decades apart
        axis.set_xscale("log")
    axis.set_xlabel(x)
    axis.set_ylabel(y)
    axis.grid(alpha=0.3)
    axis.legend(loc="best", fontsize=8)
    save_figure(figure, path)
    return path


def plot_history(path: Path, rows: list[dict[str, Any]], spec: SearchSpec) -> Path:
    metrics = list(spec.metrics) if spec.multi_objective else [None]
    figure, axes = new_figure(len(metrics), 1, figsize=(6, 2.6 * len(metrics)), squeeze=False)
    ordered = sorted(rows, key=lambda r: r["number"])
    numbers = [r["number"] for r in ordered]
    for axis, metric in zip(axes[:, 0], metrics):
        column = "value" if metric is None else metric.name
        direction = spec.directions[0] if metric is None else metric.direction
        values = [r[column] for r in ordered]
        best = list(itertools.accumulate(values, min if direction == "minimize" else max))
        axis.scatter(numbers, values, s=10, color="tab:blue", label=column)
        axis.step(numbers, best, where="post", color="tab:red", label="best so far")
        axis.set_ylabel(column if metric is not None else "objective (scaled sum)")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    axes[-1, 0].set_xlabel("trial")
    save_figure(figure, path)
    return path


PLOTS = {"pareto.png": plot_pareto, "history.png": plot_history}


def draw_plots(folder: Path, rows: list[dict[str, Any]], spec: SearchSpec) -> list[Path]:
    """Every search plot of ``rows`` into ``folder``; returns their paths."""
    return [plot(Path(folder) / name, rows, spec) for name, plot in PLOTS.items()]


def warm_up() -> None:
    """Import matplotlib and load its font list (what the first figure would pay)."""
    from matplotlib import font_manager
    from matplotlib.figure import Figure

    Figure()
    font_manager.findfont("DejaVu Sans")
