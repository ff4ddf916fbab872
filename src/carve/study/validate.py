"""Check every run of a study before training any of them.

A study can train for many minutes before reaching the run whose settings
cannot work (``--vary devices=1,2``, ``--vary dataset=jsc-synth,jsc`` with a
``--data-size`` only jsc-synth takes, ``--vary accelerator=cpu,gpu`` on a
machine without a GPU, a misspelt model). Each distinct setting is checked
once, with the rules the run itself would apply, and every problem is
reported in one error before anything is trained or written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from carve.config import CarveConfig
from carve.errors import CarveError
from carve.study.spec import Run, StudySpec

_SHOWN = 4


def _model(config: CarveConfig) -> None:
    from carve.models import MODELS

    MODELS.meta(config.model)


def _dataset(config: CarveConfig) -> None:
    from carve.data.registry import DATASETS, check_dataset_options

    DATASETS.meta(config.dataset)
    check_dataset_options(config.dataset, config.dataset_options())


def _training(config: CarveConfig) -> None:
    from carve.train.engine import check_run_settings

    check_run_settings(config)


# check -> the part of a config it depends on (each distinct value is checked once)
CHECKS: dict[Callable[[CarveConfig], None], Callable[[CarveConfig], Any]] = {
    _model: lambda c: c.model,
    _dataset: lambda c: (c.dataset, tuple(sorted(c.dataset_options().items()))),
    _training: lambda c: (c.num_devices, c.accelerator),
}


def validate_runs(spec: StudySpec) -> dict[Run, CarveConfig]:
    """Every run's validated config; one CarveError listing the runs that cannot train."""
    configs: dict[Run, CarveConfig] = {}
    problems: list[str] = []
    seen: set[tuple] = set()
    for run in spec.runs():
        try:
            configs[run] = config = spec.config_for(run)
        except CarveError as error:
            problems.append(f"run {run.name}: {error}")
            continue
        for check, part in CHECKS.items():
            key = (check.__name__, part(config))
            if key in seen:
                continue
            seen.add(key)
            try:
                check(config)
            except CarveError as error:
                problems.append(f"run {run.name}: {error}")
    if problems:
        more = f" (and {len(problems) - _SHOWN} more)" if len(problems) > _SHOWN else ""
        raise CarveError(
            f"study not started, {len(problems)} run setting(s) cannot train: "
            f"{'; '.join(problems[:_SHOWN])}{more}"
        )
    return configs
