"""The search loop: Optuna's ask-and-tell over a space, one or many worker processes.

Every process (``--workers N`` on one machine, or the same command on other
machines sharing a ``--storage``) builds its own :class:`SearchSetup` and
asks the shared study for trials until it holds ``n_trials`` COMPLETE ones:
Optuna's storage hands each trial to exactly one process. A trial samples
choice indices, measures its candidate and stores everything MASE's
``best.json`` needs in one user attribute (``carve``), so a stored study is
self-contained.

The budget is exact across processes:

* before asking, a process counts the complete trials and the running ones,
  and asks, under the storage's budget lock (so two processes never both
  take the last place); when those could finish the budget it waits (failing stale trials:
  a killed worker's trial is failed and retried, never counted) instead of
  starting one more;
* the count and the ``tell`` of a complete trial happen under the storage's
  *budget lock* (a PostgreSQL/MySQL advisory lock, a file lock on one
  machine), so two processes never both tell the last trial: a trial measured
  when the budget is already met is told FAIL with the user attribute
  ``surplus`` (rare: only when a process dies and is retried meanwhile).

One process alone on its study (the default) needs neither: it counts its own
trials, and the samplers that draw each trial without the others' results
(grid, random, QMC) get :data:`BATCH` trials at a time, measured together.
Running trials of an RDB storage are kept alive by Optuna's heartbeat.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from carve.search.setup import SearchSetup
from carve.search.spaces.base import Param

ATTRIBUTE = "carve"  # user attribute holding a trial's metrics and sampled config
WORKER = "worker"  # user attribute: host:pid of the process running the trial
SURPLUS = "surplus"  # user attribute of a trial told FAIL because the budget was met
BATCH = 16  # trials measured together by samplers that draw them independently
POLL_SECONDS = 0.2  # how often a process waiting for the others' last trials looks again


# study user attribute: how its parameters are suggested, "index" (suggest_int(0, len - 1))
# or "categorical" (suggest_categorical over the indices)
CHOICES = "carve_choices"


def sampled_values(trial, params: list[Param], kind: str = "index") -> dict[str, Any]:
    """``{param: value}`` for a trial (fixed params take their only choice); ``kind``: how
    each choice index is suggested, "index" or "categorical" (the study's own, see
    :func:`choice_kind`)."""
    values = {}
    for param in params:
        if param.fixed:
            values[param.name] = param.choices[0]
        elif kind == "categorical":
            index = trial.suggest_categorical(param.name, tuple(range(len(param.choices))))
            values[param.name] = param.choices[index]
        else:
            index = trial.suggest_int(param.name, 0, len(param.choices) - 1)
            values[param.name] = param.choices[index]
    return values


def choice_kind(study, sampler: str) -> str:
    """How ``study``'s parameters are suggested: the kind it was made with (studies made
    before carve recorded one used indices), else what ``sampler`` wants (a new study,
    or Optuna's in-memory one). One study keeps one kind: Optuna refuses a parameter
    suggested with another distribution than its stored trials'."""
    from carve.search.registry import STRATEGIES

    return study.user_attrs.get(CHOICES, STRATEGIES.meta(sampler).get("choices", "index"))


def jsonable(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


class Objective:
    """Sample a trial, and turn its measured result into the record and value(s) told."""

    def __init__(self, setup: SearchSetup, kind: str = "index") -> None:
        self.setup = setup
        self.kind = kind

    def sample(self, trial) -> dict[str, Any]:
        return sampled_values(trial, self.setup.params, self.kind)

    def record(self, trial, values: dict[str, Any], result: dict[str, Any]) -> Any:
        """Store the measured ``result`` on the trial; its objective value(s)."""
        from carve.search.storage import worker_id

        setup = self.setup
        result["sampled_config"] = jsonable(values)
        result["worker"] = worker_id()
        trial.set_user_attr(ATTRIBUTE, result)
        scaled = result["scaled_metrics"]
        if setup.spec.multi_objective:
            return [scaled[m.name] for m in setup.spec.metrics]
        return sum(scaled.values())


def constraints_of(trial) -> list[float]:
    """Optuna's ``constraints_func``: violations recorded by the objective (<= 0: satisfied)."""
    return list(trial.user_attrs.get(ATTRIBUTE, {}).get("constraints", []))


@dataclass
class Budget:
    """How many COMPLETE trials the study should hold when done, and for how long to run."""

    n_trials: int
    timeout: float | None = None


def complete_count(study) -> int:
    import optuna

    return len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))


