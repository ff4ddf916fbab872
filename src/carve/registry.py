"""Name -> object registries (models, datasets, passes, formats, strategies...).

Registries replace if/elif ladders: a new entry is one decorated definition, and
an unknown name fails with the list of known names and a close match.

>>> shapes = Registry("shape")
>>> @shapes.register("square")
... def square(side):
...     return side * side
>>> shapes["square"](3)
9
>>> shapes["sqare"]
Traceback (most recent call last):
...
carve.errors.UnknownNameError: unknown shape 'sqare'; did you mean 'square'? Known shapes: square

Entries may also be *lazy*: ``add_lazy(name, "package.module:attr", **meta)``
imports the target only when the entry is first looked up, so listings (``carve
--info``) read the metadata without importing torch.

>>> shapes.add_lazy("root", "math:sqrt", note="from the standard library")
>>> shapes.meta("root")["note"], shapes["root"](9.0)
('from the standard library', 3.0)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib import import_module
from typing import Any, Generic, TypeVar

from carve.errors import CarveError, UnknownNameError, unknown_name_message

T = TypeVar("T")


class Registry(Generic[T]):
    """A named collection of entries with per-entry metadata (for ``--info`` listings)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}
        self._meta: dict[str, dict[str, Any]] = {}

    def register(self, name: str, **meta: Any) -> Callable[[T], T]:
        """Decorator registering ``obj`` under ``name``; ``meta`` is free-form info."""

        def decorate(obj: T) -> T:
            self.add(name, obj, **meta)
            return obj

        return decorate

    def add(self, name: str, obj: T, **meta: Any) -> None:
        if name in self._entries and self._entries[name] is not obj:
            raise CarveError(f"{self.kind} {name!r} is already registered")
        self._entries[name] = obj
        self._meta[name] = meta

    def add_lazy(self, name: str, target: str, **meta: Any) -> None:
        """Register ``"module:attr"``, imported on first lookup of ``name``."""
        if name in self._entries:
            raise CarveError(f"{self.kind} {name!r} is already registered")
        self._entries[name] = _Lazy(target)  # type: ignore[assignment]
        self._meta[name] = meta

    def __getitem__(self, name: str) -> T:
        try:
            entry = self._entries[name]
        except (KeyError, TypeError):
            raise UnknownNameError(unknown_name_message(self.kind, name, self._entries)) from None
        if isinstance(entry, _Lazy):
            entry = self._entries[name] = entry.load()
        return entry

    def get(self, name: str, default: T | None = None) -> T | None:
        return self[name] if name in self._entries else default

    def meta(self, name: str) -> dict[str, Any]:
        if name not in self._entries:
            raise UnknownNameError(unknown_name_message(self.kind, name, self._entries))
        return self._meta[name]

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> list[str]:
        return sorted(self._entries)

    def items(self) -> list[tuple[str, T]]:
        return [(name, self[name]) for name in self.names()]


class _Lazy:
    """A ``"module:attr"`` reference resolved on demand."""

    def __init__(self, target: str) -> None:
        self.target = target

    def load(self) -> Any:
        module, _, attr = self.target.partition(":")
        return getattr(import_module(module), attr)


def lazy_attributes(package: str, exports: dict[str, str]) -> tuple[Callable, Callable]:
    """``__getattr__`` and ``__dir__`` for ``package`` whose ``exports`` load on first use.

    ``exports`` maps a public name to the module defining it, so importing the
    package imports none of them (no torch at ``import carve``).
    """

    def get(name: str) -> Any:
        if name in exports:
            return getattr(import_module(exports[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def names() -> list[str]:
        return sorted([*vars(import_module(package)), *exports])

    return get, names
