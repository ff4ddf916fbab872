"""``PASSES``: registry key -> pass function, filled lazily from the catalog."""

from __future__ import annotations

from carve.errors import CarveError, UnknownNameError, unknown_name_message
from carve.passes.catalog import PASS_CATALOG
from carve.passes.needs import NO_NEEDS, PassNeeds
from carve.registry import Registry

PASSES: Registry = Registry("pass")
_BY_FUNCTION: dict[str, str] = {}


def register_pass(
    name: str, target: str, kind: str, description: str, needs: PassNeeds = NO_NEEDS
) -> None:
    """Add a pass (``target`` = ``"module:function"``) to the registry and the exports.

    ``needs`` declares what the pipeline supplies to it (see :class:`PassNeeds`).
    """
    function_name = target.partition(":")[2]
    if function_name in _BY_FUNCTION:
        raise CarveError(f"pass function {function_name!r} is already registered")
    if not isinstance(needs, PassNeeds):
        raise CarveError(f"pass {name!r}: needs must be a PassNeeds, got {needs!r}")
    PASSES.add_lazy(
        name, target, kind=kind, description=description, function=function_name, needs=needs
    )
    _BY_FUNCTION[function_name] = name


def registry_key(name: str) -> str:
    """The registry key of a pass given by key or MASE function name."""
    if name in _BY_FUNCTION:
        return _BY_FUNCTION[name]
    if name in PASSES:
        return name
    raise UnknownNameError(unknown_name_message("pass", name, [*PASSES, *_BY_FUNCTION]))


def pass_needs(name: str) -> PassNeeds:
    """What pass ``name`` (key or function name) declares it needs."""
    return PASSES.meta(registry_key(name))["needs"]


def get_pass(name: str):
    """The pass registered under ``name`` (registry key or MASE function name)."""
    return PASSES[registry_key(name)]


def function_names() -> dict[str, str]:
    """MASE function name -> registry key."""
    return dict(_BY_FUNCTION)


def _load_catalog() -> None:
    for row in PASS_CATALOG:
        if row[0] not in PASSES:
            register_pass(*row)


_load_catalog()
