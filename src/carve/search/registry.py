"""The four search registries: spaces, strategies (samplers), runners and metrics.

Each is a :class:`carve.registry.Registry`, so an unknown name fails with the
known names and a close match, and ``carve --info search`` lists them. Entries
are lazy (``"module:attr"``): listing them does not import torch or optuna.

A user adds a space in a file passed with ``--search-file`` (as models with
``--model-file``)::

    from carve.search import SPACES

    @SPACES.register("my-space", description="...", runner="basic_evaluation")
    class MySpace: ...
"""

from __future__ import annotations

from typing import Any

from carve.registry import Registry

SPACES: Registry[Any] = Registry("search space")
STRATEGIES: Registry[Any] = Registry("search strategy")
RUNNERS: Registry[Any] = Registry("search runner")
METRICS: Registry[Any] = Registry("search metric")

_SPACE_MODULE = "carve.search.spaces"
SPACES.add_lazy(
    "graph/quantize/mixed_precision_ptq",
    f"{_SPACE_MODULE}.quantize:MixedPrecisionSpace",
    description="per-node (by name) or per-op (by type) quantization formats and widths",
    runner="basic_evaluation",
    baseline=True,
)
SPACES.add_lazy(
    "graph/prune/sparsity",
    f"{_SPACE_MODULE}.prune:PruningSpace",
    description="per-node (or global) weight sparsity, pruning method and granularity",
    runner="basic_evaluation",
)
SPACES.add_lazy(
    "graph/architecture/jsc_mlp",
    f"{_SPACE_MODULE}.architecture:JscMlpSpace",
    description="JSC MLP depth, widths, BatchNorm and activation (trained per trial)",
    runner="basic_train",
)
SPACES.add_lazy(
    "graph/hardware/jsc_mlp",
    f"{_SPACE_MODULE}.hardware:HardwareMlpSpace",
    description="JSC MLP hidden widths x per-layer data/weight widths and sparsity (PTQ; "
    "luts/ffs/latency_cycles from the hardware cost model)",
    runner="basic_evaluation",
)

# independent: draws each trial without the results of the others (batches of trials);
# choices: how a parameter is suggested (carve.search.engine.CHOICES)
for _name, _text, _independent, _choices in (
    ("grid", "every point of the space (optuna GridSampler); refuses spaces it cannot finish",
     True, "index"),
    ("random", "uniform random choices (optuna RandomSampler)", True, "index"),
    ("tpe", "tree-structured Parzen estimator over all parameters jointly (optuna "
     "TPESampler, multivariate), choices as categories", False, "categorical"),
    ("tpe_independent", "optuna's default TPESampler: one parameter at a time, choices as "
     "indices (MASE's tpe)", False, "index"),
    ("nsgaii", "NSGA-II genetic multi-objective (optuna NSGAIISampler)", False, "index"),
    ("nsgaiii", "NSGA-III reference-point multi-objective (optuna NSGAIIISampler)", False,
     "index"),
    ("qmc", "quasi-Monte Carlo, scrambled Sobol (optuna QMCSampler)", True, "index"),
):  # fmt: skip
    STRATEGIES.add_lazy(
        _name,
        f"carve.search.strategies:{_name}_sampler",
        description=_text,
        independent=_independent,
        choices=_choices,
    )

RUNNERS.add_lazy(
    "basic_evaluation",
    "carve.search.runners:EvaluationRunner",
    description="post-training: evaluate each candidate on a split (num_samples rows)",
)
RUNNERS.add_lazy(
    "basic_train",
    "carve.search.runners:TrainingRunner",
    description="train each candidate for max_epochs (QAT for quantization spaces), then evaluate",
)

for _name, _direction, _text in [
    ("accuracy", "maximize", "top-1 accuracy on the runner's samples"),
    ("loss", "minimize", "mean cross-entropy on the runner's samples"),
    ("accuracy_drop", "minimize", "float model's accuracy minus the candidate's (same samples)"),
    ("average_bitwidth", "minimize", "storage bits per weight and input element of linear/conv"),
    ("weight_bitwidth", "minimize", "storage bits per weight element of linear/conv"),
    ("data_bitwidth", "minimize", "storage bits per input-activation element of linear/conv"),
    ("memory_density", "maximize", "compare_to / average_bitwidth (MASE's hardware metric)"),
    ("model_size", "minimize", "bytes to store every parameter at its storage bits"),
    ("bitops", "minimize", "MACs x weight bits x activation bits, per input sample"),
]:
    METRICS.add_lazy(
        _name,
        f"carve.search.metrics:{_name}",
        direction=_direction,
        description=_text,
    )
for _name, _text in [
    ("luts", "LUTs of the emitted Verilog (cost model; --verify-hardware checks with yosys)"),
    ("ffs", "flip-flops of the emitted Verilog (cost model)"),
    ("latency_cycles", "pipeline latency of the emitted Verilog in clock cycles"),
]:  # measured by the cost provider named in `costs`, only for searches that ask for them
    METRICS.add_lazy(
        _name,
        f"carve.search.hardware_metrics:{_name}",
        direction="minimize",
        description=_text,
        costs="carve.search.hardware_metrics:hardware_costs",
    )


def info_table() -> tuple[str, list[str], list[list[str]]]:
    """Rows for ``carve --info search``."""
    rows = []
    for kind, registry in (
        ("space", SPACES),
        ("strategy", STRATEGIES),
        ("runner", RUNNERS),
        ("metric", METRICS),
    ):
        for name in registry.names():
            meta = registry.meta(name)
            extra = f" ({meta['direction']})" if "direction" in meta else ""
            rows.append([kind, name, meta.get("description", "") + extra])
    return "Search: spaces, strategies, runners, metrics", ["Kind", "Name", "Description"], rows
