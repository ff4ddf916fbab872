"""The search loop: an Optuna study over a space, one or many worker processes.

Every process (``--workers N`` on one machine, or the same command on other
machines sharing a ``--storage``) builds its own :class:`SearchSetup` and
asks the shared study for trials until ``n_trials`` are done: Optuna's
storage hands each trial to exactly one process. A trial samples choice
indices, measures its candidate and stores everything MASE's ``best.json``
needs in one user attribute (``carve``), so a stored study is self-contained.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from carve.search.setup import SearchSetup
from carve.search.spaces.base import Param

ATTRIBUTE = "carve"  # user attribute holding a trial's metrics and sampled config
BATCH = 16  # trials measured together by samplers that draw them independently


def sampled_values(trial, params: list[Param]) -> dict[str, Any]:
    """``{param: value}`` for a trial (fixed params take their only choice)."""
    values = {}
    for param in params:
        if param.fixed:
            values[param.name] = param.choices[0]
        else:
            index = trial.suggest_int(param.name, 0, len(param.choices) - 1)
            values[param.name] = param.choices[index]
    return values


def jsonable(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


class Objective:
    """What Optuna calls per trial: sample, measure, record, return the objective(s)."""

    def __init__(self, setup: SearchSetup, mirror=None) -> None:
        self.setup = setup
        self.mirror = mirror  # TrialMirror / MirrorProcess, or None: the storage is the study's

    def __call__(self, trial) -> float | list[float]:
        values = self.sample(trial)
        return self.record(trial, values, self.setup.measure(values))

    def sample(self, trial) -> dict[str, Any]:
        """The trial's choices; mirrored RUNNING with them, so a kill -9 can retry them."""
        values = sampled_values(trial, self.setup.params)
        if self.mirror is not None:
            self.mirror.write(trial.study._storage.get_trial(trial._trial_id))
        return values

    def record(self, trial, values: dict[str, Any], result: dict[str, Any]) -> Any:
        """Store the measured ``result`` on the trial; its objective value(s)."""
        setup = self.setup
        result.pop("candidate")
        result["sampled_config"] = jsonable(values)
        result["worker"] = f"{os.uname().nodename}:{os.getpid()}"
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
    """How many trials the study should hold when done, and for how long to run."""

    n_trials: int
    timeout: float | None = None


def optimize(
    study,
    setup: SearchSetup,
    budget: Budget,
    on_trial: Callable[[int], None] | None = None,
    shared: bool = False,
    mirror=None,
) -> None:
    """Run trials in this process until the study holds ``budget.n_trials`` complete ones.

    ``shared``: other processes work on the study too, so after each trial the
    count of complete and running trials is read from the storage and the loop
    stops at the budget (Optuna's ``MaxTrialsCallback`` rule). A trial that
    raises (or is stopped by Ctrl-C) is marked failed, one killed stays
    running; ``--resume`` runs the choices of both again.

    ``mirror`` (a :class:`~carve.search.mirror.TrialMirror`, or a
    :class:`~carve.search.mirror_process.MirrorProcess` that stores what it is
    sent a moment later): ``study`` is in memory and each trial is copied into
    the stored study when it starts and when it ends. When the loop fails,
    ``mirror.sync`` runs here; otherwise the caller runs it when it is done.
    """
    import optuna

    from carve.search.strategies import make_sampler

    spec = setup.spec
    if shared:  # processes (and machines) on one study must not all draw the same choices
        seed = hash((os.uname().nodename, os.getpid(), spec.sampler_seed)) % 2**31
        spec = dataclasses.replace(spec, sampler_seed=seed)
    study.sampler = make_sampler(setup.params, spec, constraints_of if spec.constraints else None)
    state = optuna.trial.TrialState
    counted = (state.COMPLETE, state.RUNNING) if shared else (state.COMPLETE,)
    taken = len(study.get_trials(deepcopy=False, states=counted))
    if taken >= budget.n_trials:
        return
    done = [len(study.get_trials(deepcopy=False, states=(state.COMPLETE,)))]

    def after_trial(study, trial) -> None:
        if mirror is not None:
            mirror.write(trial)
        done[0] += trial.state == state.COMPLETE
        if on_trial is not None:
            on_trial(done[0])
        if shared and len(study.get_trials(deepcopy=False, states=counted)) >= budget.n_trials:
            study.stop()

    objective = Objective(setup, mirror)
    batch = batch_size(setup, shared)
    try:
        if batch > 1:
            _optimize_in_batches(
                study, objective, budget.n_trials - taken, budget, batch, after_trial
            )
        else:
            study.optimize(
                objective,
                n_trials=None if shared else budget.n_trials - taken,
                timeout=budget.timeout,
                callbacks=[after_trial],
                catch=(),
            )
    except BaseException:
        if mirror is not None:  # a trial stopped by Ctrl-C or an error is stored failed
            mirror.sync(study)
        raise


def batch_size(setup: SearchSetup, shared: bool) -> int:
    """Trials asked for and measured together: BATCH when the sampler draws each trial
    without looking at the results of the others (grid, random, QMC) and the
    runner measures several at once; 1 otherwise (and with several processes)."""
    from carve.search.registry import STRATEGIES

    independent = STRATEGIES.meta(setup.spec.sampler).get("independent", False)
    return BATCH if independent and setup.runner.batches and not shared else 1


def _optimize_in_batches(study, objective: Objective, trials: int, budget: Budget, batch: int,
                         after_trial) -> None:  # fmt: skip
    """``trials`` trials, ``batch`` at a time: ask, measure together, tell each.

    What ``study.optimize`` does for one trial at a time: a trial whose batch
    raises (or is stopped by Ctrl-C) before it is measured is told failed, one
    measured but not told yet is told its result, and the error goes on.
    """
    import time

    import optuna

    deadline = None if budget.timeout is None else time.monotonic() + budget.timeout
    # as inside study.optimize: samplers may call study.stop() (the grid, once exhausted)
    study._stop_flag = False
    study._thread_local.in_optimize_loop = True
    try:
        while trials > 0 and not study._stop_flag:
            if deadline is not None and time.monotonic() >= deadline:
                break
            asked: list = []
            returned: list = []
            try:
                for _ in range(min(batch, trials)):
                    asked.append(study.ask())
                values = [objective.sample(trial) for trial in asked]
                results = objective.setup.measure_many(values)
                returned = [objective.record(*args) for args in zip(asked, values, results)]
                for trial, value in zip(asked, returned):
                    after_trial(study, study.tell(trial, value))
            except BaseException:  # Ctrl-C may come at any point: each trial not told yet ends
                for number, trial in enumerate(asked):  # with its result, or failed
                    if study._storage.get_trial(trial._trial_id).state.is_finished():
                        continue
                    if number < len(returned):
                        told = study.tell(trial, returned[number])
                    else:
                        told = study.tell(trial, state=optuna.trial.TrialState.FAIL)
                    after_trial(study, told)
                raise
            trials -= len(asked)
    finally:
        study._thread_local.in_optimize_loop = False
