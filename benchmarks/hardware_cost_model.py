"""The hardware cost model against yosys: Spearman rho and relative errors on >= 60 designs.

    python benchmarks/hardware_cost_model.py [--designs N] [--jobs 2] [--cache FILE]
    python benchmarks/hardware_cost_model.py --fit      # refit COEFFICIENTS (calibration set)

Designs: jsc-tiny, jsc-toy and jsc-s with *random, untrained* weights of the
right shapes (resources depend on widths, kept weights and the weights' bit
patterns, not on accuracy), quantized with the integer format at data/weight
widths 2-8 (uniform or mixed by layer) and pruned 0-90 % (uniform or mixed),
each emitted by carve's real Verilog emitter and synthesized by yosys 0.23
``synth_xilinx -family xcup -nodsp`` (out of context, hierarchy kept). jsc-toy
and jsc-s designs are kept narrower and sparser so a yosys run stays under a
few minutes on a shared machine.

The check set (``--seed 1``) and the calibration set that ``--fit`` uses
(``--seed 2``) are drawn independently; the shipped coefficients come from the
calibration set only. yosys results are cached by the Verilog text's hash
(``--cache``), so a rerun costs only the designs that changed.

Prints one row per design, then for LUTs and FFs: Spearman rho, median and
90th-percentile |model / yosys - 1|, against the targets rho >= 0.95 and
median <= 15 % (LUTs); and the model's time per design.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from carve.fileio import atomic_write_text

LAYERS = {"jsc-tiny": 1, "jsc-toy": 3, "jsc-s": 5}
SPARSITY = (0.0, 0.5, 0.75, 0.9)


def design_specs(count: int, seed: int, calibration: bool = False) -> list:
    """``count`` designs: half jsc-tiny (widths 2-8), a third jsc-toy (2-5 bits, pruned
    >= 50 % somewhere), the rest jsc-s (2-3 bits, pruned 75-90 %): yosys time grows with
    kept weights x bits, and this machine's two cores are shared. The calibration set
    (``--fit``) is broader: jsc-toy 2-6 bits and dense layers, jsc-s 2-4 bits."""
    from carve.hardware.designs import DesignSpec

    rng = random.Random(seed)
    specs = []
    for index in range(count):
        model = ("jsc-tiny", "jsc-toy", "jsc-tiny", "jsc-toy", "jsc-s", "jsc-tiny")[index % 6]
        layers = LAYERS[model]
        ranges = {"jsc-tiny": (2, 8), "jsc-toy": (2, 5), "jsc-s": (2, 3)}
        if calibration:
            ranges |= {"jsc-toy": (2, 6), "jsc-s": (2, 4)}
        low, high = ranges[model]
        if rng.random() < 0.5:  # mixed precision by layer
            widths = tuple((rng.randint(low, high), rng.randint(low, high)) for _ in range(layers))
        else:
            data, weight = rng.randint(low, high), rng.randint(low, high)
            widths = ((data, weight),) * layers
        choices = {"jsc-tiny": SPARSITY, "jsc-toy": SPARSITY[1:], "jsc-s": (0.75, 0.9, 0.9)}
        if calibration:
            choices |= {"jsc-toy": SPARSITY, "jsc-s": (0.75, 0.9)}
        # (the order of the draws keeps both sets as they were first drawn)
        if (model == "jsc-s" and calibration) or rng.random() < 0.5 or model == "jsc-s":
            sparsity = tuple(rng.choice(choices[model]) for _ in range(layers))
        else:
            sparsity = (rng.choice(choices[model]),) * layers
        specs.append(DesignSpec(model, widths, sparsity, seed=seed * 1000 + index))
    return specs


def emit(spec, folder: Path):
    """The design's RtlDesign (real emitter) and the text hash keying the cache."""
    from carve.export.graph_view import export_view
    from carve.export.verilog import emit_verilog
    from carve.hardware.designs import design_graph

    design = emit_verilog(export_view(design_graph(spec)), folder)
    digest = hashlib.sha256()
    for path in sorted(design.files):
        digest.update(path.read_bytes())
    return design, digest.hexdigest()[:16]


def synthesize(job: tuple) -> dict:
    """yosys on one emitted design (a thread: the work is in the yosys process)."""
    name, design, digest = job
    from carve.hardware.yosys import estimate_resources

    estimate = estimate_resources(design.files, design.top, dsp=False,
                                  latency_cycles=design.latency)  # fmt: skip
    return {
        "key": name,
        "digest": digest,
        "luts": estimate.total.luts,
        "ffs": estimate.total.ffs,
        "modules": {m.name: [m.luts, m.ffs] for m in estimate.modules.values()},
        "critical_path_ns": estimate.critical_path_ns,
        "yosys_seconds": estimate.yosys_seconds,
    }


