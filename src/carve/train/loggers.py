"""Per-epoch metrics to a CSV file and to TensorBoard (``software/tensorboard/version_N``)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from carve.fileio import atomic_write_text
from carve.train.record import COLUMNS as CSV_COLUMNS


def write_csv(history: list[dict[str, Any]], path: Path) -> None:
    """Rewrite the whole CSV from ``history`` (atomic, so a resume continues cleanly)."""
    import csv

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(history)
    atomic_write_text(path, buffer.getvalue())


def next_tensorboard_version(root: Path) -> int:
    """The first unused ``version_N`` under ``root`` (as Lightning numbers runs)."""
    used = [
        int(p.name.removeprefix("version_"))
        for p in root.glob("version_*")
        if p.name.removeprefix("version_").isdigit()
    ]
    return max(used, default=-1) + 1


class TensorBoardLog:
    """Scalars with MASE's tags: ``train_loss_step``, ``val_loss_epoch``, ``val_acc_epoch``..."""

    def __init__(
        self, folder: Path, hparams: dict[str, Any], purge_step: int | None = None
    ) -> None:
        from carve.train.tensorboard_events import EventFileWriter

        self.writer = EventFileWriter(folder)
        if purge_step is not None:  # a resumed run: earlier files' points from here are stale
            self.writer.add_restart(purge_step)
        self.writer.add_text("config", "\n".join(f"    {k} = {v!r}" for k, v in hparams.items()))

    def step(self, global_step: int, loss: float) -> None:
        self.writer.add_scalar("train_loss_step", loss, global_step)

    def epoch(self, row: dict[str, Any]) -> None:
        step = row["global_step"]
        for key in ("train_loss", "train_acc", "val_loss", "val_acc"):
            self.writer.add_scalar(f"{key}_epoch", row[key], step)
        self.writer.add_scalar("lr", row["lr"], step)
        self.writer.add_scalar("epoch", row["epoch"], step)
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()
