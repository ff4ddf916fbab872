"""Study throughput: 6 learning rates x 3 seeds of jsc-tiny, sequential vs vectorised.

Sequential: :func:`carve.train.train` once per run (the engine ``carve train``
uses). Vectorised: :func:`carve.train.ensemble.train_ensemble`, all 18 runs as
one ensemble. Both on 1 CPU thread, no files written, after a warm-up of each.
Prints both wall times, the ratio, and whether every run's final metrics agree
exactly.

    python benchmarks/study_throughput.py                 # full jsc-synth, 2 epochs
    python benchmarks/study_throughput.py --size 20000    # quick look
    python benchmarks/study_throughput.py --sample 3      # time 3 sequential runs, x6
    python benchmarks/study_throughput.py --vary-batch-size --size 100000

``--vary-batch-size``: the study ``carve study --vary batch-size=64,128,256``
runs (one seed: each configuration trains alone) timed through
:func:`carve.study.runner.run_study` against the same three runs done one by
one with :func:`carve.train.train`, both writing their files.
"""

from __future__ import annotations

import argparse
import time

import torch

from carve.config import CarveConfig
from carve.data import get_dataset
from carve.train import train
from carve.train.ensemble import train_ensemble

LEARNING_RATES = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)
SEEDS = (0, 1, 2)
KEYS = ("train_loss", "train_acc", "val_loss", "val_acc")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=None, help="jsc-synth rows (default: full)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--sample", type=int, default=None,
                        help="time only this many sequential runs and extrapolate")  # fmt: skip
    parser.add_argument("--vary-batch-size", action="store_true",
                        help="time a batch-size study against the runs one by one")  # fmt: skip
    args = parser.parse_args()
    torch.set_num_threads(1)
    options = {} if args.size is None else {"size": args.size}
    data = get_dataset("jsc-synth", **options)
    if args.vary_batch_size:
        batch_size_study(data, args.epochs, args.size)
        return
    base = CarveConfig(model="jsc-tiny", dataset="jsc-synth", max_epochs=args.epochs,
                       batch_size=args.batch_size, progress=False, num_threads=1)  # fmt: skip
    configs = [base.replace(learning_rate=lr, seed=s) for lr in LEARNING_RATES for s in SEEDS]
    print(
        f"jsc-tiny on jsc-synth: {len(data.train)} training rows, {args.epochs} epochs, "
        f"batch size {args.batch_size}, {len(configs)} runs (6 learning rates x 3 seeds)"
    )

    warm = get_dataset("jsc-synth", size=2000, cache=False)
    train(configs[0].replace(max_epochs=1), dataset=warm, write_files=False)
    train_ensemble([c.replace(max_epochs=1) for c in configs], warm, write_files=False)

    started = time.perf_counter()
    members = train_ensemble(configs, data, write_files=False)
    vectorised = time.perf_counter() - started
    print(f"vectorised (one ensemble): {vectorised:8.1f} s")

    timed = configs if args.sample is None else configs[: args.sample]
    started = time.perf_counter()
    same = True
    for config, member in zip(timed, members):
        result = train(config, dataset=data, write_files=False)
        same &= all(result.final[k] == member.final[k] for k in KEYS)
    sequential = time.perf_counter() - started
    if len(timed) < len(configs):
        sequential *= len(configs) / len(timed)
        label = f"sequential ({len(timed)} runs timed, scaled to {len(configs)})"
        print(f"{label}: {sequential:8.1f} s")
    else:
        print(f"sequential ({len(configs)} runs one by one): {sequential:8.1f} s")
    print(f"speed-up: {sequential / vectorised:.1f}x")
    print(f"final metrics identical for the {len(timed)} compared runs: {same}")


def batch_size_study(data, epochs: int, size: int | None) -> None:
    """``--vary batch-size=64,128,256`` as a study, then the same runs one by one."""
    import tempfile
    from pathlib import Path

    from carve.study.runner import run_study
    from carve.study.spec import StudySpec, parse_vary

    base = CarveConfig(model="jsc-tiny", dataset="jsc-synth", max_epochs=epochs,
                       learning_rate=1e-3, progress=False, data_size=size)  # fmt: skip
    spec = StudySpec(base, [parse_vary("batch-size=64,128,256")], 1)
    print(f"batch-size study: {len(data.train)} training rows, {epochs} epochs, 3 runs")
    warm = get_dataset("jsc-synth", size=2000, cache=False)
    train(base.replace(max_epochs=1), dataset=warm, write_files=False)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        cache = {("jsc-synth", tuple(sorted(base.dataset_options().items()))): data}
        outcome = run_study(spec, Path(tmp) / "study", progress=False, datasets=cache)
        study = time.perf_counter() - started
        started = time.perf_counter()
        results = [
            train(spec.config_for(run), dataset=data, output_dir=Path(tmp) / run.name,
                  progress=False)
            for run in spec.runs()
        ]  # fmt: skip
        alone = time.perf_counter() - started
    modes = sorted({record["mode"] for record in outcome.records})
    # training steps of every epoch; older records (ensemble rows) only had "seconds"
    study_train = sum(r.get("train_seconds", r["seconds"]) for x in outcome.records
                      for r in x["history"])  # fmt: skip
    alone_train = sum(r["train_seconds"] for x in results for r in x.history)
    print(
        f"carve study --vary batch-size=64,128,256 ({', '.join(modes)}): {study:6.1f} s wall, "
        f"{study_train:6.1f} s in training steps"
    )
    print(
        f"the same 3 runs one by one (carve.train.train):  {alone:6.1f} s wall, "
        f"{alone_train:6.1f} s in training steps"
    )
    print(
        f"training steps, study / one by one: {study_train / alone_train:.2f} "
        "(the study's wall also holds test evaluation, tables and plots)"
    )


if __name__ == "__main__":
    main()
