"""Search runners: what a trial does with a candidate before its metrics are read.

* ``basic_evaluation`` (post-training): evaluate the candidate's model on the
  first ``num_samples`` rows of a split. The rows are sliced once; every trial
  evaluates a model of its own configuration under ``torch.inference_mode``,
  with fresh counters (MASE's runner accumulated accuracy across trials).
* ``basic_train``: train a fresh model of the candidate for ``max_epochs``
  (quantization-aware fine-tuning for a quantization space, training from
  scratch for an architecture space), then evaluate as above.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from carve.data.base import Split
from carve.search.spaces.base import Candidate, SpaceContext

if TYPE_CHECKING:  # annotations only: spec.py reads the runner registry (no import cycle)
    from carve.search.spec import RunnerSpec


class EvaluationRunner:
    """Accuracy and loss of each candidate on fixed, pre-sliced rows."""

    trains = False
    batches = True  # candidates may be measured several at a time (run_many)

    def __init__(self, spec: RunnerSpec, context: SpaceContext) -> None:
        split = getattr(context.dataset, spec.split)
        rows = len(split) if spec.num_samples is None else min(spec.num_samples, len(split))
        self.rows = Split(split.x[:rows].contiguous(), split.y[:rows].contiguous())
        self.spec = spec
        self.context = context

    def evaluate(self, model) -> dict[str, float]:
        from carve.train import evaluate

        metrics = evaluate(model, self.rows)
        return {"accuracy": metrics["acc"], "loss": metrics["loss"]}

    def run(self, candidate: Candidate) -> dict[str, float]:
        return self.evaluate(candidate.model(trainable=False))

    def run_many(self, candidates: list[Candidate]) -> list[dict[str, float]]:
        """:meth:`run` for each candidate; those of one shared evaluator in one pass."""
        shared = {id(getattr(c, "shared", None)) for c in candidates}
        evaluator = getattr(candidates[0], "shared", None)
        if not self.batches or evaluator is None or len(shared) != 1:
            return [self.run(candidate) for candidate in candidates]
        metrics = evaluator.evaluate_many([c.node_configs for c in candidates], self.rows)
        return [{"accuracy": m["acc"], "loss": m["loss"]} for m in metrics]


class TrainingRunner(EvaluationRunner):
    """Train the candidate (``max_epochs``, the run's optimizer settings), then evaluate."""

    trains = True
    batches = False

    def run(self, candidate: Candidate) -> dict[str, Any]:
        from carve.train import train

        config = self.context.config
        changes: dict[str, Any] = {"max_epochs": self.spec.max_epochs, "progress": False}
        if self.spec.learning_rate is not None:
            changes["learning_rate"] = self.spec.learning_rate
        result = train(
            config.replace(**changes),
            dataset=self.context.dataset,
            model=candidate.model(trainable=True),
            write_files=False,
        )
        return self.evaluate(result.model)
