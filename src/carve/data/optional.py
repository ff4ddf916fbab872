"""Lazy imports of the optional ``carve[jsc]`` dependencies, with a clear error."""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

from carve.errors import CarveError

# module -> pip distribution providing it
_DISTRIBUTIONS = {
    "h5py": "h5py",
    "sklearn": "scikit-learn",
    "pandas": "pandas",
    "pyarrow": "pyarrow",
}


def require(module: str, purpose: str) -> ModuleType:
    """Import ``module`` or fail naming the ``carve[jsc]`` extra.

    >>> require("json", "a doctest").__name__
    'json'
    """
    try:
        return import_module(module)
    except ImportError as error:
        distribution = _DISTRIBUTIONS.get(module.split(".")[0], module)
        raise CarveError(
            f"{purpose} needs the optional package {distribution!r}, which is not installed "
            f"({error}); install it with: pip install 'carve[jsc]'"
        ) from None
