"""Validation of dataset options (``get_dataset(name, **options)``)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Annotated, Any

from carve.errors import CarveError
from carve.schema import Range, valid


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
    if not valid(value, Annotated[int, Range(minimum)]):
        raise CarveError(
            f"dataset {dataset!r}: option {option!r} must be an integer >= {minimum}, got {value!r}"
        )
    return value


def require_fraction(dataset: str, option: str, value: Any) -> float:
    """``value`` as a float in (0, 1), else a :class:`CarveError` naming ``option``."""
    if not valid(value, Annotated[float, Range(0.0, 1.0, low_open=True, high_open=True)]):
        raise CarveError(
            f"dataset {dataset!r}: option {option!r} must be a number in (0, 1), got {value!r}"
        )
    return float(value)


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation now (None where it cannot be read)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def require_memory(dataset: str, option: str, rows: int, bytes_per_row: int) -> None:
    """Refuse ``rows`` when building them would need more memory than is available.

    >>> require_memory("jsc-synth", "size", 10, 512)  # 5 KiB: fine anywhere
    """
    needed, available = rows * bytes_per_row, available_memory()
    if available is None or needed <= available:
        return
    raise CarveError(
        f"dataset {dataset!r}: {option}={rows:,} needs about {_size(needed)} of memory to build "
        f"(~{bytes_per_row} bytes a row) and {_size(available)} is available; "
        f"pass at most {available // bytes_per_row:,} rows"
    )


def _size(count: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024:
            return f"{count:.0f} {unit}"
        count /= 1024
    return f"{count:.1f} TiB"
