"""Study plots fit for a lab report (matplotlib, headless Agg backend, 150 dpi).

Every figure carries a caption line saying what was trained (model, dataset,
rows, epochs, seeds) and what the error bars and bands are (±1 standard
deviation over seeds). PNG always; SVG and PDF on request (``formats``).

* ``metrics_vs_<key>``: test accuracy and loss against each varied option, one
  series per combination of the other options, offset sideways so error bars
  do not hide each other. Batch size is on a log2 axis, learning rate and
  weight decay on a log10 axis, with ticks at the values used (integer flags
  get integer ticks); categories (models, optimizers) are points, not a line;
* ``curves``: training (solid) and validation (dashed) loss and accuracy per
  epoch, one colour per configuration, a band of ±1 std over seeds; the
  legend sits outside the axes;
* ``heatmap`` (two varied options): mean test accuracy per cell with its std
  and number of seeds; the colour range is at least two stds wide, so seed
  noise does not look like a difference.
"""

from __future__ import annotations

import itertools
import statistics
from pathlib import Path
from typing import Any

from carve.figures import PlotStyle, pyplot, save_figure
from carve.study.report import format_value, title

LOG10_KEYS = ("learning_rate", "weight_decay", "eta_min")
LOG2_KEYS = ("batch_size", "accumulate_grad_batches")
PLAIN = PlotStyle()  # no caption, PNG only
ERROR_TEXT = "points: mean over seeds; bars and bands: ±1 std over seeds"


def study_caption(spec: Any) -> str:
    """One line naming what every run shares, which options vary, and what bars mean."""
    base, varied = spec.base, set(spec.keys)

    def fixed(key: str, text: str) -> str:
        return f"{title(key).lower()} varied" if key in varied else text

    rows = f" ({base.data_size:,} rows)" if base.data_size and "data_size" not in varied else ""
    last = base.seed + spec.seeds - 1
    seeds = f"{spec.seeds} seed{'s' if spec.seeds > 1 else ''} ({base.seed}..{last})"
    parts = [
        f"{fixed('model', base.model)} on {fixed('dataset', base.dataset)}{rows}",
        fixed("max_epochs", f"{base.max_epochs} epoch{'s' if base.max_epochs > 1 else ''}"),
        fixed("batch_size", f"batch size {base.batch_size}"),
        fixed("learning_rate", f"learning rate {base.learning_rate:g}"),
        seeds,
        ERROR_TEXT if spec.seeds > 1 else "one seed: no error bars",
    ]
    return "; ".join(parts)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _label(values: dict[str, Any]) -> str:
    return ", ".join(f"{title(k)} {format_value(v)}" for k, v in values.items()) or "all"


def _axis_kind(key: str, values: list[Any]) -> str:
    """``category``, ``log2``, ``log10``, ``int`` or ``linear``: how ``key`` is drawn."""
    if not all(_is_number(v) for v in values):
        return "category"
    positive = all(v > 0 for v in values)
    if key in LOG2_KEYS and positive:
        return "log2"
    if key in LOG10_KEYS and positive:
        return "log10"
    return "int" if all(isinstance(v, int) for v in values) else "linear"


def _positions(kind: str, values: list[Any], xs: list[Any], shift: float) -> list[float]:
    """x positions of one series, moved by ``shift`` (in units of the spacing) sideways."""
    if kind == "category":
        return [values.index(x) + 0.12 * shift for x in xs]
    numbers = sorted(values)
    if kind in ("log2", "log10"):
        steps = [b / a for a, b in itertools.pairwise(numbers)] or [2.0]
        return [x * min(steps) ** (0.08 * shift) for x in xs]
    steps = [b - a for a, b in itertools.pairwise(numbers)] or [1.0]
    return [x + 0.08 * shift * min(steps) for x in xs]


