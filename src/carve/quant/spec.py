"""Validation helpers shared by the format specs (frozen dataclasses).

Every spec checks its fields in ``__post_init__`` so that an impossible width
fails when the config is read, with a message naming the field, the value and
the accepted range, instead of producing NaNs deep inside a forward pass.

>>> check_int("integer", "width", 40, 1, 32)
Traceback (most recent call last):
...
carve.errors.CarveError: integer: width=40 is out of range; accepted: integer in [1, 32]
"""

from __future__ import annotations

from typing import Any

from carve.errors import CarveError


def check_int(fmt: str, field: str, value: Any, lo: int, hi: int) -> int:
    """``value`` must be an int (not bool) in ``[lo, hi]``; return it."""
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise CarveError(
                f"{fmt}: {field}={value!r} is not an integer; accepted: integer in [{lo}, {hi}]"
            )
    if not lo <= value <= hi:
        raise CarveError(
            f"{fmt}: {field}={value} is out of range; accepted: integer in [{lo}, {hi}]"
        )
    return value


def check_bool(fmt: str, field: str, value: Any) -> bool:
    """Booleans may come from TOML as 0/1 (MASE's binary/ternary configs)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise CarveError(f"{fmt}: {field}={value!r} is not a boolean; accepted: true/false or 0/1")


def check_choice(fmt: str, field: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise CarveError(
            f"{fmt}: {field}={value!r} is not accepted; accepted: {', '.join(choices)}"
        )
    return value


def check_float(
    fmt: str, field: str, value: Any, lo: float = 0.0, hi: float = float("inf")
) -> float:
    """A finite real number in ``[lo, hi]``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CarveError(
            f"{fmt}: {field}={value!r} is not a number; accepted: number in [{lo}, {hi}]"
        )
    value = float(value)
    if not (lo <= value <= hi) or value != value:
        raise CarveError(
            f"{fmt}: {field}={value} is out of range; accepted: number in [{lo}, {hi}]"
        )
    return value


def set_field(spec: Any, field: str, value: Any) -> None:
    """Assign inside ``__post_init__`` of a frozen dataclass (normalised values)."""
    object.__setattr__(spec, field, value)
