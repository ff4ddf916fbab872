"""The record of one training run, kept the same way by the engine and the study ensemble.

:class:`EpochRecord` is one epoch's row of ``metrics.csv``, checkpoints'
``history`` and study results; :class:`RunRecord` collects them with the best
validation loss and the step count, and turns into the :class:`TrainResult`
that :func:`carve.train.train` and :func:`carve.train.ensemble.train_ensemble`
return. Both trainers build rows only through :meth:`RunRecord.add`, so their
rows cannot drift apart again.

Times (seconds of wall clock, ``time.perf_counter``):

* ``train_seconds``: the epoch's training steps (shuffling, forward, loss,
  backward, optimizer updates, the epoch's training loss/accuracy). For an
  ensemble member it is the ensemble's training time divided by its number
  of members: the amortised cost of one run.
* ``seconds``: ``train_seconds`` plus that run's own validation
  (:func:`carve.train.evaluate` on the val split). Checkpoint, CSV and
  TensorBoard writes are in neither.

Study tables ("Train Time / Run") show the sum of ``train_seconds``, which
means the same for a run trained alone and one trained in an ensemble.

>>> record = RunRecord()
>>> record.add(EpochRecord(epoch=1, global_step=10, lr=0.01, train_loss=0.9, train_acc=0.6,
...                        val_loss=0.8, val_acc=0.7, train_seconds=1.5, seconds=1.75))
True
>>> record.history[0]["seconds"], record.best_val_loss, record.train_seconds
(1.75, 0.8, 1.5)
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FINAL_KEYS = ("train_loss", "train_acc", "val_loss", "val_acc")


@dataclass(frozen=True)
class EpochRecord:
    """One epoch of one run (see the module doc for what the two times include)."""

    epoch: int
    global_step: int
    lr: float
    train_loss: float
    train_acc: float
    val_loss: float
    val_acc: float
    train_seconds: float
    seconds: float

    def row(self) -> dict[str, Any]:
        """The epoch as the plain dict that checkpoints, metrics.csv and results store."""
        return dataclasses.asdict(self)


COLUMNS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(EpochRecord))


@dataclass
class TrainResult:
    """What :func:`carve.train.train` returns (and the ensemble, once per member)."""

    history: list[dict[str, Any]]  # EpochRecord rows, one per epoch
    final: dict[str, float]  # the last epoch's train_loss, train_acc, val_loss, val_acc
    best_val_loss: float
    global_step: int
    best_checkpoint: Path | None = None
    last_checkpoint: Path | None = None
    output_dir: Path | None = None
    interrupted: bool = False
    model: Any = field(default=None, repr=False)

    @property
    def train_seconds(self) -> float:
        """Seconds spent in training steps over all epochs (validation excluded)."""
        return math.fsum(row["train_seconds"] for row in self.history)

    @property
    def seconds(self) -> float:
        """Seconds of training steps plus validation over all epochs."""
        return math.fsum(row["seconds"] for row in self.history)


@dataclass
class RunRecord:
    """A run's epochs, best validation loss and optimizer steps, as both trainers keep them."""

    history: list[dict[str, Any]] = field(default_factory=list)
    best_val_loss: float = float("inf")
    global_step: int = 0

    def add(self, epoch: EpochRecord) -> bool:
        """Append ``epoch``; True when its validation loss is the best so far."""
        self.history.append(epoch.row())
        self.global_step = epoch.global_step
        improved = epoch.val_loss < self.best_val_loss
        self.best_val_loss = min(self.best_val_loss, epoch.val_loss)
        return improved

    @property
    def epochs(self) -> int:
        return len(self.history)

    @property
    def final(self) -> dict[str, float]:
        """The last epoch's four metrics ({} before the first epoch)."""
        return {key: self.history[-1][key] for key in FINAL_KEYS} if self.history else {}

    @property
    def train_seconds(self) -> float:
        return math.fsum(row["train_seconds"] for row in self.history)

    def restore(self, history: list[dict[str, Any]], best_val_loss: float,
                global_step: int) -> None:  # fmt: skip
        """Continue from a checkpoint's ``history``/``best_val_loss``/``global_step``."""
        self.history = [dict(row) for row in history]
        self.best_val_loss = best_val_loss
        self.global_step = global_step

    def result(self, output_dir: Path | None, interrupted: bool, model: Any) -> TrainResult:
        """The :class:`TrainResult` of this run (checkpoints that exist under ``output_dir``)."""
        folder = output_dir / "training_ckpts" if output_dir is not None else None

        def existing(name: str) -> Path | None:
            return folder / name if folder is not None and (folder / name).exists() else None

        return TrainResult(
            history=self.history,
            final=self.final,
            best_val_loss=self.best_val_loss,
            global_step=self.global_step,
            best_checkpoint=existing("best.ckpt"),
            last_checkpoint=existing("last.ckpt"),
            output_dir=output_dir,
            interrupted=interrupted,
            model=model,
        )
