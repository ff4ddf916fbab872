"""What a pass needs from whoever runs it, declared with the pass (filled by :mod:`carve.pipeline`).

A TOML ``[passes.<name>]`` table holds only plain values. Some passes need
more: batches of the training split to observe (``profile_statistics``), the
test split and its labels (``verify_quantization``), the graph before the
latest transform (``summarize_quantization``), a default output file or
folder (reports, saves). Each pass declares these as a :class:`PassNeeds` in
its catalog row; the pipeline fills every declared ``pass_args`` key the user
left out, so the runner has no per-pass branches.

``replayable`` marks graph-building transforms (quantize, prune...): the only
passes a saved graph's ``recipe.json`` may list, replayed on load. I/O and
report passes are never replayed.

>>> needs = PassNeeds(output=("save_dir", "verify"))
>>> needs.output
('save_dir', 'verify')
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PassNeeds:
    """Typed needs of one pass (each field names the ``pass_args`` key the pipeline fills)."""

    # key that receives an iterable of {input name: batch} from the training split
    train_batches: str | None = None
    # key that receives one {input name: batch} of the training split (a dummy_in)
    input_batch: str | None = None
    # keys that receive the test split's inputs and labels
    test_inputs: str | None = None
    test_labels: str | None = None
    # key that receives the graph as it was before the latest graph-building transform
    original_graph: str | None = None
    # (key, path under the run's output folder) for a default output file or folder
    output: tuple[str, str] | None = None
    # a graph-building transform: recorded in recipe.json and replayed on load
    replayable: bool = False
    # an analysis pass the pipeline runs right after this one (its info under "summary")
    followed_by: str | None = None


NO_NEEDS = PassNeeds()
