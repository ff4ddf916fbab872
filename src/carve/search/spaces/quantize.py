"""``graph/quantize/mixed_precision_ptq``: which format and widths each node gets.

The seed follows MASE: ``seed.<key>.config.<config key> = [choices]``, where
``<key>`` is ``default``, an op (``linear``) or a node name (``seq_blocks_2``)
and ``"NA"`` is None (no quantization for ``name``; ``width // 2`` for a
``frac_width``). ``setup.by`` picks which seed a node uses: its name's
(``"name"``) or its op's (``"type"``), else ``default``.

Unlike MASE, "by type" really varies the nodes of that type: every node gets
its own choices, drawn from its op's seed (MASE keyed them by node name and
then quantized by type, so every node fell back to the default).
``setup.granularity = "type"`` instead shares one choice per op across all
its nodes (lab 3's uniform grid). carve also accepts *tied* keys, choices that
move together: ``"data_in_width,data_in_frac_width" = [[16, 8], [8, 6], [8, 4]]``.

A node samples only the seed keys its quantized layer reads: a ReLU or an
``add`` given a default seed with weight and bias keys gets choices for its
inputs only (the keys would change nothing, and would multiply the grid).

Every choice is checked by its format before any trial runs (width 0,
``frac_width > width``...), for every combination of one operand's choices.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from carve.errors import CarveError, unknown_name_message
from carve.quant.catalog import FORMAT_INFO, FORMATS
from carve.quant.layers import QUANTIZABLE_OPS
from carve.quant.node_config import OPERANDS, parse_node_config
from carve.search.quantize_adapter import QuantizedModels, build_graph, graph_costs, pass_args
from carve.search.spaces.base import Param, SpaceContext, choice_list, products
from carve.search.spec import SearchSpec, search_table

WHERE = "[search.search_space"


@dataclass
class _Setup:
    """``[search.search_space.setup]``: which seed a node uses, and how choices are shared."""

    by: str = "name"  # or "type" (checked below, with the accepted values)
    granularity: str = "node"  # or "type"


def _split_keys(config: Mapping[str, Any], where: str) -> dict[str, tuple[Any, ...]]:
    """Seed config -> ``{key or "a,b": choices}`` with tied keys' choices as tuples."""
    out = {}
    for key, value in config.items():
        choices = choice_list(value, f"{where} {key}")
        parts = [part.strip() for part in str(key).split(",")]
        if len(parts) > 1:
            for choice in choices:
                if not isinstance(choice, tuple) or len(choice) != len(parts):
                    raise CarveError(
                        f"{where} {key}: each choice must list {len(parts)} values "
                        f"({', '.join(parts)}), got {choice!r}"
                    )
        out[",".join(parts)] = choices
    return out


def _expand(values: Mapping[str, Any]) -> dict[str, Any]:
    """Sampled ``{key or "a,b": value}`` -> a plain config dict, holding only the keys the
    chosen format reads (a seed choosing between formats lists the keys of each)."""
    config = {}
    for key, value in values.items():
        if "," in key:
            config.update(zip(key.split(","), value))
        else:
            config[key] = value
    name = config.get("name")
    if name is None:
        return config
    fields = FORMAT_INFO[name].config_keys
    return {k: v for k, v in config.items() if k in ("name", "bypass") or _field(k) in fields}


def _field(key: str) -> str | None:
    """``weight_exponent_width`` -> ``exponent_width`` (None for a key of no operand)."""
    operand = next((o for o in OPERANDS if key.startswith(f"{o}_")), None)
    return None if operand is None else key[len(operand) + 1 :]


def _read(key: str, operands: set[str]) -> bool:
    """Whether a node reading ``operands`` uses seed ``key`` (``"a,b"``: any of them); keys
    of no operand (``name``, ``bypass``) always."""
    for part in key.split(","):
        operand = next((o for o in OPERANDS if part.startswith(f"{o}_")), None)
        if operand is None or operand in operands:
            return True
    return False


def _check_choices(choices: dict[str, tuple[Any, ...]], where: str) -> None:
    """Every format name known, every key valid, every operand combination accepted."""
    names = choices.get("name", (None,))
    for name in names:
        if name is not None and name not in FORMATS:
            raise CarveError(f"{where} name: " + unknown_name_message("format", name, FORMATS))
    flat = {}
    for key, values in choices.items():
        for part_index, part in enumerate(key.split(",")):
            column = tuple(v[part_index] if "," in key else v for v in values)
            flat[part] = tuple(dict.fromkeys(column))  # distinct, in order
    read = {k for k in flat if k in ("name", "bypass")}
    for name in names:
        if name is None:
            continue
        fields = FORMAT_INFO[name].config_keys
        read |= {k for k in flat if _field(k) in fields}
    unread = sorted(set(flat) - read)
    if unread:  # a key no format of the seed reads: a typo
        formats = ", ".join(str(n) for n in names if n is not None) or "NA"
        parse_node_config(
            {"name": next((n for n in names if n), None), unread[0]: None}, f"{where} "
        )
        raise CarveError(f"{where}: no format of {formats} reads {', '.join(unread)}")
    for name in names:
        if name is None:
            continue
        fields = FORMAT_INFO[name].config_keys
        own = {k: v for k, v in flat.items() if k in ("name", "bypass") or _field(k) in fields}
        for operand in OPERANDS:
            keys = {k: v for k, v in own.items() if k.startswith(f"{operand}_")}
            for combination in products(keys, where) if keys else ():
                try:
                    parse_node_config({"name": name, **combination})
                except CarveError as error:
                    shown = ", ".join(f"{k}={v!r}" for k, v in combination.items())
                    raise CarveError(f"{where}: {name} rejects {shown}: {error}") from None
        sample = {key: values[0] for key, values in own.items()} | {"name": name}
        parse_node_config(sample, f"{where} ")


