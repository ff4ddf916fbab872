"""The in-memory study mirrored into SQLite reads back, through Optuna, as Optuna wrote it."""

from __future__ import annotations

import contextlib
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from sqlalchemy import event

from carve.search.mirror import TrialMirror
from carve.search.session import new_mirrored_study, open_study
from carve.search.spec import parse_search_table
from carve.search.storage import open_storage

FIELDS = (
    "number",
    "state",
    "params",
    "distributions",
    "values",
    "user_attrs",
    "system_attrs",
    "intermediate_values",
    "datetime_start",
    "datetime_complete",
)


def _objective(trial):
    width = trial.suggest_int("linear/weight_width", 2, 8)
    name = trial.suggest_categorical("name", ["integer", None, "minifloat"])
    scale = trial.suggest_float("scale", 1e-3, 1.0, log=True)
    trial.set_user_attr("carve", {"software_metrics": {"accuracy": 0.5}, "sampled": [width, 2]})
    trial.study._storage.set_trial_intermediate_value(trial._trial_id, 0, scale)
    if trial.number == 3:
        raise RuntimeError("a failing trial")
    return (math.inf if trial.number == 2 else width * scale, 0.0 if name is None else 1.0)


def _memory_trials() -> list:
    study = optuna.create_study(directions=["minimize", "maximize"])
    study.enqueue_trial({"linear/weight_width": 4}, user_attrs={"retry_of": 0})
    study.optimize(_objective, n_trials=6, catch=(RuntimeError,))
    study.enqueue_trial({"linear/weight_width": 5})  # left waiting
    return study.get_trials()


def _view(trial) -> tuple:
    return tuple(getattr(trial, field) for field in FIELDS)


def test_mirrored_trials_read_back_as_optunas_own_writes(tmp_path):
    trials = _memory_trials()
    assert {t.state for t in trials} >= {
        optuna.trial.TrialState.COMPLETE,
        optuna.trial.TrialState.FAIL,
        optuna.trial.TrialState.WAITING,
    }
    storage = open_storage(f"sqlite:///{tmp_path / 'mirror.db'}", tmp_path)
    mirrored = optuna.create_study(storage=storage, study_name="m", directions=["minimize"] * 2)
    mirror = TrialMirror.of_storage(storage, mirrored._study_id)
    for trial in trials:
        mirror.write(trial)
    reference = optuna.create_study(storage=storage, study_name="r", directions=["minimize"] * 2)
    reference.add_trials(trials)  # Optuna's own (field by field) writes, the reference
    read = optuna.load_study(study_name="m", storage=storage.url).get_trials()
    expected = optuna.load_study(study_name="r", storage=storage.url).get_trials()
    assert [_view(t) for t in read] == [_view(t) for t in expected]
    assert [_view(t) for t in read] == [_view(t) for t in trials]


def test_a_rewrite_replaces_the_stored_trial_in_one_transaction(tmp_path):
    storage = open_storage(f"sqlite:///{tmp_path / 'mirror.db'}", tmp_path)
    stored = optuna.create_study(storage=storage, study_name="s")
    mirror = TrialMirror.of_storage(storage, stored._study_id)
    memory = mirror.in_memory(stored)
    commits = []
    event.listen(storage.engine, "commit", lambda connection: commits.append(1))
    trial = memory.ask()
    trial.suggest_int("a", 0, 3)
    mirror.write(memory._storage.get_trial(trial._trial_id))  # started: RUNNING with its choice
    running = optuna.load_study(study_name="s", storage=storage.url).trials[0]
    assert running.state == optuna.trial.TrialState.RUNNING and "a" in running.params
    memory.tell(trial, 1.5)
    mirror.sync(memory)  # ended: the same row, now complete
    (done,) = optuna.load_study(study_name="s", storage=storage.url).trials
    assert (done.state, done.value, done.params) == (
        optuna.trial.TrialState.COMPLETE,
        1.5,
        running.params,
    )
    assert len(commits) == 2  # one transaction per event, whatever the trial holds
    mirror.sync(memory)
    assert len(commits) == 2  # nothing changed: nothing written


