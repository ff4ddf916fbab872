"""``graph/architecture/jsc_mlp``: depth, widths, BatchNorm and activation of a JSC MLP.

Seed (every value a list of choices)::

    [search.search_space.seed]
    depth = [1, 2, 3]              # hidden layers
    width = [8, 16, 32, 64]        # choices for each hidden layer's width
    batch_norm = [true, false]     # BatchNorm on the input and after every hidden Linear
    activation = ["relu", "leaky_relu", "gelu", "tanh"]

A candidate is ``[BatchNorm1d] (Linear [BatchNorm1d] act) x depth, Linear``,
initialised from the run's seed; the ``basic_train`` runner trains it from
scratch for ``max_epochs`` (untrained candidates cannot be evaluated). Widths
of layers beyond the sampled depth are sampled too (so a grid stays a grid)
and ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from carve.errors import CarveError, unknown_name_message
from carve.search.spaces.base import Param, SpaceContext, seed_choices
from carve.search.spec import SearchSpec

ACTIVATIONS = {"relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "gelu": nn.GELU, "tanh": nn.Tanh,
               "silu": nn.SiLU}  # fmt: skip
WHERE = "[search.search_space.seed]"
DEFAULT_SEED = {"depth": [1, 2, 3], "width": [8, 16, 32, 64], "batch_norm": [True, False],
                "activation": ["relu"]}  # fmt: skip


def build_mlp(values: Mapping[str, Any], num_features: int, num_classes: int) -> nn.Sequential:
    """The MLP a sampled ``values`` dict describes (``depth``, ``width_<i>``, ...)."""
    layers: list[nn.Module] = [nn.BatchNorm1d(num_features)] if values["batch_norm"] else []
    previous = num_features
    for index in range(values["depth"]):
        width = values[f"width_{index}"]
        layers.append(nn.Linear(previous, width))
        if values["batch_norm"]:
            layers.append(nn.BatchNorm1d(width))
        layers.append(ACTIVATIONS[values["activation"]]())
        previous = width
    layers.append(nn.Linear(previous, num_classes))
    return nn.Sequential(*layers)


def _positive_ints(values: tuple, key: str) -> None:
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise CarveError(f"{WHERE} {key}: {value!r} is not accepted; accepted: integers >= 1")


class JscMlpSpace:
    """Architecture choices for an MLP on the dataset's features and classes."""

    def __init__(self, spec: SearchSpec, context: SpaceContext) -> None:
        choices = seed_choices(spec.seed, DEFAULT_SEED, WHERE)
        _positive_ints(choices["depth"], "depth")
        _positive_ints(choices["width"], "width")
        for value in choices["batch_norm"]:
            if not isinstance(value, bool):
                raise CarveError(f"{WHERE} batch_norm: {value!r} is not accepted; "
                                 "accepted: true, false")  # fmt: skip
        for value in choices["activation"]:
            if value not in ACTIVATIONS:
                raise CarveError(
                    f"{WHERE} activation: " + unknown_name_message("activation", value, ACTIVATIONS)
                )
        self.params = [Param("depth", choices["depth"])]
        self.params += [Param(f"width_{i}", choices["width"]) for i in range(max(choices["depth"]))]
        self.params += [Param("batch_norm", choices["batch_norm"]),
                        Param("activation", choices["activation"])]  # fmt: skip
        info = context.dataset.info
        self.shape = (info.num_features, info.num_classes)
        self.sample = context.dataset.train.x[:1]
        self.seed = context.config.seed

    def candidate(self, values: Mapping[str, Any]) -> ArchitectureCandidate:
        return ArchitectureCandidate(self, dict(values))


class ArchitectureCandidate:
    """One sampled MLP: built fresh (same seed, same initial weights) for every call."""

    def __init__(self, space: JscMlpSpace, values: dict[str, Any]) -> None:
        self.space = space
        self.values = values

    def model(self, trainable: bool) -> nn.Module:
        torch.manual_seed(self.space.seed)
        return build_mlp(self.values, *self.space.shape)

    def costs(self) -> dict[str, float]:
        from carve.search.quantize_adapter import build_graph, graph_costs

        return graph_costs(build_graph(self.model(trainable=False), self.space.sample))

    def config_tables(self) -> dict[str, Any]:
        return {}  # best.json's sampled_config describes it; build_mlp rebuilds it
