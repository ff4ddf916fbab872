"""How a node's arguments are named in its metadata (MASE's convention).

Graph edges (arguments that are other nodes) are ``data_in_0, data_in_1, ...``
in order, except the parameter-like operands of functional ops (``F.linear(x,
w, b)`` -> ``data_in_0, weight, bias``); constant arguments keep their
PyTorch name (``start_dim``, ``dim0``, ``inplace``). Every pass that walks
arguments (common/software metadata, statistics, verification) uses
:func:`node_arguments`, so they agree on names.

>>> import torch, torch.nn.functional as F
>>> from torch import fx
>>> class M(torch.nn.Module):
...     def forward(self, x):
...         return torch.flatten(F.relu(x, inplace=True), 1)
>>> gm = fx.symbolic_trace(M())
>>> [[(name, getattr(source, "name", source)) for name, source in node_arguments(n)]
...  for n in gm.graph.nodes][1:3]
[[('data_in_0', 'x'), ('inplace', True)], [('data_in_0', 'relu'), ('start_dim', 1)]]
"""

from __future__ import annotations

import inspect
from typing import Any

from torch import fx

from carve.ir.ops import declared_op

# operands of functional ops that are parameters, named as the module's parameters
PARAMETER_NAMES = frozenset({"weight", "bias", "running_mean", "running_var"})

# positional argument names of builtins without a Python signature
FUNCTION_ARG_NAMES: dict[str, tuple[str, ...]] = {
    "flatten": ("input", "start_dim", "end_dim"),
    "transpose": ("input", "dim0", "dim1"),
    "cat": ("tensors", "dim"),
    "stack": ("tensors", "dim"),
    "mean": ("input", "dim", "keepdim"),
    "sum": ("input", "dim", "keepdim"),
    "max": ("input", "dim", "keepdim"),
    "min": ("input", "dim", "keepdim"),
    "softmax": ("input", "dim"),
    "reshape": ("input", "shape"),
    "permute": ("input", "dims"),
    "unsqueeze": ("input", "dim"),
    "squeeze": ("input", "dim"),
    "getitem": ("input", "index"),
    "getattr": ("input", "name"),
    "split": ("input", "split_size", "dim"),
    "chunk": ("input", "chunks", "dim"),
    "clamp": ("input", "min", "max"),
    "cumsum": ("input", "dim"),
    "to": ("input", "dtype"),
    "size": ("input", "dim"),
    "contiguous": ("input",),
    "t": ("input",),
}
# methods whose trailing positional arguments form one list (x.view(b, -1))
VARARG_METHODS = {"view": "shape", "reshape": "shape", "permute": "dims", "expand": "size",
                  "repeat": "repeats"}  # fmt: skip

_SIGNATURES: dict[Any, tuple[str, ...] | None] = {}


def target_name(node: fx.Node) -> str:
    """The op name behind a call: function ``__name__``, method name or module path."""
    if node.op == "call_function":
        return getattr(node.target, "__name__", str(node.target))
    return str(node.target)


def _positional_names(node: fx.Node, module=None) -> tuple[str, ...] | None:
    callee = module.forward if module is not None else node.target
    key = type(module) if module is not None else node.target
    if module is None and declared_op(type(node.target)) is not None:
        # a callable layer (quantized function): named by its forward, like a module
        callee, key = node.target.forward, type(node.target)
    if node.op == "call_method":
        return FUNCTION_ARG_NAMES.get(node.target)
    if key not in _SIGNATURES:
        try:
            params = inspect.signature(callee).parameters.values()
            names = tuple(p.name for p in params if p.kind != p.VAR_KEYWORD)
            _SIGNATURES[key] = names if names else None
        except (TypeError, ValueError):
            _SIGNATURES[key] = FUNCTION_ARG_NAMES.get(target_name(node))
    return _SIGNATURES[key]


def node_arguments(node: fx.Node, module=None) -> list[tuple[str, Any]]:
    """``[(name, node-or-constant), ...]`` for a call node (empty for other ops).

    ``module`` is the target of a ``call_module`` node (its ``forward``
    signature names the arguments). Node arguments nested in lists
    (``torch.cat([a, b])``) each become a ``data_in_i``.
    """
    if node.op == "output":
        return [(f"data_in_{i}", n) for i, n in enumerate(_nodes_in(node.args[0]))]
    if not node.op.startswith("call_"):
        return []
    names = _positional_names(node, module) or ()
    named: list[tuple[str, Any]] = []
    edges = 0
    vararg = VARARG_METHODS.get(node.target) if node.op == "call_method" else None

    def add_edge(source: fx.Node, name: str | None) -> str:
        nonlocal edges
        if name in PARAMETER_NAMES and named:
            label = name
        else:
            label, edges = f"data_in_{edges}", edges + 1
        named.append((label, source))
        return label

    for position, value in enumerate(node.args):
        name = names[position] if position < len(names) else None
        if vararg and position >= 1:
            items = node.args[1:]
            if len(items) == 1 and isinstance(items[0], (tuple, list)):
                items = items[0]
            shape = [add_edge(v, None) if isinstance(v, fx.Node) else v for v in items]
            named.append((vararg, shape))
            break
        _add(named, value, name or f"arg_{position}", add_edge)
    for key, value in node.kwargs.items():
        _add(named, value, key, add_edge)
    return named


def _add(named: list, value: Any, name: str, add_edge) -> None:
    if isinstance(value, fx.Node):
        add_edge(value, name)
    elif isinstance(value, (list, tuple)) and any(isinstance(v, fx.Node) for v in value):
        for item in value:
            if isinstance(item, fx.Node):
                add_edge(item, None)
    else:
        named.append((name, value))


def _nodes_in(value: Any) -> list[fx.Node]:
    found: list[fx.Node] = []
    fx.node.map_arg(value, found.append)
    return found
