"""The study directory: its identity, one result file per finished run, resume bookkeeping.

Layout::

    <study_dir>/study.json                  what the study is (base config, vary, seeds)
    <study_dir>/runs/<run name>/software/   the run's checkpoints, metrics.csv, tensorboard
    <study_dir>/runs/<run name>/result.json written (atomically) only when the run finished
    <study_dir>/results.csv, results.md     one row per configuration (mean ± std over seeds)
    <study_dir>/*.png                       plots

A run counts as done exactly when its ``result.json`` exists, so an interrupted
study never leaves a half row: rerunning it skips finished runs and restarts
unfinished ones from scratch. A directory that holds a *different* study is
refused before anything is written.

Two study processes on one directory share the work: each run is claimed
with a lock (``.locks/<run>.lock``, holding the claimer's pid and host)
before it is cleared and trained, so every run trains once; runs claimed by
the other process are skipped (and listed in the outcome), and the tables are
written under a short study-wide lock from every finished run.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from carve.errors import CarveError
from carve.fileio import atomic_write_text
from carve.locking import HolderLock, LockedError
from carve.study.spec import Run, StudySpec

IDENTITY_FILE = "study.json"
RESULT_FILE = "result.json"
LOCKS = ".locks"  # one lock file per run being trained, plus study.lock


class _WaitingLock(HolderLock):
    """A :class:`HolderLock` that waits for the holder instead of refusing."""

    def __enter__(self) -> HolderLock:
        return self.acquire(wait=True)


def _differences(old: Any, new: Any, prefix: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        found = []
        for key in sorted(set(old) | set(new)):
            found += _differences(old.get(key), new.get(key), f"{prefix}{key}.")
        return found
    return [] if old == new else [f"{prefix.rstrip('.')} ({old!r} there, {new!r} now)"]


class StudyStore:
    """Reads and writes one study directory (see the module doc for the layout)."""

    def __init__(self, root: str | Path, spec: StudySpec) -> None:
        self.root = Path(root)
        self.spec = spec

    def check(self) -> None:
        """Refuse a directory holding a different study or unrelated files (writes nothing)."""
        identity_path = self.root / IDENTITY_FILE
        if identity_path.is_file():
            try:
                saved = json.loads(identity_path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as error:
                raise CarveError(
                    f"{identity_path} is unreadable ({error}); not touching it"
                ) from None
            differ = _differences(saved, self._identity())
            if differ:
                raise CarveError(
                    f"study directory {str(self.root)!r} holds a different study "
                    f"(differs in: {'; '.join(differ[:6])}); choose another --study-dir "
                    "(or --project) or delete that directory"
                )
        elif self.root.exists() and not self.root.is_dir():
            raise CarveError(f"study directory {str(self.root)!r} is a file")
        elif self.root.exists() and any(not p.name.startswith(".") for p in self.root.iterdir()):
            raise CarveError(
                f"{str(self.root)!r} exists and is not a carve study directory; "
                "choose another --study-dir (or --project)"
            )

    def _identity(self) -> dict[str, Any]:
        return json.loads(json.dumps(self.spec.identity()))  # tuples -> lists, as saved

    def open(self) -> None:
        """Check, then create the directory and its identity file (one process at a time)."""
        self.check()
        with self.study_lock():
            self.check()  # again: another process may have created it meanwhile
            if not (self.root / IDENTITY_FILE).is_file():
                text = json.dumps(self._identity(), indent=2)
                atomic_write_text(self.root / IDENTITY_FILE, text)

    def study_lock(self) -> HolderLock:
        """A short, blocking lock for writing the study's shared files (identity, tables)."""
        return _WaitingLock(self.root / LOCKS / "study.lock", "study directory", self.root)

    def claim(self, run: Run) -> HolderLock | None:
        """Lock ``run`` for this process; None when another process has it or it is done.

        Two ``carve study`` processes on one directory share the work this way:
        each run is trained by exactly one of them, and neither clears a run
        folder the other is writing.
        """
        lock = HolderLock(self.root / LOCKS / f"{run.name}.lock", "study run", self.run_dir(run))
        try:
            lock.acquire()
        except LockedError:
            return None
        if self.is_done(run):  # finished by another process after we listed it
            lock.release()
            return None
        return lock

    def run_dir(self, run: Run) -> Path:
        return self.root / "runs" / run.name

    def output_dir(self, run: Run) -> Path:
        """Where the run's checkpoints and logs go (the usual ``software/`` layout)."""
        return self.run_dir(run) / "software"

    def is_done(self, run: Run) -> bool:
        return (self.run_dir(run) / RESULT_FILE).is_file()

    def prepare(self, run: Run) -> None:
        """Clear what an interrupted attempt of ``run`` left, before it starts again."""
        folder = self.run_dir(run)
        if folder.exists() and not self.is_done(run):
            shutil.rmtree(folder)

    def save(self, run: Run, record: dict[str, Any]) -> None:
        atomic_write_text(self.run_dir(run) / RESULT_FILE, json.dumps(record, indent=2))

    def load(self, run: Run) -> dict[str, Any]:
        return json.loads((self.run_dir(run) / RESULT_FILE).read_text(encoding="utf-8"))

    def records(self) -> list[dict[str, Any]]:
        """The records of every finished run, in the study's run order."""
        return [self.load(run) for run in self.spec.runs() if self.is_done(run)]