class MixedPrecisionSpace:
    """Per-node quantization choices over one trained model (see the module docstring)."""

    deterministic = True  # one choice of values, one candidate: measured once per search

    def __init__(self, spec: SearchSpec, context: SpaceContext) -> None:
        setup = search_table(_Setup, spec.space_setup, "search.search_space.setup")
        self.by = setup.by
        if self.by not in ("name", "type"):
            raise CarveError(
                f"{WHERE}.setup] by: {self.by!r} is not accepted; accepted: name, type"
            )
        self.granularity = setup.granularity
        if self.granularity not in ("node", "type"):
            raise CarveError(
                f"{WHERE}.setup] granularity: {self.granularity!r} is not accepted; "
                "accepted: node, type"
            )
        graph = context.extras.get("graph") or build_graph(context.model, context.dataset.train.x)
        self.models = QuantizedModels(graph)
        self.seeds = self._parse_seeds(spec.seed)
        self.node_keys = {}  # node -> (param prefix, seed key, seed keys it reads)
        params: dict[str, Param] = {}
        for node, op in self.models.nodes.items():
            key = node if self.by == "name" else op
            key = key if key in self.seeds else "default"
            if key not in self.seeds or self.seeds[key]["name"] == (None,):
                continue  # stays in float: nothing to choose
            prefix = op if self.granularity == "type" and key != "default" else node
            reads = self.models.operands(node)  # a ReLU has no weight_width to choose
            names = [name for name in self.seeds[key] if _read(name, reads)]
            self.node_keys[node] = (prefix, key, names)
            for name in names:
                choices = self.seeds[key][name]
                params.setdefault(f"{prefix}/{name}", Param(f"{prefix}/{name}", choices))
        self.params = list(params.values())
        first = self.node_configs({p.name: p.choices[0] for p in self.params})
        for node, config in first.items():  # each op's required keys, before any trial
            if config is not None:
                try:
                    self.models.check(node, config)
                except CarveError as error:
                    key = self.node_keys[node][1]
                    raise CarveError(f"{WHERE}.seed.{key}.config] node {node}: {error}") from None

    def _parse_seeds(self, seed: Mapping[str, Any]) -> dict[str, dict[str, tuple]]:
        known = {"default", *self.models.nodes, *QUANTIZABLE_OPS}
        if not seed:
            raise CarveError(f"{WHERE}.seed] is empty: give seed.<default|op|node>.config choices")
        seeds = {}
        for key, entry in seed.items():
            where = f"{WHERE}.seed.{key}"
            if key not in known:
                raise CarveError(
                    f"{where}]: "
                    + unknown_name_message(
                        "node or op", key, sorted(set(self.models.nodes) | set(QUANTIZABLE_OPS))
                    )
                )
            if not isinstance(entry, Mapping) or set(entry) != {"config"}:
                raise CarveError(f"{where}] must hold exactly one table, config; got {entry!r}")
            choices = _split_keys(entry["config"], f"{where}.config]")
            if "name" not in choices:
                raise CarveError(f'{where}.config]: needs name = [format names or "NA"]')
            _check_choices(choices, f"{where}.config]")
            applies = (
                key == "default" or key in self.models.nodes
                if self.by == "name"
                else key == "default" or key in self.models.nodes.values()
            )
            if applies:  # MASE files carry seeds for the other mode; they are ignored
                seeds[key] = choices
        return seeds

    def node_configs(self, values: Mapping[str, Any]) -> dict[str, dict | None]:
        """``{node: config or None}`` from ``{param name: value}``."""
        configs: dict[str, dict | None] = {}
        for node in self.models.nodes:
            if node not in self.node_keys:
                configs[node] = None
                continue
            prefix, _, names = self.node_keys[node]
            chosen = {name: values[f"{prefix}/{name}"] for name in names}
            config = _expand(chosen)
            configs[node] = config if config.get("name") is not None else None
        return configs

    def candidate(self, values: Mapping[str, Any]) -> QuantizationCandidate:
        return QuantizationCandidate(self.models, self.node_configs(values))


class QuantizationCandidate:
    """A node -> config assignment over the space's base graph."""

    def __init__(self, models: QuantizedModels, node_configs: dict[str, dict | None]) -> None:
        self.models = models
        self.node_configs = node_configs
        self._graph = None

    @property
    def shared(self) -> QuantizedModels | None:
        """What evaluates this candidate together with others of the same space, if anything."""
        return self.models if self.models.fast else None

    def model(self, trainable: bool):
        if trainable:
            self._graph = self.models.trainable(self.node_configs)
        else:
            self._graph = self.models.inference(self.node_configs)
        return self._graph.model

    def costs(self) -> dict[str, float]:
        graph = self._graph if self._graph is not None else self.models.inference(self.node_configs)
        return graph_costs(graph)

    def config_tables(self) -> dict[str, Any]:
        return {"passes": {"quantize": pass_args(self.node_configs)}}
