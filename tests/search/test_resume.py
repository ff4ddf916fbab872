"""--resume fails only stale trials (their worker gone), never another process's live one."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import optuna

from carve.search.session import retry_interrupted
from carve.search.storage import open_storage

STATE = optuna.trial.TrialState


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(done.stdout)


def _ids(opened, study, trials) -> list[int]:
    storage = opened.storage
    study_id = storage.get_study_id_from_name(study.study_name)
    return [storage.get_trial_id_from_study_id_trial_number(study_id, t.number) for t in trials]


def test_journal_resume_fails_trials_of_exited_processes_only(tmp_path):
    opened = open_storage(None, tmp_path)
    study = optuna.create_study(storage=opened.storage, study_name="s")
    host = socket.gethostname()
    live, dead, stopped, surplus = (study.ask() for _ in range(4))
    live.set_user_attr("worker", f"{host}:{os.getpid()}")
    dead.set_user_attr("worker", f"{host}:{_dead_pid()}")
    for trial in (live, dead, stopped, surplus):
        trial.suggest_int("w", 0, 9)
    study.tell(stopped, state=STATE.FAIL)  # Ctrl-C
    surplus.set_user_attr("surplus", True)
    study.tell(surplus, state=STATE.FAIL)
    assert retry_interrupted(study, opened) == 2  # the dead one and the stopped one
    states = {t.number: t.state for t in study.get_trials()}
    assert states[live.number] == STATE.RUNNING and states[dead.number] == STATE.FAIL
    waiting = study.get_trials(states=(STATE.WAITING,))
    queued = [t.params or t.system_attrs["fixed_params"] for t in waiting]  # retry, enqueued
    assert sorted(p["w"] for p in queued) == sorted(
        [study.trials[dead.number].params["w"], study.trials[stopped.number].params["w"]]
    )
    assert retry_interrupted(study, opened) == 2  # queued once, not again


def test_database_resume_fails_trials_whose_heartbeat_expired_only(tmp_path):
    opened = open_storage(f"sqlite:///{tmp_path / 's.db'}", tmp_path, heartbeat=1)
    study = optuna.create_study(storage=opened.storage, study_name="s")
    alive, silent = study.ask(), study.ask()
    for trial in (alive, silent):
        trial.suggest_int("w", 0, 9)
    alive_id, silent_id = _ids(opened, study, [alive, silent])
    opened.storage.record_heartbeat(silent_id)
    deadline = time.monotonic() + 4.5  # past the grace period of three 1 s heartbeats (whole s)
    while time.monotonic() < deadline:  # another machine's live trial keeps beating
        opened.storage.record_heartbeat(alive_id)
        time.sleep(0.5)
    assert retry_interrupted(study, opened) == 1
    trials = study.get_trials()
    assert trials[alive.number].state == STATE.RUNNING
    assert trials[silent.number].state == STATE.FAIL
    (retry,) = study.get_trials(states=(STATE.WAITING,))
    assert retry.system_attrs["failed_trial"] == silent.number