def yosys_results(specs: list, cache_path: Path, jobs: int) -> dict[str, dict]:
    """Cached yosys results of ``specs`` (keyed by name; rerun when the Verilog changed).

    Designs are emitted here, one after the other; yosys runs ``jobs`` at a time in
    threads (each run is its own process), so nothing forks a process holding torch.
    """
    cache = json.loads(cache_path.read_text()) if cache_path.is_file() else {}
    with tempfile.TemporaryDirectory() as tmp:
        todo = []
        for spec in specs:
            design, digest = emit(spec, Path(tmp) / spec.name)
            if cache.get(spec.name, {}).get("digest") != digest:
                todo.append((spec.name, design, digest))
        if todo:
            print(f"yosys on {len(todo)} design(s), {jobs} at a time...", flush=True)
            with ThreadPoolExecutor(jobs) as pool:
                for result in pool.map(synthesize, todo):
                    cache[result["key"]] = result
                    atomic_write_text(cache_path, json.dumps(cache, indent=1))
                    print(f"  {result['key']}: {result['luts']} LUT, "
                          f"{result['yosys_seconds']:.0f} s", flush=True)  # fmt: skip
    return cache


def model_rows(specs: list, results: dict, coefficients=None) -> list[dict]:
    from carve.export.graph_view import export_view
    from carve.export.verilog_plan import plan_datapath
    from carve.hardware.cost_model import estimate_datapath
    from carve.hardware.designs import design_graph

    rows = []
    for spec in specs:
        path = plan_datapath(export_view(design_graph(spec)))
        start = time.perf_counter()
        estimate = estimate_datapath(path, coefficients)
        seconds = time.perf_counter() - start
        result = results[spec.name]
        rows.append({"spec": spec, "path": path, "model": estimate, "yosys": result,
                     "model_seconds": seconds})  # fmt: skip
    return rows


def fit(rows: list[dict]) -> dict[str, float]:
    """Non-negative least squares of each design's yosys LUTs on its summed features,
    on relative error: the model is used (and checked) on whole designs."""
    from scipy.optimize import nnls

    from carve.hardware.cost_model import FEATURES

    x = np.array([[sum(layer.features[name] for layer in row["model"].layers)
                   for name in FEATURES] for row in rows])  # fmt: skip
    y = np.array([row["yosys"]["luts"] for row in rows], dtype=np.float64)
    coefficients, _ = nnls(x / y[:, None], np.ones(len(y)))
    return {name: round(float(c), 4) for name, c in zip(FEATURES, coefficients)}


def summary(name: str, model: list[float], yosys: list[float]) -> tuple[float, float, float]:
    from scipy.stats import spearmanr

    errors = [abs(m / y - 1) for m, y in zip(model, yosys) if y]
    rho = float(spearmanr(model, yosys).statistic)
    median = statistics.median(errors)
    p90 = float(np.percentile(errors, 90))
    print(f"{name:5}: Spearman rho {rho:.3f}; |model/yosys - 1| median {median:.1%}, "
          f"90th percentile {p90:.1%} ({len(errors)} designs)")  # fmt: skip
    return rho, median, p90


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--designs", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1, help="design draw (2: calibration set)")
    parser.add_argument("--jobs", type=int, default=2, help="yosys runs at once")
    parser.add_argument("--cache", type=Path, default=Path("benchmarks/.hardware_yosys.json"))
    parser.add_argument("--fit", action="store_true",
                        help="fit the coefficients on the calibration set (--seed 2)")  # fmt: skip
    args = parser.parse_args()
    seed = 2 if args.fit else args.seed
    specs = design_specs(args.designs, seed, calibration=args.fit)
    results = yosys_results(specs, args.cache, args.jobs)
    rows = model_rows(specs, results)
    if args.fit:
        print("COEFFICIENTS =", json.dumps(fit(rows), indent=4))
        return 0
    print(
        f"{'design':42} {'LUT model':>9} {'yosys':>7} {'FF model':>8} {'yosys':>6} {'yosys s':>8}"
    )
    for row in rows:
        print(f"{row['spec'].name:42} {row['model'].luts:9.0f} {row['yosys']['luts']:7d} "
              f"{row['model'].ffs:8d} {row['yosys']['ffs']:6d} "
              f"{row['yosys']['yosys_seconds']:8.1f}")  # fmt: skip
    rho, median, _ = summary("LUTs", [r["model"].luts for r in rows],
                             [r["yosys"]["luts"] for r in rows])  # fmt: skip
    summary("FFs", [r["model"].ffs for r in rows], [r["yosys"]["ffs"] for r in rows])
    model_ms = statistics.median(r["model_seconds"] for r in rows) * 1000
    yosys_s = statistics.median(r["yosys"]["yosys_seconds"] for r in rows)
    print(f"time per design: model {model_ms:.2f} ms (median), yosys {yosys_s:.1f} s (median): "
          f"{yosys_s * 1000 / model_ms:,.0f}x")  # fmt: skip
    print(
        f"targets: rho >= 0.95 ({rho / 0.95:.2f}x of target), "
        f"median <= 15 % ({0.15 / median if median else float('inf'):.2f}x of target)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
