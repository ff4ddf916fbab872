"""Gradual pruning while training: a polynomial sparsity schedule over epochs.

The TF-MOT / hls4ml recipe: sparsity rises from ``initial_sparsity`` at
``begin_epoch`` to the target at ``end_epoch`` as

    s(e) = s_final + (s_initial - s_final) * (1 - (e - begin) / (end - begin)) ** power

and stays there (fine-tuning with fixed masks) until training ends. Before
each scheduled epoch the masks are recomputed from the *masked* weights with
the prune pass's criteria, so (with l1/l2-norm) a pruned weight, being zero,
stays pruned. ``carve train --config`` reads it from a ``[prune]`` table: the
prune pass's ``pass_args`` plus a ``[prune.schedule]`` table::

    [prune.weight]
    sparsity = 0.75            # final target (float or {node = float})
    method = "l1-norm"
    [prune.schedule]
    initial_sparsity = 0.0
    begin_epoch = 0
    end_epoch = 6              # default: max_epochs - 1
    power = 3
    frequency = 1              # epochs between mask updates

>>> schedule = PruneSchedule(initial_sparsity=0.0, begin_epoch=0, end_epoch=4)
>>> [round(schedule.sparsity_at(e, 0.8), 4) for e in range(6)]
[0.0, 0.4625, 0.7, 0.7875, 0.8, 0.8]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from carve.errors import CarveError
from carve.passes.transforms.prune.args import PruneSpec, parse_prune_args
from carve.schema import Range, parse_table

TABLE = "[prune.schedule]"


@dataclass(frozen=True)
class PruneSchedule:
    """Polynomial decay schedule (see the module doc); epochs are 0-based."""

    initial_sparsity: Annotated[float, Range(0.0, 1.0)] = 0.0
    begin_epoch: Annotated[int, Range(0)] = 0
    end_epoch: int | None = None
    power: Annotated[float, Range(0, low_open=True)] = 3.0
    frequency: Annotated[int, Range(1)] = 1

    def sparsity_at(self, epoch: int, final: float) -> float:
        """Target sparsity for the epoch about to start."""
        if epoch < self.begin_epoch:
            return 0.0
        end = self.end_epoch if self.end_epoch is not None else self.begin_epoch
        progress = 1.0 if end <= self.begin_epoch else min(
            1.0, (epoch - self.begin_epoch) / (end - self.begin_epoch))  # fmt: skip
        return final + (self.initial_sparsity - final) * (1.0 - progress) ** self.power

    def updates_at(self, epoch: int) -> bool:
        """Masks are recomputed at begin, every ``frequency`` epochs, and at ``end_epoch``."""
        if epoch < self.begin_epoch:
            return False
        end = self.end_epoch if self.end_epoch is not None else self.begin_epoch
        return epoch == end or (epoch <= end and (epoch - self.begin_epoch) % self.frequency == 0)

    def target(self, spec: PruneSpec, epoch: int) -> float | dict[str, float]:
        if isinstance(spec.sparsity, dict):
            return {k: self.sparsity_at(epoch, v) for k, v in spec.sparsity.items()}
        return self.sparsity_at(epoch, spec.sparsity)


def parse_schedule(table: Any, max_epochs: int) -> PruneSchedule:
    """Validate ``[prune.schedule]`` (end_epoch defaults to the last epoch)."""
    schedule = parse_table(PruneSchedule, table, TABLE, shown=lambda key: f"{TABLE} {key}")
    end = schedule.end_epoch if schedule.end_epoch is not None else max_epochs - 1
    if not schedule.begin_epoch <= end < max_epochs:
        raise CarveError(
            f"{TABLE} end_epoch must lie in [begin_epoch, max_epochs - 1] = "
            f"[{schedule.begin_epoch}, {max_epochs - 1}], got {end}"
        )
    return PruneSchedule(schedule.initial_sparsity, schedule.begin_epoch, end, schedule.power,
                         schedule.frequency)  # fmt: skip


class GradualPruning:
    """Epoch hook (``hook(epoch, model)``) that updates the weight masks of ``layers``."""

    def __init__(self, layers: dict, spec: PruneSpec, schedule: PruneSchedule,
                 recorded: dict | None = None) -> None:  # fmt: skip
        self.layers, self.spec, self.schedule = layers, spec, schedule
        self.recorded = recorded  # the recipe's pass_args: kept at the current target
        self.history: list[tuple[int, float | dict[str, float]]] = []

    def __call__(self, epoch: int, model: Any = None) -> None:
        from carve.passes.transforms.prune.prune import prune_weights

        if not self.schedule.updates_at(epoch):
            return
        target = self.schedule.target(self.spec, epoch)
        prune_weights(self.layers, self.spec.with_sparsity(target))
        if self.recorded is not None:
            self.recorded["weight"]["sparsity"] = target
        self.history.append((epoch, target))


def gradual_pruning(graph: Any, table: Any, max_epochs: int) -> GradualPruning:
    """Prune ``graph`` in place as a ``[prune]`` table says; the hook that continues it.

    The graph is pruned now to the schedule's epoch-0 target (its masks exist
    from the start, so checkpoints and resumes see one structure); the returned
    hook moves the masks along the schedule before each epoch.
    """
    from carve.passes.transforms.prune.prune import prunable_layers, prune_transform_pass

    if not isinstance(table, dict):
        raise CarveError("[prune] must be a table: the prune pass_args plus [prune.schedule]")
    if "weight" not in table:
        raise CarveError("[prune] needs a [prune.weight] table to schedule (sparsity, method...)")
    args = parse_prune_args({k: v for k, v in table.items() if k != "schedule"})
    schedule = parse_schedule(table.get("schedule", {}), max_epochs)
    start = args.weight.with_sparsity(schedule.target(args.weight, 0))
    start_args = {**args.as_pass_args(), "weight": start.as_dict(), "in_place": True}
    prune_transform_pass(graph, start_args)
    recorded = graph.recipe.transforms[-1]["pass_args"] if hasattr(graph, "recipe") else None
    return GradualPruning(prunable_layers(graph), args.weight, schedule, recorded)
