"""``graph/hardware/jsc_mlp``: JSC MLP architecture x per-layer widths x per-layer sparsity.

The space behind "which architecture and quantization give the best accuracy
for N LUTs". Seed (every value a list of choices)::

    [search.search_space.seed]
    hidden = [[8], [16, 8], [32, 16], [64, 32, 32, 32]]  # hidden widths of each architecture
    data_width = [3, 4, 6, 8]        # each layer's input width (bits)
    weight_width = [2, 3, 4, 6, 8]   # each Linear's weight width
    sparsity = [0.0, 0.5, 0.75, 0.9] # each Linear's pruned fraction (l1-norm, per layer)

    [search.search_space.setup]
    train_epochs = 2                 # each architecture is trained once, before any trial

An architecture is ``BatchNorm (Linear BatchNorm ReLU) x depth, Linear`` (the
JSC models' shape). Each is trained once at setup (``train_epochs``, the run's
optimizer settings); a candidate then prunes and quantizes its trained weights
*post-training* (PTQ: every trial is an evaluation, no training), with the
integer format on every BatchNorm, ReLU and Linear input and weight, so the
candidate is exactly what ``carve export --format verilog`` emits. Per-layer
choices of layers beyond a candidate's depth are sampled (a grid stays a grid)
and ignored.

Each candidate's ``luts``, ``ffs`` and ``latency_cycles`` come from the cost
model (:mod:`carve.hardware.cost_model`) on the plan of its Verilog datapath.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from carve.errors import CarveError
from carve.schema import Range
from carve.search.spaces.base import Param, SpaceContext, seed_choices
from carve.search.spec import SearchSpec, search_table

WHERE = "[search.search_space"
DEFAULT_SEED = {
    "hidden": [[8], [16, 8], [32, 16], [64, 32, 32, 32]],
    "data_width": [3, 4, 6, 8],
    "weight_width": [2, 3, 4, 6, 8],
    "sparsity": [0.0, 0.5, 0.75, 0.9],
}


@dataclass
class _Setup:
    """``[search.search_space.setup]`` of this space."""

    train_epochs: Annotated[int, Range(1, says="an integer >= 1")] = 2


def jsc_mlp(hidden: tuple[int, ...], num_features: int, num_classes: int):
    """``BatchNorm (Linear BatchNorm ReLU) x len(hidden), Linear`` as an nn.Sequential."""
    from torch import nn

    layers: list[nn.Module] = [nn.BatchNorm1d(num_features)]
    previous = num_features
    for width in hidden:
        layers += [nn.Linear(previous, width), nn.BatchNorm1d(width), nn.ReLU()]
        previous = width
    layers.append(nn.Linear(previous, num_classes))
    return nn.Sequential(*layers)


def _check(choices: tuple, key: str, low: float, high: float, integer: bool) -> None:
    for value in choices:
        kinds = int if integer else int | float
        if isinstance(value, bool) or not isinstance(value, kinds) or not low <= value <= high:
            kind = "integers" if integer else "numbers"
            raise CarveError(
                f"{WHERE}.seed] {key}: {value!r} is not accepted; accepted: {kind} in "
                f"[{low:g}, {high:g}]"
            )


class HardwareMlpSpace:
    """Architectures trained once; per-layer widths and sparsity applied post-training."""

    deterministic = True  # one choice of values, one candidate: measured once per search

    def __init__(self, spec: SearchSpec, context: SpaceContext) -> None:
        setup = search_table(_Setup, spec.space_setup, "search.search_space.setup")
        epochs = setup.train_epochs
        choices = seed_choices(spec.seed, DEFAULT_SEED, f"{WHERE}.seed]")
        hidden = tuple(h if isinstance(h, tuple) else (h,) for h in choices["hidden"])
        for widths in hidden:
            _check(widths, "hidden", 1, 4096, integer=True)
        _check(choices["data_width"], "data_width", 2, 16, integer=True)
        _check(choices["weight_width"], "weight_width", 2, 16, integer=True)
        _check(choices["sparsity"], "sparsity", 0.0, 0.99, integer=False)
        self.hidden = hidden
        self.layers = max(len(h) for h in hidden) + 1  # Linear layers of the deepest one
        self.params = [Param("hidden", tuple(range(len(hidden))))]
        for index in range(self.layers):
            self.params += [
                Param(f"layer_{index}/data_width", choices["data_width"]),
                Param(f"layer_{index}/weight_width", choices["weight_width"]),
                Param(f"layer_{index}/sparsity", choices["sparsity"]),
            ]
        self.context = context
        self.epochs = epochs
        self.trained = [self._train(h) for h in hidden]  # before any trial: setup time
        self._models: dict[tuple, Any] = {}

    def _train(self, hidden: tuple[int, ...]):
        import torch

        from carve.train import train

        info = self.context.dataset.info
        torch.manual_seed(self.context.config.seed)
        model = jsc_mlp(hidden, info.num_features, info.num_classes)
        config = self.context.config.replace(max_epochs=self.epochs, progress=False)
        result = train(config, dataset=self.context.dataset, model=model, write_files=False)
        return result.model.eval()

    def choices_of(self, values: Mapping[str, Any]) -> tuple[int, list[tuple[int, int]], list]:
        """(architecture index, per-Linear (data, weight) widths, per-Linear sparsity)."""
        arch = values["hidden"]
        depth = len(self.hidden[arch]) + 1
        widths = [(values[f"layer_{i}/data_width"], values[f"layer_{i}/weight_width"])
                  for i in range(depth)]  # fmt: skip
        sparsity = [float(values[f"layer_{i}/sparsity"]) for i in range(depth)]
        return arch, widths, sparsity

    def quantized_models(self, arch: int, sparsity: tuple[float, ...]):
        """The :class:`QuantizedModels` of architecture ``arch`` pruned to ``sparsity`` (cached)."""
        key = (arch, sparsity)
        models = self._models.get(key)
        if models is None:
            from carve.hardware.designs import base_graph, prune_graph
            from carve.search.quantize_adapter import QuantizedModels

            features = self.context.dataset.info.num_features
            base = base_graph(self.trained[arch], features, self.context.config.seed)
            models = self._models[key] = QuantizedModels(prune_graph(base, sparsity))
        return models

    def candidate(self, values: Mapping[str, Any]) -> HardwareCandidate:
        from carve.hardware.designs import quantize_args

        arch, widths, sparsity = self.choices_of(values)
        models = self.quantized_models(arch, tuple(sparsity))
        args = quantize_args(models.graph, tuple(widths))
        configs = {node: args[node]["config"] if node in args else None for node in models.nodes}
        return HardwareCandidate(self, models, configs, values)


class HardwareCandidate:
    """One architecture, pruned and quantized: evaluated on the fast PTQ path."""

    def __init__(self, space: HardwareMlpSpace, models, node_configs, values) -> None:
        self.space = space
        self.models = models
        self.node_configs = node_configs
        self.values = dict(values)
        self._costs: dict[str, float] | None = None

    @property
    def shared(self):
        return self.models if self.models.fast else None

    def model(self, trainable: bool):
        if trainable:
            raise CarveError(
                f"{WHERE}] graph/hardware/jsc_mlp candidates are post-training; use the "
                "basic_evaluation runner"
            )
        return self.models.inference(self.node_configs).model

    def _measure(self) -> dict[str, float]:
        """Storage costs and the cost model's figures, from one inference graph (the
        space's models reuse one graph between candidates, so it is read at once)."""
        if self._costs is None:
            from carve.search.hardware_metrics import estimate_graph
            from carve.search.quantize_adapter import graph_costs

            graph = self.models.inference(self.node_configs)
            self._costs = {**graph_costs(graph), **estimate_graph(graph).metrics()}
        return self._costs

    def costs(self) -> dict[str, float]:
        return self._measure()

    def hardware_costs(self) -> dict[str, float]:
        return self._measure()

    def config_tables(self) -> dict[str, Any]:
        return {}  # best.json's sampled_config describes it

    def graph(self):
        """A quantized graph of its own (prune + quantize passes): what export takes."""
        from carve.passes.transforms.quantize import quantize_transform_pass
        from carve.search.quantize_adapter import pass_args

        graph, _ = quantize_transform_pass(self.models.graph, pass_args(self.node_configs))
        return graph
