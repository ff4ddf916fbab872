"""Study throughput: 6 learning rates x 3 seeds of jsc-tiny, sequential vs vectorised.

Sequential: :func:`carve.train.train` once per run (the engine ``carve train``
uses). Vectorised: :func:`carve.train.ensemble.train_ensemble`, all 18 runs as
one ensemble. Both on 1 CPU thread, no files written, after a warm-up of each.
Prints both wall times, the ratio, and whether every run's final metrics agree
exactly.

    python benchmarks/study_throughput.py                 # full jsc-synth, 2 epochs
    python benchmarks/study_throughput.py --size 20000    # quick look
    python benchmarks/study_throughput.py --sample 3      # time 3 sequential runs, x6
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
    args = parser.parse_args()
    torch.set_num_threads(1)
    options = {} if args.size is None else {"size": args.size}
    data = get_dataset("jsc-synth", **options)
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


if __name__ == "__main__":
    main()
