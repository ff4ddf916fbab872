"""Search plots (PNG, drawn on matplotlib's Agg canvas, written atomically).

* ``pareto.png``: every trial in the plane of the first two metrics (the
  unscaled values, axes labelled with their units), and the Pareto front of
  that plane drawn as a step front: the best value of one metric reachable
  at each value of the other (directions from the search). With one metric:
  that metric against average bits, the best trial marked. Trials checked by
  ``--verify-hardware`` are marked again at yosys' figure (``yosys_<metric>``);
  an x axis spanning more than two decades is logarithmic.
* ``history.png``: one panel per metric against the trial number. One
  objective: its values and the best so far. Several objectives: a "best so
  far" per metric would join different trials, so the panels mark the trials
  on the final Pareto front instead.

Both take the result rows of :func:`carve.search.outputs.trial_rows`; each
returns its figure from ``*_figure`` (tests read the drawn data).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from carve.figures import new_figure, save_figure
from carve.search.spec import SearchSpec

UNITS = {
    "accuracy": "accuracy (fraction of samples)",
    "loss": "loss (mean cross-entropy, nats)",
    "accuracy_drop": "accuracy drop (fraction of samples)",
    "average_bitwidth": "average bits per element",
    "weight_bitwidth": "bits per weight",
    "data_bitwidth": "bits per input element",
    "memory_density": "memory density (x fewer bits than float)",
    "model_size": "model size (bytes)",
    "bitops": "BitOPs per input sample",
    "value": "objective (scaled sum)",
}


def label(metric: str) -> str:
    """Axis label with the metric's unit."""
    return UNITS.get(metric, metric.replace("_", " "))


def _direction(spec: SearchSpec, name: str) -> str:
    found = [m.direction for m in spec.metrics if m.name == name]
    if found:
        return found[0]
    return "maximize" if name in ("accuracy", "memory_density") else "minimize"


def _axes_metrics(spec: SearchSpec) -> tuple[str, str]:
    names = list(spec.objectives)
    if len(names) >= 2:
        return names[1], names[0]
    other = "average_bitwidth" if names[0] != "average_bitwidth" else "accuracy"
    return other, names[0]


def pareto_front(points: list[tuple[float, float]], x_dir: str, y_dir: str) -> list:
    """The points no other point beats in both coordinates, sorted by x ascending."""
    sx = 1.0 if x_dir == "minimize" else -1.0  # as minimization
    sy = 1.0 if y_dir == "minimize" else -1.0
    front, best = [], None
    for x, y in sorted(set(points), key=lambda p: (sx * p[0], sy * p[1])):
        if best is None or sy * y < best:
            front.append((x, y))
            best = sy * y
    return sorted(front)


def pareto_figure(rows: list[dict[str, Any]], spec: SearchSpec):
    x, y = _axes_metrics(spec)
    x_dir, y_dir = _direction(spec, x), _direction(spec, y)
    figure, axis = new_figure(figsize=(6.4, 4.6))
    axis.scatter([r[x] for r in rows], [r[y] for r in rows], s=14, color="0.6", label="trials")
    if spec.multi_objective:
        front = pareto_front([(r[x], r[y]) for r in rows], x_dir, y_dir)
        # the best y reachable with an x at least as good: flat until the next front point
        where = "post" if x_dir == "minimize" else "pre"
        axis.step([p[0] for p in front], [p[1] for p in front], where=where, color="tab:red",
                  label="Pareto front")  # fmt: skip
        axis.plot([p[0] for p in front], [p[1] for p in front], "o", color="tab:red",
                  markersize=5)  # fmt: skip
        title = f"{len(rows)} trials: {y} ({y_dir}) vs {x} ({x_dir}), Pareto front"
    else:
        best = [r for r in rows if r["best"]]
        axis.plot([r[x] for r in best], [r[y] for r in best], "*", color="tab:red",
                  markersize=12, label="best trial")  # fmt: skip
        title = f"{len(rows)} trials: {y} ({y_dir}) against {x}"
    checked = [r for r in rows if r.get(f"yosys_{x}") is not None]  # --verify-hardware
    if checked:
        axis.scatter([r[f"yosys_{x}"] for r in checked], [r[y] for r in checked], marker="x",
                     s=40, color="tab:blue", label="same trials, yosys estimate")  # fmt: skip
    values = [r[x] for r in rows if isinstance(r[x], int | float) and r[x] > 0]
    if values and max(values) > 100 * min(values):  # LUTs, BitOPs: decades apart
        axis.set_xscale("log")
    axis.set_title(title, fontsize=9)
    axis.set_xlabel(label(x))
    axis.set_ylabel(label(y))
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    figure.tight_layout()
    return figure


def plot_pareto(path: Path, rows: list[dict[str, Any]], spec: SearchSpec) -> Path:
    save_figure(pareto_figure(rows, spec), path)
    return path


def history_figure(rows: list[dict[str, Any]], spec: SearchSpec):
    metrics = list(spec.metrics) if spec.multi_objective else [None]
    figure, axes = new_figure(len(metrics), 1, figsize=(6.4, 2.7 * len(metrics)), squeeze=False)
    ordered = sorted(rows, key=lambda r: r["number"])
    numbers = [r["number"] for r in ordered]
    for axis, metric in zip(axes[:, 0], metrics):
        column = "value" if metric is None else metric.name
        direction = spec.directions[0] if metric is None else metric.direction
        values = [r[column] for r in ordered]
        axis.scatter(numbers, values, s=10, color="tab:blue", label=f"{column} per trial")
        if metric is None:
            best = list(itertools.accumulate(values, min if direction == "minimize" else max))
            axis.step(numbers, best, where="post", color="tab:red", label="best so far")
        else:
            front = [r for r in ordered if r["best"]]
            axis.scatter([r["number"] for r in front], [r[column] for r in front], s=28,
                         color="tab:red", label="on the Pareto front")  # fmt: skip
        axis.set_ylabel(label(column), fontsize=8)
        axis.set_title(f"{column} ({direction}) per trial", fontsize=9)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7)
    axes[-1, 0].set_xlabel("trial number")
    if spec.multi_objective:
        figure.suptitle(
            f"{len(rows)} trials, {len(metrics)} objectives: Pareto-optimal trials in red",
            fontsize=9,
        )
    figure.tight_layout()
    return figure


def plot_history(path: Path, rows: list[dict[str, Any]], spec: SearchSpec) -> Path:
    save_figure(history_figure(rows, spec), path)
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
