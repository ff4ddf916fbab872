"""``carve study MODEL DATASET --vary FLAG=VALUES [--vary ...] [--seeds N] [flags]``.

Every common training flag sets the base of all runs; each ``--vary`` names a
flag and its values (``batch-size=64,128``, ``max-epochs=1..10``,
``learning-rate=1e-4,1e-3``); several ``--vary`` make a grid. The same comes
from a TOML file::

    model = "jsc-tiny"
    dataset = "jsc-synth"
    max_epochs = 10

    [study]
    seeds = 3
    vary = { batch_size = [64, 128, 256, 512] }

``--vary`` on the command line replaces the file's ``vary``; ``--seeds`` and
``--study-dir`` override ``seeds``/``study_dir``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from carve.config import add_common_flags

STUDY_KEYS = ("vary", "seeds", "study_dir", "ensemble")
# options no study run reads (runs start from fresh models)
STUDY_UNUSED = ("load_name", "load_type")


def configure(parser: argparse.ArgumentParser) -> None:
    add_common_flags(parser)
    parser.add_argument(
        "--vary", action="append", default=None, metavar="FLAG=VALUES",
        help="a training flag and its values: batch-size=64,128 or max-epochs=1..10 "
        "(repeat for a grid)",
    )  # fmt: skip
    parser.add_argument(
        "--seeds", type=int, default=None, metavar="N",
        help="repeat every configuration with N seeds (seed, seed+1, ...; default 1)",
    )  # fmt: skip
    parser.add_argument(
        "--study-dir", default=None, metavar="DIR",
        help="study folder (default <project-dir>/<model>_<dataset>_study_<flags>, with _2, "
        "_3... when that holds another study; <project-dir>/<project> when --project is given)",
    )  # fmt: skip
    parser.add_argument(
        "--plot-format", default="png", metavar="FORMATS",
        help="plot files to write besides PNG: png,svg,pdf (comma-separated; default png)",
    )  # fmt: skip
    parser.add_argument(
        "--sequential", action="store_true",
        help="train runs one by one instead of as vectorised ensembles (same results, slower)",
    )  # fmt: skip


def _study_table(config) -> dict:
    from carve.errors import CarveError

    table = config.tables.get("study", {})
    unknown = sorted(set(table) - set(STUDY_KEYS))
    if unknown:
        raise CarveError(
            f"{config.config}: unknown key(s) in [study]: {', '.join(unknown)}; "
            f"accepted: {', '.join(STUDY_KEYS)}"
        )
    return table


def build_spec(args: argparse.Namespace, config):
    """(StudySpec, study directory, use ensembles) from the flags and the [study] table."""
    from carve.errors import CarveError
    from carve.study import default_study_dir, parse_vary, vary_specs
    from carve.study.spec import StudySpec

    table = _study_table(config)
    if args.vary:
        vary = [parse_vary(text) for text in args.vary]
    elif "vary" in table:
        vary = vary_specs(table["vary"], source=f"{config.config} [study] vary")
    else:
        raise CarveError("nothing to vary: give --vary FLAG=VALUES (or vary in the [study] table)")
    if config.load_name is not None or any(spec.key == "load_name" for spec in vary):
        raise CarveError(  # the runs would silently ignore it
            "carve study trains every run from a fresh model; --load is not supported here"
        )
    seeds = args.seeds if args.seeds is not None else table.get("seeds", 1)
    spec = StudySpec(config, vary, seeds)
    chosen = args.study_dir or table.get("study_dir")
    if chosen is not None and not isinstance(chosen, str):
        raise CarveError(f"[study] study_dir must be a folder path string, got {chosen!r}")
    provenance = config.provenance
    if chosen:
        root = Path(chosen)
    elif "project" in provenance.cli_values or "project" in provenance.file_values:
        root = Path(config.project_dir) / config.project
    else:
        root = default_study_dir(spec)
    ensemble = table.get("ensemble", True)
    if not isinstance(ensemble, bool):
        raise CarveError(f"[study] ensemble must be true or false, got {ensemble!r}")
    return spec, root, ensemble and not args.sequential


def _results_table(outcome, keys):
    from rich.table import Table

    from carve.study.report import table_cells

    header, cells = table_cells(outcome.rows, keys)
    table = Table(title="Study results (mean ± std over seeds)", title_justify="left")
    for name in header:
        table.add_column(name, justify="right")
    for line in cells:
        table.add_row(*line)
    return table


def run(args: argparse.Namespace) -> int:
    from carve.cli.common import make_console, prepare_config, print_header
    from carve.figures import check_formats
    from carve.study.runner import run_study
    from carve.study.store import StudyStore
    from carve.study.validate import validate_runs

    config = prepare_config(args)
    spec, root, ensemble = build_spec(args, config)
    validate_runs(spec)  # every run's settings, before any output
    formats = check_formats(args.plot_format)
    StudyStore(root, spec).check()  # a directory holding another study fails before any output
    console = make_console()
    varied = {v.key: "varied: " + ", ".join(map(str, v.values)) for v in spec.vary}
    if spec.seeds > 1:
        varied["seed"] = f"{config.seed}..{config.seed + spec.seeds - 1} (--seeds {spec.seeds})"
    given = {**config.provenance.file_values, **config.provenance.cli_values}
    unused = STUDY_UNUSED + (() if "project" in given else ("project",))
    print_header(config, console, project_line="", effective=varied, omit=unused)
    runs = spec.runs()
    console.print(
        f"Study directory: {root}\n{len(spec.configurations())} configuration(s) x "
        f"{spec.seeds} seed(s) = {len(runs)} run(s); "
        f"{'vectorised ensembles' if ensemble else 'one run at a time'}",
        soft_wrap=True,
    )
    outcome = run_study(spec, root, ensemble=ensemble, console=console, progress=config.progress,
                        plot_formats=formats)  # fmt: skip
    if outcome.rows:
        console.print(_results_table(outcome, spec.keys))
    for path in outcome.files:
        console.print(f"Wrote {path}", soft_wrap=True)
    if outcome.busy:
        console.print(
            f"{len(outcome.busy)} run(s) were being trained by another carve study process on "
            f"this directory ({', '.join(outcome.busy)}); "
            "the tables include them once it finishes (or rerun this command then).",
            soft_wrap=True,
        )
    if outcome.interrupted:
        console.print("Interrupted: finished runs are saved; rerun the same command to continue.")
        return 130
    return 0
