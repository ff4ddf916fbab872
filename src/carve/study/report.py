"""Per-run records -> one row per configuration (mean ± std over seeds) -> markdown and CSV.

>>> records = [
...     {"values": {"batch_size": 64}, "seed": 0, "test_acc": 0.70, "test_loss": 0.9,
...      "train_seconds": 2.0},
...     {"values": {"batch_size": 64}, "seed": 1, "test_acc": 0.72, "test_loss": 0.8,
...      "train_seconds": 4.0},
... ]
>>> rows = summarize(records, ["batch_size"])
>>> rows[0]["test_acc_mean"], round(rows[0]["test_acc_std"], 4), rows[0]["seeds"]
(0.71, 0.0141, 2)
>>> print(markdown_table(rows, ["batch_size"]))
| Batch Size | Test Accuracy | Test Loss | Train Time / Run (s) | Seeds |
|---:|---:|---:|---:|---:|
| 64 | 0.7100 ± 0.0141 | 0.8500 ± 0.0707 | 3.0 | 2 |
"""

from __future__ import annotations

import csv
import io
import statistics
from pathlib import Path
from typing import Any

from carve.fileio import atomic_write_text

METRICS = ("test_acc", "test_loss", "val_acc", "val_loss", "train_acc", "train_loss")
TITLES = {
    "batch_size": "Batch Size",
    "learning_rate": "Learning Rate",
    "max_epochs": "Max Epochs",
    "weight_decay": "Weight Decay",
    "training_optimizer": "Optimizer",
    "model": "Model",
}


def title(key: str) -> str:
    """Column title of an option: ``batch_size`` -> ``Batch Size``."""
    return TITLES.get(key, key.replace("_", " ").title())


def format_value(value: Any) -> str:
    """A varied value as the tables show it (floats in short ``g`` form)."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _mean_std(values: list[float]) -> tuple[float, float]:
    mean = statistics.fmean(values)
    return mean, statistics.stdev(values) if len(values) > 1 else 0.0


def summarize(records: list[dict[str, Any]], keys: list[str]) -> list[dict[str, Any]]:
    """One row per configuration, in first-seen order: the keys, ``<metric>_mean/_std``."""
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for record in records:
        groups.setdefault(tuple(record["values"][key] for key in keys), []).append(record)
    rows = []
    for values, members in groups.items():
        row: dict[str, Any] = dict(zip(keys, values))
        for metric in METRICS:
            present = [m[metric] for m in members if metric in m]
            if present:
                row[f"{metric}_mean"], row[f"{metric}_std"] = _mean_std(present)
        if "parameters" in members[0]:
            row["parameters"] = members[0]["parameters"]
        row["train_seconds_mean"] = statistics.fmean(m["train_seconds"] for m in members)
        row["seeds"] = len(members)
        rows.append(row)
    return rows


def _cell(row: dict[str, Any], metric: str) -> str:
    """``mean ± std`` over seeds; the mean alone for one seed (a std of one value is no spread)."""
    mean, std = row[f"{metric}_mean"], row[f"{metric}_std"]
    return f"{mean:.4f} ± {std:.4f}" if row["seeds"] > 1 else f"{mean:.4f}"


def shows_parameters(rows: list[dict[str, Any]], keys: list[str]) -> bool:
    """Whether the tables get a Parameters column: when the model (hence its size) varies."""
    return "model" in keys and all("parameters" in row for row in rows)


def table_cells(rows: list[dict[str, Any]], keys: list[str]) -> tuple[list[str], list[list[str]]]:
    """(header, cells) of the results table: what results.md and the terminal table show."""
    sizes = shows_parameters(rows, keys)
    header = [*(title(k) for k in keys), *(["Parameters"] if sizes else [])]
    header += ["Test Accuracy", "Test Loss", "Train Time / Run (s)", "Seeds"]
    cells = []
    for row in rows:
        line = [format_value(row[k]) for k in keys]
        line += [f"{row['parameters']:,}"] if sizes else []
        line += [_cell(row, "test_acc"), _cell(row, "test_loss")]
        line += [f"{row['train_seconds_mean']:.1f}", str(row["seeds"])]
        cells.append(line)
    return header, cells


def markdown_table(rows: list[dict[str, Any]], keys: list[str]) -> str:
    """The table users write for lab 1: ``| Batch Size | Test Accuracy | Test Loss | ...``."""
    return markdown_grid(*table_cells(rows, keys))


def markdown_grid(header: list[str], cells: list[list[str]]) -> str:
    """A Markdown table of ``header`` and rows of ``cells``, right-aligned."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---:|" * len(header)]
    lines += ["| " + " | ".join(line) + " |" for line in cells]
    return "\n".join(lines)


def columns_of(rows: list[dict[str, Any]]) -> list[str]:
    """Every key of ``rows``, in first-seen order."""
    columns: list[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    return columns


def csv_text(rows: list[dict[str, Any]], columns: list[str] | None = None) -> str:
    """The rows as CSV (``columns``, default every key; full precision)."""
    columns = columns_of(rows) if columns is None else columns
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def write_tables(root: Path, rows: list[dict[str, Any]], keys: list[str]) -> list[Path]:
    """Write ``results.md`` and ``results.csv`` into the study directory (atomically)."""
    markdown = root / "results.md"
    table = root / "results.csv"
    atomic_write_text(markdown, markdown_table(rows, keys) + "\n")
    atomic_write_text(table, csv_text(rows))
    return [markdown, table]
