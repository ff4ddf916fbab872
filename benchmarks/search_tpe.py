"""TPE: one joint model of all parameters (carve's ``tpe``) or one at a time (``tpe_independent``,
Optuna's default and MASE's), against random: how good a front each finds, and how fast.

    python benchmarks/search_tpe.py [--trials 100] [--seeds 8] [--samplers A,B,...]

jsc-toy trained for 2 epochs on jsc-synth (20,000 rows, seed 0), searched by type: every
Linear's input and weight widths from 2, 3, 4, 5, 6, 8 bits (6 parameters, 46,656 points),
accuracy up and average bits down, 2,048 validation rows, one thread. For each sampler and
seed (``setup.seed``) one search; the quality of its trials is the hypervolume of its
(accuracy, average bits) front against the point (accuracy 0, 8 bits): larger is better.
Prints each sampler's mean, median and worst hypervolume over the seeds, its mean trials per
second (first trial start to last end), and the ratios against ``tpe_independent``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

WIDTHS = [2, 3, 4, 5, 6, 8]
REFERENCE = (0.0, 8.0)  # (accuracy, average bits): the worst corner of the front
TABLE = {
    "search_space": {
        "setup": {"by": "type"},
        "seed": {"default": {"config": {"name": [None]}}, "linear": {"config": {
            "name": ["integer"], "data_in_width": WIDTHS, "data_in_frac_width": [None],
            "weight_width": WIDTHS, "weight_frac_width": [None],
            "bias_width": [8], "bias_frac_width": [None]}}},
    },
    "strategy": {
        "sw_runner": {"basic_evaluation": {"data_loader": "val_dataloader", "num_samples": 2048}},
        "metrics": {"accuracy": {"scale": 1.0, "direction": "maximize"},
                    "average_bitwidth": {"scale": 0.2, "direction": "minimize"}},
    },
}  # fmt: skip


def hypervolume(points: list[tuple[float, float]]) -> float:
    """Area dominated by ``points`` (accuracy up, bits down) within :data:`REFERENCE`."""
    front: list[tuple[float, float]] = []
    for accuracy, bits in sorted(set(points), key=lambda p: (p[1], -p[0])):
        inside = accuracy > REFERENCE[0] and bits < REFERENCE[1]
        if inside and (not front or accuracy > front[-1][0]):
            front.append((accuracy, bits))
    edges = [bits for _, bits in front[1:]] + [REFERENCE[1]]
    return sum((a - REFERENCE[0]) * (edge - b) for (a, b), edge in zip(front, edges))


def one_search(config, sampler: str, seed: int, trials: int) -> tuple[float, float]:
    """(hypervolume, trials per second) of one search."""
    import copy

    import optuna

    from carve.search.session import run_search

    table = copy.deepcopy(TABLE)
    table["strategy"]["setup"] = {"sampler": sampler, "seed": seed, "n_trials": trials}
    outcome = run_search(config, table, progress=False)
    journal = optuna.storages.journal.JournalFileBackend(str(outcome.folder / "study.journal"))
    study = optuna.load_study(
        study_name=outcome.study_name, storage=optuna.storages.JournalStorage(journal)
    )
    done = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    records = [t.user_attrs["carve"] for t in done]
    points = [(r["software_metrics"]["accuracy"], r["hardware_metrics"]["average_bitwidth"])
              for r in records]  # fmt: skip
    span = max(t.datetime_complete for t in done) - min(t.datetime_start for t in done)
    return hypervolume(points), len(done) / span.total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--samplers", default="tpe,tpe_independent,random")
    args = parser.parse_args()
    import optuna
    import torch

    from carve.config import CarveConfig
    from carve.train import train

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    torch.set_num_threads(1)
    root = Path(tempfile.mkdtemp(prefix="carve-tpe-bench-"))
    base = CarveConfig(
        model="jsc-toy", dataset="jsc-synth", data_size=20000, seed=0,
        project_dir=str(root), project="b", progress=False, num_threads=1,
    )  # fmt: skip
    start = time.perf_counter()
    checkpoint = train(base.replace(max_epochs=2)).best_checkpoint
    print(f"jsc-toy trained (2 epochs, {time.perf_counter() - start:.1f} s); "
          f"{args.trials} trials x {args.seeds} seeds per sampler")  # fmt: skip
    config = base.replace(load_name=str(checkpoint))
    summary = {}
    for sampler in args.samplers.split(","):
        runs = [one_search(config, sampler, seed, args.trials) for seed in range(args.seeds)]
        volumes = [v for v, _ in runs]
        summary[sampler] = (statistics.mean(volumes), statistics.mean(r for _, r in runs))
        print(
            f"{sampler:>16}: hypervolume mean {summary[sampler][0]:.4f}, median "
            f"{statistics.median(volumes):.4f}, worst {min(volumes):.4f}; "
            f"{summary[sampler][1]:.0f} trials/s",
            flush=True,
        )
    if "tpe_independent" in summary:
        volume, rate = summary["tpe_independent"]
        for sampler, (v, r) in summary.items():
            print(f"{sampler:>16} / tpe_independent: hypervolume {v / volume:.3f}x, "
                  f"trials/s {r / rate:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
