"""carve: deep-learning system exploration for small networks.

Heavy parts (torch, the graph IR, passes) load lazily, so ``import carve`` and
``carve --help`` stay fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

# public name -> module it lives in (imported on first use)
_LAZY = {
    "MaseGraph": "carve.ir",
    "set_logging_verbosity": "carve.logs",
    "get_logger": "carve.logs",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'carve' has no attribute {name!r}")
