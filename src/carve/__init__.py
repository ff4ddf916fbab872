"""carve: deep-learning system exploration for small networks.

Heavy parts (torch, the graph IR, passes) load lazily, so ``import carve`` and
``carve --help`` stay fast. The root package sits above every layer: importing
it registers the cross-layer entries of :mod:`carve.catalog`.
"""

from __future__ import annotations

# entries that higher layers add to lower registries (pipeline/export passes, MASE's toy
# models, saved-graph load types): registered before any registry is read
from carve import catalog as _catalog
from carve.registry import lazy_attributes
from carve.version import __version__

_catalog.register_all()

# public name -> module it lives in (imported on first use)
_LAZY = {
    "MaseGraph": "carve.ir",
    "set_logging_verbosity": "carve.logs",
    "get_logger": "carve.logs",
}


__getattr__, _ = lazy_attributes("carve", _LAZY)
__all__ = ["__version__", *_LAZY]
