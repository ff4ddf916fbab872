"""Graph passes by their MASE names: ``from carve.passes import X`` as ``chop.passes.graph``.

Every pass is ``pass(graph, pass_args=None) -> (graph, info: dict)``. Passes
load lazily (``import carve.passes`` imports no torch); ``PASSES`` maps
MASE's registry keys (``init_metadata``, ``profile_statistics``...) to them.
To add a pass, append a row to :data:`carve.passes.catalog.PASS_CATALOG`
(or call :func:`register_pass` at run time).

>>> from carve.passes import PASSES
>>> PASSES.meta("profile_statistics")["function"]
'profile_statistics_analysis_pass'
"""

from __future__ import annotations

from typing import Any

from carve.passes.registry import PASSES, function_names, get_pass, register_pass


def __getattr__(name: str) -> Any:
    if name in function_names():
        return get_pass(name)
    raise AttributeError(f"module 'carve.passes' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *function_names()])


__all__ = ["PASSES", "get_pass", "register_pass", *function_names()]
