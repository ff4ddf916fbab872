"""Everything a trial needs, built once per process: data, trained model, space, runner.

The graph, its metadata and the evaluation rows are built here once; a trial
only samples choices, builds its candidate and measures it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from carve.errors import CarveError
from carve.search.metrics import MetricContext
from carve.search.spaces.base import Param, Space, SpaceContext
from carve.search.spec import SearchSpec

SOFTWARE = ("accuracy", "loss", "accuracy_drop")


@dataclass
class SearchSetup:
    """A ready search: space, runner and the metric context (float baseline)."""

    config: Any  # CarveConfig
    spec: SearchSpec
    space: Space
    runner: Any
    metric_context: MetricContext
    measured: dict[tuple, dict[str, Any]] = field(default_factory=dict)  # values -> record

    @property
    def params(self) -> list[Param]:
        return self.space.params

    def measure(self, values: dict[str, Any]) -> dict[str, Any]:
        """Run one candidate: software/hardware/scaled metrics and constraint violations."""
        return self.measure_many([values])[0]

    def measure_many(self, values: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """:meth:`measure` for several candidates, evaluated together where the runner can.

        A deterministic space (``space.deterministic``) under a runner that does not
        train gives the same record for the same values: each is measured once per
        search and reused (samplers such as TPE propose a good point again and again).
        Every caller gets its own copy of the record.
        """
        if not (getattr(self.space, "deterministic", False) and not self.runner.trains):
            return self._measure(values)
        keys = [_frozen(v) for v in values]
        new = {key: v for key, v in zip(keys, values) if key not in self.measured}
        self.measured.update(zip(new, self._measure(list(new.values()))))
        return [_copy(self.measured[key]) for key in keys]

    def _measure(self, values: list[dict[str, Any]]) -> list[dict[str, Any]]:
        candidates = [self.space.candidate(v) for v in values]
        if len(candidates) > 1 and self.runner.batches:
            measured = self.runner.run_many(candidates)
        else:
            measured = [self.runner.run(candidate) for candidate in candidates]
        return [self._record(c, dict(m)) for c, m in zip(candidates, measured)]

    def _cost_providers(self) -> tuple[list, set[str]]:
        """Extra cost functions (``costs`` in a metric's registry entry) the objectives and
        constraints need, and every metric they serve (all are recorded)."""
        from importlib import import_module

        from carve.search.registry import METRICS

        wanted = {*self.spec.objectives, *(c.metric for c in self.spec.constraints)}
        targets = sorted({METRICS.meta(name).get("costs") for name in wanted} - {None})
        served = {name for name in METRICS if METRICS.meta(name).get("costs") in targets}
        calls = [getattr(import_module(t.partition(":")[0]), t.partition(":")[2]) for t in targets]
        return calls, served

    def _record(self, candidate, measured: dict[str, Any]) -> dict[str, Any]:
        from carve.search.registry import METRICS

        measured.update(candidate.costs())
        providers, served = self._cost_providers()
        for provider in providers:
            measured.update(provider(candidate))
        names = {
            *served,
            *self.spec.objectives,
            *(c.metric for c in self.spec.constraints),
            "accuracy",
            "loss",
            "average_bitwidth",
            "memory_density",
            "model_size",
            "bitops",
        }
        if not math.isnan(self.metric_context.baseline_accuracy):
            names.add("accuracy_drop")
        metrics = {name: METRICS[name](measured, self.metric_context) for name in sorted(names)}
        return {
            "software_metrics": {k: v for k, v in metrics.items() if k in SOFTWARE},
            "hardware_metrics": {k: v for k, v in metrics.items() if k not in SOFTWARE},
            "scaled_metrics": {m.name: m.scale * metrics[m.name] for m in self.spec.metrics},
            "constraints": [c.violation(metrics[c.metric]) for c in self.spec.constraints],
        }


def _copy(record: dict[str, Any]) -> dict[str, Any]:
    """A record a caller may change (its tables are one level deep)."""
    return {k: v.copy() if isinstance(v, dict | list) else v for k, v in record.items()}


def _frozen(values: dict[str, Any]) -> tuple:
    """``values`` as a hashable key (choices may be lists or tuples)."""
    return tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in sorted(values.items()))


def build_graph(config, dataset):
    """The pipeline's analysed graph of the model ``config`` names (``--load`` weights or a
    saved graph), with metadata for one input row, so sizes and BitOPs are per sample."""
    from carve.search.quantize_adapter import build_config_graph

    return build_config_graph(config, dataset)


def prepare(config, spec: SearchSpec, dataset=None) -> SearchSetup:
    """Build the search for ``config`` (model, dataset, --load) and ``spec``."""
    import torch

    from carve.search.registry import RUNNERS, SPACES
    from carve.train import load_dataset

    torch.set_num_threads(config.num_threads or 1)
    dataset = dataset if dataset is not None else load_dataset(config)
    graph = build_graph(config, dataset)  # a checkpoint or a saved (quantized) graph folder
    model = graph.model.eval()
    context = SpaceContext(model=model, dataset=dataset, config=config, extras={"graph": graph})
    space = SPACES[spec.space](spec, context)
    runner = RUNNERS[spec.runner.name](spec.runner, context)
    if SPACES.meta(spec.space).get("runner") == "basic_train" and not runner.trains:
        raise CarveError(
            f"[search.strategy.sw_runner] {spec.runner.name} cannot evaluate "
            f"{spec.space}: its candidates are untrained; use basic_train"
        )
    # spaces built on the trained model compare against it (accuracy_drop)
    has_baseline = SPACES.meta(spec.space).get("baseline", False)
    baseline = runner.evaluate(model)["accuracy"] if has_baseline else float("nan")
    return SearchSetup(config, spec, space, runner, MetricContext(baseline, spec.compare_to))
