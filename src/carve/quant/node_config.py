"""The typed quantization boundary: one MASE config dict -> one :class:`NodeQuantConfig`.

A MASE quantization config names the format in ``name`` and gives each
operand's fields as ``<operand>_<field>`` keys (TOML's ``"NA"`` is None)::

    {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4,
     "weight_width": 8, "weight_frac_width": 4}

:func:`parse_node_config` reads such a dict once, at the edge (the quantize
pass, the layers' constructors, a search space, an exporter), into frozen
dataclasses: per operand a format name and a validated spec. Everything after
the edge (layers, recorded recipe, summaries, FLOPs/BitOPs, search, export)
works on the typed object; :meth:`NodeQuantConfig.to_mase_dict` gives the
dict back (round trip: ``parse_node_config(c.to_mase_dict()) == c``).

>>> c = parse_node_config({"name": "fixed", "weight_width": 8, "weight_frac_width": "NA"})
>>> c.format_name, sorted(c.operands), c.operands["weight"].spec.frac_width
('integer', ['weight'], 4)
>>> c.to_mase_dict()
{'name': 'integer', 'weight_width': 8, 'weight_frac_width': None}
>>> parse_node_config(c.to_mase_dict()) == c
True
>>> parse_node_config({"name": "integer", "weight_widht": 8})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
carve.errors.CarveError: unknown integer config key 'weight_widht'; did you mean 'weight_width'? ...

Which operands an op reads is the layer's business: keys for operands the op
lacks are accepted (MASE applies one ``default`` config to every op), but every
operand a config mentions must be complete and valid.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from carve.config.toml_io import na_to_none
from carve.errors import CarveError, unknown_name_message
from carve.quant.catalog import FORMAT_INFO, FORMATS
from carve.vocabulary import drop_ignored_config_keys

OPERANDS = ("data_in", "weight", "bias", "data_out")
GENERAL_KEYS = ("name", "bypass")  # config keys that are not "<operand>_<field>"
# where a graph node keeps its config (plain MASE dict) in common metadata
METADATA_KEY = "quant_config"


def _frozen(value: Any) -> Any:
    return tuple(_frozen(v) for v in value) if isinstance(value, list | tuple) else value


def _thawed(value: Any) -> Any:
    return [_thawed(v) for v in value] if isinstance(value, tuple) else value


@dataclass(frozen=True)
class OperandSpec:
    """One operand's format and validated spec (``fields``: the config's values, as given)."""

    format_name: str
    spec: Any
    fields: tuple[tuple[str, Any], ...] = ()

    @property
    def format(self) -> Any:
        """The format object (``FORMATS[format_name]``): ``quantize``, ``to_int``, ..."""
        return FORMATS[self.format_name]

    def with_overrides(self, **overrides: Any) -> OperandSpec:
        """A copy whose spec has ``overrides`` set, keeping only fields the spec has.

        The ReLU input asks for ``signed=False``; formats without a sign field ignore it.
        """
        names = {f.name for f in dataclasses.fields(self.spec)}
        kept = {key: value for key, value in overrides.items() if key in names}
        if not kept:
            return self
        return dataclasses.replace(self, spec=dataclasses.replace(self.spec, **kept))

    def mase_fields(self, operand: str) -> dict[str, Any]:
        """``{"<operand>_<field>": value}`` as the config gave them."""
        return {f"{operand}_{key}": _thawed(value) for key, value in self.fields}

    def __deepcopy__(self, memo: dict) -> OperandSpec:
        return self  # immutable: share


@dataclass(frozen=True, eq=True)
class NodeQuantConfig:
    """What one node is quantized with: per config operand, an :class:`OperandSpec`.

    ``format_name`` None means "leave the node in float" (MASE's ``name: NA``);
    ``bypass`` keeps the float op although a format is named. ``operands`` maps
    config operands (``data_in``, ``weight``, ``bias``, ``data_out``) to specs;
    treat it as read-only.
    """

    format_name: str | None
    operands: dict[str, OperandSpec] = field(default_factory=dict)
    bypass: bool = False
    # the format name as the user wrote it, when an alias (MASE's "fixed"): metadata shows it
    given_name: str | None = field(default=None, compare=False)

    @property
    def skips(self) -> bool:
        """No quantization for the node: no format, or bypassed."""
        return self.format_name is None or self.bypass

    def operand(self, operand: str) -> OperandSpec:
        """The spec of ``operand``; an operand the config does not give is a CarveError."""
        if operand not in OPERANDS:
            raise CarveError(f"unknown operand {operand!r}; accepted: {', '.join(OPERANDS)}")
        if self.format_name is None:
            raise CarveError(
                "quantization config has name None/'NA' (no quantization): check "
                "skips_quantization(config) before asking for a spec"
            )
        if operand not in self.operands:
            info = FORMAT_INFO[self.format_name]
            missing = next(key for key in info.keys if key not in info.optional_keys)
            raise CarveError(
                f"{self.format_name} config for operand {operand!r} lacks key "
                f"'{operand}_{missing}'; the {self.format_name} format reads: "
                f"{_accepted(self.format_name, operand)}"
            )
        return self.operands[operand]

    def has(self, operand: str) -> bool:
        return operand in self.operands

    def to_mase_dict(self) -> dict[str, Any]:
        """The MASE config dict (``name``, ``<operand>_<field>`` keys, ``bypass`` if set)."""
        out: dict[str, Any] = {"name": self.format_name}
        for operand in OPERANDS:
            if operand in self.operands:
                out.update(self.operands[operand].mase_fields(operand))
        if self.bypass:
            out["bypass"] = True
        return out

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_mase_dict(), sort_keys=True, default=repr))

    def __deepcopy__(self, memo: dict) -> NodeQuantConfig:
        return self  # immutable: share


def _accepted(name: str, operand: str) -> str:
    info = FORMAT_INFO[name]
    prefix = f"{operand}_"
    required = [key for key in info.keys if key not in info.optional_keys]
    optional = [key for key in info.config_keys if key not in required]
    accepted = ", ".join(prefix + key for key in required)
    if optional:
        accepted += f" (optional: {', '.join(prefix + key for key in optional)})"
    return accepted


def _check_keys(config: Mapping[str, Any], name: str | None, where: str) -> None:
    """Every key is ``name``/``bypass`` or ``<operand>_<field of the format>``."""
    fields = FORMAT_INFO[name].config_keys if name is not None else ()
    accepted = [*GENERAL_KEYS, *(f"{op}_{key}" for op in OPERANDS for key in fields)]
    kind = f"{name or 'NA'} config key"
    for key in config:
        if key not in accepted:
            raise CarveError(where + unknown_name_message(kind, key, accepted))


def parse_operand(config: Mapping[str, Any], name: str, operand: str) -> OperandSpec:
    """The :class:`OperandSpec` that ``config`` (format ``name``) gives ``operand``."""
    fmt = FORMATS[name]
    info = fmt.info
    prefix = f"{operand}_"
    values: dict[str, Any] = {}
    given: list[tuple[str, Any]] = []
    for key in info.config_keys:
        full = prefix + key
        if full in config:
            value = na_to_none(config[full])
            values[key] = value
            given.append((key, _frozen(value)))
        elif key in info.keys and key not in info.optional_keys:
            raise CarveError(
                f"{info.name} config for operand {operand!r} lacks key {full!r}; "
                f"the {info.name} format reads: {_accepted(info.name, operand)}"
            )
    spec = fmt.spec_from_keys(values, operand=operand)
    return OperandSpec(info.name, spec, tuple(given))


def parse_node_config(config: Any, where: str = "") -> NodeQuantConfig:
    """Parse a MASE quantization config (or pass a :class:`NodeQuantConfig` through).

    ``where`` prefixes error messages (``"quantize_transform_pass: entry 'linear': "``).
    """
    if isinstance(config, NodeQuantConfig):
        return config
    if not isinstance(config, Mapping):
        raise CarveError(f"{where}a quantization config must be a table/dict, got {config!r}")
    # keys MASE accepts and never reads (binary_training...), operand-wide keys: one place
    config = drop_ignored_config_keys(config, where.rstrip(": ") or "quantization config")
    if "name" not in config:
        raise CarveError(
            f"{where}quantization config has no 'name' key; known formats: "
            f"{', '.join(FORMATS.names())} (or None/'NA' to leave it unquantized)"
        )
    raw_name = na_to_none(config["name"])
    if raw_name is not None and raw_name not in FORMAT_INFO:
        raise CarveError(where + unknown_name_message("format", raw_name, FORMATS.names()))
    _check_keys(config, raw_name, where)
    bypass = config.get("bypass", False)
    if isinstance(bypass, bool) or (isinstance(bypass, int) and bypass in (0, 1)):
        bypass = bool(bypass)
    else:
        raise CarveError(f"{where}bypass must be true/false, got {bypass!r}")
    if raw_name is None:
        return NodeQuantConfig(None, {}, bypass)
    name = FORMAT_INFO[raw_name].name
    operands = {}
    for operand in OPERANDS:
        if any(isinstance(k, str) and k.startswith(f"{operand}_") for k in config):
            try:
                operands[operand] = parse_operand(config, name, operand)
            except CarveError as error:
                raise CarveError(f"{where}{error}") from None
    return NodeQuantConfig(name, operands, bypass, raw_name if raw_name != name else None)


def fixed_point_config(width: int, frac_width: int) -> dict[str, Any]:
    """A MASE ``integer`` node config: inputs, weights and biases all ``width`` bits with
    ``frac_width`` after the point (the config lab 2 starts from).

    >>> fixed_point_config(8, 4)["weight_frac_width"]
    4
    """
    config: dict[str, Any] = {"name": "integer"}
    for operand in ("data_in", "weight", "bias"):
        config |= {f"{operand}_width": width, f"{operand}_frac_width": frac_width}
    return config


def node_config_of(obj: Any) -> NodeQuantConfig | None:
    """The :class:`NodeQuantConfig` of a quantized layer, or of a graph node (from its metadata).

    None for a float layer or a node the quantize pass left in float.
    """
    config = getattr(obj, "node_config", None)
    if isinstance(config, NodeQuantConfig):
        return config
    meta = getattr(obj, "meta", None)
    mase = meta.get("mase") if isinstance(meta, dict) else None
    if mase is None:
        return None
    recorded = mase.parameters.get("common", {}).get(METADATA_KEY)
    return None if recorded is None else parse_node_config(recorded)


def record_layer_formats(common: dict[str, Any], layer: Any) -> None:
    """Write a quantized ``layer``'s config and per-operand formats (``type``, ``precision``,
    ``storage_bits``) into a node's ``common`` metadata, so every cost read from metadata
    (FLOPs/BitOPs, stored bits, average bits) sees the quantized widths. Called by the
    quantize pass and by ``add_common_metadata`` (which rebuilds ``args``/``results``)."""
    common[METADATA_KEY] = layer.node_config.to_mase_dict()
    args = common.get("args", {})
    results = common.get("results", {})
    for name, quantizer in layer.quantizers().items():
        if not quantizer.enabled:
            continue
        entry = results.get(name) if name.startswith("data_out") else args.get(name)
        if isinstance(entry, dict) and "shape" in entry and "torch_dtype" in entry:
            entry.update(quantizer.metadata())
            if layer.node_config.given_name:  # MASE's "fixed" stays "fixed"
                entry["type"] = layer.node_config.given_name
