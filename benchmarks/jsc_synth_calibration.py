"""Calibration of jsc-synth: how hard is the synthetic task for small networks?

Trains a float 16-64-32-32-5 ReLU MLP (the hls4ml/Duarte et al. topology, ~75 %
on the real data), jsc-tiny and jsc-tiny-logits (jsc-tiny without its final
ReLU, which can kill logits and makes jsc-tiny seed-sensitive) on ``jsc-synth``
with a small self-contained Adam loop over whole-tensor batches, then prints
the test accuracies and the time to generate the set. Target: MLP ~73-78 %, jsc-tiny clearly lower.

    python benchmarks/jsc_synth_calibration.py            # full 830,000 rows
    python benchmarks/jsc_synth_calibration.py --size 100000 --epochs 3
"""

from __future__ import annotations

import argparse
import tempfile
import time

import torch
from torch import nn

from carve.data import get_dataset, iterate_batches
from carve.data.jsc_synth import synth_arrays
from carve.models import get_model

MLP = "mlp-16-64-32-32-5"


def mlp_16_64_32_32_5() -> nn.Module:
    return nn.Sequential(
        nn.Linear(16, 64), nn.ReLU(),
        nn.Linear(64, 32), nn.ReLU(),
        nn.Linear(32, 32), nn.ReLU(),
        nn.Linear(32, 5),
    )  # fmt: skip


def accuracy(model: nn.Module, split, batch_size: int = 8192) -> float:
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in iterate_batches(split, batch_size):
            correct += int((model(x).argmax(dim=1) == y).sum())
    return correct / len(split)


def train(model: nn.Module, data, epochs: int, batch_size: int, lr: float, seed: int) -> float:
    """Adam + cosine schedule; returns the test accuracy of the best-validation epoch."""
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * -(-len(data.train) // batch_size)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps, eta_min=1e-6)
    loss_fn = nn.CrossEntropyLoss()
    best_val, best_test = -1.0, 0.0
    for _ in range(epochs):
        model.train()
        for x, y in iterate_batches(data.train, batch_size, shuffle=True, generator=generator):
            optimizer.zero_grad(set_to_none=True)
            loss_fn(model(x), y).backward()
            optimizer.step()
            schedule.step()
        val = accuracy(model, data.val)
        if val > best_val:
            best_val, best_test = val, accuracy(model, data.test)
    return best_test


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=830_000)
    parser.add_argument("--seed", type=int, default=0, help="jsc-synth generator seed")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--init-seed", type=int, default=0, help="weights and shuffling seed")
    parser.add_argument(
        "--models",
        nargs="+",
        default=[MLP, "jsc-tiny", "jsc-tiny-logits"],
        help=f"{MLP} and/or registered model names",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)

    with tempfile.TemporaryDirectory() as cache_dir:
        start, cpu_start = time.perf_counter(), time.process_time()
        synth_arrays(args.size, args.seed, 0.2, 0.2, cache=True, cache_dir=cache_dir)
        generate_s, generate_cpu_s = time.perf_counter() - start, time.process_time() - cpu_start
        start = time.perf_counter()
        data = get_dataset("jsc-synth", size=args.size, seed=args.seed, cache_dir=cache_dir)
        cached_s = time.perf_counter() - start
    sizes = " / ".join(f"{len(s):,}" for s in (data.train, data.val, data.test))
    print(f"jsc-synth size={args.size:,} (train/val/test {sizes})")
    print(
        f"generate+split+scale+save: {generate_s:.2f} s ({generate_cpu_s:.2f} s CPU); "
        f"load from cache: {cached_s:.2f} s"
    )
    for name in args.models:
        torch.manual_seed(args.init_seed)  # reproducible initial weights
        model = mlp_16_64_32_32_5() if name == MLP else get_model(name)
        start = time.perf_counter()
        test = train(model, data, args.epochs, args.batch_size, args.lr, seed=args.init_seed)
        elapsed = time.perf_counter() - start
        print(
            f"{name:<18} test accuracy {100 * test:.2f} %  "
            f"({args.epochs} epochs, batch {args.batch_size}, Adam lr {args.lr}, {elapsed:.0f} s)"
        )


if __name__ == "__main__":
    main()
