"""Hardware search metrics: ``luts``, ``ffs`` and ``latency_cycles`` of the emitted design.

They come from carve's fast cost model (:mod:`carve.hardware.cost_model`), not
from synthesis: milliseconds per candidate, checked against yosys by
``benchmarks/hardware_cost_model.py``. ``--verify-hardware K`` runs yosys on
the K best trials afterwards (:mod:`carve.search.hardware_verify`).

The metrics read ``measured["luts"]`` etc. like every other metric; the values
are put there by :func:`hardware_costs`, which the metric registry names as
these metrics' ``costs`` provider (``SearchSetup`` calls a provider once per
candidate when a metric it serves is an objective or a constraint).

A candidate may offer ``hardware_costs()`` itself (the hardware space does,
from the layers it already holds); any other candidate is read from its
quantized model.
"""

from __future__ import annotations

from typing import Any

from carve.search.metrics import measured_value

NAMES = ("luts", "ffs", "latency_cycles")


luts = measured_value("luts")
ffs = measured_value("ffs")
latency_cycles = measured_value("latency_cycles")


def estimate_graph(graph: Any):
    """The cost model's :class:`~carve.hardware.cost_model.CostEstimate` of a quantized
    graph (a MaseGraph or GraphModule), its datapath planned as the Verilog emitter does."""
    from carve.export.graph_view import export_view
    from carve.export.verilog_plan import plan_datapath
    from carve.hardware.cost_model import estimate_datapath

    return estimate_datapath(plan_datapath(export_view(graph)))


def hardware_costs(candidate: Any) -> dict[str, float]:
    """The cost model's ``luts``, ``ffs``, ``latency_cycles`` of ``candidate``."""
    own = getattr(candidate, "hardware_costs", None)
    if own is not None:
        return own()
    return estimate_graph(candidate.model(trainable=False)).metrics()
