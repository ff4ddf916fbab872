"""Shared machinery of the passes: validated ``pass_args``, node selection, output.

Each pass declares its arguments as a dataclass; :func:`parse_pass_args`
checks the caller's dict against it (unknown key, wrong type -> CarveError
naming the key and what is accepted) and never mutates that dict.

>>> from dataclasses import dataclass
>>> @dataclass
... class Args:
...     by: str = "type"
...     num_samples: int = 32
>>> parse_pass_args(Args, {"num_samples": 8}, "demo")
Args(by='type', num_samples=8)
>>> parse_pass_args(Args, {"num_sample": 8}, "demo")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
carve.errors.CarveError: demo: unknown pass_args key 'num_sample'; did you mean 'num_samples'? ...
>>> parse_pass_args(Args, {"num_samples": "8"}, "demo")
Traceback (most recent call last):
...
carve.errors.CarveError: demo: pass_args['num_samples'] must be int, got str '8'
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import os
import types
import typing
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from carve.errors import CarveError
from carve.fileio import atomic_write_text
from carve.vocabulary import drop_ignored_pass_args

T = TypeVar("T")


def parse_pass_args(schema: type[T], pass_args: Any, pass_name: str) -> T:
    """Validate ``pass_args`` (None or a mapping) against dataclass ``schema``."""
    if pass_args is None:
        pass_args = {}
    pass_args = drop_ignored_pass_args(pass_name, pass_args)  # MASE keys MASE never used
    if not isinstance(pass_args, dict):
        raise CarveError(f"{pass_name}: pass_args must be a dict, got {type(pass_args).__name__}")
    fields, hints = _schema(schema)
    for key, value in pass_args.items():
        if key not in fields:
            close = difflib.get_close_matches(str(key), fields, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ";"
            raise CarveError(
                f"{pass_name}: unknown pass_args key {key!r}{hint} "
                f"Accepted keys: {', '.join(fields) or '(none)'}"
            )
        if not matches_type(value, hints[key]):
            raise CarveError(
                f"{pass_name}: pass_args[{key!r}] must be {type_name(hints[key])}, "
                f"got {type(value).__name__} {_short(value)}"
            )
    missing = [
        name
        for name, f in fields.items()
        if name not in pass_args
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise CarveError(f"{pass_name}: missing required pass_args key(s): {', '.join(missing)}")
    try:
        return schema(**pass_args)
    except CarveError as error:
        raise CarveError(f"{pass_name}: {error}") from None


@functools.cache
def _schema(schema: type) -> tuple[dict[str, dataclasses.Field], dict[str, Any]]:
    fields = {f.name: f for f in dataclasses.fields(schema) if f.init}
    return fields, typing.get_type_hints(schema)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 60 else text[:57] + "..."


def matches_type(value: Any, hint: Any) -> bool:
    """Whether ``value`` fits the (simple) type hint ``hint``.

    >>> matches_type([1, 2], list[int]), matches_type((1, "a"), tuple[int, ...])
    (True, False)
    >>> matches_type(3, float), matches_type(True, int), matches_type(None, int | None)
    (True, False, True)
    """
    if hint is Any:
        return True
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(matches_type(value, arg) for arg in args)
    if origin is typing.Literal:
        return value in args
    if origin in (list, tuple, set, frozenset):
        if not isinstance(value, origin):
            return False
        if origin is tuple and args and args[-1] is not Ellipsis:
            return len(value) == len(args) and all(map(matches_type, value, args))
        return not args or all(matches_type(item, args[0]) for item in value)
    if origin is dict:
        if not isinstance(value, dict):
            return False
        key_type, value_type = args or (Any, Any)
        return all(
            matches_type(k, key_type) and matches_type(v, value_type) for k, v in value.items()
        )
    if origin is not None:  # Callable[...], Iterable[...], ...
        return isinstance(value, origin)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is type(None):
        return value is None
    return isinstance(value, hint)


def type_name(hint: Any) -> str:
    """Readable name of a type hint (``int``, ``one of 'type', 'name'``, ``list[str]``)."""
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(hint))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(type_name(a) for a in typing.get_args(hint))
    if hint is type(None):
        return "None"
    return getattr(hint, "__name__", None) if origin is None else str(hint).replace("typing.", "")


def require_graph(graph: Any, pass_name: str) -> None:
    """``graph`` must be a MaseGraph (anything with ``model`` and ``nodes``); else a CarveError."""
    if not (hasattr(graph, "model") and hasattr(graph, "nodes")):
        raise CarveError(
            f"{pass_name}: the first argument must be a MaseGraph, got {type(graph).__name__}; "
            "build one with MaseGraph(model) or MaseGraph.from_registered(name)"
        )


def choice(value: str, accepted: Iterable[str], what: str) -> str:
    """``value`` if it is in ``accepted``, else a CarveError naming both."""
    accepted = list(accepted)
    if value not in accepted:
        from carve.errors import unknown_name_message

        raise CarveError(unknown_name_message(what, value, accepted))
    return value


def node_key(node, by: str) -> str:
    """The selector key of a node: its ``mase_op`` (by type) or its name (by name)."""
    if by == "name":
        return node.name
    from carve.ir.metadata import get_common

    return get_common(node)["mase_op"]


def select_nodes(graph, by: str, targets: Iterable[str], what: str, pass_name: str) -> list:
    """Nodes whose key is in ``targets``; a target matching no node is a CarveError."""
    targets = list(targets)
    keys = {node: node_key(node, by) for node in graph.nodes}
    known = set(keys.values())
    for target in targets:
        if target not in known:
            from carve.errors import unknown_name_message

            kind = "node type (mase_op)" if by == "type" else "node name"
            raise CarveError(
                f"{pass_name}: {what} entry {target!r} matches no node. "
                + unknown_name_message(kind, target, known)
            )
    wanted = set(targets)
    return [node for node, key in keys.items() if key in wanted]


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` via a temporary file in the same folder (removed on failure)."""
    return atomic_write_text(path, text)


