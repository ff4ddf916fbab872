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
import math
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from carve.errors import CarveError

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Range:
    """Bounds of a number field, as ``Annotated[float, Range(0, 1)]`` (inclusive unless open).

    A value outside is one line: ``<key> must be in [0, 1]<note>, got 1.5``, or
    for one bound ``needs <key> > 0, got 0``. Inside a ``dict[str, float]``
    field it bounds every value. A bounded float is also finite (no nan, inf).
    ``says`` words the message instead: ``<key> must be <says>, got 0`` (``must be
    a finite number`` for nan, inf); ``Range(says="a finite number")`` only refuses those.
    """

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    note: str = ""
    says: str = ""

    def pydantic(self, finite: bool = False) -> Any:
        """pydantic's bounds; ``finite`` (a float field) also refuses nan and inf."""
        from pydantic import Field

        bounds: dict[str, Any] = {"allow_inf_nan": False} if finite else {}
        if self.low is not None:
            bounds["gt" if self.low_open else "ge"] = self.low
        if self.high is not None:
            bounds["lt" if self.high_open else "le"] = self.high
        return Field(**bounds)

    def message(self, shown: str, value: Any) -> str:
        if self.says:
            endless = isinstance(value, float) and not math.isfinite(value)
            return f"{shown} must be {'a finite number' if endless else self.says}, got {value!r}"
        if self.low is not None and self.high is not None:
            left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
            span = f"{left}{self.low:g}, {self.high:g}{right}"
            return f"{shown} must be in {span}{self.note}, got {value!r}"
        sign, bound = (">" if self.low_open else ">=", self.low) if self.low is not None else (
            "<=", self.high)  # fmt: skip
        where, _, key = shown.rpartition(" ")
        finite = " (a finite number)" if isinstance(value, float) else ""
        return f"{where} needs {key} {sign} {bound:g}{finite}, got {value!r}".lstrip()


@dataclasses.dataclass(frozen=True)
class Required:
    """A required field's note, as ``Annotated[..., Required("a float in [0, 1]")]``: when the
    key is missing the message is ``<where> needs 'key' (<note>)``."""

    note: str


def parse_table(
    schema: type[T],
    values: Any,
    where: str,
    label: str = "pass_args",
    shown: Any = None,
) -> T:
    """``values`` (None or a mapping) validated against dataclass ``schema``.

    ``where`` starts every message (the pass or ``[table]``); ``label`` names
    the mapping in it (``pass_args``, ``key``...); ``shown(key)``, when given,
    is how a message names a key (default ``"<where>: pass_args['key']"``).
    """
    from pydantic import ValidationError

    values = {} if values is None else values
    if not isinstance(values, Mapping):
        raise CarveError(f"{where}: {label} must be a dict, got {type(values).__name__}")
    model, hints = _model(schema)
    shown = shown or (lambda key: f"{where}: {label}[{key!r}]")
    try:
        model.model_validate(dict(values))
    except ValidationError as error:
        raise CarveError(_message(error, values, hints, where, label, shown)) from None
    try:
        return schema(**values)
    except CarveError as error:
        raise CarveError(f"{where}: {error}") from None


def valid(value: Any, hint: Any) -> bool:
    """Whether ``value`` fits type ``hint`` under the same strict rules (for single values
    whose caller words its own message).

    >>> from typing import Annotated
    >>> fraction = Annotated[float, Range(0, 1)]
    >>> valid(3, Annotated[int, Range(1)]), valid(True, int), valid(2.0, fraction)
    (True, False, False)
    """
    from pydantic import ValidationError

    try:
        _adapter(hint).validate_python(value)
    except ValidationError:
        return False
    return True


@functools.cache
def _adapter(hint: Any) -> Any:
    from pydantic import ConfigDict, TypeAdapter

    config = ConfigDict(strict=True, arbitrary_types_allowed=True)
    return TypeAdapter(_pydantic_hint(hint), config=config)


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
            fields[field.name] = (_pydantic_hint(hints[field.name]), ... if required else None)
    config = ConfigDict(extra="forbid", strict=True, arbitrary_types_allowed=True)
    model = create_model(f"{schema.__name__}Table", __config__=config, **fields)
    return model, {name: hints[name] for name in fields}


