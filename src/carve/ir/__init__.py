"""The graph IR: ``MaseGraph`` over torch.fx, the tracer, metadata and op tables.

Extension points (user code): :func:`register_leaf_module` /
:func:`register_leaf_function` keep modules and functions as single nodes;
:func:`register_module_op` / :func:`register_function_op` give them a
``(mase_type, mase_op)``. A module class may instead declare ``mase_op`` and
``mase_type`` class attributes (:func:`declared_op`; the quantized layers do):
it is then classified by them and kept a leaf, with no table edited.
"""

from carve.ir.graph import GraphRecipe, MaseGraph
from carve.ir.metadata import MaseMetadata, get_common, get_mase, storage_bits, tensor_entry
from carve.ir.ops import (
    FUNCTION_OPS,
    MASE_TYPES,
    MODULE_OPS,
    classify_function,
    classify_module,
    declared_op,
    register_function_op,
    register_module_op,
)
from carve.ir.tracer import (
    LEAF_FUNCTIONS,
    LEAF_MODULES,
    MaseTracer,
    register_leaf_function,
    register_leaf_module,
)

__all__ = [
    "FUNCTION_OPS",
    "LEAF_FUNCTIONS",
    "LEAF_MODULES",
    "MASE_TYPES",
    "MODULE_OPS",
    "GraphRecipe",
    "MaseGraph",
    "MaseMetadata",
    "MaseTracer",
    "classify_function",
    "classify_module",
    "declared_op",
    "get_common",
    "get_mase",
    "register_function_op",
    "register_leaf_function",
    "register_leaf_module",
    "register_module_op",
    "storage_bits",
    "tensor_entry",
]
