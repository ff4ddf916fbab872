"""What content hashes cost: checkpoint save/load and the dataset cache load.

Checkpoints: one jsc-s training checkpoint (model + Adam state), saved with
:func:`carve.train.checkpoint.save_checkpoint` (hash + atomic write + fsync)
and read with :func:`carve.train.read_checkpoint` (hash checked), against
plain ``torch.save`` / ``torch.load(weights_only=True)``. Cache: the processed
jsc-synth splits (``--size`` rows) read with :func:`carve.data.cache.load_npz`
(hash + finiteness checked) against plain ``np.load``. Medians of ``--repeat``.

    python benchmarks/integrity.py              # full jsc-synth (830,000 rows)
    python benchmarks/integrity.py --size 100000
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch


def median_seconds(action, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def checkpoint_figures(folder: Path, repeat: int) -> tuple[float, float, float, float]:
    from carve.config import CarveConfig
    from carve.data import get_dataset
    from carve.train import read_checkpoint, train
    from carve.train.checkpoint import save_checkpoint

    config = CarveConfig(model="jsc-s", dataset="jsc-synth", data_size=2000, max_epochs=1,
                         progress=False)  # fmt: skip
    result = train(config, dataset=get_dataset("jsc-synth", size=2000), output_dir=folder / "run")
    state = read_checkpoint(result.last_checkpoint)
    ours, plain = folder / "ours.ckpt", folder / "plain.ckpt"
    save_ours = median_seconds(lambda: save_checkpoint(state, ours), repeat)
    save_plain = median_seconds(lambda: torch.save(state, plain), repeat)
    load_ours = median_seconds(lambda: read_checkpoint(ours), repeat)
    load_plain = median_seconds(lambda: torch.load(plain, weights_only=True), repeat)
    return save_ours, save_plain, load_ours, load_plain


def cache_figures(size: int, repeat: int) -> tuple[float, float, Path]:
    from carve.data import get_dataset
    from carve.data.cache import cache_root, load_npz

    get_dataset("jsc-synth", size=size)  # generate + cache once
    path = max((cache_root() / "jsc-synth").glob("*.npz"), key=lambda p: p.stat().st_mtime)

    def plain():
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}

    return median_seconds(lambda: load_npz(path), repeat), median_seconds(plain, repeat), path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=830_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        save_ours, save_plain, load_ours, load_plain = checkpoint_figures(Path(tmp), args.repeat)
    print(
        f"jsc-s checkpoint save: {save_ours * 1e3:.2f} ms (hash+atomic+fsync) vs "
        f"{save_plain * 1e3:.2f} ms torch.save  ratio {save_ours / save_plain:.2f}"
    )
    print(
        f"jsc-s checkpoint load: {load_ours * 1e3:.2f} ms (hash checked) vs "
        f"{load_plain * 1e3:.2f} ms torch.load  ratio {load_ours / load_plain:.2f}"
    )
    ours, plain, path = cache_figures(args.size, args.repeat)
    print(
        f"jsc-synth cache ({args.size:,} rows, {path.stat().st_size / 2**20:.1f} MiB) load: "
        f"{ours * 1e3:.1f} ms (hash+finite checked) vs {plain * 1e3:.1f} ms np.load  "
        f"ratio {ours / plain:.2f}"
    )


if __name__ == "__main__":
    main()
