"""The ``[search]`` table, parsed once into a typed :class:`SearchSpec`.

MASE's schema loads unchanged::

    [search.search_space]            name, [setup] by, [seed.<key>.config] choice lists
    [search.strategy]                name = "optuna", eval_mode
    [search.strategy.setup]          n_jobs, n_trials, timeout, sampler, sum_scaled_metrics,
                                     direction, pkl_ckpt, save_every_n_trials
    [search.strategy.sw_runner.basic_evaluation]   data_loader (or dataloader), num_samples
    [search.strategy.hw_runner.average_bitwidth]   compare_to
    [search.strategy.metrics]        <metric>.scale, <metric>.direction

carve adds ``setup.seed`` (sampler seed), ``setup.allow_partial_grid``,
``strategy.constraints = ["accuracy_drop <= 0.01", ...]`` and the runner
``basic_train`` (``max_epochs``, ``learning_rate``). Every name is checked
against its registry and every value against its rule here, before any trial
runs; errors name the key and what it accepts.

>>> spec = parse_search_table({"strategy": {"setup": {"sampler": "grid"}}})
>>> spec.sampler, spec.objectives, spec.multi_objective
('grid', ('accuracy', 'average_bitwidth'), True)
>>> try:
...     parse_search_table({"strategy": {"setup": {"direction": "up"}}})
... except CarveError as error:
...     print(error)
[search.strategy.setup] direction: 'up' is not accepted; accepted: maximize, minimize
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from carve.errors import CarveError, unknown_name_message

DIRECTIONS = ("maximize", "minimize")
SPLITS = {
    "val_dataloader": "val",
    "test_dataloader": "test",
    "train_dataloader": "train",
    "val": "val",
    "test": "test",
    "train": "train",
}
DEFAULT_SPACE = "graph/quantize/mixed_precision_ptq"
DEFAULT_METRICS = {
    "accuracy": {"scale": 1.0, "direction": "maximize"},
    "average_bitwidth": {"scale": 0.2, "direction": "minimize"},
}
_CONSTRAINT = re.compile(r"^\s*([a-z_]+)\s*(<=|>=)\s*([-+0-9.eE]+)\s*$")


@dataclass(frozen=True)
class MetricSpec:
    """One objective: its registered name, scale and direction."""

    name: str
    scale: float
    direction: str


@dataclass(frozen=True)
class Constraint:
    """``metric <= bound`` or ``metric >= bound``; ``violation <= 0`` means satisfied."""

    metric: str
    op: str
    bound: float

    def violation(self, value: float) -> float:
        return value - self.bound if self.op == "<=" else self.bound - value

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.bound:g}"


@dataclass(frozen=True)
class RunnerSpec:
    """The software runner: its name and what it evaluates on."""

    name: str = "basic_evaluation"
    split: str = "val"
    num_samples: int | None = 512
    max_epochs: int = 1
    learning_rate: float | None = None


@dataclass(frozen=True)
class SearchSpec:
    """Everything a search needs besides model, data and storage."""

    space: str = DEFAULT_SPACE
    space_setup: dict[str, Any] = field(default_factory=dict)
    seed: dict[str, Any] = field(default_factory=dict)
    sampler: str = "tpe"
    n_trials: int | None = None  # None: 20, or the grid size for grid
    timeout: float | None = None
    sampler_seed: int = 0
    sum_scaled_metrics: bool = False
    direction: str = "maximize"
    metrics: tuple[MetricSpec, ...] = ()
    constraints: tuple[Constraint, ...] = ()
    runner: RunnerSpec = field(default_factory=RunnerSpec)
    compare_to: float = 32.0
    allow_partial_grid: bool = False

    @property
    def objectives(self) -> tuple[str, ...]:
        return tuple(metric.name for metric in self.metrics)

    @property
    def multi_objective(self) -> bool:
        return not self.sum_scaled_metrics and len(self.metrics) > 1

    @property
    def directions(self) -> list[str]:
        """Optuna's study directions: one per metric, or the setup's for a scaled sum."""
        if self.multi_objective:
            return [metric.direction for metric in self.metrics]
        if self.sum_scaled_metrics:
            return [self.direction]
        return [self.metrics[0].direction]


def _table(parent: Mapping, key: str, where: str) -> dict[str, Any]:
    value = parent.get(key, {})
    if not isinstance(value, Mapping):
        raise CarveError(f"[{where}.{key}] must be a table, got {value!r}")
    return dict(value)


def _known_keys(table: Mapping, accepted: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(table) - set(accepted))
    if unknown:
        raise CarveError(
            f"[{where}]: unknown key(s) {', '.join(map(repr, unknown))}; "
            f"accepted: {', '.join(accepted)}"
        )


def _number(value: Any, where: str, minimum: float | None = None, integer: bool = False):
    kinds = int if integer else int | float
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise CarveError(
            f"{where} must be {'an integer' if integer else 'a number'}, got {value!r}"
        )
    if not math.isfinite(value):
        raise CarveError(f"{where} must be a finite number, got {value!r}")
    if minimum is not None and value < minimum:
        raise CarveError(f"{where} must be >= {minimum:g}, got {value!r}")
    return value


def _positive_seconds(value: Any, where: str) -> float:
    """A timeout: a finite number of seconds above 0."""
    seconds = float(_number(value, where))
    if seconds <= 0:
        raise CarveError(f"{where} must be a number of seconds above 0, got {value!r}")
    return seconds


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise CarveError(f"{where} must be true or false, got {value!r}")
    return value


def _direction(value: Any, where: str) -> str:
    if value not in DIRECTIONS:
        raise CarveError(f"{where}: {value!r} is not accepted; accepted: {', '.join(DIRECTIONS)}")
    return value


def _registered(registry, name: Any, where: str) -> str:
    if not isinstance(name, str) or name not in registry:
        raise CarveError(f"{where}: " + unknown_name_message(registry.kind, name, registry))
    return name


def _metrics(table: Mapping | None, where: str) -> tuple[MetricSpec, ...]:
    from carve.search.registry import METRICS

    if table is not None and not table:
        raise CarveError(
            f"[{where}] is empty: name at least one metric (e.g. accuracy.scale = 1.0), "
            "or leave the table out for accuracy and average_bitwidth"
        )
    metrics = []
    for name, entry in (table or DEFAULT_METRICS).items():
        _registered(METRICS, name, where)
        if not isinstance(entry, Mapping):
            raise CarveError(f"[{where}.{name}] must be a table (scale, direction), got {entry!r}")
        _known_keys(entry, ("scale", "direction"), f"{where}.{name}")
        scale = float(_number(entry.get("scale", 1.0), f"[{where}.{name}] scale"))
        direction = _direction(
            entry.get("direction", METRICS.meta(name)["direction"]), f"[{where}.{name}] direction"
        )
        metrics.append(MetricSpec(name, scale, direction))
    return tuple(metrics)


def _constraints(values: Any, where: str) -> tuple[Constraint, ...]:
    from carve.search.registry import METRICS

    if not isinstance(values, list):
        raise CarveError(f'{where} must be a list like ["accuracy_drop <= 0.01"], got {values!r}')
    out = []
    for text in values:
        match = _CONSTRAINT.match(text) if isinstance(text, str) else None
        if match is None:
            raise CarveError(f"{where}: {text!r} is not 'METRIC <= NUMBER' or 'METRIC >= NUMBER'")
        _registered(METRICS, match[1], where)
        try:
            bound = float(match[3])
        except ValueError:
            raise CarveError(f"{where}: {text!r}: {match[3]!r} is not a number") from None
        out.append(Constraint(match[1], match[2], bound))
    return tuple(out)


def _runner(strategy: Mapping, space_name: str) -> tuple[RunnerSpec, float]:
    from carve.search.registry import RUNNERS, SPACES

    where = "search.strategy"
    software = _table(strategy, "sw_runner", where)
    if len(software) > 1:
        raise CarveError(f"[{where}.sw_runner] takes one runner table, got {', '.join(software)}")
    name, args = next(iter(software.items()), (SPACES.meta(space_name).get("runner"), {}))
    name = _registered(RUNNERS, name, f"[{where}.sw_runner]")
    here = f"{where}.sw_runner.{name}"
    if not isinstance(args, Mapping):
        raise CarveError(f"[{here}] must be a table, got {args!r}")
    _known_keys(
        args, ("data_loader", "dataloader", "num_samples", "max_epochs", "learning_rate"), here
    )
    loader = args.get("dataloader", args.get("data_loader", "val_dataloader"))
    if loader not in SPLITS:
        raise CarveError(
            f"[{here}] data_loader: {loader!r} is not accepted; accepted: {', '.join(SPLITS)}"
        )
    samples = args.get("num_samples", 512)
    if samples is not None:
        _number(samples, f"[{here}] num_samples", 1, integer=True)
    epochs = _number(args.get("max_epochs", 1), f"[{here}] max_epochs", 1, integer=True)
    rate = args.get("learning_rate")
    if rate is not None:
        _number(rate, f"[{here}] learning_rate", 0)
    hardware = _table(strategy, "hw_runner", where)
    _known_keys(hardware, ("average_bitwidth",), f"{where}.hw_runner")
    bits = _table(hardware, "average_bitwidth", f"{where}.hw_runner")
    _known_keys(bits, ("compare_to",), f"{where}.hw_runner.average_bitwidth")
    compare_to = float(
        _number(
            bits.get("compare_to", 32), "[search.strategy.hw_runner.average_bitwidth] compare_to", 1
        )
    )
    return RunnerSpec(name, SPLITS[loader], samples, epochs, rate), compare_to


SETUP_KEYS = (
    "n_jobs",
    "n_trials",
    "timeout",
    "sampler",
    "sum_scaled_metrics",
    "direction",
    "pkl_ckpt",
    "save_every_n_trials",
    "seed",
    "allow_partial_grid",
)


def parse_search_table(table: Any) -> SearchSpec:
    """Validate a ``[search]`` table (a dict; ``"NA"`` already None) into a :class:`SearchSpec`."""
    from carve.search.registry import SPACES, STRATEGIES

    if not isinstance(table, Mapping):
        raise CarveError(f"[search] must be a table, got {table!r}")
    _known_keys(table, ("search_space", "strategy"), "search")
    space = _table(table, "search_space", "search")
    _known_keys(space, ("name", "setup", "seed"), "search.search_space")
    space_name = _registered(SPACES, space.get("name", DEFAULT_SPACE), "[search.search_space] name")
    strategy = _table(table, "strategy", "search")
    _known_keys(
        strategy,
        ("name", "eval_mode", "setup", "sw_runner", "hw_runner", "metrics", "constraints"),
        "search.strategy",
    )
    if strategy.get("name", "optuna") != "optuna":
        raise CarveError(
            f"[search.strategy] name: {strategy['name']!r} is not accepted; "
            "accepted: optuna (choose the algorithm with setup.sampler)"
        )
    setup = _table(strategy, "setup", "search.strategy")
    _known_keys(setup, SETUP_KEYS, "search.strategy.setup")
    where = "[search.strategy.setup]"
    if setup.get("n_jobs", 1) != 1:
        raise CarveError(
            f"{where} n_jobs: {setup['n_jobs']!r} is not accepted; accepted: 1 "
            "(use --workers N for parallel processes)"
        )
    n_trials = setup.get("n_trials")
    if n_trials is not None:
        _number(n_trials, f"{where} n_trials", 1, integer=True)
    timeout = setup.get("timeout")
    if timeout is not None:
        timeout = _positive_seconds(timeout, f"{where} timeout")
    runner, compare_to = _runner(strategy, space_name)
    given = _table(strategy, "metrics", "search.strategy") if "metrics" in strategy else None
    metrics = _metrics(given, "search.strategy.metrics")
    return SearchSpec(
        space=space_name,
        space_setup=_table(space, "setup", "search.search_space"),
        seed=_table(space, "seed", "search.search_space"),
        sampler=_registered(STRATEGIES, setup.get("sampler", "tpe"), f"{where} sampler"),
        n_trials=n_trials,
        timeout=timeout,
        sampler_seed=_number(setup.get("seed", 0), f"{where} seed", integer=True),
        sum_scaled_metrics=_bool(
            setup.get("sum_scaled_metrics", False), f"{where} sum_scaled_metrics"
        ),
        direction=_direction(setup.get("direction", "maximize"), f"{where} direction"),
        metrics=metrics,
        constraints=_constraints(strategy.get("constraints", []), "[search.strategy] constraints"),
        runner=runner,
        compare_to=compare_to,
        allow_partial_grid=_bool(
            setup.get("allow_partial_grid", False), f"{where} allow_partial_grid"
        ),
    )
