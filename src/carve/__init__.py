"""carve: deep-learning system exploration for small networks.

Heavy parts (torch, the graph IR, passes) load lazily, so ``import carve`` and
``carve --help`` stay fast.
"""

from __future__ import annotations

import logging
from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_LAZY = {"MaseGraph": "carve.ir"}

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}


def set_logging_verbosity(level: str = "info") -> None:
    """Set carve's log level by name (``debug``, ``info``, ``warning``, ``error``, ``critical``).

    Mirrors ``chop.tools.logger.set_logging_verbosity`` so ported lab code works.
    """
    from carve.errors import CarveError

    try:
        numeric = _LEVELS[str(level).lower()]
    except KeyError:
        raise CarveError(f"unknown log level {level!r}; accepted: {', '.join(_LEVELS)}") from None
    logging.getLogger("carve").setLevel(numeric)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'carve' has no attribute {name!r}")
