"""carve: deep-learning system exploration for small networks.

Heavy parts (torch, the graph IR, passes) load lazily, so ``import carve`` and
``carve --help`` stay fast.
"""

from __future__ import annotations

from carve.registry import lazy_attributes

__version__ = "0.1.0"

# public name -> module it lives in (imported on first use)
_LAZY = {
    "MaseGraph": "carve.ir",
    "set_logging_verbosity": "carve.logs",
    "get_logger": "carve.logs",
}


__getattr__, _ = lazy_attributes("carve", _LAZY)
