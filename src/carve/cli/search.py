"""``carve search MODEL DATASET --config search.toml [--load CKPT]``: search a design space.

The ``[search]`` table of the config (MASE's schema) names the space, the
sampler, the runner and the metrics; see ``configs/search/``. Trials live in
an Optuna storage (a journal file in the search folder by default; ``--storage
postgresql://...`` for many machines), so ``--resume`` continues an
interrupted search and ``--workers N`` runs N processes on one study. Outputs
go to ``<project_dir>/<project>/software/search/search_N/``.
"""

from __future__ import annotations

import argparse

from carve.config import add_common_flags

OVERRIDES = {"n_trials": "n_trials", "sampler": "sampler", "timeout": "timeout"}


def configure(parser: argparse.ArgumentParser) -> None:
    add_common_flags(parser)
    parser.add_argument(
        "--storage",
        default=None,
        metavar="URL",
        help="Optuna storage: postgresql://USER@HOST:PORT/DB, sqlite:///PATH, "
        "journal[:PATH] (default: Optuna journal study.journal in the search folder)",
    )
    parser.add_argument(
        "--study-name",
        default=None,
        metavar="NAME",
        help="study to create or join in --storage (same name on every machine)",
    )
    parser.add_argument(
        "--search-name",
        default=None,
        metavar="NAME",
        help="search folder name (default: the next search_N)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="worker processes on this machine sharing the study (default 1)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue the latest (or --search-name) search; interrupted trials "
        "run again, finished ones are kept",
    )
    parser.add_argument(
        "--search-file",
        default=None,
        metavar="PY",
        help="Python file registering search spaces (carve.search.SPACES)",
    )
    parser.add_argument(
        "--n-trials",
        type=int,
        default=None,
        metavar="N",
        help="override [search.strategy.setup] n_trials",
    )
    parser.add_argument(
        "--sampler",
        default=None,
        metavar="NAME",
        help="override [search.strategy.setup] sampler (carve --info search)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="override [search.strategy.setup] timeout",
    )
    parser.add_argument(
        "--verify-hardware",
        type=int,
        default=0,
        metavar="K",
        help="run yosys on the K best trials (Verilog export of each) and put its LUT/FF "
        "counts beside the cost model's in results.md (default 0: none)",
    )
    parser.add_argument(
        "--heartbeat",
        type=int,
        default=None,
        metavar="SECONDS",
        help="with an SQL --storage: seconds between a running trial's heartbeats; a trial "
        "silent for three is failed and run again (default 10)",
    )
    parser.add_argument(
        "--pick",
        type=int,
        default=None,
        metavar="TRIAL",
        help="write transform_trial_TRIAL.toml (carve transform config + verification) for "
        "trial TRIAL of the latest (or --search-name) search, run no trials",
    )


def search_table(args: argparse.Namespace, config) -> dict:
    """The config's ``[search]`` table with the command-line overrides applied."""
    import copy
    import math

    from carve.errors import CarveError

    if "search" not in config.tables:
        raise CarveError(
            "carve search needs a [search] table in the --config TOML "
            "(e.g. configs/search/jsc_toy_by_type.toml)"
        )
    if args.timeout is not None and not (math.isfinite(args.timeout) and args.timeout > 0):
        raise CarveError(f"--timeout {args.timeout}: must be a number of seconds above 0")
    table = copy.deepcopy(config.tables["search"])
    if not isinstance(table, dict):
        raise CarveError(f"[search] must be a table, got {table!r}")
    setup = table.setdefault("strategy", {}).setdefault("setup", {})
    for flag, key in OVERRIDES.items():
        value = getattr(args, flag)
        if value is not None:
            setup[key] = value
    return table


def _best_table(rows: list[dict], spec_metrics: list[str]):
    from rich.table import Table

    table = Table(title="Best trial(s)", title_justify="left")
    columns = ["number", *spec_metrics]
    for column in columns:
        table.add_column(column, justify="right")
    for row in [row for row in rows if row["best"]][:20]:
        table.add_row(
            *(f"{row[c]:.4g}" if isinstance(row[c], float) else str(row[c]) for c in columns)
        )
    return table


def run(args: argparse.Namespace) -> int:
    from carve.search.background import Background
    from carve.search.plots import warm_up

    if args.pick is not None:
        return _pick(args)
    # forked before torch is imported: matplotlib loads on the other core
    plotter = Background("drawing the search plots", warm_up)
    try:
        return _run(args, plotter)
    finally:
        plotter.close()


def _pick(args: argparse.Namespace) -> int:
    from carve.cli.common import make_console, prepare_config
    from carve.search.pick import pick_trial

    config = prepare_config(args)
    path = pick_trial(
        config,
        search_table(args, config),
        args.pick,
        storage=args.storage,
        study_name=args.study_name,
        search_name=args.search_name,
    )
    make_console().print(f"Wrote {path}", soft_wrap=True)
    return 0


def _run(args: argparse.Namespace, plotter) -> int:
    from carve.cli.common import make_console, prepare_config, print_header
    from carve.search.session import run_search
    from carve.search.spec import parse_search_table
    from carve.search.storage import HEARTBEAT_SECONDS

    config = prepare_config(args)
    table = search_table(args, config)
    console = make_console()
    print_header(config, console, project_line="")
    outcome = run_search(
        config,
        table,
        storage=args.storage,
        study_name=args.study_name,
        search_name=args.search_name,
        workers=args.workers,
        resume=args.resume,
        search_file=args.search_file,
        console=console,
        progress=config.progress,
        plotter=plotter,
        heartbeat=HEARTBEAT_SECONDS if args.heartbeat is None else args.heartbeat,
        verify_hardware=args.verify_hardware,
    )
    spec = parse_search_table(table)
    if outcome.rows:
        console.print(_best_table(outcome.rows, list(spec.objectives)))
    for path in outcome.files:
        console.print(f"Wrote {path}", soft_wrap=True)
    if outcome.interrupted:
        console.print(
            "Interrupted: finished trials are stored; continue with the same command "
            f"and --resume --search-name {outcome.folder.name}"
        )
        return 130
    return 0
