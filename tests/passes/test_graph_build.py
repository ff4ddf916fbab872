"""graph_with_metadata: one way to a graph with metadata, inputs named by the model's forward."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from carve.errors import CarveError
from carve.ir import MaseGraph
from carve.passes.graph_build import graph_with_metadata, input_names


class Pair(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(16, 5)

    def forward(self, features, bias_row):
        return self.fc(features) + bias_row


def _shape(graph, node_name: str) -> list[int]:
    node = next(n for n in graph.nodes if n.name == node_name)
    return node.meta["mase"].parameters["common"]["results"]["data_out_0"]["shape"]


def test_inputs_are_named_by_the_forward_signature_not_x():
    graph = graph_with_metadata(
        Pair(), inputs={"features": torch.zeros(3, 16), "bias_row": torch.zeros(3, 5)}
    )
    assert input_names(graph) == ["features", "bias_row"]
    assert _shape(graph, "fc") == [3, 5]
    with pytest.raises(CarveError, match=r"takes 2 inputs \(features, bias_row\); pass inputs="):
        graph_with_metadata(Pair(), inputs=torch.zeros(3, 16))


def test_a_single_input_model_gets_zeros_shaped_by_the_dataset_info():
    model = nn.Sequential(nn.Linear(12, 4), nn.ReLU())  # fx names its input input_1
    graph = graph_with_metadata(model, {"num_features": 12, "num_classes": 4}, rows=6,
                                model_name="mine", software=True)  # fmt: skip
    assert input_names(graph) == ["input_1"]
    assert _shape(graph, "_0") == [6, 4]
    assert graph.recipe.model_name == "mine"
    assert json.loads(json.dumps(graph.recipe.dataset_info)) == {"num_features": 12,
                                                                  "num_classes": 4}  # fmt: skip
    assert all("args" in n.meta["mase"].parameters["software"] for n in graph.nodes)


def test_an_existing_graph_is_analysed_again_and_keeps_its_recipe():
    graph = MaseGraph.from_registered("jsc-tiny")
    same = graph_with_metadata(graph, inputs=torch.randn(2, 16))
    assert same is graph and same.recipe.model_name == "jsc-tiny"
    assert _shape(same, "seq_blocks_2") == [2, 5]
