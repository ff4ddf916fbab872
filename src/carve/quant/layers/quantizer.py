"""One operand's quantizer: a format object plus a validated spec.

A quantized layer holds one :class:`OperandQuantizer` per operand
(``x_quantizer``, ``w_quantizer``, ``b_quantizer``...), built from one
:class:`~carve.quant.node_config.OperandSpec` of the layer's
:class:`~carve.quant.node_config.NodeQuantConfig`: calling it fake-quantizes
a tensor with the format's function, and it describes itself for the
metadata (``type``, ``precision``, ``storage_bits``). An operand the config
leaves out, or a bypassed layer, gets the identity quantizer (type ``float``).

>>> q = OperandQuantizer.from_config(
...     {"name": "integer", "weight_width": 4, "weight_frac_width": 2}, "weight")
>>> q
integer(width=4, frac_width=2)
>>> import torch
>>> q(torch.tensor([0.3, 5.0])).tolist(), q.precision, q.storage_bits
([0.25, 1.75], [4, 2], 4.0)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from torch import Tensor

from carve.quant.node_config import GENERAL_KEYS, OperandSpec, parse_node_config

__all__ = ["GENERAL_KEYS", "OperandQuantizer", "check_config_keys"]


class OperandQuantizer:
    """Fake-quantizes one operand with ``format`` and ``spec`` (identity when no format)."""

    def __init__(self, operand: str, fmt: Any = None, spec: Any = None) -> None:
        self.operand = operand
        self.format = fmt
        self.spec = spec

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], operand: str, **overrides: Any
    ) -> OperandQuantizer:
        """Quantizer that ``config`` gives ``operand`` (missing key -> CarveError naming it)."""
        return cls.from_spec(operand, parse_node_config(config).operand(operand), **overrides)

    @classmethod
    def from_spec(cls, operand: str, found: OperandSpec, **overrides: Any) -> OperandQuantizer:
        """Quantizer of a parsed operand; ``overrides`` the spec has are applied."""
        found = found.with_overrides(**overrides)
        return cls(operand, found.format, found.spec)

    @property
    def enabled(self) -> bool:
        return self.format is not None

    def __call__(self, x: Any) -> Any:
        """Fake-quantize a tensor; non-tensors (Python scalars) pass through, as in MASE."""
        if self.format is None or not isinstance(x, Tensor):
            return x
        return self.format.quantize(x, self.spec)

    @property
    def nonnegative(self) -> bool:
        """Whether every output is >= 0 (an unsigned fixed-point quantizer, say)."""
        return self.format is not None and self.format.nonnegative(self.spec)

    @property
    def type(self) -> str:
        """MASE metadata ``type``: the format name, or ``float`` when disabled."""
        return "float" if self.format is None else self.format.name

    @property
    def precision(self) -> list:
        return [32] if self.format is None else list(self.format.precision(self.spec))

    @property
    def storage_bits(self) -> float:
        return 32.0 if self.format is None else float(self.format.storage_bits(self.spec))

    def metadata(self) -> dict[str, Any]:
        """The ``type``/``precision``/``storage_bits`` entries a quantized argument gets."""
        return {"type": self.type, "precision": self.precision, "storage_bits": self.storage_bits}

    def __getstate__(self) -> dict[str, Any]:
        return {"operand": self.operand, "format": self.format, "spec": self.spec}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["operand"], state["format"], state["spec"])

    def __deepcopy__(self, memo: dict) -> OperandQuantizer:
        # formats are stateless singletons and specs are frozen: share them
        return OperandQuantizer(self.operand, self.format, self.spec)

    def __repr__(self) -> str:
        if self.format is None:
            return "identity"
        fields = ", ".join(
            f"{f.name}={getattr(self.spec, f.name)!r}"
            for f in dataclasses.fields(self.spec)
            if getattr(self.spec, f.name) != f.default or f.default is dataclasses.MISSING
        )
        return f"{self.format.name}({fields})"


def check_config_keys(config: Mapping[str, Any], where: str) -> None:
    """Validate ``config`` (keys and values) as :func:`parse_node_config` does; ``where`` prefixes.

    Kept for callers of the earlier API; parse once with ``parse_node_config`` instead.
    """
    parse_node_config(config, f"{where}: ")