def _pydantic_hint(hint: Any) -> Any:
    """``hint`` with each :class:`Range` turned into pydantic's bounds (inside unions too)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Annotated:
        extras = [a.pydantic(finite=args[0] is float) for a in args[1:] if isinstance(a, Range)]
        extras += [a for a in args[1:] if not isinstance(a, Range | Required)]
        if not extras:
            return _pydantic_hint(args[0])
        return typing.Annotated[(_pydantic_hint(args[0]), *extras)]
    if origin in (typing.Union, types.UnionType):
        return typing.Union[tuple(_pydantic_hint(a) for a in args)]  # noqa: UP007
    if origin is dict:
        return dict[_pydantic_hint(args[0]), _pydantic_hint(args[1])]
    return hint


def _metadata(hint: Any, kind: type) -> Any:
    """The ``kind`` (:class:`Range`, :class:`Required`) declared anywhere in ``hint``."""
    if typing.get_origin(hint) is typing.Annotated:
        found = [a for a in typing.get_args(hint)[1:] if isinstance(a, kind)]
        if found:
            return found[0]
    for arg in typing.get_args(hint):
        found = _metadata(arg, kind)
        if found is not None:
            return found
    return None


_BOUND_PROBLEMS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal",
                   "finite_number"}  # fmt: skip


def _message(error: Any, values: Mapping, hints: dict[str, Any], where: str, label: str,
             shown: Any) -> str:  # fmt: skip
    problems = error.errors()
    order = {key: index for index, key in enumerate(values)}
    key_word = label if label.endswith("key") else f"{label} key"
    given = [p for p in problems if p["type"] != "missing" and p["loc"]]
    if given:  # the first bad key in the caller's order, as it was written
        problem = min(given, key=lambda p: (order.get(p["loc"][0], len(order)),
                                             p["type"] not in _BOUND_PROBLEMS))  # fmt: skip
        key = problem["loc"][0]
        if problem["type"] == "extra_forbidden":
            close = difflib.get_close_matches(str(key), hints, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ";"
            return (f"{where}: unknown {key_word} {key!r}{hint} "
                    f"Accepted keys: {', '.join(hints) or '(none)'}")  # fmt: skip
        value = values[key]
        bounds = _metadata(hints[key], Range)
        if problem["type"] in _BOUND_PROBLEMS and bounds is not None:
            return bounds.message(shown(key) + _inner(value, problem["loc"][1:]), problem["input"])
        if problem["type"].endswith("_type") or problem["type"] in _TYPE_PROBLEMS:
            return (f"{shown(key)} must be {type_name(hints[key])}, "
                    f"got {type(value).__name__} {_short(value)}")  # fmt: skip
        return f"{shown(key)}: {problem['msg'].lower()}, got {_short(value)}"
    missing = [str(p["loc"][0]) for p in problems if p["type"] == "missing"]
    noted = [(key, _metadata(hints[key], Required)) for key in missing]
    if noted[0][1] is not None:
        return f"{where} needs {noted[0][0]!r} ({noted[0][1].note})"
    return f"{where}: missing required {key_word}(s): {', '.join(missing)}"


# pydantic error types that mean "not of the declared type" (others: a bound, a length...)
_TYPE_PROBLEMS = {"literal_error", "is_instance_of", "callable_type", "union_tag_invalid",
                  "model_type", "dataclass_type", "iterable_type", "none_required"}  # fmt: skip


def _inner(value: Any, loc: tuple) -> str:
    """``['node']`` for a problem inside a dict value (union member tags in ``loc`` skipped)."""
    path = ""
    for part in loc:
        if isinstance(value, Mapping) and part in value:
            path, value = path + f"[{part!r}]", value[part]
    return path


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
    if origin is None:
        return getattr(hint, "__name__", str(hint))
    args = typing.get_args(hint)
    name = getattr(origin, "__name__", str(origin).replace("typing.", ""))
    return f"{name}[{', '.join(_arg_name(a) for a in args)}]"


def _arg_name(arg: Any) -> str:
    if arg is Ellipsis:
        return "..."
    if isinstance(arg, list):  # Callable's parameter list
        return "[" + ", ".join(_arg_name(a) for a in arg) + "]"
    return type_name(arg)
