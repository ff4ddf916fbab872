"""``carve train`` as one call: dataset, model (``--load``, gradual pruning), train, save back.

The CLI parses flags and prints; this module decides what is trained. A
``[prune]`` table in the config turns the model into a pruned graph whose masks
follow the schedule (:mod:`carve.passes.transforms.prune.schedule`); a model
that is a graph (``--load`` of a saved graph, or pruned here) is saved back as
a graph after training (QAT, :func:`carve.pipeline.qat.save_trained_graph`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class TrainingSetup:
    """What one training run trains: the dataset, the model, the epoch hooks."""

    dataset: Any
    model: Any
    loaded_from: str | None = None  # the --load checkpoint or graph folder
    pruning: Any = None  # GradualPruning hook of a [prune] table, or None

    @property
    def hooks(self) -> list[Any]:
        return [self.pruning] if self.pruning is not None else []


@dataclass
class TrainingOutcome:
    """A finished (or interrupted) run: the engine's result, the pruning targets, the graph."""

    result: Any  # carve.train.TrainResult
    pruning_targets: list[tuple[int, Any]] = field(default_factory=list)  # (epoch, sparsity)
    graph_dir: Path | None = None  # the trained graph, saved for --load (QAT / pruning)


def setup_training(config: Any) -> TrainingSetup:
    """Dataset and model of ``config``: ``--load`` weights, then a ``[prune]`` schedule."""
    from carve.models import load_model
    from carve.train import build_model, load_dataset

    dataset = load_dataset(config)
    model = build_model(config, dataset.info)
    if config.load_name is not None:
        model = load_model(config.load_name, config.load_type, model)  # graph: its module
    setup = TrainingSetup(dataset, model, config.load_name)
    if "prune" in config.tables:  # gradual pruning: [prune] + [prune.schedule]
        setup.model, setup.pruning = prune_for_training(
            model, config.tables["prune"], config.model, dataset, config.max_epochs
        )
    return setup


def run_training(config: Any, setup: TrainingSetup, *, console: Any = None,
                 resume: bool | str = False) -> TrainingOutcome:  # fmt: skip
    """Train ``setup``'s model; a graph's trained module is saved back as a graph."""
    from carve.pipeline.qat import save_trained_graph
    from carve.train import train

    result = train(config, dataset=setup.dataset, model=setup.model, console=console,
                   resume=resume, epoch_hooks=setup.hooks)  # fmt: skip
    outcome = TrainingOutcome(result)
    if setup.pruning is not None:
        outcome.pruning_targets = list(setup.pruning.history)
    if not result.interrupted:
        outcome.graph_dir = save_trained_graph(result.model, result.output_dir)
    return outcome


def prune_for_training(model: Any, table: Any, model_name: str, dataset: Any,
                       max_epochs: int) -> tuple[Any, Any]:  # fmt: skip
    """``carve train`` with a ``[prune]`` table: the model to train (a pruned graph's module,
    saved as a graph after training) and the epoch hook that follows the schedule."""
    from carve.passes.graph_build import graph_with_metadata
    from carve.passes.transforms.prune.schedule import gradual_pruning
    from carve.pipeline.qat import GRAPH_ATTRIBUTE

    graph = getattr(model, GRAPH_ATTRIBUTE, None)  # --load of a saved graph (QAT)
    if graph is None:  # input shapes in the metadata, so the saved graph reloads
        graph = graph_with_metadata(model, dataset.info, inputs=dataset.train.x[:8],
                                    model_name=model_name)  # fmt: skip
    hook = gradual_pruning(graph, table, max_epochs)
    setattr(graph.model, GRAPH_ATTRIBUTE, graph)
    return graph.model, hook
