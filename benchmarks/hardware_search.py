"""Hardware-aware search throughput: candidates per minute, cost model included.

    python benchmarks/hardware_search.py [--trials N] [--data-size ROWS]

The space and objectives of ``configs/search/jsc_hw_pareto.toml``
(``graph/hardware/jsc_mlp``: four JSC MLP architectures x per-layer data/weight
widths and sparsity; accuracy and ``luts``, constraint ``luts <= 6000``), PTQ
candidates: each trial prunes and quantizes an architecture trained once at
setup, evaluates it on 4096 validation rows and runs the hardware cost model
(datapath plan + LUT/FF/latency). The setup (data, training each architecture)
is timed apart and excluded; the trial loop (sampler, candidate, evaluation,
cost model, metrics, constraint) is timed for each sampler on an in-memory
Optuna study, one thread. Also prints the cost model alone per candidate.
Target: >= 100 candidates per minute.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--data-size", type=int, default=60000)
    parser.add_argument("--samplers", default="random,nsgaii,tpe")
    args = parser.parse_args()

    import optuna
    import torch

    from carve.config import CarveConfig
    from carve.config.toml_io import load_toml
    from carve.search.engine import Budget, optimize
    from carve.search.setup import prepare
    from carve.search.spec import parse_search_table

    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    table = load_toml(ROOT / "configs" / "search" / "jsc_hw_pareto.toml")
    config = CarveConfig(model="jsc-tiny", dataset="jsc-synth", data_size=args.data_size,
                         batch_size=256, learning_rate=0.01, progress=False)  # fmt: skip
    start = time.perf_counter()
    setup = prepare(config, parse_search_table(table["search"]))
    print(f"setup (data + training {len(setup.space.hidden)} architectures): "
          f"{time.perf_counter() - start:.1f} s (excluded)")  # fmt: skip
    for sampler in args.samplers.split(","):
        spec = parse_search_table({**table["search"], "strategy": {
            **table["search"]["strategy"], "setup": {"sampler": sampler}}})  # fmt: skip
        setup.spec = spec
        study = optuna.create_study(directions=spec.directions)
        start = time.perf_counter()
        optimize(study, setup, Budget(args.trials))
        seconds = time.perf_counter() - start
        rate = args.trials / seconds * 60
        print(f"{sampler:7}: {args.trials} candidates in {seconds:.1f} s = {rate:.0f}/min "
              f"({rate / 100:.2f}x the 100/min target)")  # fmt: skip
    values = [dict(t.params) for t in study.trials[:50]]
    params = {p.name: p for p in setup.params}
    timings = []
    for raw in values:
        chosen = {name: params[name].choices[raw[name]] if name in raw else params[name].choices[0]
                  for name in params}  # fmt: skip
        candidate = setup.space.candidate(chosen)
        begin = time.perf_counter()
        candidate.hardware_costs()
        timings.append(time.perf_counter() - begin)
    print(
        f"costs alone (graph swap, storage costs, datapath plan, cost model): "
        f"{statistics.median(timings) * 1000:.1f} ms per candidate (median of {len(timings)})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
