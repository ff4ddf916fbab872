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
``basic_train`` (``max_epochs``, ``learning_rate``). Each table's keys, types
and bounds are declared below as a dataclass and validated by carve's schema
system (:mod:`carve.schema`); names are then checked against their registries
and the rules that are not a type (``n_jobs = 1``, the strategy's name, a
constraint's form) in code, all before any trial runs; errors name the key and
what it accepts.

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

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Annotated, Any, TypeVar

from carve.errors import CarveError, unknown_name_message
from carve.schema import Range, parse_table

T = TypeVar("T")

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


# The tables' schemas. A sub-table field is ``Any``: :func:`_table` checks it is a table.
@dataclass(frozen=True)
class _SearchTable:
    search_space: Any = None
    strategy: Any = None


@dataclass(frozen=True)
class _SpaceTable:
    name: str = DEFAULT_SPACE
    setup: Any = None
    seed: Any = None


@dataclass(frozen=True)
class _StrategyTable:
    name: Any = "optuna"
    eval_mode: Any = None  # MASE's key; carve always evaluates
    setup: Any = None
    sw_runner: Any = None
    hw_runner: Any = None
    metrics: Any = None
    constraints: Any = None


AtLeastOne = Annotated[int, Range(1, says=">= 1")]
Seconds = Annotated[float, Range(0, low_open=True, says="a number of seconds above 0")]


@dataclass(frozen=True)
class _SetupTable:
    n_jobs: Any = 1  # only 1: the message points to --workers
    n_trials: AtLeastOne | None = None
    timeout: Seconds | None = None
    sampler: str = "tpe"
    sum_scaled_metrics: bool = False
    direction: str = "maximize"
    pkl_ckpt: Any = None  # MASE's keys carve does not use
    save_every_n_trials: Any = None
    seed: int = 0
    allow_partial_grid: bool = False


@dataclass(frozen=True)
class _RunnerTable:
    data_loader: str | None = None
    dataloader: str | None = None
    num_samples: AtLeastOne | None = 512
    max_epochs: AtLeastOne = 1
    learning_rate: Annotated[float, Range(0, says=">= 0")] | None = None


@dataclass(frozen=True)
class _HardwareTable:
    average_bitwidth: Any = None


@dataclass(frozen=True)
class _BitwidthTable:
    compare_to: Annotated[float, Range(1, says=">= 1")] = 32.0


@dataclass(frozen=True)
class _MetricTable:
    scale: Annotated[float, Range(says="a finite number")] = 1.0
    direction: str | None = None  # None: the metric's registered direction


def _table(parent: Any, key: str, where: str) -> dict[str, Any]:
    """``parent.key`` (a sub-table; None when left out) as a dict."""
    value = {} if getattr(parent, key) is None else getattr(parent, key)
    if not isinstance(value, Mapping):
        raise CarveError(f"[{where}.{key}] must be a table, got {value!r}")
    return dict(value)


def search_table(schema: type[T], table: Mapping, where: str) -> T:
    """``table`` validated against ``schema`` (carve.schema); keys are checked first, so an
    unknown key's message lists the accepted ones in the schema's order."""
    accepted = tuple(item.name for item in fields(schema))
    unknown = sorted(set(table) - set(accepted))
    if unknown:
        raise CarveError(
            f"[{where}]: unknown key(s) {', '.join(map(repr, unknown))}; "
            f"accepted: {', '.join(accepted)}"
        )
    here = f"[{where}]"
    return parse_table(schema, table, here, label="key", shown=lambda key: f"{here} {key}")


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
        given = search_table(_MetricTable, entry, f"{where}.{name}")
        direction = METRICS.meta(name)["direction"] if given.direction is None else given.direction
        direction = _direction(direction, f"[{where}.{name}] direction")
        scale = float(given.scale)
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


def _runner(strategy: _StrategyTable, space_name: str) -> tuple[RunnerSpec, float]:
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
    runner = search_table(_RunnerTable, args, here)
    loader = runner.dataloader or runner.data_loader or "val_dataloader"
    if loader not in SPLITS:
        raise CarveError(
            f"[{here}] data_loader: {loader!r} is not accepted; accepted: {', '.join(SPLITS)}"
        )
    hardware = search_table(
        _HardwareTable, _table(strategy, "hw_runner", where), f"{where}.hw_runner"
    )
    bits = _table(hardware, "average_bitwidth", f"{where}.hw_runner")
    compare_to = search_table(
        _BitwidthTable, bits, f"{where}.hw_runner.average_bitwidth"
    ).compare_to
    spec = RunnerSpec(
        name, SPLITS[loader], runner.num_samples, runner.max_epochs, runner.learning_rate
    )
    return spec, float(compare_to)


def parse_search_table(table: Any) -> SearchSpec:
    """Validate a ``[search]`` table (a dict; ``"NA"`` already None) into a :class:`SearchSpec`."""
    from carve.search.registry import SPACES, STRATEGIES

    if not isinstance(table, Mapping):
        raise CarveError(f"[search] must be a table, got {table!r}")
    search = search_table(_SearchTable, table, "search")
    space = search_table(
        _SpaceTable, _table(search, "search_space", "search"), "search.search_space"
    )
    space_name = _registered(SPACES, space.name, "[search.search_space] name")
    strategy = search_table(_StrategyTable, _table(search, "strategy", "search"), "search.strategy")
    if strategy.name != "optuna":
        raise CarveError(
            f"[search.strategy] name: {strategy.name!r} is not accepted; "
            "accepted: optuna (choose the algorithm with setup.sampler)"
        )
    setup = search_table(
        _SetupTable, _table(strategy, "setup", "search.strategy"), "search.strategy.setup"
    )
    where = "[search.strategy.setup]"
    if setup.n_jobs != 1:
        raise CarveError(
            f"{where} n_jobs: {setup.n_jobs!r} is not accepted; accepted: 1 "
            "(use --workers N for parallel processes)"
        )
    runner, compare_to = _runner(strategy, space_name)
    given = None if strategy.metrics is None else _table(strategy, "metrics", "search.strategy")
    return SearchSpec(
        space=space_name,
        space_setup=_table(space, "setup", "search.search_space"),
        seed=_table(space, "seed", "search.search_space"),
        sampler=_registered(STRATEGIES, setup.sampler, f"{where} sampler"),
        n_trials=setup.n_trials,
        timeout=None if setup.timeout is None else float(setup.timeout),
        sampler_seed=setup.seed,
        sum_scaled_metrics=setup.sum_scaled_metrics,
        direction=_direction(setup.direction, f"{where} direction"),
        metrics=_metrics(given, "search.strategy.metrics"),
        constraints=_constraints(
            [] if strategy.constraints is None else strategy.constraints,
            "[search.strategy] constraints",
        ),
        runner=runner,
        compare_to=compare_to,
        allow_partial_grid=setup.allow_partial_grid,
    )
