"""``pass_args`` of the prune pass, parsed once into typed dataclasses.

Shape (MASE's, so MASE configs load unchanged)::

    {"weight": {"sparsity": 0.5,              # float in [0, 1], or {node name: float}
                "scope": "local",             # local (per layer) | global (one ranking)
                "granularity": "elementwise", # elementwise | channel | kernel (conv only)
                "method": "l1-norm"},         # random | l1-norm | l2-norm
     "activation": {...same keys...},         # optional: mask layer inputs on the fly
     "in_place": False}                       # carve: prune a copy by default

MASE's accepted spellings (``l1-norm``, ``elementwise``) and its documented
ones (``l1``, ``element``) both work; ``channelwise``/``channel`` too. Each
spec may also give ``seed`` (random method) and, for activations with global
scope, ``threshold`` (a fixed magnitude threshold instead of one calibrated
from recorded input values). The caller's dict is never modified.

>>> args = parse_prune_args({"weight": {"sparsity": 0.5, "method": "l1", "granularity": "element"}})
>>> args.weight
PruneSpec(sparsity=0.5, scope='local', granularity='elementwise', method='l1-norm', seed=0, \
threshold=None)
>>> args.activation is None
True
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from carve.errors import CarveError, unknown_name_message

PASS = "prune_transform_pass"
SCOPES = ("local", "global")
METHOD_ALIASES = {"random": "random", "l1-norm": "l1-norm", "l1": "l1-norm",
                  "l2-norm": "l2-norm", "l2": "l2-norm"}  # fmt: skip
GRANULARITY_ALIASES = {"elementwise": "elementwise", "element": "elementwise", "kernel": "kernel",
                       "channel": "channel", "channelwise": "channel"}  # fmt: skip
SPEC_KEYS = ("sparsity", "scope", "granularity", "method", "seed", "threshold")
TOP_KEYS = ("weight", "activation", "in_place")


@dataclass(frozen=True)
class PruneSpec:
    """One target (weights or activations): how much, where ranked, what unit, which score."""

    sparsity: float | dict[str, float]
    scope: str = "local"
    granularity: str = "elementwise"
    method: str = "l1-norm"
    seed: int = 0
    threshold: float | None = None

    def sparsity_of(self, node: str) -> float | None:
        """Target sparsity of ``node``; None when a per-node dict leaves it out (not pruned)."""
        if isinstance(self.sparsity, dict):
            return self.sparsity.get(node)
        return self.sparsity

    def as_dict(self) -> dict[str, Any]:
        """Plain, replayable form (what the recipe records)."""
        data = dataclasses.asdict(self)
        return {k: v for k, v in data.items() if v is not None}

    def with_sparsity(self, sparsity: float | dict[str, float]) -> PruneSpec:
        return dataclasses.replace(self, sparsity=sparsity)


@dataclass(frozen=True)
class PruneArgs:
    weight: PruneSpec | None
    activation: PruneSpec | None
    in_place: bool = False

    def as_pass_args(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.weight is not None:
            out["weight"] = self.weight.as_dict()
        if self.activation is not None:
            out["activation"] = self.activation.as_dict()
        return out


def _fraction(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CarveError(f"{where} must be a number in [0, 1], got {value!r}")
    if not 0.0 <= float(value) <= 1.0:
        raise CarveError(f"{where} must be in [0, 1] (a fraction of elements), got {value!r}")
    return float(value)


def _sparsity(value: Any, where: str) -> float | dict[str, float]:
    if isinstance(value, Mapping):
        if not value:
            raise CarveError(f"{where} is an empty per-node dict; name at least one node")
        return {str(k): _fraction(v, f"{where}[{k!r}]") for k, v in value.items()}
    return _fraction(value, where)


def _name(value: Any, aliases: dict[str, str], what: str, where: str) -> str:
    if not isinstance(value, str) or value not in aliases:
        raise CarveError(f"{where}: " + unknown_name_message(what, value, aliases))
    return aliases[value]


def parse_spec(data: Any, target: str) -> PruneSpec:
    """Validate one ``weight``/``activation`` table into a :class:`PruneSpec`."""
    where = f"{PASS}: {target}"
    if not isinstance(data, Mapping):
        raise CarveError(f"{where} must be a table with 'sparsity', got {data!r}")
    unknown = [k for k in data if k not in SPEC_KEYS]
    if unknown:
        raise CarveError(f"{where}: " + unknown_name_message("key", unknown[0], SPEC_KEYS))
    if "sparsity" not in data:
        raise CarveError(f"{where} needs 'sparsity' (a float in [0, 1] or {{node: float}})")
    sparsity = _sparsity(data["sparsity"], f"{where}.sparsity")
    scope = data.get("scope", "local")
    if scope not in SCOPES:
        raise CarveError(f"{where}.scope: " + unknown_name_message("scope", scope, SCOPES))
    granularity = _name(data.get("granularity", "elementwise"), GRANULARITY_ALIASES,
                        "granularity", f"{where}.granularity")  # fmt: skip
    method = _name(data.get("method", "l1-norm"), METHOD_ALIASES, "method", f"{where}.method")
    seed = data.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise CarveError(f"{where}.seed must be an integer, got {seed!r}")
    threshold = data.get("threshold")
    if threshold is not None and (
        isinstance(threshold, bool) or not isinstance(threshold, int | float)
    ):
        raise CarveError(f"{where}.threshold must be a number, got {threshold!r}")
    if isinstance(sparsity, dict) and scope == "global":
        raise CarveError(
            f"{where}: a per-node sparsity dict needs scope 'local' (global scope ranks all "
            "layers together against one sparsity)"
        )
    if target == "activation" and granularity != "elementwise":
        raise CarveError(f"{where}.granularity: activations are pruned elementwise only")
    return PruneSpec(sparsity, scope, granularity, method, seed,
                     None if threshold is None else float(threshold))  # fmt: skip


def parse_prune_args(pass_args: Any) -> PruneArgs:
    """Validate ``pass_args`` (never modified) into :class:`PruneArgs`."""
    if not isinstance(pass_args, Mapping):
        raise CarveError(f"{PASS}: pass_args must be a dict, got {type(pass_args).__name__}")
    unknown = [k for k in pass_args if k not in TOP_KEYS]
    if unknown:
        raise CarveError(f"{PASS}: " + unknown_name_message("pass_args key", unknown[0], TOP_KEYS))
    if "weight" not in pass_args and "activation" not in pass_args:
        raise CarveError(f"{PASS}: pass_args need a 'weight' and/or an 'activation' table")
    in_place = pass_args.get("in_place", False)
    if not isinstance(in_place, bool):
        raise CarveError(f"{PASS}: in_place must be true/false, got {in_place!r}")
    weight = parse_spec(pass_args["weight"], "weight") if "weight" in pass_args else None
    activation = (
        parse_spec(pass_args["activation"], "activation") if "activation" in pass_args else None
    )
    return PruneArgs(weight, activation, in_place)


def check_nodes(spec: PruneSpec | None, target: str, prunable: list[str]) -> None:
    """Every node a per-node sparsity dict names must be a prunable node of the graph."""
    if spec is None or not isinstance(spec.sparsity, dict):
        return
    for name in spec.sparsity:
        if name not in prunable:
            raise CarveError(
                f"{PASS}: {target}.sparsity (Linear/Conv nodes only): "
                + unknown_name_message("prunable node", name, prunable)
            )
