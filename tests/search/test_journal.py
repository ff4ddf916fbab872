"""The batched journal backend: Optuna reads its own writes at once, the file gets them
from the thread, and a failed write is one clear error."""

from __future__ import annotations

import time

import optuna
import pytest

from carve.errors import CarveError
from carve.search import journal
from carve.search.journal import BatchedJournalBackend


def _study_in(path, backend=None):
    backend = backend or optuna.storages.journal.JournalFileBackend(str(path))
    return optuna.load_study(study_name="s", storage=optuna.storages.JournalStorage(backend))


def test_writes_reach_the_file_in_order_and_read_back_as_optuna_s(tmp_path, monkeypatch):
    monkeypatch.setattr(journal, "FLUSH_SECONDS", 3600)  # only explicit flushes in this test
    path = tmp_path / "study.journal"
    backend = BatchedJournalBackend(str(path))
    study = optuna.create_study(storage=optuna.storages.JournalStorage(backend), study_name="s")
    study.optimize(lambda t: t.suggest_int("w", 0, 9) / 2, n_trials=5)
    assert len(study.trials) == 5  # the process reads its own writes at once
    assert path.read_text() == ""  # ... which are not in the file yet
    backend.flush()
    reread = _study_in(path)
    assert [(t.number, t.params, t.value, t.state) for t in reread.trials] == [
        (t.number, t.params, t.value, t.state) for t in study.trials
    ]
    backend.close()
    reopened = BatchedJournalBackend(str(path))  # --resume: continues the same file
    study = _study_in(path, reopened)
    study.optimize(lambda t: t.suggest_int("w", 0, 9) / 2, n_trials=2)
    reopened.close()
    assert [t.number for t in _study_in(path).trials] == list(range(7))


def test_the_thread_writes_without_being_asked(tmp_path, monkeypatch):
    monkeypatch.setattr(journal, "FLUSH_SECONDS", 0.01)
    path = tmp_path / "study.journal"
    backend = BatchedJournalBackend(str(path))
    optuna.create_study(storage=optuna.storages.JournalStorage(backend), study_name="s")
    time.sleep(0.3)  # many flush periods
    assert _study_in(path).study_name == "s"
    backend.close()


def test_a_failed_write_is_one_error_naming_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr(journal, "FLUSH_SECONDS", 3600)
    path = tmp_path / "study.journal"
    backend = BatchedJournalBackend(str(path))
    study = optuna.create_study(storage=optuna.storages.JournalStorage(backend), study_name="s")

    def full(logs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backend._file, "append_logs", full)
    with pytest.raises(CarveError, match=rf"^storing the trials in {path} failed: OSError: "):
        backend.flush()
    with pytest.raises(CarveError, match="No space left on device"):
        study.ask()  # the next write says so too
