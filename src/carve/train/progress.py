"""The live progress display: one bar per epoch, kept on screen with its metrics.

Redraws are throttled (at most ~10 per second, checked every few batches) and
happen on the training thread, so the bar costs the loop next to nothing.
"""

from __future__ import annotations

import time
from typing import Any

REFRESH_SECONDS = 0.1
CHECK_EVERY = 64  # batches between clock reads


class LiveBars:
    """Rich progress bars (description, bar, done/total, elapsed, then :meth:`extra_columns`).

    A context manager; with no console or ``live=False`` nothing is drawn and
    subclasses print plain lines instead. Shared by training and study progress.
    """

    def __init__(self, console, live: bool = True) -> None:
        self.console = console
        self.live = live and console is not None
        self._progress = None
        self._last = 0.0
        if self.live:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                *self.extra_columns(),
                console=console,
                auto_refresh=False,
            )

    def extra_columns(self) -> list:
        """Columns after the elapsed time (none here)."""
        return []

    def __enter__(self):
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._progress is not None:
            self._progress.refresh()
            self._progress.stop()


class EpochProgress(LiveBars):
    """Rich bars when a console is given; with ``live=False`` one printed line per epoch."""

    def __init__(self, console, max_epochs: int, live: bool = True) -> None:
        self.max_epochs = max_epochs
        self._task = None
        super().__init__(console, live)

    def extra_columns(self) -> list:
        from rich.progress import TextColumn

        return [TextColumn("{task.fields[metrics]}")]

    def start_epoch(self, epoch: int, batches: int) -> None:
        if self._progress is not None:
            self._task = self._progress.add_task(
                f"epoch {epoch + 1}/{self.max_epochs}", total=batches, metrics=""
            )
            self._progress.refresh()
            self._last = time.perf_counter()

    def batch(self, done: int) -> None:
        """Called every :data:`CHECK_EVERY` batches with the number done."""
        if self._progress is None:
            return
        now = time.perf_counter()
        if now - self._last >= REFRESH_SECONDS:
            self._progress.update(self._task, completed=done)
            self._progress.refresh()
            self._last = now

    def end_epoch(self, row: dict[str, Any], done: int) -> None:
        text = (
            f"train_loss {row['train_loss']:.4f} train_acc {row['train_acc']:.4f} | "
            f"val_loss {row['val_loss']:.4f} val_acc {row['val_acc']:.4f}"
        )
        if self._progress is not None:
            self._progress.update(self._task, completed=done, metrics=text)
            self._progress.refresh()
        elif self.console is not None:
            self.console.print(f"epoch {row['epoch']}/{self.max_epochs}: {text}")
