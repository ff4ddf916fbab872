"""Search metrics: each turns a trial's measurements into one number.

A metric is ``metric(measured, context) -> float``: ``measured`` holds what the
runner measured (``accuracy``, ``loss``) and the candidate's costs
(``average_bitwidth``, ``model_size``...); ``context`` holds the float
baseline and ``compare_to``. Registered (lazily) in
:data:`carve.search.registry.METRICS` with their default direction.

>>> measured = {"accuracy": 0.70, "average_bitwidth": 8.0}
>>> context = MetricContext(baseline_accuracy=0.72, compare_to=32.0)
>>> round(accuracy_drop(measured, context), 6), memory_density(measured, context)
(0.02, 4.0)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class MetricContext:
    """Values shared by every trial of a search."""

    baseline_accuracy: float = float("nan")
    compare_to: float = 32.0


Metric = Callable[[Mapping[str, float], MetricContext], float]


def measured_value(name: str) -> Metric:
    """The metric that is the candidate's measured ``name`` itself (most metrics are)."""

    def metric(measured: Mapping[str, float], context: MetricContext) -> float:
        return float(measured[name])

    metric.__name__ = metric.__qualname__ = name
    return metric


accuracy = measured_value("accuracy")


loss = measured_value("loss")


def accuracy_drop(measured: Mapping[str, float], context: MetricContext) -> float:
    return float(context.baseline_accuracy - measured["accuracy"])


average_bitwidth = measured_value("average_bitwidth")


weight_bitwidth = measured_value("weight_bitwidth")

data_bitwidth = measured_value("data_bitwidth")


def memory_density(measured: Mapping[str, float], context: MetricContext) -> float:
    bits = measured["average_bitwidth"]
    return float(context.compare_to / bits) if bits else float("inf")


model_size = measured_value("model_size")


bitops = measured_value("bitops")
