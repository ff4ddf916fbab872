"""Quantized modules and functions, built from the number formats (one class per op).

:func:`quantized_layer_of` gives a graph node's quantized layer whatever its kind
(a quantized module of a ``call_module`` node, or the quantized function a
``call_function`` node calls).

Every op class is a row of :data:`QUANTIZED_OPS` (the quantize pass's one
dispatch table). Each class declares the ``mase_op`` and ``mase_type`` of the
layer it replaces (a quantized Linear is still ``linear``; a quantized add is a
``builtin_func`` ``add``); the graph IR reads that declaration to classify the
layer and to keep it a leaf when a quantized graph is traced again, so
importing this package changes no IR table.
"""

from carve.quant.layers.base import (
    QUANTIZED_OPS,
    QuantizedLayer,
    QuantizedOp,
    copy_float_module,
    quantized_class,
    quantized_layer_of,
    quantized_layers,
)
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
QUANTIZABLE_OPS: tuple[str, ...] = tuple(sorted(QUANTIZED_OPS))

__all__ = [
    "FUNCTION_CLASSES",
    "FUNCTION_TARGETS",
    "MODULE_CLASSES",
    "QUANTIZABLE_OPS",
    "QUANTIZED_OPS",
    "OperandQuantizer",
    "QuantizedFunction",
    "QuantizedLayer",
    "QuantizedModule",
    "QuantizedOp",
    "check_config_keys",
    "copy_float_module",
    "quantized_class",
    "quantized_function",
    "quantized_function_module",
    "quantized_layer_of",
    "quantized_layers",
    "quantized_module",
]
