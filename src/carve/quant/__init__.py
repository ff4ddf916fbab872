"""Number formats (fake quantization with integer views) and MASE config reading.

``FORMATS[name]`` is a format object with ``spec_cls``, ``keys``,
``quantize(x, spec)``, ``to_int(x, spec)``, ``from_int(view, spec)``,
``storage_bits(spec)``, ``precision(spec)``, ``capacity(spec)`` and
``grid_check(x, spec)``; ``spec_from_config(config, operand)`` reads MASE's
``name`` + ``<operand>_<field>`` keys. Importing this package does not import
torch (formats load on first lookup).

The typed boundary: ``parse_node_config(mase_dict) -> NodeQuantConfig`` (per
operand an ``OperandSpec(format_name, spec)``; ``to_mase_dict()`` gives the
dict back), and ``node_config_of(layer_or_node)`` reads it from a quantized
layer or a quantized graph node (see :mod:`carve.quant.node_config`).
"""

from carve.quant.catalog import FORMATS
from carve.quant.config import OPERANDS, skips_quantization, spec_from_config
from carve.quant.node_config import (
    NodeQuantConfig,
    OperandSpec,
    fixed_point_config,
    node_config_of,
    parse_node_config,
)
from carve.quant.views import GridReport, IntView

__all__ = [
    "FORMATS",
    "OPERANDS",
    "GridReport",
    "IntView",
    "NodeQuantConfig",
    "OperandSpec",
    "fixed_point_config",
    "node_config_of",
    "parse_node_config",
    "skips_quantization",
    "spec_from_config",
]