def optimize(
    study,
    setup: SearchSetup,
    budget: Budget,
    opened: Any = None,
    on_trial: Callable[[int], None] | None = None,
    shared: bool = False,
) -> None:
    """Run trials in this process until the study holds ``budget.n_trials`` complete ones.

    ``opened``: the :class:`~carve.search.storage.OpenedStorage` holding ``study``
    (None: Optuna's in-memory storage). ``shared``: other processes may work
    on the study (the exact budget rule of the module doc). A trial that
    raises, or is stopped by Ctrl-C, is told FAIL (a batch's measured trials
    are told their results) and the error goes on.
    """
    from carve.search.strategies import make_sampler

    spec = setup.spec
    if shared:  # processes (and machines) on one study must not all draw the same choices
        seed = hash((os.uname().nodename, os.getpid(), spec.sampler_seed)) % 2**31
        spec = dataclasses.replace(spec, sampler_seed=seed)
    study.sampler = make_sampler(setup.params, spec, constraints_of if spec.constraints else None)
    deadline = None if budget.timeout is None else time.monotonic() + budget.timeout
    objective = Objective(setup, choice_kind(study, spec.sampler))
    loop = _Loop(study, objective, budget, deadline, opened, on_trial or (lambda done: None))
    if shared:
        loop.run_shared()
    else:
        loop.run_alone(batch_size(setup, shared))


def batch_size(setup: SearchSetup, shared: bool) -> int:
    """Trials asked for and measured together: BATCH when the sampler draws each trial
    without looking at the results of the others (grid, random, QMC) and the
    runner measures several at once; 1 otherwise (and with several processes)."""
    from carve.search.registry import STRATEGIES

    independent = STRATEGIES.meta(setup.spec.sampler).get("independent", False)
    return BATCH if independent and setup.runner.batches and not shared else 1


@dataclass
class _Loop:
    study: Any
    objective: Objective
    budget: Budget
    deadline: float | None
    opened: Any
    on_trial: Callable[[int], None]

    def _over(self) -> bool:
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return True
        exhausted = getattr(self.study.sampler, "is_exhausted", None)  # the grid's public test
        return exhausted is not None and exhausted(self.study)

    def _ask(self):
        import optuna

        from carve.search.storage import worker_id
        from carve.train.interrupts import deferred_interrupt

        trial = None
        try:  # a Ctrl-C is held until the trial is recorded, then fails it: none is left RUNNING
            with deferred_interrupt(), warnings.catch_warnings():
                warnings.filterwarnings("ignore", "Heartbeat of storage", UserWarning)  # kept here
                trial = self.study.ask()
                trial.set_user_attr(WORKER, worker_id())
        except BaseException:
            if trial is not None:
                failed = optuna.trial.TrialState.FAIL
                self.study.tell(trial, state=failed, skip_if_finished=True)
            raise
        return trial

    def run_alone(self, batch: int) -> None:
        """The only process on the study: ask ``batch`` trials, measure together, tell each."""
        import optuna

        done = complete_count(self.study)
        while done < self.budget.n_trials and not self._over():
            asked: list = []
            returned: list = []
            told = 0
            unstarted = getattr(self.study.sampler, "unstarted", None)
            size = min(batch, self.budget.n_trials - done)
            size = size if unstarted is None else min(size, unstarted(self.study))
            if size == 0:
                return
            try:
                for _ in range(size):
                    asked.append(self._ask())
                values = [self.objective.sample(trial) for trial in asked]
                with _heartbeat(self.opened, self.study, asked):
                    results = self.objective.setup.measure_many(values)
                returned = [self.objective.record(*args) for args in zip(asked, values, results)]
                for trial, value in zip(asked, returned):
                    self.study.tell(trial, value)
                    told += 1
                    done += 1
                    self.on_trial(done)
            except BaseException:  # Ctrl-C may come at any point: each trial not told yet ends
                for number in range(told, len(asked)):  # with its result, or failed
                    if number < len(returned):
                        self.study.tell(asked[number], returned[number], skip_if_finished=True)
                    else:
                        failed = optuna.trial.TrialState.FAIL
                        self.study.tell(asked[number], state=failed, skip_if_finished=True)
                raise

    def run_shared(self) -> None:
        """One of several processes on the study: the exact budget rule (module doc)."""
        import optuna

        state = optuna.trial.TrialState
        name = self.study.study_name
        lock = self.opened.budget_lock
        while not self._over():
            with lock(name):  # count and ask together: two processes never both take the last
                fail_stale_trials(self.study, self.opened)
                trials = stored_trials(self.study, self.opened, (state.COMPLETE, state.RUNNING))
                complete = sum(t.state == state.COMPLETE for t in trials)
                if complete >= self.budget.n_trials:
                    return
                full = len(trials) >= self.budget.n_trials  # the running ones may finish it
                trial = None if full else self._ask()
            if trial is None:
                time.sleep(POLL_SECONDS)
                continue
            try:
                values = self.objective.sample(trial)
                with _heartbeat(self.opened, self.study, [trial]):
                    (result,) = self.objective.setup.measure_many([values])
            except BaseException:
                with contextlib.suppress(optuna.exceptions.UpdateFinishedTrialError, ValueError):
                    self.study.tell(trial, state=state.FAIL)  # unless failed as stale meanwhile
                raise
            with lock(name):  # stale trials are failed under this lock too: no race with it
                trials = stored_trials(self.study, self.opened)
                if next(t for t in trials if t.number == trial.number).state != state.RUNNING:
                    continue  # failed as stale by another process (this one stalled), and queued
                complete = sum(t.state == state.COMPLETE for t in trials)
                if complete >= self.budget.n_trials:
                    trial.set_user_attr(SURPLUS, True)
                    self.study.tell(trial, state=state.FAIL)
                    return
                self.study.tell(trial, self.objective.record(trial, values, result))
            self.on_trial(complete + 1)


