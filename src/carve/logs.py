"""carve's log output: one handler on the ``carve`` logger, MASE's line format.

Library code logs through ``logging.getLogger("carve.<area>")`` and never
configures handlers at import. :func:`set_logging_verbosity` (what ``chop.tools.logger``
offered, and what ``--log-level`` calls) sets the level *and* attaches one
handler, so ``info`` records (the quantization histogram, verify tables, saved
paths) show in scripts, notebooks and the CLI. Without it Python's last-resort
handler drops everything below WARNING.

Lines look like MASE's: the level name padded to eight columns, then the
message (``INFO     Quantized graph histogram:``); level names are coloured
when the stream is a terminal. Calling it again changes the level and never
adds a second handler.

Example: ``carve.set_logging_verbosity("info")`` at the top of a lab notebook.
"""

from __future__ import annotations

import logging
import sys

LOGGER_NAME = "carve"
LINE_FORMAT = "%(levelname)-8s %(message)s"
LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}
_COLOURS = {"DEBUG": "36", "INFO": "32", "WARNING": "33", "ERROR": "31", "CRITICAL": "31;47"}


class _LevelFormatter(logging.Formatter):
    """MASE's layout; the level name is coloured only on a terminal."""

    def __init__(self, handler: logging.StreamHandler) -> None:
        super().__init__(LINE_FORMAT)
        self.handler = handler

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        stream = self.handler.stream
        if getattr(stream, "isatty", lambda: False)() and record.levelname in _COLOURS:
            name = record.levelname
            text = f"\033[{_COLOURS[name]}m{name}\033[0m" + text[len(name) :]
        return text


class CarveLogHandler(logging.StreamHandler):
    """Writes to the *current* ``sys.stderr`` (pytest, Jupyter and redirects swap it)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(_LevelFormatter(self))

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:  # StreamHandler.__init__ assigns it; ignore
        pass


def attach_handler() -> logging.Handler:
    """The ``carve`` logger's handler, added on first use (never twice)."""
    logger = logging.getLogger(LOGGER_NAME)
    for handler in logger.handlers:
        if isinstance(handler, CarveLogHandler):
            return handler
    handler = CarveLogHandler()
    logger.addHandler(handler)
    return handler


def set_logging_verbosity(level: str = "info") -> None:
    """Show carve's log records at ``level`` and above (``debug`` ... ``critical``).

    Same call as ``chop.tools.logger.set_logging_verbosity``; an unknown level
    is a :class:`carve.errors.CarveError` listing the accepted ones.
    """
    from carve.errors import CarveError

    try:
        numeric = LEVELS[str(level).lower()]
    except KeyError:
        raise CarveError(f"unknown log level {level!r}; accepted: {', '.join(LEVELS)}") from None
    attach_handler()
    logger = logging.getLogger(LOGGER_NAME)
    logger.setLevel(numeric)
    logger.debug("Set logging level to %s", str(level).lower())


def get_logger(name: str) -> logging.Logger:
    """A child of the ``carve`` logger (``get_logger("lab")`` -> ``carve.lab``), as MASE's."""
    logger = logging.getLogger(LOGGER_NAME)
    return logger if name in ("", LOGGER_NAME, "chop") else logger.getChild(name)


def shown(name: str, level: int = logging.INFO) -> bool:
    """Whether a record of ``level`` on logger ``name`` reaches carve's handler.

    The CLI prints a result itself only when the log did not already show it.
    """
    logger = logging.getLogger(name)
    attached = any(isinstance(h, CarveLogHandler) for h in logging.getLogger(LOGGER_NAME).handlers)
    return attached and logger.isEnabledFor(level)
