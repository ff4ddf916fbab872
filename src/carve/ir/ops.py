"""MASE types and ops: which ``(mase_type, mase_op)`` each fx node gets.

The tables follow MASE's lab-2 definitions: *module_related_func* is a
``torch.nn.functional`` function or the module wrapping it (``F.relu`` /
``nn.ReLU``); *module* has no functional counterpart worth the name
(``nn.BatchNorm1d``); *builtin_func* is a torch/operator function that is
neither (``add``, ``matmul``, ``bmm``); *implicit_func* reshapes or inspects
without computing (``view``, ``size``, ``getitem``).

A module class may also describe itself: class attributes ``mase_op`` and
``mase_type`` (both strings) classify it and its subclasses, and keep it a
leaf when tracing (:func:`declared_op`). The quantized layers do this, so the
IR depends on no other layer and no other layer edits its tables at import.
User code may call :func:`register_module_op` / :func:`register_function_op`.
An op found nowhere gets a generic name and one warning, never an exception.

>>> from torch import nn
>>> classify_module(nn.Linear(2, 3))
('module_related_func', 'linear')
>>> classify_function("add")
('builtin_func', 'add')
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from torch import nn

logger = logging.getLogger("carve.ir")

MASE_TYPES = (
    "module",
    "module_related_func",
    "builtin_func",
    "implicit_func",
    "placeholder",
    "get_attr",
    "output",
)

# module class -> (mase_type, mase_op); looked up along the class's MRO
MODULE_OPS: dict[type, tuple[str, str]] = {}
# function or method name -> (mase_type, mase_op)
FUNCTION_OPS: dict[str, tuple[str, str]] = {}

_MODULE_TABLE: list[tuple[str, str, list[tuple[type, str]]]] = [
    (
        "module_related_func",
        "",
        [
            (nn.Linear, "linear"),
            (nn.Conv1d, "conv1d"),
            (nn.Conv2d, "conv2d"),
            (nn.ConvTranspose2d, "convtranspose2d"),
            (nn.ReLU, "relu"),
            (nn.ReLU6, "relu6"),
            (nn.LeakyReLU, "leaky_relu"),
            (nn.Hardtanh, "hardtanh"),
            (nn.Hardswish, "hardswish"),
            (nn.Hardsigmoid, "hardsigmoid"),
            (nn.GELU, "gelu"),
            (nn.SiLU, "silu"),
            (nn.ELU, "elu"),
            (nn.SELU, "selu"),
            (nn.Sigmoid, "sigmoid"),
            (nn.Tanh, "tanh"),
            (nn.Softmax, "softmax"),
            (nn.Softplus, "softplus"),
            (nn.Softsign, "softsign"),
            (nn.Dropout, "dropout"),
            (nn.AdaptiveAvgPool1d, "adaptive_avg_pool1d"),
            (nn.AdaptiveAvgPool2d, "adaptive_avg_pool2d"),
            (nn.AdaptiveMaxPool1d, "adaptive_max_pool1d"),
            (nn.AdaptiveMaxPool2d, "adaptive_max_pool2d"),
            (nn.AvgPool1d, "avg_pool1d"),
            (nn.AvgPool2d, "avg_pool2d"),
            (nn.MaxPool1d, "max_pool1d"),
            (nn.MaxPool2d, "max_pool2d"),
        ],
    ),
    (
        "module",
        "",
        [
            (nn.BatchNorm1d, "batch_norm1d"),
            (nn.BatchNorm2d, "batch_norm2d"),
            (nn.LayerNorm, "layer_norm"),
            (nn.GroupNorm, "group_norm"),
            (nn.InstanceNorm2d, "instance_norm2d"),
        ],
    ),
    (
        "implicit_func",
        "",
        [(nn.Embedding, "embedding"), (nn.Flatten, "flatten"), (nn.Identity, "identity")],
    ),
]

_FUNCTION_TABLE: dict[str, list[str]] = {
    "builtin_func": [
        "add", "sub", "mul", "truediv", "div", "matmul", "bmm", "neg", "cat", "mean",
        "sum", "pow", "sqrt", "exp", "erf", "baddbmm", "addmm", "mm",
    ],
    "module_related_func": [
        "linear", "conv1d", "conv2d", "relu", "relu6", "gelu", "silu", "sigmoid", "tanh",
        "leaky_relu", "hardtanh", "hardswish", "hardsigmoid", "elu", "selu", "softplus",
        "batch_norm", "layer_norm", "group_norm", "embedding", "log_softmax",
        "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d",
        "adaptive_max_pool2d", "avg_pool1d", "avg_pool2d", "max_pool1d", "max_pool2d",
        "scaled_dot_product_attention",
    ],
    "implicit_func": [
        "size", "view", "flatten", "t", "transpose", "reshape", "contiguous", "max", "min",
        "softmax", "cumsum", "dropout", "eq", "ge", "gt", "le", "lt", "ne", "where",
        "_assert", "getattr", "getitem", "long", "float", "int", "type_as", "to", "clamp",
        "abs", "stack", "permute", "unsqueeze", "squeeze", "split", "chunk", "expand",
        "expand_as", "repeat", "masked_fill", "argmax", "detach", "clone",
    ],
}  # fmt: skip

# operator names that mean the same op as another entry
_ALIASES = {"iadd": "add", "isub": "sub", "imul": "mul", "itruediv": "truediv"}

_warned: set[str] = set()


def register_module_op(
    module_class: type, mase_op: str, mase_type: str = "module_related_func"
) -> None:
    """Map ``module_class`` (and its subclasses) to ``(mase_type, mase_op)``.

    Quantized modules register with the op of the layer they replace (a
    quantized Linear stays ``linear``), so reports and passes keep working on
    quantized graphs.
    """
    _check_type(mase_type)
    MODULE_OPS[module_class] = (mase_type, mase_op)


def register_function_op(
    function: Callable | str, mase_op: str, mase_type: str = "builtin_func"
) -> None:
    """Map a function (by its ``__name__``) or a method name to ``(mase_type, mase_op)``."""
    _check_type(mase_type)
    name = function if isinstance(function, str) else function.__name__
    FUNCTION_OPS[name] = (mase_type, mase_op)


def _check_type(mase_type: str) -> None:
    if mase_type not in MASE_TYPES:
        from carve.errors import CarveError

        raise CarveError(f"unknown mase_type {mase_type!r}; accepted: {', '.join(MASE_TYPES)}")


def declared_op(module_class: type) -> tuple[str, str] | None:
    """``(mase_type, mase_op)`` a module class declares as class attributes, else None."""
    mase_type = getattr(module_class, "mase_type", None)
    mase_op = getattr(module_class, "mase_op", None)
    if isinstance(mase_type, str) and isinstance(mase_op, str):
        return mase_type, mase_op
    return None


def classify_module(module: nn.Module) -> tuple[str, str]:
    """``(mase_type, mase_op)`` of a ``call_module`` target.

    The class's own declaration (:func:`declared_op`) first, then the nearest
    registered base class.
    """
    declared = declared_op(type(module))
    if declared is not None:
        return declared
    for cls in type(module).__mro__:
        if cls in MODULE_OPS:
            return MODULE_OPS[cls]
    return _unknown("module", type(module).__name__.lower(), f"module {type(module).__name__}")


def classify_function(name: str, default_type: str = "builtin_func") -> tuple[str, str]:
    """``(mase_type, mase_op)`` of a function or method called by name."""
    name = _ALIASES.get(name, name)
    if name in FUNCTION_OPS:
        return FUNCTION_OPS[name]
    return _unknown(default_type, name, f"function {name!r}")


def _unknown(mase_type: str, mase_op: str, what: str) -> tuple[str, str]:
    if what not in _warned:
        _warned.add(what)
        logger.warning(
            "%s is not in carve's op tables; it gets mase_type %r and mase_op %r "
            "(register it with carve.ir.register_module_op / register_function_op)",
            what,
            mase_type,
            mase_op,
        )
    return mase_type, mase_op


def _install_defaults() -> None:
    for mase_type, _, entries in _MODULE_TABLE:
        for cls, op in entries:
            MODULE_OPS[cls] = (mase_type, op)
    for mase_type, names in _FUNCTION_TABLE.items():
        for name in names:
            FUNCTION_OPS.setdefault(name, (mase_type, name))


_install_defaults()
