"""Pruning benchmark: prune + detach + evaluate jsc-s, in milliseconds.

    python benchmarks/prune.py [--repeats N] [--rows N]

Figures (one thread, CPU, median of ``--repeats`` runs):

- ``prune_transform_pass`` on jsc-s (graph copy included) for local/global
  l1-norm elementwise at 75 %, channel l2-norm at 50 %, and random at 75 %;
- ``prune_detach_hook_transform_pass`` (copy + bake the masks);
- one gradual-pruning mask update (what ``carve train`` does per epoch);
- ``report_sparsity_analysis_pass`` (measure, costs, table; no files);
- evaluating the jsc-synth test split (``--rows`` rows) with the float graph,
  the masked graph (parametrization: weight * mask on every forward) and the
  detached graph; the masked/float ratio is the median of paired runs.
- prune + detach + evaluate end to end.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quantize import analysed_graph, median_time  # the shared timing helpers

CONFIGS = {
    "local l1-norm 75 %": {"weight": {"sparsity": 0.75}},
    "global l1-norm 75 %": {"weight": {"sparsity": 0.75, "scope": "global"}},
    "channel l2-norm 50 %": {
        "weight": {"sparsity": 0.5, "granularity": "channel", "method": "l2-norm"}
    },
    "random 75 %": {"weight": {"sparsity": 0.75, "method": "random"}},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--rows", type=int, default=166_000)
    args = parser.parse_args()
    torch.set_num_threads(1)

    from carve.data import get_dataset
    from carve.passes import (
        prune_detach_hook_transform_pass,
        prune_transform_pass,
        report_sparsity_analysis_pass,
    )
    from carve.passes.transforms.prune.args import parse_spec
    from carve.passes.transforms.prune.prune import prunable_layers
    from carve.passes.transforms.prune.schedule import GradualPruning, PruneSchedule
    from carve.train import evaluate

    graph = analysed_graph("jsc-s")
    print(f"jsc-s, {args.repeats} repeats, one thread; times in ms (median)")
    for label, pass_args in CONFIGS.items():
        prune_transform_pass(graph, pass_args)  # warm-up
        seconds = median_time(lambda a=pass_args: prune_transform_pass(graph, a), args.repeats)
        print(f"prune_transform_pass, {label:22s}: {seconds * 1e3:7.2f}")
    pruned, _ = prune_transform_pass(graph, CONFIGS["local l1-norm 75 %"])
    seconds = median_time(lambda: prune_detach_hook_transform_pass(pruned), args.repeats)
    print(f"prune_detach_hook_transform_pass            : {seconds * 1e3:7.2f}")
    hook = GradualPruning(prunable_layers(pruned), parse_spec({"sparsity": 0.75}, "weight"),
                          PruneSchedule(end_epoch=4))  # fmt: skip
    seconds = median_time(lambda: hook(2), args.repeats)
    print(f"gradual pruning mask update (one epoch)     : {seconds * 1e3:7.2f}")
    dummy = {"x": torch.randn(128, 16)}
    seconds = median_time(lambda: report_sparsity_analysis_pass(pruned, {"dummy_in": dummy}),
                          args.repeats)  # fmt: skip
    print(f"report_sparsity_analysis_pass (batch 128)   : {seconds * 1e3:7.2f}")

    test = get_dataset("jsc-synth").test
    test = type(test)(test.x[: args.rows], test.y[: args.rows])
    detached, _ = prune_detach_hook_transform_pass(pruned)
    models = {"float": graph.model, "masked": pruned.model, "detached": detached.model}
    for model in models.values():
        evaluate(model, test)  # warm-up
    times: dict[str, list[float]] = {name: [] for name in models}
    for _ in range(args.repeats):  # interleaved: the load drifts
        for name, model in models.items():
            start = time.perf_counter()
            evaluate(model, test)
            times[name].append(time.perf_counter() - start)
    for name in models:
        print(f"evaluate {len(test):,} rows, {name:8s}          : "
              f"{statistics.median(times[name]) * 1e3:7.2f}")  # fmt: skip
    ratio = statistics.median(m / f for m, f in zip(times["masked"], times["float"]))
    print(f"masked / float evaluation (paired median)    : {ratio:7.2f}x")

    def end_to_end() -> None:
        masked, _ = prune_transform_pass(graph, CONFIGS["local l1-norm 75 %"])
        baked, _ = prune_detach_hook_transform_pass(masked, {"in_place": True})
        evaluate(baked.model, test)

    seconds = median_time(end_to_end, args.repeats)
    print(f"prune + detach + evaluate, end to end       : {seconds * 1e3:7.2f}")


if __name__ == "__main__":
    main()
