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
from dataclasses import dataclass
from typing import Annotated, Any

from carve.errors import CarveError, unknown_name_message
from carve.schema import Range, Required, parse_table

PASS = "prune_transform_pass"
SCOPES = ("local", "global")
METHOD_ALIASES = {"random": "random", "l1-norm": "l1-norm", "l1": "l1-norm",
                  "l2-norm": "l2-norm", "l2": "l2-norm"}  # fmt: skip
GRANULARITY_ALIASES = {"elementwise": "elementwise", "element": "elementwise", "kernel": "kernel",
                       "channel": "channel", "channelwise": "channel"}  # fmt: skip


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


Fraction = Annotated[float, Range(0.0, 1.0, note=" (a fraction of elements)")]


@dataclass(frozen=True)
class SpecTable:
    """Schema of one ``weight``/``activation`` table: types and bounds (names resolved after)."""

    sparsity: Annotated[Fraction | dict[str, Fraction],
                        Required("a float in [0, 1] or {node: float}")]  # fmt: skip
    scope: str = "local"
    granularity: str = "elementwise"
    method: str = "l1-norm"
    seed: int = 0
    threshold: float | None = None


@dataclass(frozen=True)
class ArgsTable:
    """The schema of the prune pass's ``pass_args`` (the spec tables are parsed on their own)."""

    weight: Any = None
    activation: Any = None
    in_place: bool = False


def _name(value: str, aliases: dict[str, str], what: str, where: str) -> str:
    if value not in aliases:
        raise CarveError(f"{where}: " + unknown_name_message(what, value, aliases))
    return aliases[value]


def parse_spec(data: Any, target: str) -> PruneSpec:
    """Validate one ``weight``/``activation`` table into a :class:`PruneSpec`."""
    where = f"{PASS}: {target}"
    table = parse_table(SpecTable, data, where, label="key", shown=lambda key: f"{where}.{key}")
    sparsity = table.sparsity
    if isinstance(sparsity, dict) and not sparsity:
        raise CarveError(f"{where}.sparsity is an empty per-node dict; name at least one node")
    if table.scope not in SCOPES:
        raise CarveError(f"{where}.scope: " + unknown_name_message("scope", table.scope, SCOPES))
    granularity = _name(table.granularity, GRANULARITY_ALIASES, "granularity",
                        f"{where}.granularity")  # fmt: skip
    method = _name(table.method, METHOD_ALIASES, "method", f"{where}.method")
    if isinstance(sparsity, dict) and table.scope == "global":
        raise CarveError(
            f"{where}: a per-node sparsity dict needs scope 'local' (global scope ranks all "
            "layers together against one sparsity)"
        )
    if target == "activation" and granularity != "elementwise":
        raise CarveError(f"{where}.granularity: activations are pruned elementwise only")
    sparsity = {str(k): float(v) for k, v in sparsity.items()} if isinstance(sparsity, dict) else (
        float(sparsity))  # fmt: skip
    threshold = None if table.threshold is None else float(table.threshold)
    return PruneSpec(sparsity, table.scope, granularity, method, table.seed, threshold)


def parse_prune_args(pass_args: Any) -> PruneArgs:
    """Validate ``pass_args`` (never modified) into :class:`PruneArgs`."""
    args = parse_table(ArgsTable, pass_args, PASS)
    if args.weight is None and args.activation is None:
        raise CarveError(f"{PASS}: pass_args need a 'weight' and/or an 'activation' table")
    weight = parse_spec(args.weight, "weight") if args.weight is not None else None
    activation = parse_spec(args.activation, "activation") if args.activation is not None else None
    return PruneArgs(weight, activation, args.in_place)


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
