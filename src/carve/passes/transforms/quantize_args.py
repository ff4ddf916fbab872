"""``pass_args`` of the quantize pass: validation and the config each node receives.

Shape (MASE's, so configs written for MASE load unchanged)::

    {"by": "type" | "name" | "regex_name",
     "default": {"config": {"name": None}},          # optional: unmatched nodes
     "<key>": {"config": {"name": "integer", "data_in_width": 8, ...}},
     "in_place": False,                               # carve: quantize a copy by default
     "default_ops": "mase"}                           # carve: ops `default` reaches

``<key>`` is a mase_op (by type), a node name (by name) or a regex that must
match the whole node name (by regex_name; the first matching key wins, in
order). An entry may be ``{"config": {...}, "bypass": true}`` or have
``bypass`` inside its config: the node keeps its float op. The caller's dict is
never modified (MASE pops ``by`` from it). Every config is parsed here, once,
into a :class:`~carve.quant.node_config.NodeQuantConfig`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from carve.errors import CarveError, unknown_name_message
from carve.quant.layers import QUANTIZABLE_OPS
from carve.quant.node_config import NodeQuantConfig, parse_node_config
from carve.vocabulary import MASE_TYPE_DEFAULT_OPS, drop_ignored_pass_args, note_ignored

PASS = "quantize_transform_pass"
SELECTORS = ("type", "name", "regex_name")
RESERVED = ("by", "default", "in_place", "default_ops")


@dataclass
class QuantizeArgs:
    by: str
    default: NodeQuantConfig | None
    entries: dict[str, NodeQuantConfig]  # key -> config (bypass folded in)
    in_place: bool = False
    patterns: dict[str, re.Pattern] = field(default_factory=dict)
    name_keys: list[str] = field(default_factory=list)  # by type: keys that are not ops
    default_ops: tuple[str, ...] = MASE_TYPE_DEFAULT_OPS  # ops `default` reaches

    def as_pass_args(self) -> dict[str, Any]:
        """Plain, replayable pass_args (what the recipe records)."""
        out: dict[str, Any] = {"by": self.by}
        if self.default_ops != MASE_TYPE_DEFAULT_OPS:
            out["default_ops"] = list(self.default_ops)
        if self.default is not None:
            out["default"] = {"config": self.default.to_mase_dict()}
        for key, config in self.entries.items():
            out[key] = {"config": config.to_mase_dict()}
        return out


def _entry_config(key: str, entry: Any) -> NodeQuantConfig:
    if not isinstance(entry, Mapping) or "config" not in entry:
        raise CarveError(
            f"{PASS}: entry {key!r} must be a table with a 'config' table, "
            f"e.g. {{'config': {{'name': 'integer', ...}}}}; got {entry!r}"
        )
    extra = [k for k in entry if k not in ("config", "bypass")]
    if extra:
        raise CarveError(
            f"{PASS}: entry {key!r} has unknown key(s) {', '.join(map(repr, extra))}; "
            "accepted: config, bypass"
        )
    config = entry["config"]
    if not isinstance(config, Mapping):
        raise CarveError(f"{PASS}: entry {key!r}: 'config' must be a table, got {config!r}")
    if "bypass" in entry:
        config = {**config, "bypass": entry["bypass"]}
    return parse_node_config(config, f"{PASS}: entry {key!r}: ")


def _default_ops(value: Any) -> tuple[str, ...]:
    """``default_ops``: "mase" (MASE's nine ops), "all" (every quantizable op) or a list."""
    if value == "mase":
        return MASE_TYPE_DEFAULT_OPS
    if value == "all":
        return QUANTIZABLE_OPS
    if isinstance(value, list | tuple) and all(isinstance(op, str) for op in value):
        for op in value:
            if op not in QUANTIZABLE_OPS:
                raise CarveError(
                    f"{PASS}: default_ops: "
                    + unknown_name_message("quantizable op", op, QUANTIZABLE_OPS)
                )
        return tuple(value)
    raise CarveError(
        f'{PASS}: default_ops={value!r}; accepted: "mase" (MASE\'s ops: '
        f'{", ".join(MASE_TYPE_DEFAULT_OPS)}), "all", or a list of quantizable ops'
    )


def parse_quantize_args(pass_args: Any) -> QuantizeArgs:
    """Validate ``pass_args`` (never modified) into :class:`QuantizeArgs`."""
    if not isinstance(pass_args, Mapping):
        raise CarveError(f"{PASS}: pass_args must be a dict, got {type(pass_args).__name__}")
    pass_args = drop_ignored_pass_args(PASS, pass_args)  # MASE's `report = true`
    if "by" not in pass_args:
        raise CarveError(f"{PASS}: pass_args need 'by': one of {', '.join(SELECTORS)}")
    by = pass_args["by"]
    if by not in SELECTORS:
        raise CarveError(f"{PASS}: by={by!r} is not accepted; accepted: {', '.join(SELECTORS)}")
    in_place = pass_args.get("in_place", False)
    if not isinstance(in_place, bool):
        raise CarveError(f"{PASS}: in_place must be true/false, got {in_place!r}")
    default = _entry_config("default", pass_args["default"]) if "default" in pass_args else None
    keys = [str(key) for key in pass_args if key not in RESERVED]
    # by type, a key that is no op may be a node name, which MASE ignores (never reads): the
    # pass checks it against the graph, so its config is not parsed
    name_keys = [key for key in keys if by == "type" and key not in QUANTIZABLE_OPS]
    entries = {key: _entry_config(key, pass_args[key]) for key in keys if key not in name_keys}
    args = QuantizeArgs(by=by, default=default, entries=entries, in_place=in_place,
                        default_ops=_default_ops(pass_args.get("default_ops", "mase")))  # fmt: skip
    args.name_keys = name_keys
    if by == "regex_name":
        for key in entries:
            try:
                args.patterns[key] = re.compile(key)
            except re.error as error:
                raise CarveError(f"{PASS}: key {key!r} is not a valid regex: {error}") from None
    return args


def drop_node_name_keys(args: QuantizeArgs, node_names: list[str]) -> None:
    """By type, a key naming a node is ignored with a note (as MASE); any other is an error."""
    for key in args.name_keys:
        if key not in node_names:
            raise CarveError(
                f"{PASS}: " + unknown_name_message("quantizable op", key, QUANTIZABLE_OPS)
            )
        note_ignored(key, PASS, 'a node name under by = "type" (use by = "name" to select it)')
    args.name_keys = []


def config_for(
    args: QuantizeArgs, name: str, mase_op: str
) -> tuple[str | None, NodeQuantConfig | None]:
    """``(matched key, config)`` for a quantizable node (key None: the default, if any).

    ``default`` reaches only ``default_ops``: by default the ops MASE quantizes
    (:data:`~carve.vocabulary.MASE_TYPE_DEFAULT_OPS`), so BatchNorm and
    pooling are quantized when a key selects them (their type, name or a
    regex), or with ``"default_ops": "all"`` (or a list of ops).
    """
    if args.by == "type" and mase_op in args.entries:
        return mase_op, args.entries[mase_op]
    if args.by == "name" and name in args.entries:
        return name, args.entries[name]
    if args.by == "regex_name":
        for key, pattern in args.patterns.items():
            if pattern.fullmatch(name):
                return key, args.entries[key]
    if mase_op not in args.default_ops:
        return None, None
    return None, args.default


def skipped(config: NodeQuantConfig | None) -> bool:
    """No quantization for this node: no config, name None/"NA", or bypass."""
    return config is None or config.skips