def test_resume_reruns_a_killed_trial_in_memory_and_stores_it_in_place(tmp_path):
    spec = parse_search_table(
        {
            "search_space": {"seed": {"default": {"config": {"name": ["integer"]}}}},
            "strategy": {"metrics": {"accuracy": {"direction": "maximize"}}},
        }
    )
    storage = open_storage(f"sqlite:///{tmp_path / 'mirror.db'}", tmp_path)
    first = optuna.create_study(storage=storage, study_name="s", directions=spec.directions)
    first.optimize(lambda t: t.suggest_int("w", 2, 8) / 10, n_trials=2)
    killed = first.ask()  # left RUNNING, as a kill -9 leaves it
    killed.suggest_int("w", 2, 8)
    study, mirror, retried = open_study(
        storage, "s", spec, load_if_exists=True, resume=True, shared=False
    )
    assert retried == 1 and mirror is not None
    assert isinstance(study._storage, optuna.storages.InMemoryStorage)
    study.optimize(lambda t: t.params.get("w", t.suggest_int("w", 2, 8)) / 10, n_trials=2)
    mirror.sync(study)
    stored = optuna.load_study(study_name="s", storage=storage.url).get_trials()
    assert [t.number for t in stored] == list(range(5))
    assert [t.state.name for t in stored] == ["COMPLETE"] * 2 + ["FAIL"] + ["COMPLETE"] * 2
    assert stored[3].user_attrs == {"retry_of": 2}
    assert stored[3].params == killed.params


def test_shared_studies_are_not_mirrored(tmp_path):
    spec = parse_search_table({"search_space": {"seed": {"default": {"config": {"name": [None]}}}}})
    storage = open_storage(f"sqlite:///{tmp_path / 'mirror.db'}", tmp_path)
    study, mirror, _ = open_study(
        storage, "s", spec, load_if_exists=False, resume=False, shared=True
    )
    assert mirror is None and study._storage is not None
    assert not isinstance(study._storage, optuna.storages.InMemoryStorage)


@pytest.mark.parametrize("storage", [None, "journal"])
def test_memory_and_journal_storages_are_used_directly(tmp_path, storage):
    spec = parse_search_table({"search_space": {"seed": {"default": {"config": {"name": [None]}}}}})
    opened = open_storage(storage, tmp_path) if storage else None
    _, mirror, _ = open_study(opened, "s", spec, load_if_exists=False, resume=False, shared=False)
    assert mirror is None


def test_trials_wait_in_memory_until_the_forked_process_has_made_the_study(tmp_path):
    spec = parse_search_table(
        {
            "search_space": {"seed": {"default": {"config": {"name": ["integer"]}}}},
            "strategy": {"metrics": {"accuracy": {"direction": "maximize"}}},
        }
    )
    study, mirror = new_mirrored_study(tmp_path, "fresh", spec)
    study.optimize(lambda t: t.suggest_int("w", 2, 8) / 10, n_trials=3)
    for trial in study.trials:
        mirror.write(trial)  # the database may not exist yet: nothing is lost either way
    mirror.sync(study)
    stored = optuna.load_study(study_name="fresh", storage=f"sqlite:///{tmp_path / 'study.db'}")
    assert [_view(t) for t in stored.get_trials()] == [_view(t) for t in study.get_trials()]
    assert stored.directions == [optuna.study.StudyDirection.MAXIMIZE]


def _fails(text: str) -> None:
    raise ValueError(text)


def test_a_background_job_that_raises_or_dies_is_a_carve_error_naming_it():
    from carve.errors import CarveError
    from carve.search.background import Background

    assert Background("adding").start(sum, [1, 2, 3]).result() == 6
    with pytest.raises(CarveError, match=r"^making the plots failed: ValueError: no disk$"):
        Background("making the plots").start(_fails, "no disk").result()
    dying = Background("creating the study database").start(os._exit, 3)
    with pytest.raises(CarveError, match=r"creating the study database failed: .*exit code 3"):
        dying.result()


def test_a_background_process_ends_when_its_parent_is_killed():
    script = (
        "import os\nfrom carve.search.background import Background\n"
        "job = Background('waiting')\nprint(job._process.pid, flush=True)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60
    )  # a child that outlives its parent holds stdout open: a timeout, not a hang
    child = int(done.stdout)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{child}").exists()  # it saw EOF on its pipe and ended


