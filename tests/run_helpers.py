"""Helpers the training and study tests share (importable as ``run_helpers``: the suite's
conftest puts ``tests/`` on the path)."""

from __future__ import annotations

from typing import Any

from carve.config import CarveConfig
from carve.train.record import COLUMNS

# an epoch row without its wall-clock times: what two equal runs must agree on exactly
METRICS = tuple(column for column in COLUMNS if not column.endswith("seconds"))


def tiny_config(**changes: Any) -> CarveConfig:
    """jsc-tiny on jsc-synth, 2 epochs of 64-row batches, no progress bar; ``changes`` win."""
    values = {"model": "jsc-tiny", "dataset": "jsc-synth", "max_epochs": 2, "batch_size": 64,
              "learning_rate": 1e-2, "project": "unit", "progress": False}  # fmt: skip
    return CarveConfig(**{**values, **changes})


def metrics(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each epoch row of ``history`` with only :data:`METRICS`."""
    return [{key: row[key] for key in METRICS} for row in history]
