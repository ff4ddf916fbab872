"""The search loop: an Optuna study over a space, one or many worker processes.

Every process (``--workers N`` on one machine, or the same command on other
machines sharing a ``--storage``) builds its own :class:`SearchSetup` and
asks the shared study for trials until ``n_trials`` are done: Optuna's
storage hands each trial to exactly one process. A trial samples choice
indices, measures its candidate and stores everything MASE's ``best.json``
needs in one user attribute (``carve``), so a stored study is self-contained.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from carve.search.setup import SearchSetup
from carve.search.spaces.base import Param

ATTRIBUTE = "carve"  # user attribute holding a trial's metrics and sampled config


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

    def __init__(self, setup: SearchSetup) -> None:
        self.setup = setup

    def __call__(self, trial) -> float | list[float]:
        setup = self.setup
        values = sampled_values(trial, setup.params)
        result = setup.measure(values)
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


def optimize(study, setup: SearchSetup, budget: Budget,
             on_trial: Callable[[int], None] | None = None) -> None:  # fmt: skip
    """Run trials in this process until the study has ``budget.n_trials`` complete ones."""
    import optuna

    from carve.search.strategies import make_sampler

    study.sampler = make_sampler(setup.params, setup.spec,
                                 constraints_of if setup.spec.constraints else None)  # fmt: skip
    complete = (optuna.trial.TrialState.COMPLETE,)
    started = time.monotonic()
    objective = Objective(setup)
    while True:
        done = len(study.get_trials(deepcopy=False, states=complete))
        running = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
        if done + len(running) >= budget.n_trials:
            break
        if budget.timeout is not None and time.monotonic() - started > budget.timeout:
            break
        study.optimize(objective, n_trials=1, catch=())
        if on_trial is not None:
            on_trial(done + 1)
        if getattr(study, "_stop_flag", False) or _grid_exhausted(study):
            break


def _grid_exhausted(study) -> bool:
    import optuna

    sampler = study.sampler
    if not isinstance(sampler, optuna.samplers.GridSampler):
        return False
    return sampler.is_exhausted(study)