def render_table(title: str, columns: list[str], rows: Iterable[Iterable[Any]]) -> str:
    """A grid table (``tabulate``'s ``grid`` layout, as MASE prints), with a title line.

    Multi-line cells keep their lines. tabulate rather than rich: rich's layout
    engine took ~200 ms for one jsc-s metadata table, longer than all passes.

    >>> print(render_table("T", ["a", "bb"], [(1, "x\\ny")]), end="")
    T
    +-----+------+
    |   a | bb   |
    +=====+======+
    |   1 | x    |
    |     | y    |
    +-----+------+
    """
    from tabulate import tabulate

    table = tabulate([list(row) for row in rows], headers=columns, tablefmt="grid")
    return (f"{title}\n" if title else "") + table + "\n"


# helpers of the same names as ``chop.passes.graph.utils``, which lab code imports


def get_mase_op(node) -> str:
    """The node's ``mase_op`` (needs common metadata)."""
    from carve.ir.metadata import get_common

    return get_common(node)["mase_op"]


def get_mase_type(node) -> str:
    """The node's ``mase_type`` (needs common metadata)."""
    from carve.ir.metadata import get_common

    return get_common(node)["mase_type"]


def get_node_actual_target(node):
    """What a call node calls: the module, the function, or the method name."""
    if node.op == "call_module":
        return node.graph.owning_module.get_submodule(node.target)
    return node.target


def get_parent_name(target: str) -> tuple[str, str]:
    """``"a.b.c"`` -> ``("a.b", "c")``: the owner of a submodule path and the attribute name.

    >>> get_parent_name("seq_blocks.2"), get_parent_name("fc")
    (('seq_blocks', '2'), ('', 'fc'))
    """
    parent, _, name = target.rpartition(".")
    return parent, name


def get_module_by_name(model, request_name: str):
    """The submodule called ``request_name`` (dotted path), or None when there is none."""
    return dict(model.named_modules()).get(request_name)


def deepcopy_mase_graph(graph):
    """An independent copy of a MaseGraph: module, weights, fx graph and metadata."""
    from carve.passes.transforms.graph_edit import copy_mase_graph

    return copy_mase_graph(graph)


PassFunction = Callable[..., tuple[Any, dict]]
