"""Search benchmarks: PTQ trials per second, carve vs MASE's space, lab-3 grid wall time.

    python benchmarks/search.py [--trials N] [--data-size ROWS] [--skip-shell | --shell-only]
    python benchmarks/search.py --mase-space SAMPLER [--trials N] [--data-size ROWS]

Sections (each prints its figures and the ratio against its target):

- ``MASE's lab-3 by-type space``: carve's loop on jsc-tiny with MASE's example
  seed, TPE, 512 rows, default storage, against the MASE-style loop below.
- ``trials/s (512 val rows)``: carve's search loop (sampler + quantized model of
  the trial + evaluation + costs + storage) on jsc-toy, one thread, random
  sampler over per-node integer widths; with the default storage (the journal
  file, written by a thread), Optuna's in-memory storage, Optuna's own journal
  file backend (a lock and fsync per write), and the default measuring one
  trial at a time instead of 16 in one shared pass. Target: >= 50 trials/s.
- ``trials/s (whole val split)``: the same, every validation row. Target: >= 10/s.
- ``MASE-style``: an imitation of MASE's trial, not MASE: per trial a fresh
  MaseGraph (metadata passes), the quantize pass, and an evaluation loop of
  128-row batches; same configs and rows, no sampler. Prints carve's speed-up.
- ``--mase-space SAMPLER``: only ``carve search`` on MASE's lab-3 by-type space
  (jsc-tiny), per-trial rate from the trials' timestamps, as
  ``benchmarks/mase_search.py`` measures MASE itself; and the sampler alone.
- ``lab-3 grid from the shell``: ``carve search --config
  configs/search/jsc_toy_lab3_grid.toml`` (16 trials, tables and plots), wall
  time of the whole command, median of 5 runs after one that fills Python's
  bytecode cache. Target: under 5 s.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import optuna
import torch

ROOT = Path(__file__).resolve().parents[1]
TABLE = {
    "search_space": {
        "setup": {"by": "type"},
        "seed": {"default": {"config": {"name": [None]}}, "linear": {"config": {
            "name": ["integer"], "data_in_width": [4, 6, 8], "data_in_frac_width": [None],
            "weight_width": [2, 3, 4, 6, 8], "weight_frac_width": [None],
            "bias_width": [8], "bias_frac_width": [None]}}},
    },
    "strategy": {"setup": {"sampler": "random"},
                 "sw_runner": {"basic_evaluation": {"num_samples": 512}}},
}  # fmt: skip
# MASE's own lab-3 example (configs/examples/jsc_toy_by_type.toml at 513eba5f): its by-type
# Linear seed, TPE, accuracy and average bits, 512 validation rows
MASE_BY_TYPE = {
    "search_space": {
        "setup": {"by": "type"},
        "seed": {"default": {"config": {"name": [None]}}, "linear": {"config": {
            "name": ["integer"], "data_in_width": [4, 8], "data_in_frac_width": [None],
            "weight_width": [2, 4, 8], "weight_frac_width": [None],
            "bias_width": [2, 4, 8], "bias_frac_width": [None]}}},
    },
    "strategy": {
        "setup": {"sampler": "tpe", "sum_scaled_metrics": False},
        "sw_runner": {"basic_evaluation": {"data_loader": "val_dataloader", "num_samples": 512}},
        "metrics": {"accuracy": {"scale": 1.0, "direction": "maximize"},
                    "average_bitwidth": {"scale": 0.2, "direction": "minimize"}},
    },
}  # fmt: skip


def carve_rate(config, table, trials: int, storage: str, folder: Path) -> tuple[tuple, list]:
    """Trials/s of carve's loop (wall, CPU); also the sampled values (for the MASE loop).

    ``storage``: "default" (the journal file, batched, as a one-process
    ``carve search``), "memory" (Optuna's in-memory storage) or "journal"
    (Optuna's own journal file backend, a lock and fsync per operation).
    """
    import optuna

    from carve.search.engine import Budget, optimize
    from carve.search.session import open_study
    from carve.search.setup import prepare
    from carve.search.spec import parse_search_table
    from carve.search.storage import open_storage

    setup = prepare(config, parse_search_table(table))
    folder.mkdir(parents=True, exist_ok=True)
    opened = None
    if storage != "memory":
        opened = open_storage(None, folder, exclusive=storage == "default")
        study, _ = open_study(opened, f"bench-{time.monotonic_ns()}", setup, create=True)
    else:
        study = optuna.create_study(directions=setup.spec.directions)
    optimize(study, setup, Budget(3), opened)  # warm-up: caches, first-call costs
    start, cpu = time.perf_counter(), time.process_time()
    optimize(study, setup, Budget(3 + trials), opened)
    if opened is not None:
        opened.close()  # every trial in the file
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    values = [t.user_attrs["carve"]["sampled_config"] for t in study.trials[3:]]
    return (trials / seconds, trials / cpu), [(setup, v) for v in values]


def per_trial_rate(trials: list) -> float:
    """Trials per second from the trials' own timestamps: first start to last end (the rule
    the MASE harness in docs/benchmarks.md applies to MASE's saved study)."""
    span = max(t.datetime_complete for t in trials) - min(t.datetime_start for t in trials)
    return len(trials) / span.total_seconds()


def mase_space_rate(config, sampler: str, trials: int) -> tuple[float, float]:
    """carve search (run_search, default storage, a new study) on MASE's lab-3 by-type space:
    per-trial rate from the stored trials' timestamps, and wall seconds of the whole call."""
    import copy

    from carve.search.session import run_search

    table = copy.deepcopy(MASE_BY_TYPE)
    table["strategy"]["setup"] |= {"sampler": sampler, "n_trials": trials}
    start = time.perf_counter()
    outcome = run_search(config, table, progress=False)
    wall = time.perf_counter() - start
    study = optuna.load_study(
        study_name=outcome.study_name,
        storage=optuna.storages.JournalStorage(
            optuna.storages.journal.JournalFileBackend(str(outcome.folder / "study.journal"))
        ),
    )
    return per_trial_rate(study.trials), wall


def sampler_only_seconds(sampler: str, trials: int) -> float:
    """Seconds Optuna's ``sampler`` alone takes for ``trials`` trials of the same shape
    (three choice indices, two objectives) with no model: the floor of a trial."""
    import random

    from carve.search.engine import sampled_values
    from carve.search.registry import STRATEGIES
    from carve.search.spaces.base import Param

    params = [Param(name, tuple(range(n))) for name, n in (("a", 2), ("b", 3), ("c", 3))]
    kind = STRATEGIES.meta(sampler).get("choices", "index")  # suggested as carve's loop does

    def objective(trial) -> tuple[float, float]:
        return random.random(), float(sum(sampled_values(trial, params, kind).values()))

    make = STRATEGIES[sampler]
    study = optuna.create_study(
        directions=["maximize", "minimize"],
        sampler=make([], parse_search_table_for(sampler), None),
    )
    start = time.perf_counter()
    study.optimize(objective, n_trials=trials)
    return time.perf_counter() - start


def parse_search_table_for(sampler: str):
    from carve.search.spec import parse_search_table

    return parse_search_table({"strategy": {"setup": {"sampler": sampler}}})


def mase_style_rate(config, dataset, samples: list, num_samples) -> float:
    """Fresh graph + metadata + quantize pass + 128-row batch loop per trial."""
    from carve.passes import quantize_transform_pass
    from carve.search.quantize_adapter import pass_args
    from carve.search.setup import build_graph

    rows = len(dataset.val) if num_samples is None else num_samples
    x, y = dataset.val.x[:rows], dataset.val.y[:rows]
    start, cpu = time.perf_counter(), time.process_time()
    for setup, values in samples:
        graph = build_graph(config, dataset)
        configs = setup.space.node_configs({k: tuple(v) if isinstance(v, list) else v
                                            for k, v in values.items()})  # fmt: skip
        quantized, _ = quantize_transform_pass(graph, pass_args(configs))
        model = quantized.model.eval()
        correct, loss = 0, 0.0
        with torch.no_grad():
            for begin in range(0, rows, 128):
                logits = model(x[begin : begin + 128])
                loss += torch.nn.functional.cross_entropy(logits, y[begin : begin + 128],
                                                          reduction="sum").item()  # fmt: skip
                correct += (logits.argmax(1) == y[begin : begin + 128]).sum().item()
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    return len(samples) / wall, len(samples) / cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument(
        "--data-size", type=int, default=None, help="jsc-synth rows (default: the full 830,000)"
    )
    parser.add_argument("--skip-shell", action="store_true")
    parser.add_argument("--shell-only", action="store_true", help="only the lab-3 grid command")
    parser.add_argument(
        "--mase-space",
        metavar="SAMPLER",
        default=None,
        help="only carve search on MASE's lab-3 by-type space (jsc-tiny) with SAMPLER: per-trial "
        "rate from the trials' timestamps, as the MASE harness measures MASE",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    from carve.config import CarveConfig
    from carve.data import get_dataset
    from carve.models import get_model

    tmp = Path(tempfile.mkdtemp(prefix="carve-search-bench-"))
    dataset = get_dataset("jsc-synth", **({"size": args.data_size} if args.data_size else {}))
    torch.manual_seed(0)
    configs = {}
    for model in ("jsc-tiny", "jsc-toy"):
        checkpoint = tmp / f"{model}.pt"
        torch.save(get_model(model, dataset_info=dataset.info).state_dict(), checkpoint)
        configs[model] = CarveConfig(model=model, dataset="jsc-synth", data_size=args.data_size,
                                     load_name=str(checkpoint), project_dir=str(tmp), project="b",
                                     progress=False, num_threads=1)  # fmt: skip
    print(
        f"jsc-synth validation split {len(dataset.val):,} rows, one thread, "
        f"{args.trials} trials per figure"
    )
    if args.shell_only:
        return shell_grid(tmp / "jsc-toy.pt", tmp, args.data_size)
    if args.mase_space:
        rate, wall = mase_space_rate(configs["jsc-tiny"], args.mase_space, args.trials)
        print(
            f"carve: {args.trials} trials ({args.mase_space}, MASE's lab-3 by-type space, "
            f"jsc-tiny, 512 rows, default storage), per-trial rate {rate:.1f}/s (first start to "
            f"last end), run_search call {wall:.2f} s; Optuna's {args.mase_space} sampler alone, "
            f"same shape, no model: {sampler_only_seconds(args.mase_space, args.trials):.2f} s"
        )
        return None
    from carve.search import engine

    config = configs["jsc-tiny"]
    ours, samples = carve_rate(config, MASE_BY_TYPE, args.trials, "default", tmp / "a")
    mase = mase_style_rate(config, dataset, samples[: max(10, args.trials // 5)], 512)
    for kind, i in (("wall", 0), ("CPU", 1)):
        print(
            f"trials per {kind} s (MASE's lab-3 by-type space, jsc-tiny, TPE, 512 rows): carve "
            f"(default storage) {ours[i]:6.1f}  MASE-style loop {mase[i]:5.1f}  "
            f"carve / MASE-style {ours[i] / mase[i]:5.1f}x"
        )
    config = configs["jsc-toy"]
    for label, rows, target in (("512 val rows", 512, 50), ("whole val split", None, 10)):
        table = {**TABLE, "strategy": {**TABLE["strategy"], "sw_runner": {
            "basic_evaluation": {"num_samples": rows}}}}  # fmt: skip
        stored, samples = carve_rate(config, table, args.trials, "default", tmp / "b")
        memory, _ = carve_rate(config, table, args.trials, "memory", tmp / "c")
        journal, _ = carve_rate(config, table, args.trials, "journal", tmp / "d")
        batch, engine.BATCH = engine.BATCH, 1  # the same loop, one trial measured at a time
        single, _ = carve_rate(config, table, args.trials, "default", tmp / "e")
        engine.BATCH = batch
        mase = mase_style_rate(config, dataset, samples[: max(10, args.trials // 5)], rows)
        for kind, i in (("wall", 0), ("CPU", 1)):  # CPU: per second of this process's CPU time
            print(
                f"trials per {kind} s (jsc-toy, random, {label}): carve, default storage "
                f"{stored[i]:6.1f}  in memory {memory[i]:6.1f}  Optuna journal backend "
                f"{journal[i]:6.1f}  default one trial at a time {single[i]:6.1f}  MASE-style "
                f"loop {mase[i]:5.1f}  carve / MASE-style {stored[i] / mase[i]:5.1f}x  "
                f"target >= {target}/s"
            )
    if not args.skip_shell:
        shell_grid(tmp / "jsc-toy.pt", tmp, args.data_size)


def shell_grid(checkpoint: Path, tmp: Path, data_size: int | None, runs: int = 5) -> None:
    """Wall time of ``carve search`` on the lab-3 grid, as a user runs it (bytecode cached)."""
    import os
    import resource
    import statistics

    grid = ROOT / "configs/search/jsc_toy_lab3_grid.toml"
    command = ["carve", "search", "--config", str(grid),
               "--load", str(checkpoint), "--project-dir", str(tmp), "--project", "shell",
               "--no-progress"]  # fmt: skip
    if data_size:
        command += ["--data-size", str(data_size)]
    # Python caches compiled modules unless PYTHONDONTWRITEBYTECODE is set (some CI images set
    # it): the first run writes the cache, the timed ones use it, as on a user's machine
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(command, check=True, capture_output=True, env=env)
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch"], check=True, env=env)
    torch_import = time.perf_counter() - start
    wall = statistics.median(walls)
    print(
        f"lab-3 4x4 grid from the shell (16 trials, tables, plots), {runs} runs: median "
        f"{wall:.2f} s wall (min {min(walls):.2f}, max {max(walls):.2f}), "
        f"{statistics.median(cpus):.1f} s CPU on both cores; starting Python and importing "
        f"torch alone: {torch_import:.2f} s; target < 5 s: {'met' if wall < 5 else 'not met'}"
    )


if __name__ == "__main__":
    main()
