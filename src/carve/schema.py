"""carve's one schema system for user tables (TOML tables, ``pass_args``): pydantic, strict.

A table's schema is declared once, as a dataclass (its fields, their types and
defaults; ``Annotated[..., Field(...)]`` for bounds). :func:`parse_table`
validates a mapping against it with pydantic in strict mode (no coercion: ``"8"``
is not an int, ``True`` is not a number, a list is not a tuple; an int is a
float) and turns pydantic's first problem into carve's one-line message naming
the key, what is accepted and what was given. The caller's mapping is never
modified: the dataclass is built from its values once they are valid, so its
own ``__post_init__`` may add checks that span fields.

>>> from dataclasses import dataclass
>>> @dataclass
... class Args:
...     by: str = "type"
...     num_samples: int = 32
>>> parse_table(Args, {"num_samples": 8}, "demo")
Args(by='type', num_samples=8)
>>> parse_table(Args, {"num_sample": 8}, "demo")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
carve.errors.CarveError: demo: unknown pass_args key 'num_sample'; did you mean 'num_samples'? ...
>>> parse_table(Args, {"num_samples": "8"}, "demo")
Traceback (most recent call last):
...
carve.errors.CarveError: demo: pass_args['num_samples'] must be int, got str '8'
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from carve.errors import CarveError

T = TypeVar("T")


def parse_table(schema: type[T], values: Any, where: str, label: str = "pass_args") -> T:
    """``values`` (None or a mapping) validated against dataclass ``schema``.

    ``where`` starts every message (the pass or ``[table]``); ``label`` names
    the mapping in it (``pass_args``, ``key``...).
    """
    from pydantic import ValidationError

    values = {} if values is None else values
    if not isinstance(values, Mapping):
        raise CarveError(f"{where}: {label} must be a dict, got {type(values).__name__}")
    model, hints = _model(schema)
    try:
        model.model_validate(dict(values))
    except ValidationError as error:
        raise CarveError(_message(error, values, hints, where, label)) from None
    try:
        return schema(**values)
    except CarveError as error:
        raise CarveError(f"{where}: {error}") from None


@functools.cache
def _model(schema: type) -> tuple[Any, dict[str, Any]]:
    """The strict pydantic model of dataclass ``schema``'s init fields, and their hints."""
    from pydantic import ConfigDict, create_model

    hints = typing.get_type_hints(schema, include_extras=True)
    fields = {}
    for field in dataclasses.fields(schema):
        if field.init:
            required = dataclasses.MISSING is field.default and (
                dataclasses.MISSING is field.default_factory
            )
            fields[field.name] = (hints[field.name], ... if required else None)
    config = ConfigDict(extra="forbid", strict=True, arbitrary_types_allowed=True)
    model = create_model(f"{schema.__name__}Table", __config__=config, **fields)
    return model, {name: hints[name] for name in fields}


def _message(error: Any, values: Mapping, hints: dict[str, Any], where: str, label: str) -> str:
    problems = error.errors()
    order = {key: index for index, key in enumerate(values)}
    given = [p for p in problems if p["type"] != "missing" and p["loc"]]
    if given:  # the first bad key in the caller's order, as it was written
        problem = min(given, key=lambda p: order.get(p["loc"][0], len(order)))
        key = problem["loc"][0]
        if problem["type"] == "extra_forbidden":
            close = difflib.get_close_matches(str(key), hints, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ";"
            return (f"{where}: unknown {label} key {key!r}{hint} "
                    f"Accepted keys: {', '.join(hints) or '(none)'}")  # fmt: skip
        value = values[key]
        if problem["type"].endswith("_type") or problem["type"] in _TYPE_PROBLEMS:
            return (f"{where}: {label}[{key!r}] must be {type_name(hints[key])}, "
                    f"got {type(value).__name__} {_short(value)}")  # fmt: skip
        return f"{where}: {label}[{key!r}] {problem['msg'].lower()}, got {_short(value)}"
    missing = [str(p["loc"][0]) for p in problems if p["type"] == "missing"]
    return f"{where}: missing required {label} key(s): {', '.join(missing)}"


# pydantic error types that mean "not of the declared type" (others: a bound, a length...)
_TYPE_PROBLEMS = {"literal_error", "is_instance_of", "callable_type", "union_tag_invalid",
                  "model_type", "dataclass_type", "iterable_type", "none_required"}  # fmt: skip


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 60 else text[:57] + "..."


def type_name(hint: Any) -> str:
    """Readable name of a type hint (``int``, ``one of 'type', 'name'``, ``list[str]``).

    >>> type_name(int | None), type_name(typing.Literal["type", "name"])
    ('int or None', "one of 'type', 'name'")
    """
    origin = typing.get_origin(hint)
    if origin is typing.Annotated:
        return type_name(typing.get_args(hint)[0])
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(hint))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(type_name(a) for a in typing.get_args(hint))
    if hint is type(None):
        return "None"
    return getattr(hint, "__name__", None) if origin is None else str(hint).replace("typing.", "")
