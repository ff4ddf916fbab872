"""Search progress: one bar of complete trials (all workers) with an ETA."""

from __future__ import annotations

import time

from carve.train.progress import LiveBars

POLL_SECONDS = 0.5  # how often the bar reads the shared study's count


class SearchProgress(LiveBars):
    """A context manager; :meth:`update` after each trial of this process."""

    def __init__(self, console, study, total: int) -> None:
        self.study = study
        self.total = total
        self._task = None
        super().__init__(console)

    def extra_columns(self) -> list:
        from rich.progress import TextColumn, TimeRemainingColumn

        return [TextColumn("ETA"), TimeRemainingColumn()]

    def __enter__(self) -> SearchProgress:
        super().__enter__()
        if self._progress is not None:
            self._task = self._progress.add_task(
                "trials", total=self.total, completed=self._complete()
            )
            self._progress.refresh()
        return self

    def _complete(self) -> int:
        import optuna

        states = (optuna.trial.TrialState.COMPLETE,)
        return len(self.study.get_trials(deepcopy=False, states=states))

    def update(self, done: int) -> None:
        now = time.perf_counter()
        if self._progress is None or (now - self._last < POLL_SECONDS and done < self.total):
            return
        self._progress.update(self._task, completed=min(self._complete(), self.total))
        self._progress.refresh()
        self._last = now

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=min(self._complete(), self.total))
        super().__exit__(*exc)
