"""Study progress: one overall bar (runs done / total, ETA) and one bar for the current epoch.

Without a console (or with ``live=False``) it prints one line per finished
group of runs instead. Redraws are throttled so the training loop barely
notices them.
"""

from __future__ import annotations

import time

from carve.train.progress import REFRESH_SECONDS, LiveBars


class StudyProgress(LiveBars):
    """Rich bars for a study; a context manager."""

    def __init__(self, console, total_runs: int, done_runs: int, live: bool = True) -> None:
        self.total = total_runs
        self.done = done_runs
        self._overall = None
        self._epoch = None
        super().__init__(console, live)

    def extra_columns(self) -> list:
        from rich.progress import TextColumn, TimeRemainingColumn

        return [TextColumn("ETA"), TimeRemainingColumn()]

    def __enter__(self) -> StudyProgress:
        super().__enter__()
        if self._progress is not None:
            self._overall = self._progress.add_task("runs", total=self.total, completed=self.done)
            self._progress.refresh()
        return self

    def start_group(self, description: str) -> None:
        """A new group of runs (an ensemble or one sequential run) starts."""
        self._description = description
        if self._progress is not None and self._epoch is not None:
            self._progress.remove_task(self._epoch)
            self._epoch = None

    def batch(self, epoch: int, epochs: int, done: int, total: int) -> None:
        """Called after every batch of the current epoch."""
        if self._progress is None:
            return
        now = time.perf_counter()
        if self._epoch is None:
            self._epoch = self._progress.add_task("", total=total)
        elif done != total and now - self._last < REFRESH_SECONDS:
            return
        self._progress.update(
            self._epoch,
            description=f"epoch {epoch}/{epochs} {self._description}",
            completed=done,
            total=total,
        )
        self._progress.refresh()
        self._last = now

    def runs_done(self, count: int, summary: str) -> None:
        """``count`` more runs finished; ``summary`` is a one-line result."""
        self.done += count
        if self._progress is not None:
            self._progress.update(self._overall, completed=self.done)
            self._progress.console.print(summary, soft_wrap=True)
            self._progress.refresh()
        elif self.console is not None:
            self.console.print(f"[{self.done}/{self.total}] {summary}", soft_wrap=True)
