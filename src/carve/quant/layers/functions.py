"""Quantized functions: add, sub, mul, matmul, bmm and relu, for any format.

A quantized function is a callable object holding its quantizers (no
``nn.Module``: it has no parameters or buffers). The quantize pass makes it
the *target* of the ``call_function`` node it quantizes, as MASE does
(``x + y`` -> ``add_integer(x, y)``; ``F.relu`` stays a ``call_function`` node).
Its ``__name__`` is MASE's function name (``add_integer``, ``relu_fixed``), which
is how fx's generated code and the quantization summary name it, and it can be
inspected like a layer (``x_quantizer``, ``y_quantizer``, ``node_config``).
One object is built per (op, config) and shared by every node and graph copy
using it: it holds no state.

MASE's functional form ``add_integer(x, y, config)`` is :func:`quantized_function`.

As in MASE, add/sub/mul quantize both operands with the ``data_in`` spec, and
matmul/bmm quantize the second operand with the ``weight`` spec. ReLU's input
is quantized unsigned (integer format), as MASE's ReLU.

>>> import torch
>>> add_integer = quantized_function("add", "integer")
>>> config = {"name": "integer", "data_in_width": 4, "data_in_frac_width": 1}
>>> add_integer(torch.tensor([0.3, 9.0]), torch.tensor([0.2, 0.0]), config).tolist()
[0.5, 3.5]
>>> quantized_function_module("add", config).__name__
'add_integer'
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx

from carve.quant.catalog import function_name
from carve.quant.layers.base import (
    QuantizedLayer,
    class_for,
    classes_of,
    register_quantized_op,
    relu_of_quantized,
)
from carve.quant.node_config import NodeQuantConfig, parse_node_config


def _proxy_in(values: Any) -> fx.Proxy | None:
    found: list[fx.Proxy] = []
    fx.node.map_aggregate(values, lambda v: found.append(v) if isinstance(v, fx.Proxy) else None)
    return found[0] if found else None


class QuantizedFunction(QuantizedLayer):
    """A torch function applied to quantized inputs (subclasses set ``function``).

    Calling it on fx proxies (tracing a quantized graph again) records one
    ``call_function`` node targeting it, so it stays a leaf.
    """

    function: Callable[..., Any]
    mase_type = "builtin_func"
    replaces = "function"
    fx_targets: tuple[Callable, ...] = ()  # call_function targets; call_method uses mase_op

    def __init__(self, config: NodeQuantConfig | Mapping[str, Any]) -> None:
        self.setup_quantizers(config)
        shown = self.node_config.given_name or self.node_config.format_name
        self.__name__ = function_name(self.mase_op, shown)  # fx codegen names the call so
        self.__qualname__ = self.__name__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        proxy = _proxy_in((args, kwargs))
        if proxy is not None:
            return proxy.tracer.create_proxy("call_function", self, args, kwargs)
        return self.forward(*args, **kwargs)

    def forward(self, x, y, *args, **kwargs):
        result = type(self).function(self.x_quantizer(x), self.y_quantizer(y), *args, **kwargs)
        return self.out_quantizer(result)

    def __reduce__(self) -> tuple:
        shown = self.node_config.given_name or self.node_config.format_name
        return quantized_function_module, (self.mase_op, {**self.config, "name": shown})

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


class QuantizedReLUFunction(QuantizedFunction):
    mase_op, unsigned_input = "relu", True
    mase_type = "module_related_func"
    fx_targets = (F.relu, torch.relu)

    def forward(self, x, inplace: bool = False):
        return relu_of_quantized(self, x, inplace)


def _binary(
    name: str, mase_op: str, function: Callable, second: str, targets: tuple[Callable, ...]
) -> type:
    return type(
        f"Quantized{name}",
        (QuantizedFunction,),
        {
            "mase_op": mase_op,
            "function": staticmethod(function),
            "input_operands": ("data_in", second),
            "fx_targets": targets,
            "__module__": __name__,
            "__doc__": f"``{mase_op}`` of quantized operands (second operand: {second}).",
        },
    )


QuantizedAdd = _binary("Add", "add", torch.add, "data_in", (operator.add, operator.iadd, torch.add))
QuantizedSub = _binary("Sub", "sub", torch.sub, "data_in", (operator.sub, operator.isub, torch.sub))
QuantizedMul = _binary("Mul", "mul", torch.mul, "data_in", (operator.mul, operator.imul, torch.mul))
QuantizedMatmul = _binary("Matmul", "matmul", torch.matmul, "weight",
                          (operator.matmul, torch.matmul))  # fmt: skip
QuantizedBmm = _binary("Bmm", "bmm", torch.bmm, "weight", (torch.bmm,))

for _cls in (
    QuantizedAdd, QuantizedSub, QuantizedMul, QuantizedMatmul, QuantizedBmm, QuantizedReLUFunction
):  # fmt: skip
    register_quantized_op(_cls)

# views of the one table (carve.quant.layers.base.QUANTIZED_OPS)
FUNCTION_CLASSES: dict[str, type[QuantizedFunction]] = classes_of("function")
FUNCTION_TARGETS: dict[str, tuple[Callable, ...]] = {
    op: cls.fx_targets for op, cls in FUNCTION_CLASSES.items()
}


def quantized_function_module(
    mase_op: str, config: NodeQuantConfig | Mapping[str, Any]
) -> QuantizedFunction:
    """The quantized callable of ``mase_op`` under ``config`` (built once per config, shared).

    What the quantize pass puts as a ``call_function`` node's target.
    """
    config = parse_node_config(config, f"{mase_op} layer: ")
    return _built(mase_op, config, config.given_name)


@functools.lru_cache(maxsize=4096)
def _built(mase_op: str, config: NodeQuantConfig, given_name: str | None) -> QuantizedFunction:
    return class_for("function", mase_op, config)(config)


@functools.cache
def quantized_function(mase_op: str, format_name: str) -> Callable[..., Any]:
    """MASE's functional form: ``f(x, [y,] config)`` (e.g. ``add_integer``, ``relu_integer``)."""

    def apply(*args: Any, config: Mapping[str, Any], **kwargs: Any) -> Any:
        layer = quantized_function_module(mase_op, {**config, "name": format_name})
        return layer(*args, **kwargs)

    def positional(*args: Any, **kwargs: Any) -> Any:
        if "config" in kwargs:
            return apply(*args, **kwargs)
        *inputs, config = args
        return apply(*inputs, config=config, **kwargs)

    positional.__name__ = function_name(mase_op, format_name)
    positional.__doc__ = f"``{mase_op}`` on inputs quantized with the {format_name!r} format."
    return positional
