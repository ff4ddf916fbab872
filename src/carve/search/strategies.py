"""Search strategies: Optuna's samplers, built from a space's parameters.

Each strategy is ``make(params, spec, constraints_func) -> optuna sampler``
(registered in :data:`carve.search.registry.STRATEGIES`, with how it wants
parameters suggested: ``choices``). Most see choice indices
(``suggest_int(name, 0, len - 1)``, as MASE did), so grid and QMC see
numbers. ``tpe`` sees each parameter as a category (``suggest_categorical``
over the indices): a choice list is what the user wrote, not a scale (``name
= ["integer", "minifloat_ieee"]``, ``weight_width = [8, 2, 4]``), and TPE's
categorical estimator is about half the cost of its numerical one.
``tpe`` is multivariate (one joint model of all parameters per trial);
``tpe_independent`` is Optuna's default TPE as MASE ran it. docs/benchmarks.md
("carve against MASE 513eba5f's own search") compares the two.
``constraints_func`` is passed to the samplers that use constraints (TPE,
NSGA-II, NSGA-III).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import optuna

from carve.search.spaces.base import Param
from carve.search.spec import SearchSpec


def index_space(params: list[Param]) -> dict[str, list[int]]:
    """``{name: [0 .. len - 1]}`` of the sampled (non-fixed) parameters."""
    return {p.name: list(range(len(p.choices))) for p in params if not p.fixed}


class GridSampler(optuna.samplers.GridSampler):
    """Optuna's grid; the search loop stops at its public ``is_exhausted``, so telling the
    last point does not call ``study.stop()`` (which only works inside ``study.optimize``).
    :meth:`unstarted` caps a batch: asked past the grid's end, Optuna repeats points."""

    def __init__(self, search_space: dict[str, list[int]], seed: int | None = None) -> None:
        super().__init__(search_space, seed=seed)
        self.points = math.prod(len(choices) for choices in search_space.values())

    def after_trial(self, study, trial, state, values) -> None:
        return None

    def unstarted(self, study) -> int:
        """Points no trial has been given yet (Optuna records each trial's ``grid_id``)."""
        trials = study.get_trials(deepcopy=False)
        return self.points - len({t.system_attrs.get("grid_id") for t in trials} - {None})


def grid_sampler(params: list[Param], spec: SearchSpec, constraints: Callable | None):
    return GridSampler(index_space(params), seed=spec.sampler_seed)


def random_sampler(params: list[Param], spec: SearchSpec, constraints: Callable | None):
    return optuna.samplers.RandomSampler(seed=spec.sampler_seed)


def tpe_sampler(params: list[Param], spec: SearchSpec, constraints: Callable | None):
    """Multivariate TPE: one split of the trials and one joint Parzen estimator per trial
    (Optuna's default splits and models each parameter on its own)."""
    return optuna.samplers.TPESampler(
        seed=spec.sampler_seed, constraints_func=constraints, multivariate=True
    )


def tpe_independent_sampler(params: list[Param], spec: SearchSpec, constraints: Callable | None):
    return optuna.samplers.TPESampler(seed=spec.sampler_seed, constraints_func=constraints)


def nsgaii_sampler(params: list[Param], spec: SearchSpec, constraints: Callable | None):
    return optuna.samplers.NSGAIISampler(seed=spec.sampler_seed, constraints_func=constraints)


def nsgaiii_sampler(params: list[Param], spec: SearchSpec, constraints: Callable | None):
    return optuna.samplers.NSGAIIISampler(seed=spec.sampler_seed, constraints_func=constraints)


def qmc_sampler(params: list[Param], spec: SearchSpec, constraints: Callable | None):
    return optuna.samplers.QMCSampler(
        seed=spec.sampler_seed, scramble=True, warn_independent_sampling=False
    )


def make_sampler(params: list[Param], spec: SearchSpec, constraints: Callable | None) -> Any:
    """The sampler ``spec`` names (Optuna's "experimental" notices silenced: they are stable)."""
    import warnings

    from carve.search.registry import STRATEGIES

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return STRATEGIES[spec.sampler](params, spec, constraints)