def _format_axis(axis, kind: str, values: list[Any]) -> None:
    from matplotlib.ticker import MaxNLocator, NullLocator

    labels = [format_value(v) for v in values]
    if kind == "category":
        axis.set_xticks(range(len(values)), labels)
        axis.set_xlim(-0.5, len(values) - 0.5)
        return
    if kind in ("log2", "log10"):
        axis.set_xscale("log", base=2 if kind == "log2" else 10)
        axis.xaxis.set_minor_locator(NullLocator())
    if kind != "linear" and len(values) <= 12:
        axis.set_xticks(sorted(values), [format_value(v) for v in sorted(values)])
    elif kind == "int":
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))


def plot_metrics_vs(root: Path, rows: list[dict[str, Any]], keys: list[str], key: str,
                    style: PlotStyle = PLAIN) -> list[Path]:  # fmt: skip
    """Test accuracy and loss against ``key``, one series per value of the other keys."""
    plt = pyplot()
    others = [k for k in keys if k != key]
    values = list(dict.fromkeys(row[key] for row in rows))
    kind = _axis_kind(key, values)
    combos = list(dict.fromkeys(tuple(row[k] for k in others) for row in rows))
    figure, axes = plt.subplots(1, 2, figsize=(10 if others else 9, 3.8))
    for index, combo in enumerate(combos):
        series = [row for row in rows if tuple(row[k] for k in others) == combo]
        xs = _positions(kind, values, [row[key] for row in series], index - (len(combos) - 1) / 2)
        for axis, metric in zip(axes, ("test_acc", "test_loss")):
            axis.errorbar(
                xs, [row[f"{metric}_mean"] for row in series],
                yerr=[row[f"{metric}_std"] for row in series],
                marker="o", capsize=3, linestyle="none" if kind == "category" else "-",
                label=_label(dict(zip(others, combo))),
            )  # fmt: skip
    if key == "model" and all("parameters" in row for row in rows):
        sizes = {row["model"]: row["parameters"] for row in rows}
        values = [f"{v}\n{sizes[v]:,} parameters" for v in values]
    for axis, name in zip(axes, ("Test accuracy", "Test loss")):
        scale = {"log2": " (log2 scale)", "log10": " (log scale)"}.get(kind, "")
        axis.set_xlabel(title(key) + scale)
        axis.set_ylabel(name)
        axis.grid(alpha=0.3)
        _format_axis(axis, kind, values)
    axes[0].set_title(f"Test accuracy vs {title(key).lower()}", fontsize=10)
    axes[1].set_title(f"Test loss vs {title(key).lower()}", fontsize=10)
    if others:
        axes[1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    return save_figure(figure, root / f"metrics_vs_{key}", style)


def _curve_stats(records: list[dict[str, Any]], keys: list[str]) -> dict[tuple, dict[str, list]]:
    """Per configuration and metric: per-epoch mean and std over seeds."""
    runs: dict[tuple, list[list[dict[str, Any]]]] = {}
    for record in records:
        runs.setdefault(tuple(record["values"][k] for k in keys), []).append(record["history"])
    stats = {}
    for combo, histories in runs.items():
        epochs = min(len(h) for h in histories)
        stats[combo] = {"epoch": list(range(1, epochs + 1))}
        for metric in ("train_loss", "val_loss", "train_acc", "val_acc"):
            per_epoch = [[h[e][metric] for h in histories] for e in range(epochs)]
            stats[combo][metric] = [statistics.fmean(v) for v in per_epoch]
            stats[combo][f"{metric}_std"] = [
                statistics.stdev(v) if len(v) > 1 else 0.0 for v in per_epoch
            ]
    return stats


def plot_curves(root: Path, records: list[dict[str, Any]], keys: list[str],
                style: PlotStyle = PLAIN) -> list[Path]:  # fmt: skip
    """Train (solid) and validation (dashed) loss/accuracy per epoch, ±1 std bands."""
    from matplotlib.ticker import MaxNLocator

    plt = pyplot()
    figure, axes = plt.subplots(1, 2, figsize=(11, 3.9))
    colours = itertools.cycle(plt.rcParams["axes.prop_cycle"].by_key()["color"])
    for combo, curve in _curve_stats(records, keys).items():
        colour = next(colours)
        for axis, kind in zip(axes, ("loss", "acc")):
            for split, line in (("train", "-"), ("val", "--")):
                mean, std = curve[f"{split}_{kind}"], curve[f"{split}_{kind}_std"]
                label = _label(dict(zip(keys, combo))) if split == "train" else None
                axis.plot(curve["epoch"], mean, line, color=colour, marker="o", markersize=3,
                          label=label)  # fmt: skip
                low = [m - s for m, s in zip(mean, std)]
                high = [m + s for m, s in zip(mean, std)]
                axis.fill_between(curve["epoch"], low, high, color=colour, alpha=0.15, lw=0)
    for axis, name in zip(axes, ("Loss", "Accuracy")):
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.set_xlabel("Epoch")
        axis.set_ylabel(name)
        axis.set_title(f"{name} per epoch (solid: train, dashed: validation)", fontsize=10)
        axis.grid(alpha=0.3)
    axes[1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    return save_figure(figure, root / "curves", style)


def heatmap_limits(means: list[float], stds: list[float]) -> tuple[float, float]:
    """Colour range: the means' range, widened to at least ±1 typical std around its middle.

    >>> heatmap_limits([0.60, 0.61], [0.05, 0.05])  # differences within noise: muted colours
    (0.555, 0.655)
    >>> heatmap_limits([0.3, 0.7], [0.01, 0.01])
    (0.3, 0.7)
    """
    low, high = min(means), max(means)
    noise = statistics.median(stds) if stds else 0.0
    middle, half = (low + high) / 2, max((high - low) / 2, noise)
    return round(middle - half, 10), round(middle + half, 10)


def plot_heatmap(root: Path, rows: list[dict[str, Any]], keys: list[str],
                 style: PlotStyle = PLAIN) -> list[Path]:  # fmt: skip
    """Mean test accuracy over a two-option grid; each cell shows mean, ± std and n seeds."""
    import numpy as np

    plt = pyplot()
    first, second = keys
    ys = list(dict.fromkeys(row[first] for row in rows))
    xs = list(dict.fromkeys(row[second] for row in rows))
    grid = np.full((len(ys), len(xs)), np.nan)
    for row in rows:
        grid[ys.index(row[first]), xs.index(row[second])] = row["test_acc_mean"]
    vmin, vmax = heatmap_limits([r["test_acc_mean"] for r in rows],
                                [r["test_acc_std"] for r in rows if r["seeds"] > 1])  # fmt: skip
    figure, axis = plt.subplots(figsize=(1.5 * len(xs) + 3, 0.8 * len(ys) + 2.2))
    image = axis.imshow(grid, cmap="viridis", aspect="auto", origin="lower", vmin=vmin, vmax=vmax)
    axis.set_xticks(range(len(xs)), [format_value(v) for v in xs])
    axis.set_yticks(range(len(ys)), [format_value(v) for v in ys])
    axis.set_xlabel(title(second))
    axis.set_ylabel(title(first))
    for row in rows:
        i, j = ys.index(row[first]), xs.index(row[second])
        value = row["test_acc_mean"]
        text = f"{value:.3f}"
        text += f"\n± {row['test_acc_std']:.3f}" if row["seeds"] > 1 else ""
        text += f"\nn={row['seeds']}"
        colour = "black" if value > (vmin + vmax) / 2 else "white"
        axis.text(j, i, text, ha="center", va="center", fontsize=7, color=colour)
    figure.colorbar(image, ax=axis, label="Mean test accuracy")
    axis.set_title("Mean test accuracy (± std over n seeds)", fontsize=10)
    return save_figure(figure, root / "heatmap", style)


def write_plots(root: Path, records: list[dict[str, Any]], rows: list[dict[str, Any]],
                keys: list[str], style: PlotStyle = PLAIN) -> list[Path]:  # fmt: skip
    """All plots of a study into ``root``; returns their paths."""
    paths = [path for key in keys for path in plot_metrics_vs(root, rows, keys, key, style)]
    paths += plot_curves(root, records, keys, style)
    if len(keys) == 2:
        paths += plot_heatmap(root, rows, keys, style)
    return paths
