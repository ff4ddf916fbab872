"""Common flags on an argparse parser, and resolving them into a :class:`CarveConfig`.

Precedence is default < TOML config < command line. Every common flag is added
with ``default=argparse.SUPPRESS``, so the parsed namespace holds exactly the
flags the user typed: an explicit flag wins even when it equals the default
(MASE compared against the default and let the config file win then).

>>> import argparse
>>> parser = argparse.ArgumentParser()
>>> add_common_flags(parser)
>>> args = parser.parse_intermixed_args(["jsc-tiny", "jsc-synth", "--batch-size", "128"])
>>> config = resolve_config(args)
>>> config.batch_size, config.provenance.cli_values["batch_size"], config.project.startswith(
...     "jsc-tiny_classification_jsc-synth_")
(128, 128, True)
"""

from __future__ import annotations

import argparse
import datetime
import re
from pathlib import Path
from typing import Any

from carve.config.options import OPTIONS, CarveConfig, Provenance, check_value
from carve.config.sections import check_sections
from carve.config.toml_io import load_toml
from carve.errors import CarveError
from carve.vocabulary import accept_run_keys, add_mase_flags, mase_flag_values

_TYPES = {int: int, float: float, str: str}
_NEGATIVE_NUMBER = re.compile(r"^-((\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|inf|infinity|nan)$", re.I)


def add_common_flags(
    parser: argparse.ArgumentParser, positionals: bool = True, exclude: tuple[str, ...] = ()
) -> None:
    """Add ``MODEL DATASET`` (optional), ``--config`` and every :class:`CarveConfig` flag.

    ``exclude`` names options (dests) an action does not offer.
    """
    if positionals:
        parser.add_argument(
            "model", nargs="?", default=argparse.SUPPRESS,
            help="model name (carve --info models); optional when the config gives it",
        )  # fmt: skip
        parser.add_argument(
            "dataset", nargs="?", default=argparse.SUPPRESS,
            help="dataset name (carve --info datasets); optional when the config gives it",
        )  # fmt: skip
    # argparse reads "-1e-3" (or "-inf") as an unknown flag; let such numbers through so
    # "--learning-rate -1e-3" reaches the range check and gets its clear message
    parser._negative_number_matcher = _NEGATIVE_NUMBER
    parser.add_argument("--config", default=None, metavar="TOML", help="TOML config file")
    for name, option in OPTIONS.items():
        meta = option.metadata
        if not meta["flags"] or name in exclude:
            continue
        help_text = f"{meta['help']} (default: {option.default})"
        if meta["kind"] is bool:
            action = argparse.BooleanOptionalAction if option.default else "store_true"
            parser.add_argument(
                *meta["flags"], dest=name, action=action, default=argparse.SUPPRESS, help=help_text
            )
            continue
        parser.add_argument(
            *meta["flags"],
            dest=name,
            type=_nullable(_TYPES[meta["kind"]]) if meta["nullable"] else _TYPES[meta["kind"]],
            choices=meta["choices"] if not meta["pattern"] else None,  # check_value's job
            default=argparse.SUPPRESS,
            metavar=name.upper() if not meta["choices"] or meta["pattern"] else None,
            help=help_text,
        )
    add_mase_flags(parser)  # MASE's flags carve accepts (carve.vocabulary)


def _nullable(convert):
    def parse(text: str):
        return None if text in ("NA", "None") else convert(text)

    parse.__name__ = convert.__name__
    return parse


def read_config_file(path: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(option values, pass-through tables) of a TOML config; unknown scalar keys fail."""
    if path is None:
        return {}, {}
    data = accept_run_keys(load_toml(path), str(path))  # MASE-only keys: applied or noted
    tables = {k: v for k, v in data.items() if k not in OPTIONS and isinstance(v, dict)}
    unknown = sorted(k for k in data if k not in OPTIONS and k not in tables)
    if unknown:
        from carve.config.options import unknown_keys_message

        raise CarveError(unknown_keys_message(unknown, str(path)))
    check_sections(tables, str(path))
    values = {k: check_value(k, v, str(path)) for k, v in data.items() if k in OPTIONS}
    return values, tables


def default_project(model: str, task: str, dataset: str, day: datetime.date | None = None) -> str:
    """MASE's project name ``<model>_<task>_<dataset>_<YYYY-MM-DD>`` (``/`` -> ``-``).

    >>> default_project("jsc-tiny", "classification", "jsc", datetime.date(2023, 10, 19))
    'jsc-tiny_classification_jsc_2023-10-19'
    """
    day = day or datetime.date.today()
    return f"{model}_{task}_{dataset}_{day.isoformat()}".replace("/", "-")


def resolve_config(
    args: argparse.Namespace, require: tuple[str, ...] = ("model", "dataset")
) -> CarveConfig:
    """The effective config from parsed ``args`` (of a parser given :func:`add_common_flags`).

    ``require`` names options that must be set by the file or the command line.
    """
    config_path = getattr(args, "config", None)
    file_values, tables = read_config_file(config_path)
    cli_values = {
        name: check_value(name, getattr(args, name), "the command line")
        for name in OPTIONS
        if hasattr(args, name)
    }
    accept_run_keys(mase_flag_values(args), "the command line")
    values = {**file_values, **cli_values}
    for name in require:
        if values.get(name) is None:
            raise CarveError(
                f"no {name} given: pass it on the command line "
                f"(carve ACTION MODEL DATASET) or set {name} = ... in the --config file"
            )
    if values.get("project") is not None:
        check_project_name(values["project"])
    config = CarveConfig(**values, config=config_path, tables=tables)
    config.provenance = Provenance(config_path, file_values, cli_values)
    return with_default_project(config)


def with_default_project(config: CarveConfig) -> CarveConfig:
    """Fill ``project`` with the MASE default name when it is None and the names are known."""
    if config.project is None and config.model and config.dataset:
        config.project = default_project(config.model, config.task, config.dataset)
    return config


def check_project_name(name: str) -> str:
    """A project name is one folder name inside ``--project-dir``: refuse anything else.

    >>> check_project_name("lab1")
    'lab1'
    >>> check_project_name("../x")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    carve.errors.CarveError: project name '../x' must be one folder name inside --project-dir ...
    """
    if not name.strip():
        raise CarveError(
            "project name is empty: pass --project NAME (one folder name inside --project-dir) "
            "or leave it out for the default <model>_<task>_<dataset>_<date>"
        )
    if (
        "/" in name
        or "\\" in name
        or "\0" in name
        or name in (".", "..")
        or Path(name).is_absolute()
    ):
        raise CarveError(
            f"project name {name!r} must be one folder name inside --project-dir "
            "(no '/', not '..' or '.'); e.g. --project lab1"
        )
    return name


def project_path(config: CarveConfig) -> Path:
    """``<project_dir>/<project>``: the run's output folder."""
    if config.project is not None:
        return Path(config.project_dir) / check_project_name(config.project)
    if config.model and config.dataset:  # a config built in Python, not by resolve_config
        return Path(config.project_dir) / default_project(config.model, config.task, config.dataset)
    raise CarveError("no project name: pass --project or give a model and a dataset")
