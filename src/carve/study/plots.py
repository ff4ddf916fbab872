"""Study plots (PNG, matplotlib's headless Agg backend).

* ``metrics_vs_<key>.png``: test accuracy and loss against each varied option
  (mean with a ±std bar over seeds; one line per combination of the other
  options; logarithmic axis for learning rate and weight decay);
* ``curves.png``: training and validation loss and accuracy per epoch, one
  colour per configuration (mean over seeds; solid train, dashed validation);
* ``heatmap.png`` (two varied options): mean test accuracy over the grid.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from carve.fileio import atomic_write
from carve.study.report import format_value, title

LOG_KEYS = ("learning_rate", "weight_decay", "eta_min")
DPI = 80  # small files, fine for docs


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _save(figure, path: Path) -> None:
    """PNG written atomically (a kill mid-save leaves the previous plot)."""
    atomic_write(path, lambda file: figure.savefig(file, dpi=DPI, format="png"))


def _log_axis(key: str, values: list[Any]) -> bool:
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    return key in LOG_KEYS and len(numbers) == len(values) and all(v > 0 for v in numbers)


def _label(values: dict[str, Any]) -> str:
    return ", ".join(f"{title(k)} {format_value(v)}" for k, v in values.items()) or "all"


def plot_metrics_vs(root: Path, rows: list[dict[str, Any]], keys: list[str], key: str) -> Path:
    """Test accuracy and loss against ``key``, one line per value of the other keys."""
    plt = _pyplot()
    others = [k for k in keys if k != key]
    figure, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    values = list(dict.fromkeys(row[key] for row in rows))
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    for combo in dict.fromkeys(tuple(row[k] for k in others) for row in rows):
        line = [row for row in rows if tuple(row[k] for k in others) == combo]
        xs = [row[key] if numeric else values.index(row[key]) for row in line]
        for axis, metric in zip(axes, ("test_acc", "test_loss")):
            axis.errorbar(
                xs,
                [row[f"{metric}_mean"] for row in line],
                yerr=[row[f"{metric}_std"] for row in line],
                marker="o",
                capsize=3,
                label=_label(dict(zip(others, combo))),
            )
    for axis, name in zip(axes, ("Test accuracy", "Test loss")):
        axis.set_xlabel(title(key))
        axis.set_ylabel(name)
        axis.grid(alpha=0.3)
        if _log_axis(key, values):
            axis.set_xscale("log")
        if not numeric:
            axis.set_xticks(range(len(values)), [format_value(v) for v in values])
    if others:
        axes[1].legend(fontsize=7)
    figure.tight_layout()
    path = root / f"metrics_vs_{key}.png"
    _save(figure, path)
    plt.close(figure)
    return path


def _mean_curves(records: list[dict[str, Any]], keys: list[str]) -> dict[tuple, dict[str, list]]:
    curves: dict[tuple, list[list[dict[str, Any]]]] = {}
    for record in records:
        curves.setdefault(tuple(record["values"][k] for k in keys), []).append(record["history"])
    means = {}
    for combo, histories in curves.items():
        epochs = min(len(h) for h in histories)
        means[combo] = {
            metric: [sum(h[e][metric] for h in histories) / len(histories) for e in range(epochs)]
            for metric in ("train_loss", "val_loss", "train_acc", "val_acc")
        }
        means[combo]["epoch"] = list(range(1, epochs + 1))
    return means


def plot_curves(root: Path, records: list[dict[str, Any]], keys: list[str]) -> Path:
    """Train (solid) and validation (dashed) loss/accuracy per epoch for every configuration."""
    plt = _pyplot()
    figure, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    colours = itertools.cycle(plt.rcParams["axes.prop_cycle"].by_key()["color"])
    for combo, curve in _mean_curves(records, keys).items():
        colour = next(colours)
        label = _label(dict(zip(keys, combo)))
        for axis, kind in zip(axes, ("loss", "acc")):
            style = {"color": colour, "marker": "o", "markersize": 3}  # one-epoch runs show
            axis.plot(curve["epoch"], curve[f"train_{kind}"], label=label, **style)
            axis.plot(curve["epoch"], curve[f"val_{kind}"], linestyle="--", **style)
    from matplotlib.ticker import MaxNLocator

    for axis, name in zip(axes, ("Loss", "Accuracy")):
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.set_xlabel("Epoch")
        axis.set_ylabel(f"{name} (solid: train, dashed: validation)")
        axis.grid(alpha=0.3)
    axes[1].legend(fontsize=7)
    figure.tight_layout()
    path = root / "curves.png"
    _save(figure, path)
    plt.close(figure)
    return path


def plot_heatmap(root: Path, rows: list[dict[str, Any]], keys: list[str]) -> Path:
    """Mean test accuracy over a two-option grid (rows: first key, columns: second)."""
    import numpy as np

    plt = _pyplot()
    first, second = keys
    ys = list(dict.fromkeys(row[first] for row in rows))
    xs = list(dict.fromkeys(row[second] for row in rows))
    grid = np.full((len(ys), len(xs)), np.nan)
    for row in rows:
        grid[ys.index(row[first]), xs.index(row[second])] = row["test_acc_mean"]
    figure, axis = plt.subplots(figsize=(1.2 * len(xs) + 2.5, 0.6 * len(ys) + 1.8))
    image = axis.imshow(grid, cmap="viridis", aspect="auto", origin="lower")
    axis.set_xticks(range(len(xs)), [format_value(v) for v in xs])
    axis.set_yticks(range(len(ys)), [format_value(v) for v in ys])
    axis.set_xlabel(title(second))
    axis.set_ylabel(title(first))
    finite = grid[np.isfinite(grid)]
    middle = float(finite.mean()) if finite.size else 0.0
    for (i, j), value in np.ndenumerate(grid):
        if np.isfinite(value):
            colour = "black" if value > middle else "white"
            axis.text(j, i, f"{value:.3f}", ha="center", va="center", fontsize=8, color=colour)
    figure.colorbar(image, ax=axis, label="Test accuracy")
    axis.set_title("Mean test accuracy")
    figure.tight_layout()
    path = root / "heatmap.png"
    _save(figure, path)
    plt.close(figure)
    return path


def write_plots(root: Path, records: list[dict[str, Any]], rows: list[dict[str, Any]],
                keys: list[str]) -> list[Path]:  # fmt: skip
    """All plots of a study into ``root``; returns their paths."""
    paths = [plot_metrics_vs(root, rows, keys, key) for key in keys]
    paths.append(plot_curves(root, records, keys))
    if len(keys) == 2:
        paths.append(plot_heatmap(root, rows, keys))
    return paths
