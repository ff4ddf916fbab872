"""Entry point of the ``carve`` command.

Only argparse and the standard library are imported here: each action module
(and the torch stack behind it) is imported when that action runs, so
``carve --help`` and ``carve --info`` stay fast.

An action module exposes ``configure(parser)`` (adds its flags) and
``run(args) -> int``. Errors of type :class:`carve.errors.CarveError` are user
mistakes: one line on stderr and exit code 2 (``--debug`` shows the traceback).
"""

from __future__ import annotations

import argparse
import sys
from importlib import import_module

# action name -> (module, one-line help)
ACTIONS: dict[str, tuple[str, str]] = {
    "train": ("carve.cli.train", "train a model on a dataset"),
    "test": ("carve.cli.test", "evaluate a checkpoint on the test split"),
    "transform": ("carve.cli.transform", "run the [passes.*] of a TOML config on a model"),
    "study": ("carve.cli.study", "hyper-parameter study: one run per configuration"),
    "port": ("carve.cli.port", "rewrite a MASE script's or notebook's chop imports to carve's"),
    "search": ("carve.cli.search", "search quantization/architecture spaces (Optuna)"),
}

# --info section -> (module, function returning (title, columns, rows))
INFO_SECTIONS: dict[str, tuple[str, str]] = {
    "models": ("carve.models.info", "info_table"),
    "datasets": ("carve.data.info", "info_table"),
    "passes": ("carve.passes.info", "info_table"),
    "formats": ("carve.quant.info", "info_table"),
    "search": ("carve.search.registry", "info_table"),
}

USAGE = "carve ACTION [MODEL] [DATASET] [flags]   |   carve --info [SECTION]   |   carve --version"


def _top_parser() -> argparse.ArgumentParser:
    actions = "\n".join(f"  {name:<10} {text}" for name, (_, text) in ACTIONS.items())
    parser = argparse.ArgumentParser(
        prog="carve",
        usage=USAGE,
        description="Train, trace, analyse, quantize and search small networks.",
        epilog=f"actions:\n{actions}\n\n'carve ACTION --help' lists the flags of an action.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--info",
        nargs="?",
        const="all",
        choices=["all", *INFO_SECTIONS],
        help="list registered models, datasets, passes and number formats, then exit",
    )
    parser.add_argument("-V", "--version", action="store_true", help="print the version")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    return parser


def _print_info(section: str) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for name in INFO_SECTIONS if section == "all" else [section]:
        module, function = INFO_SECTIONS[name]
        try:
            title, columns, rows = getattr(import_module(module), function)()
        except ImportError as error:  # a broken install or layer: say so, never skip it
            from carve.errors import CarveError

            raise CarveError(
                f"carve --info {name}: cannot import what {module} needs "
                f"({type(error).__name__}: {error})"
            ) from error
        table = Table(title=title, title_justify="left")
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*(str(cell) for cell in row))
        console.print(table)


def _dispatch(argv: list[str]) -> int:
    if argv and argv[0] in ACTIONS:
        module_name, text = ACTIONS[argv[0]]
        module = import_module(module_name)
        parser = argparse.ArgumentParser(prog=f"carve {argv[0]}", description=text)
        module.configure(parser)
        args = parser.parse_intermixed_args(argv[1:])
        return int(module.run(args) or 0)

    parser = _top_parser()
    args, rest = parser.parse_known_args(argv)
    if rest and not rest[0].startswith("-"):  # a mistyped action (or one after a flag)
        from carve.errors import CarveError, unknown_name_message

        if rest[0] in ACTIONS:
            raise CarveError(f"put the action first: carve {rest[0]} ... (its flags after it)")
        raise CarveError(unknown_name_message("action", rest[0], ACTIONS))
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.version:
        from carve import __version__

        print(f"carve {__version__}")
        return 0
    if args.info:
        _print_info(args.info)
        return 0
    parser.print_help()
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        return _dispatch(argv)
    except KeyboardInterrupt:
        print("carve: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        from carve.errors import CarveError

        # A file-system error (a path that is a file, no permission, disk full)
        # is about the user's paths or machine, not a carve bug: one line too.
        if debug or not isinstance(error, CarveError | OSError):
            raise
        print(f"carve: error: {error}", file=sys.stderr)
        return 2
