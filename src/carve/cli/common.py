"""Plumbing shared by the actions: resolve the config, print the standard sections.

``carve train``, ``test``, ``transform`` and ``study`` all start the same way::

    config = prepare_config(args)          # resolve + --model-file + name checks
    console = make_console()
    print_header(config, console)          # config table, project folder

and print tables with :func:`model_summary_table` and :func:`metrics_table`.
"""

from __future__ import annotations

import argparse
from typing import Any

from carve.config import CarveConfig, config_table, project_path, resolve_config
from carve.errors import CarveError


def make_console():
    """The rich console all sections print to (stdout; 120 columns when not a terminal)."""
    from rich.console import Console

    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = max(console.width, 120)  # logs and pipes: keep table rows unwrapped
    return console


def print_unwrapped(console, renderable) -> None:
    """Print a table whose ``no_wrap`` columns (names, paths) never wrap or get cut.

    Rich fits a table to the console by wrapping, then truncating, cells; a
    name or path cut in two cannot be copied. The table is printed at least
    as wide as those columns need (a narrow terminal wraps the long lines
    instead, which copies back whole).
    """
    from rich.cells import cell_len

    needed = 1
    for column in renderable.columns:
        texts = [str(column.header), *(str(cell) for cell in column.cells)]
        longest = max(cell_len(line) for text in texts for line in text.splitlines() or [""])
        needed += (longest if column.no_wrap else column.min_width or 12) + 3
    width = console.width
    console.width = max(width, needed)  # print() clamps its width= to the console's
    try:
        console.print(renderable, crop=False)
    finally:
        console.width = width


def prepare_config(
    args: argparse.Namespace, require: tuple[str, ...] = ("model", "dataset")
) -> CarveConfig:
    """Resolve ``args`` into the effective config, load ``--model-file``, check the names.

    Unknown model or dataset names and a missing ``--load`` path fail here, with
    the known names and a close match, before anything is printed or loaded.
    """
    from pathlib import Path

    from carve.data import DATASETS
    from carve.logs import set_logging_verbosity
    from carve.models import MODELS, load_model_file

    config = resolve_config(args, require=require)
    set_logging_verbosity(config.log_level)
    if getattr(args, "carve_action", None):
        warn_ignored_input(config, args.carve_action)
    if config.model_file:
        load_model_file(config.model_file)
    if config.model is not None:
        MODELS.meta(config.model)
    if config.dataset is not None:
        DATASETS.meta(config.dataset)
    if config.load_name is not None and not Path(config.load_name).exists():
        raise CarveError(f"checkpoint {config.load_name!r} does not exist")
    return config


# options only training reads: given to test/transform they change nothing
TRAINING_ONLY = (
    "learning_rate", "weight_decay", "max_epochs", "max_steps", "accumulate_grad_batches",
    "training_optimizer", "t_max", "eta_min",
)  # fmt: skip
# the config tables each action reads (carve.config.sections lists who reads which)
TABLES_READ = {"train": (), "test": (), "transform": ("passes", "transform"), "study": ("study",)}


def warn_ignored_input(config: CarveConfig, action: str) -> list[str]:
    """Warn (stderr, one line each) about tables and flags ``action`` does not read."""
    import sys

    from carve.config.sections import SECTIONS

    warnings = []
    for table in config.tables:
        if table not in TABLES_READ.get(action, config.tables):
            reader = SECTIONS.get(table, "another action").split(":")[0]
            warnings.append(f"carve {action} ignores the [{table}] table of {config.config} "
                            f"(read by {reader})")  # fmt: skip
    if action in ("test", "transform"):
        typed = [name for name in TRAINING_ONLY if name in config.provenance.cli_values]
        if typed:
            flags = ", ".join("--" + name.replace("_", "-") for name in typed)
            warnings.append(f"carve {action} does not train: {flags} ignored")
    for text in warnings:
        print(f"carve: warning: {text}", file=sys.stderr)
    return warnings


def resolved_values(config: CarveConfig) -> dict[str, str]:
    """Effective cells for values chosen at run time: ``auto`` accelerator, thread count."""
    from carve.models import MODELS, get_model_info
    from carve.train.threads import SMALL_MODEL_PARAMETERS, choose_num_threads

    values = {}
    if config.accelerator == "auto":
        import torch

        values["accelerator"] = f"auto ({'cuda' if torch.cuda.is_available() else 'cpu'})"
    if config.num_threads is None:
        params = get_model_info(config.model).params if config.model in MODELS.names() else None
        if params is not None and choose_num_threads(None, params) == 1:
            values["num_threads"] = f"1 ({params:,} parameters < {SMALL_MODEL_PARAMETERS:,})"
        elif params is not None:
            values["num_threads"] = "torch's default"
        else:
            values["num_threads"] = f"1 if < {SMALL_MODEL_PARAMETERS:,} parameters"
    return values


def print_header(
    config: CarveConfig,
    console,
    project_line: str = "Project will be created at",
    effective: dict[str, str] | None = None,
    omit: tuple[str, ...] = (),
):
    """The config table (resolved values in Effective), then the project folder, as MASE."""
    table = config_table(config, {**resolved_values(config), **(effective or {})}, omit)
    print_unwrapped(console, table)
    if project_line and config.project is not None:
        console.print(f"{project_line} {project_path(config)}", soft_wrap=True)


def model_summary_rows(model) -> tuple[list[tuple[str, str, int]], int]:
    """(layer name, type, own parameter count) per leaf module, and the total."""
    rows = []
    for name, module in model.named_modules():
        if name and not list(module.children()):
            count = sum(p.numel() for p in module.parameters(recurse=False))
            rows.append((name, type(module).__name__, count))
    return rows, sum(p.numel() for p in model.parameters())


def model_summary_table(model, title: str = "Model summary"):
    from rich.table import Table

    rows, total = model_summary_rows(model)
    table = Table(title=title, title_justify="left", show_footer=True)
    table.add_column("Layer", footer="Total")
    table.add_column("Type")
    table.add_column("Parameters", justify="right", footer=f"{total:,}")
    for name, kind, count in rows:
        table.add_row(name, kind, f"{count:,}")
    return table


def metrics_table(title: str, metrics: dict[str, Any], column: str = "Metric"):
    """A two-column table of named numbers (floats to 6 significant digits)."""
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    table.add_column(column)
    table.add_column("Value", justify="right")
    for name, value in metrics.items():
        table.add_row(name, f"{value:.6g}" if isinstance(value, float) else str(value))
    return table
