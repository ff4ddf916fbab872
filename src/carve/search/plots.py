"""Search plots (PNG via matplotlib's Agg backend, written atomically).

* ``pareto.png``: every trial in the plane of the first two metrics (the
  unscaled values), the best trials (Pareto front) highlighted and joined;
  with one metric, that metric against average bits.
* ``history.png``: each objective per trial number, with the best so far.
"""

from __future__ import annotations

from pathlib import Path

from carve.search.spec import SearchSpec
from carve.study.plots import pyplot, save_figure


def _axes_metrics(spec: SearchSpec) -> tuple[str, str]:
    names = list(spec.objectives)
    if len(names) >= 2:
        return names[1], names[0]
    other = "average_bitwidth" if names[0] != "average_bitwidth" else "accuracy"
    return other, names[0]


def plot_pareto(path: Path, frame, spec: SearchSpec) -> Path:
    plt = pyplot()
    x, y = _axes_metrics(spec)
    figure, axis = plt.subplots(figsize=(6, 4.5))
    axis.scatter(frame[x], frame[y], s=14, color="0.6", label="trials")
    best = frame[frame["best"]].sort_values(x)
    axis.plot(best[x], best[y], "o-", color="tab:red", markersize=5, label="best (Pareto front)")
    axis.set_xlabel(x)
    axis.set_ylabel(y)
    axis.grid(alpha=0.3)
    axis.legend()
    figure.tight_layout()
    save_figure(figure, path)
    plt.close(figure)
    return path


def plot_history(path: Path, frame, spec: SearchSpec) -> Path:
    plt = pyplot()
    metrics = list(spec.metrics) if spec.multi_objective else [None]
    figure, axes = plt.subplots(len(metrics), 1, figsize=(6, 2.6 * len(metrics)), squeeze=False)
    ordered = frame.sort_values("number")
    for axis, metric in zip(axes[:, 0], metrics):
        column = "value" if metric is None else metric.name
        direction = spec.directions[0] if metric is None else metric.direction
        values = ordered[column]
        best = values.cummin() if direction == "minimize" else values.cummax()
        axis.scatter(ordered["number"], values, s=10, color="tab:blue", label=column)
        axis.step(ordered["number"], best, where="post", color="tab:red", label="best so far")
        axis.set_ylabel(column if metric is not None else "objective (scaled sum)")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    axes[-1, 0].set_xlabel("trial")
    figure.tight_layout()
    save_figure(figure, path)
    plt.close(figure)
    return path
