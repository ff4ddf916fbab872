"""``graph/prune/sparsity``: how much of each layer to prune (pruning as a search dimension).

Seed (choice lists, as the quantization space)::

    [search.search_space.setup]
    by = "name"                      # name: a sparsity per Linear/Conv node; global: one for all
    [search.search_space.seed.default.config]
    sparsity = [0.0, 0.5, 0.75, 0.9]
    method = ["l1-norm"]             # random | l1-norm | l2-norm
    granularity = ["elementwise"]    # elementwise | channel | kernel (conv)
    [search.search_space.seed.module_list_2.config]
    sparsity = [0.0, 0.25]           # this node's own choices (by = "name")

A candidate is ``prune_transform_pass`` on a copy of the trained graph
(``by = "name"``: local scope with a per-node sparsity dict; ``global``: one
global ranking), so costs (BitOPs, model size, average bits) count only the
non-zero weights, and ``basic_train`` fine-tunes it with its masks fixed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from carve.errors import CarveError, unknown_name_message
from carve.passes.transforms.prune.args import parse_spec
from carve.passes.transforms.prune.prune import prunable_layers, prune_transform_pass
from carve.search.quantize_adapter import build_graph, graph_costs
from carve.search.spaces.base import Param, SpaceContext, choice_list
from carve.search.spec import SearchSpec

WHERE = "[search.search_space"
CONFIG_KEYS = ("sparsity", "method", "granularity")
SHARED = ("method", "granularity")  # one choice for the whole graph, from the default seed


class PruningSpace:
    """Per-node (or global) weight sparsity, method and granularity over one trained model."""

    def __init__(self, spec: SearchSpec, context: SpaceContext) -> None:
        setup = dict(spec.space_setup)
        unknown = sorted(set(setup) - {"by"})
        if unknown:
            raise CarveError(f"{WHERE}.setup]: unknown key(s) {', '.join(unknown)}; accepted: by")
        self.by = setup.get("by", "name")
        if self.by not in ("name", "global"):
            raise CarveError(
                f"{WHERE}.setup] by: {self.by!r} is not accepted; accepted: name, global"
            )
        self.graph = context.extras.get("graph") or build_graph(
            context.model, context.dataset.train.x
        )
        self.nodes = list(prunable_layers(self.graph))
        seeds = self._parse_seeds(spec.seed)
        default = seeds.get("default", {})
        params = [Param(key, default.get(key, (self._fallback(key),))) for key in SHARED]
        if self.by == "global":
            params.append(Param("sparsity", default.get("sparsity", (0.0,))))
        else:
            for node in self.nodes:
                choices = seeds.get(node, {}).get("sparsity", default.get("sparsity", (0.0,)))
                params.append(Param(f"{node}/sparsity", choices))
        self.params = params
        for param in params:  # every choice valid before any trial
            for value in param.choices:
                key = param.name.rpartition("/")[2]
                parse_spec({"sparsity": 0.0, key: value}, f"weight ({WHERE}.seed] {param.name})")

    @staticmethod
    def _fallback(key: str) -> str:
        return {"method": "l1-norm", "granularity": "elementwise"}[key]

    def _parse_seeds(self, seed: Mapping[str, Any]) -> dict[str, dict[str, tuple]]:
        if not seed:
            raise CarveError(f"{WHERE}.seed] is empty: give seed.default.config.sparsity choices")
        seeds = {}
        for key, entry in seed.items():
            where = f"{WHERE}.seed.{key}"
            if key != "default" and self.by == "global":
                raise CarveError(f"{where}]: by = 'global' prunes with one sparsity; give only "
                                 "seed.default (node seeds need by = 'name')")  # fmt: skip
            if key != "default" and key not in self.nodes:
                raise CarveError(
                    f"{where}]: " + unknown_name_message("prunable node", key, self.nodes)
                )
            if not isinstance(entry, Mapping) or set(entry) != {"config"}:
                raise CarveError(f"{where}] must hold exactly one table, config; got {entry!r}")
            config = entry["config"]
            for name in config:
                if name not in CONFIG_KEYS or (key != "default" and name != "sparsity"):
                    accepted = CONFIG_KEYS if key == "default" else ("sparsity",)
                    raise CarveError(
                        f"{where}.config]: " + unknown_name_message("key", name, accepted)
                    )
            seeds[key] = {
                name: choice_list(v, f"{where}.config] {name}") for name, v in config.items()
            }
        return seeds

    def pass_args(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The prune pass_args of one point of the space."""
        weight: dict[str, Any] = {key: values[key] for key in SHARED}
        if self.by == "global":
            weight |= {"sparsity": values["sparsity"], "scope": "global"}
        else:
            weight["sparsity"] = {node: values[f"{node}/sparsity"] for node in self.nodes}
        return {"weight": weight}

    def candidate(self, values: Mapping[str, Any]) -> PruningCandidate:
        return PruningCandidate(self.graph, self.pass_args(values))


class PruningCandidate:
    """The space's graph pruned as ``pass_args`` says (built on first use)."""

    def __init__(self, graph: Any, pass_args: dict[str, Any]) -> None:
        self.base, self.pass_args, self._graph = graph, pass_args, None

    def _pruned(self):
        if self._graph is None:
            self._graph, _ = prune_transform_pass(self.base, self.pass_args)
        return self._graph

    def model(self, trainable: bool):
        if trainable:
            self._graph = None  # a fresh copy for each training
        return self._pruned().model

    def costs(self) -> dict[str, float]:
        return graph_costs(self._pruned())

    def config_tables(self) -> dict[str, Any]:
        return {"passes": {"prune": self.pass_args}}
