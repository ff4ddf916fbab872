"""Number formats (fake quantization with integer views) and MASE config reading.

``FORMATS[name]`` is a format object with ``spec_cls``, ``keys``,
``quantize(x, spec)``, ``to_int(x, spec)``, ``from_int(view, spec)``,
``storage_bits(spec)``, ``precision(spec)``, ``capacity(spec)`` and
``grid_check(x, spec)``; ``spec_from_config(config, operand)`` reads MASE's
``name`` + ``<operand>_<field>`` keys. Importing this package does not import
torch (formats load on first lookup).
"""

from carve.quant.catalog import FORMATS
from carve.quant.config import OPERANDS, skips_quantization, spec_from_config
from carve.quant.views import GridReport, IntView

__all__ = [
    "FORMATS",
    "OPERANDS",
    "GridReport",
    "IntView",
    "skips_quantization",
    "spec_from_config",
]