def stored_trials(study, opened, states: tuple | None = None) -> list:
    """The study's trials as stored now, read past the study's cache.

    Optuna wraps an RDB storage in a cache that remembers the highest finished
    trial id it has read and asks the database only for newer ids and its own
    unfinished ones. Another process's trial whose insert committed after a
    higher id had finished is then never read, so its RUNNING state would not
    count against the budget (seen: a worker killed -9 on trial 3 left it
    RUNNING while the others completed the budget). The budget rule reads the
    storage object carve opened, which has no such cache.
    """
    if opened is None:
        return study.get_trials(deepcopy=False, states=states)
    storage = opened.storage
    study_id = storage.get_study_id_from_name(study.study_name)
    return storage.get_all_trials(study_id, deepcopy=False, states=states)


def fail_stale_trials(study, opened) -> int:
    """Fail the study's running trials whose worker is gone, and queue each once more.

    RDB storages: Optuna's heartbeat rule (``optuna.storages.fail_stale_trials``).
    Journal files (one machine): a trial whose process has exited. Run under
    the budget lock, so only one process fails and retries each. How many
    trials it failed (journal files; 0 for RDB, which does not say).
    """
    import optuna

    if opened is None:
        return 0
    if opened.heartbeat:
        with warnings.catch_warnings():  # "experimental" since Optuna 2.9
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            optuna.storages.fail_stale_trials(study)
        return 0
    from carve.search.storage import retry_callback

    retry = retry_callback()
    storage = opened.storage
    running = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
    failed = 0
    for trial in running:
        if not opened.stale(trial):
            continue
        study_id = storage.get_study_id_from_name(study.study_name)
        trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, trial.number)
        if storage.set_trial_state_values(trial_id, optuna.trial.TrialState.FAIL):
            retry(study, storage.get_trial(trial_id))
            failed += 1
    return failed


@contextlib.contextmanager
def _heartbeat(opened, study, trials: list) -> Iterator[None]:
    """Keep ``trials`` alive in an RDB storage with a heartbeat while they are measured."""
    if opened is None or not opened.heartbeat:
        yield
        return
    storage = opened.storage
    study_id = storage.get_study_id_from_name(study.study_name)
    ids = [storage.get_trial_id_from_study_id_trial_number(study_id, t.number) for t in trials]
    interval = storage.get_heartbeat_interval()
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(interval):
            for trial_id in ids:
                storage.record_heartbeat(trial_id)

    for trial_id in ids:
        storage.record_heartbeat(trial_id)
    thread = threading.Thread(target=beat, name="carve-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
