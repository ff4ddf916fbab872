"""Validation of dataset options (``get_dataset(name, **options)``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from carve.errors import CarveError


def reject_unknown_options(dataset: str, unknown: dict[str, Any], accepted: Iterable[str]) -> None:
    """Fail with the accepted option names when ``unknown`` is not empty.

    >>> reject_unknown_options("jsc-synth", {"sise": 3}, ["size", "seed"])
    Traceback (most recent call last):
    ...
    carve.errors.CarveError: dataset 'jsc-synth' has no option 'sise'; accepted: seed, size
    """
    if unknown:
        names = ", ".join(repr(name) for name in sorted(unknown))
        raise CarveError(
            f"dataset {dataset!r} has no option {names}; accepted: {', '.join(sorted(accepted))}"
        )


def require_positive_int(dataset: str, option: str, value: Any, minimum: int = 1) -> int:
    """``value`` as an int >= ``minimum``, else a :class:`CarveError` naming ``option``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise CarveError(
            f"dataset {dataset!r}: option {option!r} must be an integer >= {minimum}, got {value!r}"
        )
    return value


def require_fraction(dataset: str, option: str, value: Any) -> float:
    """``value`` as a float in (0, 1), else a :class:`CarveError` naming ``option``."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 < value < 1.0:
        raise CarveError(
            f"dataset {dataset!r}: option {option!r} must be a number in (0, 1), got {value!r}"
        )
    return float(value)
