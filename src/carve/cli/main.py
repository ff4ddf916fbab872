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
from typing import Any

from carve.cli.parsing import CarveArgumentParser

# action name -> (module, one-line help)
ACTIONS: dict[str, tuple[str, str]] = {
    "train": ("carve.cli.train", "train a model on a dataset"),
    "test": ("carve.cli.test", "evaluate a checkpoint on the test split"),
    "transform": ("carve.cli.transform", "run the [passes.*] of a TOML config on a model"),
    "study": ("carve.cli.study", "hyper-parameter study: one run per configuration"),
    "port": ("carve.cli.port", "rewrite a MASE script's or notebook's chop imports to carve's"),
    "search": ("carve.cli.search", "search quantization/architecture spaces (Optuna)"),
    "export": ("carve.cli.export", "write a quantized graph as ONNX, QONNX or an hls4ml project"),
    "completion": ("carve.cli.completion", "print a shell completion script (bash, zsh)"),
}
# actions that resolve a run configuration (and so take --print-config)
CONFIG_ACTIONS = ("train", "test", "transform", "study")

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
    parser = CarveArgumentParser(
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
    parser.add_argument(
        "--model-file", metavar="FILE", default=None,
        help="with --info: also list the models a Python file registers (as in carve train)",
    )  # fmt: skip
    parser.add_argument("-V", "--version", action="store_true", help="print the version")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    return parser


def _print_info(section: str) -> None:
    from rich.console import Console
    from rich.table import Table

    from carve.cli.common import print_unwrapped

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
        for index, column in enumerate(columns):  # names users type are never cut
            name = index == 0 or column.startswith("Function")
            table.add_column(column, no_wrap=name, min_width=None if name else 12)
        for row in rows:
            table.add_row(*(str(cell) for cell in row))
        print_unwrapped(console, table)


def action_parser(name: str) -> CarveArgumentParser:
    """The full parser of action ``name`` (its flags, plus --print-config where it applies)."""
    module_name, text = ACTIONS[name]
    parser = CarveArgumentParser(prog=f"carve {name}", description=text)
    import_module(module_name).configure(parser)
    if name in CONFIG_ACTIONS:
        parser.add_argument(
            "--print-config", action="store_true",
            help="print the effective configuration as TOML (loadable with --config) and exit",
        )  # fmt: skip
    parser.set_defaults(carve_action=name)
    return parser


def parser_table() -> dict[str, Any]:
    """Every parser of the command line, for an action that reads them (shell completion)."""
    actions = {name: action_parser(name) for name in ACTIONS}
    return {"actions": actions, "top": _top_parser(), "info_sections": list(INFO_SECTIONS)}


def _print_config(args: argparse.Namespace) -> int:
    from carve.cli.common import prepare_config
    from carve.config.toml_io import dumps_toml

    config = prepare_config(args)
    values = config.to_dict()
    given = {**config.provenance.file_values, **config.provenance.cli_values}
    if "project" not in given:  # the dated default is chosen again on the day it runs
        values.pop("project")
    print(dumps_toml({**values, **config.tables}), end="")
    return 0


def _dispatch(argv: list[str]) -> int:
    if argv and argv[0] in ACTIONS:
        args = action_parser(argv[0]).parse_intermixed_args(argv[1:])
        if getattr(args, "print_config", False):
            return _print_config(args)
        args.carve_parsers = parser_table  # handed over, not imported back (no import cycle)
        return int(import_module(ACTIONS[argv[0]][0]).run(args) or 0)

    parser = _top_parser()
    args, rest = parser.parse_known_args(argv)
    if rest and not rest[0].startswith("-"):  # a mistyped action (or one after a flag)
        from carve.errors import CarveError, unknown_name_message

        if rest[0] in ACTIONS:
            raise CarveError(f"put the action first: carve {rest[0]} ... (its flags after it)")
        raise CarveError(unknown_name_message("action", rest[0], ACTIONS))
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")  # a one-line CarveError
    if args.version:
        from carve.version import __version__

        print(f"carve {__version__}")
        return 0
    if args.model_file and not args.info:
        from carve.errors import CarveError

        raise CarveError("--model-file goes with an action or with --info (carve --info models)")
    if args.info:
        if args.model_file:
            from carve.models import load_model_file

            load_model_file(args.model_file)
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


def entry() -> None:
    """The ``carve`` console script (and ``python -m carve``): :func:`main`, then a quick exit.

    Tearing the interpreter down module by module after torch was imported
    takes about a second, longer than many commands' work. Once the command
    is done, this ends the process the way Python's own shutdown would have,
    minus that teardown: it waits for non-daemon threads, runs every
    ``atexit`` handler (logging, multiprocessing's child join, TensorBoard
    writers...), flushes stdout and stderr, then calls ``os._exit``. Every
    file carve writes is closed (and fsynced) by then; commands that never
    imported torch exit normally.
    """
    code = main()
    if "torch" not in sys.modules:
        raise SystemExit(code)
    import atexit
    import contextlib
    import os
    import threading

    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing left to say
            stream.flush()
    os._exit(code)
