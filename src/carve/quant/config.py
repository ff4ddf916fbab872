"""Read a MASE-style quantization config into ``(format, spec)``.

MASE configs name the format in ``name`` and give each operand's fields as
``<operand>_<field>`` keys, e.g. ``{"name": "integer", "weight_width": 8,
"weight_frac_width": 4}``; TOML's ``"NA"`` stands for None. Configs written for
MASE load unchanged.

>>> fmt, spec = spec_from_config({"name": "integer", "weight_width": 8,
...                               "weight_frac_width": "NA"}, "weight")
>>> fmt.name, spec.width, spec.frac_width
('integer', 8, 4)
>>> spec_from_config({"name": "integer", "weight_width": 8}, "weight")
Traceback (most recent call last):
...
carve.errors.CarveError: integer config for operand 'weight' lacks key 'weight_frac_width'; \
the integer format reads: weight_width, weight_frac_width (optional: weight_floor)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from carve.config.toml_io import na_to_none
from carve.errors import CarveError
from carve.quant.catalog import FORMATS
from carve.quant.node_config import OPERANDS, parse_node_config

__all__ = ["OPERANDS", "skips_quantization", "spec_from_config"]


def skips_quantization(config: Mapping[str, Any]) -> bool:
    """True when ``name`` is None or ``"NA"`` (MASE: leave the node unquantized)."""
    return "name" in config and na_to_none(config["name"]) is None


def spec_from_config(config: Mapping[str, Any], operand: str, **overrides: Any) -> tuple[Any, Any]:
    """The format object and validated spec that ``config`` gives ``operand``.

    A convenience over :func:`carve.quant.node_config.parse_node_config` (the
    one parser). ``overrides`` set spec fields that are not MASE config keys
    (for example ``signed=False`` for the unsigned input of a ReLU).
    """
    if not isinstance(config, Mapping):
        raise CarveError(f"a quantization config must be a table/dict, got {type(config).__name__}")
    if operand not in OPERANDS:
        raise CarveError(f"unknown operand {operand!r}; accepted: {', '.join(OPERANDS)}")
    if "name" not in config:
        raise CarveError(
            f"quantization config has no 'name' key; known formats: {', '.join(FORMATS.names())}"
        )
    found = parse_node_config(config).operand(operand).with_overrides(**overrides)
    return found.format, found.spec
