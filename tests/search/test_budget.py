"""Exact budgets on one PostgreSQL study shared by processes that start together (as three
machines would), also when one of them is killed -9 in the middle of a trial."""

from __future__ import annotations

import multiprocessing
import os
import signal

import optuna

from carve.search.session import run_search

STATE = optuna.trial.TrialState
BUDGET = 60


def _driver(url: str) -> str:
    return "postgresql+psycopg2://" + url.removeprefix("postgresql://")


def _machine(config, table, url: str, folder: str, barrier, kill_at: int | None) -> None:
    """One process on the shared study; ``kill_at``: it kills itself -9 while measuring its
    trial of that rank (its trial is RUNNING, with a heartbeat, in the database)."""
    from carve.search.setup import SearchSetup

    if kill_at is not None:
        measure_many = SearchSetup.measure_many
        calls = []

        def dies(self, values):
            calls.append(1)
            if len(calls) == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return measure_many(self, values)

        SearchSetup.measure_many = dies
    barrier.wait()
    run_search(config, table, storage=url, study_name="shared", search_name=folder,
               heartbeat=1, progress=False)  # fmt: skip


def _run_machines(toy_config, by_type, url: str, kill_at: list) -> list[int]:
    by_type["strategy"]["setup"]["n_trials"] = BUDGET
    by_type["strategy"]["sw_runner"]["basic_evaluation"]["num_samples"] = 32
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(kill_at))
    processes = [
        context.Process(target=_machine, args=(toy_config, by_type, url, f"m{i}", barrier, k))
        for i, k in enumerate(kill_at)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=300)
    return [process.exitcode for process in processes]


def test_three_processes_on_one_new_postgresql_study_store_exactly_the_budget(
    toy_config, by_type, postgres_url
):
    codes = _run_machines(toy_config, by_type, postgres_url, [None, None, None])
    assert codes == [0, 0, 0]
    trials = optuna.load_study(study_name="shared", storage=_driver(postgres_url)).trials
    complete = [t for t in trials if t.state == STATE.COMPLETE]
    assert len(complete) == BUDGET
    assert all(t.user_attrs.get("surplus") for t in trials if t.state != STATE.COMPLETE)
    assert len({t.user_attrs["worker"] for t in complete}) == 3  # all three took trials


def test_a_worker_killed_mid_trial_is_failed_not_counted_and_the_budget_is_met(
    toy_config, by_type, postgres_url
):
    codes = _run_machines(toy_config, by_type, postgres_url, [None, 4, None])
    assert codes[1] == -signal.SIGKILL and codes[0] == codes[2] == 0
    trials = optuna.load_study(study_name="shared", storage=_driver(postgres_url)).trials
    complete = [t for t in trials if t.state == STATE.COMPLETE]
    assert len(complete) == BUDGET  # the budget is met by the survivors
    killed = [t for t in trials if t.state == STATE.FAIL and not t.user_attrs.get("surplus")]
    assert len(killed) == 1 and "carve" not in killed[0].user_attrs  # failed, never measured
    assert not [t for t in trials if t.state == STATE.RUNNING]
    retried = [t for t in complete if t.system_attrs.get("failed_trial") == killed[0].number]
    assert len(retried) == 1 and retried[0].params == killed[0].params  # its choices ran once
