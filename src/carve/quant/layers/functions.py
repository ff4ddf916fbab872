"""Quantized functions: add, sub, mul, matmul, bmm and relu, for any format.

Two faces of the same code:

- *function modules* (``QuantizedAdd``...): small leaf modules that hold the
  quantizers. The quantize pass swaps a ``call_function``/``call_method`` node
  (``x + y``, ``torch.bmm``, ``F.relu``) for a call to one of them, so a
  quantized function node can be inspected like a layer (``x_quantizer``,
  ``y_quantizer``) and is saved with the graph.
- MASE's functional form ``add_integer(x, y, config)`` (see
  :func:`quantized_function`), for code that calls quantized functions directly.

As in MASE, add/sub/mul quantize both operands with the ``data_in`` spec, and
matmul/bmm quantize the second operand with the ``weight`` spec. ReLU's input
is quantized unsigned (integer format), as MASE's ReLU.

>>> import torch
>>> add_integer = quantized_function("add", "integer")
>>> config = {"name": "integer", "data_in_width": 4, "data_in_frac_width": 1}
>>> add_integer(torch.tensor([0.3, 9.0]), torch.tensor([0.2, 0.0]), config).tolist()
[0.5, 3.5]
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from carve.quant.layers.base import (
    QuantizedLayer,
    class_for,
    classes_of,
    register_quantized_op,
    relu_of_quantized,
)
from carve.quant.node_config import NodeQuantConfig, parse_node_config


class QuantizedFunction(QuantizedLayer, nn.Module):
    """A torch function applied to quantized inputs (subclasses set ``function``)."""

    function: Callable[..., Any]
    mase_type = "builtin_func"
    replaces = "function"
    fx_targets: tuple[Callable, ...] = ()  # call_function targets; call_method uses mase_op

    def __init__(self, config: NodeQuantConfig | Mapping[str, Any]) -> None:
        super().__init__()
        self.setup_quantizers(config)

    def forward(self, x, y, *args, **kwargs):
        result = type(self).function(self.x_quantizer(x), self.y_quantizer(y), *args, **kwargs)
        return self.out_quantizer(result)


class QuantizedReLUFunction(QuantizedFunction):
    mase_op, base_name, unsigned_input = "relu", "ReLUFunction", True
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
            "base_name": name,
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
    """A function module for ``mase_op`` with the format named in ``config``."""
    config = parse_node_config(config, f"{mase_op} layer: ")
    return class_for("function", mase_op, config)(config)


@functools.cache
def quantized_function(mase_op: str, format_name: str) -> Callable[..., Any]:
    """MASE's functional form: ``f(x, [y,] config)`` (e.g. ``add_integer``, ``relu_integer``)."""

    def apply(*args: Any, config: Mapping[str, Any], **kwargs: Any) -> Any:
        module = quantized_function_module(mase_op, {**config, "name": format_name})
        return module(*args, **kwargs)

    def positional(*args: Any, **kwargs: Any) -> Any:
        if "config" in kwargs:
            return apply(*args, **kwargs)
        *inputs, config = args
        return apply(*inputs, config=config, **kwargs)

    positional.__name__ = f"{mase_op}_{format_name}"
    positional.__doc__ = f"``{mase_op}`` on inputs quantized with the {format_name!r} format."
    return positional
