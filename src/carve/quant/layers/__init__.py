"""Quantized modules and functions, built from the number formats (one class per op).

Importing this package registers every quantized layer with the graph IR: it
is kept as a leaf by the tracer (a quantized graph can be traced again) and
classified with the op of the layer it replaces (a quantized Linear is still
``linear``; a quantized add is a ``builtin_func`` ``add``).
"""

from carve.quant.layers.base import QuantizedLayer, copy_float_module, quantized_class
from carve.quant.layers.functions import (
    FUNCTION_CLASSES,
    FUNCTION_TARGETS,
    QuantizedFunction,
    quantized_function,
    quantized_function_module,
)
from carve.quant.layers.modules import MODULE_CLASSES, QuantizedModule, quantized_module
from carve.quant.layers.quantizer import OperandQuantizer, check_config_keys

# every mase_op the quantize pass can quantize (as a module, a function, or both)
QUANTIZABLE_OPS: tuple[str, ...] = tuple(sorted({*MODULE_CLASSES, *FUNCTION_CLASSES}))


def _register_with_ir() -> None:
    from carve.ir import register_leaf_module, register_module_op

    register_leaf_module(QuantizedLayer)
    for op, cls in MODULE_CLASSES.items():
        mase_type = "module" if op.startswith("batch_norm") else "module_related_func"
        register_module_op(cls, op, mase_type)
    for op, cls in FUNCTION_CLASSES.items():
        register_module_op(cls, op, "module_related_func" if op == "relu" else "builtin_func")


_register_with_ir()

__all__ = [
    "FUNCTION_CLASSES",
    "FUNCTION_TARGETS",
    "MODULE_CLASSES",
    "QUANTIZABLE_OPS",
    "OperandQuantizer",
    "QuantizedFunction",
    "QuantizedLayer",
    "QuantizedModule",
    "check_config_keys",
    "copy_float_module",
    "quantized_class",
    "quantized_function",
    "quantized_function_module",
    "quantized_module",
]
