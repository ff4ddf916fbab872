"""carve's log handler: set_logging_verbosity / --log-level make info records visible."""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys

import pytest

import carve
from carve.errors import CarveError
from carve.logs import CarveLogHandler


@pytest.fixture(autouse=True)
def _restore_carve_logger():
    logger = logging.getLogger("carve")
    level, handlers = logger.level, list(logger.handlers)
    yield
    logger.setLevel(level)
    logger.handlers[:] = handlers


def _carve_handlers() -> int:
    return sum(isinstance(h, CarveLogHandler) for h in logging.getLogger("carve").handlers)


def test_script_sees_info_records_in_mase_format(tmp_path):
    script = (
        "import logging, carve\n"
        "logging.getLogger('carve.passes').info('before')\n"
        "carve.set_logging_verbosity('info')\n"
        "carve.set_logging_verbosity('info')\n"
        "logging.getLogger('carve.passes').info('hello %d', 3)\n"
        "logging.getLogger('carve.passes').debug('hidden')\n"
        "carve.get_logger('lab').warning('careful')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    # one line per record (no duplicate handler), level padded to 8 columns as MASE's
    assert done.stderr == "INFO     hello 3\nWARNING  careful\n"


def test_repeated_calls_attach_one_handler_and_change_level(capsys):
    carve.set_logging_verbosity("debug")
    carve.set_logging_verbosity("warning")
    carve.set_logging_verbosity("info")
    assert _carve_handlers() == 1
    assert logging.getLogger("carve").level == logging.INFO
    capsys.readouterr()
    logging.getLogger("carve.ir").info("notebook line")
    # records go to the current sys.stderr (what Jupyter and pytest swap in)
    assert capsys.readouterr().err == "INFO     notebook line\n"


def test_debug_level_shows_debug_records(capsys):
    carve.set_logging_verbosity("DEBUG")
    carve.get_logger("passes").debug("detail")
    assert "DEBUG    detail\n" in capsys.readouterr().err


def test_unknown_level_is_a_clear_error():
    with pytest.raises(CarveError, match=r"unknown log level 'loud'; accepted: debug, info, wa"):
        carve.set_logging_verbosity("loud")


def test_get_logger_names_children_of_carve():
    assert carve.get_logger("lab").name == "carve.lab"
    assert carve.get_logger("chop") is logging.getLogger("carve")


def test_cli_log_level_flag_attaches_the_handler(capsys):
    from carve.cli.common import prepare_config
    from carve.config import add_common_flags

    parser = argparse.ArgumentParser()
    add_common_flags(parser)
    args = parser.parse_intermixed_args(["jsc-tiny", "jsc-synth", "--log-level", "info"])
    prepare_config(args)
    assert _carve_handlers() == 1
    logging.getLogger("carve.passes").info("from the CLI")
    assert capsys.readouterr().err.endswith("INFO     from the CLI\n")


def test_shown_tells_whether_the_log_displays_a_level():
    from carve.logs import shown

    carve.set_logging_verbosity("warning")
    assert not shown("carve.passes")
    carve.set_logging_verbosity("info")
    assert shown("carve.passes") and not shown("carve.passes", logging.DEBUG)
