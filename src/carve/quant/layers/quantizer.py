"""One operand's quantizer, and the reading of a node's quantization config.

A quantized layer holds one :class:`OperandQuantizer` per operand
(``x_quantizer``, ``w_quantizer``, ``b_quantizer``...). It is a format object
plus a validated spec: calling it fake-quantizes a tensor with the format's
function, and it describes itself for the metadata (``type``, ``precision``,
``storage_bits``). An operand the config leaves out, or a bypassed layer,
gets the identity quantizer (type ``float``).

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
from collections.abc import Iterable, Mapping
from typing import Any

from torch import Tensor

from carve.errors import CarveError
from carve.quant.catalog import FORMATS
from carve.quant.config import OPERANDS, spec_from_config
from carve.quant.spec import na_to_none

# config keys that are not "<operand>_<field>"
GENERAL_KEYS = ("name", "bypass")


class OperandQuantizer:
    """Fake-quantizes one operand with ``format`` and ``spec`` (identity when no format)."""

    def __init__(
        self, operand: str, fmt: Any = None, spec: Any = None, name: str | None = None
    ) -> None:
        self.operand = operand
        self.format = fmt
        self.spec = spec
        self.name = name  # the format name the config used (MASE's "fixed" stays "fixed")

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], operand: str, **overrides: Any
    ) -> OperandQuantizer:
        """Quantizer that ``config`` gives ``operand`` (missing key -> CarveError naming it)."""
        fmt, spec = spec_from_config(config, operand, **_supported(config, overrides))
        return cls(operand, fmt, spec, na_to_none(config["name"]))

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
        """MASE metadata ``type``: the format name as configured, or ``float`` when disabled."""
        return "float" if self.format is None else self.name or self.format.name

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
        return {"operand": self.operand, "format": self.format, "spec": self.spec,
                "name": self.name}  # fmt: skip

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["operand"], state["format"], state["spec"], state.get("name"))

    def __deepcopy__(self, memo: dict) -> OperandQuantizer:
        # formats are stateless singletons and specs are frozen: share them
        return OperandQuantizer(self.operand, self.format, self.spec, self.name)

    def __repr__(self) -> str:
        if self.format is None:
            return "identity"
        fields = ", ".join(
            f"{f.name}={getattr(self.spec, f.name)!r}"
            for f in dataclasses.fields(self.spec)
            if getattr(self.spec, f.name) != f.default or f.default is dataclasses.MISSING
        )
        return f"{self.format.name}({fields})"


def _supported(config: Mapping[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Keep only the overrides the format's spec has (``signed`` exists for integer only)."""
    if not overrides:
        return {}
    fields = {f.name for f in dataclasses.fields(FORMATS[na_to_none(config["name"])].spec_cls)}
    return {key: value for key, value in overrides.items() if key in fields}


def check_config_keys(config: Mapping[str, Any], where: str) -> None:
    """Every key is ``name``/``bypass`` or ``<operand>_<field of the format>``.

    Keys for operands the op does not have are accepted (MASE ignores them: a
    ``default`` config with weight keys also applies to ReLU); a misspelt field
    or operand is an error naming it.
    """
    if not isinstance(config, Mapping):
        raise CarveError(f"{where}: a quantization config must be a table/dict, got {config!r}")
    if "name" not in config:
        raise CarveError(
            f"{where}: quantization config has no 'name' key; known formats: "
            f"{', '.join(FORMATS.names())} (or None/'NA' to leave it unquantized)"
        )
    name = na_to_none(config["name"])
    fmt = FORMATS[name] if name is not None else None
    fields = fmt.config_keys if fmt is not None else ()  # MASE keys + carve extras
    accepted = [*GENERAL_KEYS, *(f"{op}_{field}" for op in OPERANDS for field in fields)]
    for key in config:
        if key not in accepted:
            from carve.errors import unknown_name_message

            raise CarveError(
                f"{where}: " + unknown_name_message(f"{name or 'NA'} config key", key, accepted)
            )


def operands_in(config: Mapping[str, Any], operands: Iterable[str]) -> list[str]:
    """The operands among ``operands`` that ``config`` has at least one key for."""
    return [op for op in operands if any(str(key).startswith(f"{op}_") for key in config)]