def test_the_study_process_reports_its_error_at_once_naming_the_file(tmp_path):
    from carve.errors import CarveError
    from carve.search.mirror_process import MirrorProcess

    (tmp_path / "study.db").write_text("not a database")
    process = MirrorProcess()
    try:
        process.create(f"sqlite:///{tmp_path / 'study.db'}", "s", ["minimize"])
        memory = optuna.create_study()
        memory.optimize(lambda t: t.suggest_int("w", 0, 3), n_trials=2)
        message = r"storing the trials in sqlite:///.*study\.db failed: \w+Error: "
        with pytest.raises(CarveError, match=message):
            for _ in range(200):  # the failure arrives while the search goes on
                process.write(memory.trials[0])
                time.sleep(0.05)
    finally:
        process.close()
    assert (tmp_path / "study.db").read_text() == "not a database"  # never overwritten


def test_a_study_file_opened_first_by_a_reader_is_used(tmp_path):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    optuna.storages.RDBStorage(url).engine.dispose()  # e.g. optuna-dashboard on the path
    spec = parse_search_table({"search_space": {"seed": {"default": {"config": {"name": [None]}}}}})
    study, process = new_mirrored_study(tmp_path, "late", spec)
    try:
        study.optimize(lambda t: t.suggest_int("w", 0, 3), n_trials=2)
        process.sync(study)
    finally:
        process.close()
    assert len(optuna.load_study(study_name="late", storage=url).trials) == 2


def _read_until(url: str, stop) -> None:
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    while not stop.is_set():  # as optuna-dashboard polling the path: it creates the schema too
        with contextlib.suppress(Exception):  # no file, schema or study yet
            optuna.load_study(study_name="s", storage=url).get_trials()


def test_a_reader_polling_while_the_study_is_created_never_breaks_it(tmp_path):
    """Before, one creation in four failed ("table studies already exists", a duplicate
    Alembic stamp) when a reader created the schema at the same moment."""
    import multiprocessing

    from carve.search.storage import create_study_id

    context = multiprocessing.get_context("fork")
    for attempt in range(12):
        url = f"sqlite:///{tmp_path / f'{attempt}.db'}"
        stop = context.Event()
        reader = context.Process(target=_read_until, args=(url, stop))
        reader.start()
        time.sleep(0.05 * (attempt % 6))  # the reader first, or the creation first
        try:
            study_id = create_study_id(url, "s", ["minimize", "maximize"])
        finally:
            stop.set()
            reader.join()
        study = optuna.load_study(study_name="s", storage=url)
        assert study._study_id == study_id
        assert study.directions == [optuna.study.StudyDirection.MINIMIZE,
                                    optuna.study.StudyDirection.MAXIMIZE]  # fmt: skip
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_ctrl_c_while_a_record_is_sent_never_cuts_it(tmp_path):
    """A record larger than a pipe's atomic write, sent while the pipe is full (the writer
    lags): a Ctrl-C then used to cut it in two, and the writer died of the garbled stream."""
    import signal
    import threading

    from carve.search.mirror_process import MirrorProcess

    url = f"sqlite:///{tmp_path / 'study.db'}"
    memory = optuna.create_study()
    memory.optimize(lambda t: t.set_user_attr("big", "x" * 100_000) or 0.0, n_trials=20)
    process = MirrorProcess()
    try:
        process.create(url, "s", ["minimize"])
        process.sync(optuna.create_study())  # the study exists
        child = process._process.pid
        os.kill(child, signal.SIGSTOP)  # the writer lags: the pipe fills, a send blocks

        def press_ctrl_c() -> None:
            time.sleep(0.5)
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
            time.sleep(0.3)
            os.kill(child, signal.SIGCONT)

        presser = threading.Thread(target=press_ctrl_c)
        presser.start()
        with pytest.raises(KeyboardInterrupt):
            for trial in memory.trials:
                process.write(trial)
        presser.join()
        process.sync(memory)  # the rest, after the Ctrl-C, as the search does
    finally:
        process.close()
    stored = optuna.load_study(study_name="s", storage=url).trials
    assert [t.number for t in stored] == list(range(20))
    assert all(t.user_attrs["big"] == "x" * 100_000 for t in stored)


def test_a_file_system_without_hard_links_still_gets_its_study(tmp_path, monkeypatch):
    from carve.search.storage import create_study_id

    def no_links(source, target):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)  # e.g. exFAT, some network mounts
    url = f"sqlite:///{tmp_path / 'study.db'}"
    study_id = create_study_id(url, "s", ["maximize"])
    assert optuna.load_study(study_name="s", storage=url)._study_id == study_id
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # none left
