"""Shared machinery of the passes: validated ``pass_args``, node selection, output.

Each pass declares its arguments as a dataclass; :func:`parse_pass_args`
checks the caller's dict against it with carve's one schema system
(:mod:`carve.schema`, pydantic: unknown key, wrong type -> CarveError naming
the key and what is accepted) and never mutates that dict.

>>> from dataclasses import dataclass
>>> @dataclass
... class SaveArgs:
...     save_dir: str
>>> parse_pass_args(SaveArgs, {"save_dir": "out"}, "demo")
SaveArgs(save_dir='out')
>>> parse_pass_args(SaveArgs, None, "demo")
Traceback (most recent call last):
...
carve.errors.CarveError: demo: missing required pass_args key(s): save_dir
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from carve.errors import CarveError
from carve.fileio import atomic_write_text
from carve.schema import parse_table
from carve.vocabulary import drop_ignored_pass_args

T = TypeVar("T")


def parse_pass_args(schema: type[T], pass_args: Any, pass_name: str) -> T:
    """Validate ``pass_args`` (None or a mapping) against dataclass ``schema``.

    MASE keys MASE never used are dropped first (:mod:`carve.vocabulary`);
    the rest goes through carve's one schema system, :func:`carve.schema.parse_table`.
    """
    if pass_args is None:
        pass_args = {}
    pass_args = drop_ignored_pass_args(pass_name, pass_args)  # MASE keys MASE never used
    return parse_table(schema, pass_args, pass_name)


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
