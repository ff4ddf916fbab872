"""Symbolic tracing that keeps quantized and user-declared modules as leaves.

torch.fx inlines every module outside ``torch.nn``; a quantized Linear would be
traced into its quantizer internals and a re-traced quantized graph would lose
its structure. Modules whose class is in :data:`LEAF_MODULES` (or a subclass)
or declares its op (``mase_op`` and ``mase_type`` class attributes, see
:func:`carve.ir.ops.declared_op`: the quantized layers) and functions in
:data:`LEAF_FUNCTIONS` stay single nodes. A quantized function (the target of a
quantized ``call_function`` node) records itself as one node when called on
proxies, so a quantized graph traced again keeps it.

A model that cannot be traced raises :class:`~carve.errors.CarveError` naming
the offending line and the ways out (a leaf module or concrete arguments).
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import torch
from torch import fx, nn

from carve.errors import CarveError
from carve.ir.ops import declared_op

# module classes always kept as leaves (user code adds its own here)
LEAF_MODULES: set[type] = set()
# free functions kept as single call_function nodes (e.g. quantized add)
LEAF_FUNCTIONS: set[Callable] = set()


def register_leaf_module(module_class: type) -> type:
    """Keep ``module_class`` (and subclasses) as one ``call_module`` node; usable as decorator."""
    LEAF_MODULES.add(module_class)
    return module_class


def register_leaf_function(function: Callable) -> Callable:
    """Keep ``function`` as one ``call_function`` node when called from traced code.

    torch.fx wraps it where the traced ``forward``'s module calls it through a
    global name without a leading underscore.
    """
    LEAF_FUNCTIONS.add(function)
    return function


class MaseTracer(fx.Tracer):
    """fx tracer with leaves: torch.nn modules, :data:`LEAF_MODULES`, ``custom_leaf_modules``."""

    def __init__(
        self,
        custom_leaf_modules: Iterable[type] = (),
        custom_leaf_functions: Iterable[Callable] = (),
    ) -> None:
        functions = tuple(LEAF_FUNCTIONS | set(custom_leaf_functions))
        super().__init__(autowrap_functions=functions, param_shapes_constant=True)
        self.leaf_classes = tuple(LEAF_MODULES | set(custom_leaf_modules))

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        if self.leaf_classes and isinstance(m, self.leaf_classes):
            return True
        if declared_op(type(m)) is not None:
            return True
        return super().is_leaf_module(m, module_qualified_name)


def trace(
    model: nn.Module,
    cf_args: dict[str, Any] | None = None,
    custom_leaf_modules: Iterable[type] = (),
    custom_leaf_functions: Iterable[Callable] = (),
) -> tuple[fx.GraphModule, MaseTracer]:
    """Trace ``model`` into a GraphModule; untraceable code becomes a clear CarveError."""
    tracer = MaseTracer(custom_leaf_modules, custom_leaf_functions)
    try:
        graph = tracer.trace(model, concrete_args=cf_args)
    except CarveError:
        raise
    except Exception as error:
        raise CarveError(_untraceable_message(model, error)) from error
    name = type(model).__name__
    return fx.GraphModule(tracer.root, graph, name), tracer


def _untraceable_message(model: nn.Module, error: Exception) -> str:
    where = _user_frame(error)
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return (
        f"cannot trace {type(model).__name__} with torch.fx: {reason}"
        f"{f' (at {where})' if where else ''}. Ways out: make the module holding that code "
        "a leaf (MaseGraph(model, custom_leaf_modules=[ThatModule]) or "
        "carve.ir.register_leaf_module(ThatModule)), or fix the value that drives the "
        "Python control flow with concrete arguments (MaseGraph(model, cf_args={...}))"
    )


_LIBRARY_DIRS = tuple(
    str(Path(p).resolve()) for p in {Path(torch.__file__).parent, Path(__file__).parent}
)


def _user_frame(error: Exception) -> str:
    """``file:line: code`` of the innermost frame outside torch and carve.ir."""
    frames = traceback.extract_tb(error.__traceback__ or sys.exc_info()[2])
    for frame in reversed(frames):
        path = str(Path(frame.filename).resolve())
        if not path.startswith(_LIBRARY_DIRS) and "<" not in frame.filename:
            code = (frame.line or "").strip()
            return f"{Path(frame.filename).name}:{frame.lineno}: {code}"
    return ""
