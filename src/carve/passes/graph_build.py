"""One way to build a MaseGraph with metadata: a model, its dataset info, and inputs.

Every caller (``carve transform``, gradual pruning in ``carve train``, a saved
graph's replay, the search) needs the same thing: the traced model, the recipe
that rebuilds it (registered model name, dataset info), fresh metadata, and
common metadata from one run on example inputs. The inputs are keyed by the
graph's own input names, which fx takes from the model's ``forward`` signature
(one placeholder per argument, less the ``cf_args`` bound as constants), never
by a hard-coded ``"x"``.

>>> import torch
>>> from torch import nn
>>> class Pair(nn.Module):
...     def forward(self, left, right):
...         return left + right
>>> pair = {"left": torch.ones(2, 3), "right": torch.ones(2, 3)}
>>> graph = graph_with_metadata(Pair(), inputs=pair)
>>> input_names(graph)
['left', 'right']
>>> graph = graph_with_metadata(nn.Sequential(nn.Linear(16, 5)), {"num_features": 16}, rows=4)
>>> input_names(graph), graph.recipe.dataset_info
(['input_1'], {'num_features': 16})
>>> [n.meta["mase"].parameters["common"]["results"]["data_out_0"]["shape"]
...  for n in graph.nodes if n.op == "call_module"]
[[4, 5]]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from carve.errors import CarveError

if TYPE_CHECKING:
    from carve.ir import MaseGraph


def input_names(graph: Any) -> list[str]:
    """The graph's inputs, in ``forward``'s order (placeholders not bound by ``cf_args``)."""
    from carve.passes.analysis.common_metadata import concrete_value

    return [node.name for node in graph.nodes
            if node.op == "placeholder" and not concrete_value(graph, node.name)[0]]  # fmt: skip


def graph_with_metadata(
    model: Any,
    dataset_info: Any = None,
    *,
    inputs: Any = None,
    rows: int = 1,
    model_name: str | None = None,
    software: bool = False,
) -> MaseGraph:
    """``model`` traced (or a MaseGraph, re-analysed) with fresh and common metadata.

    ``dataset_info`` (a dataset info object or dict) is recorded in the recipe
    with ``model_name``, so a saved graph rebuilds the registered model;
    ``inputs`` is one tensor (a single-input model) or ``{input name: tensor}``;
    without it, zeros of ``[rows, num_features]``. ``software`` adds the
    software metadata slots (statistics, quantization).
    """
    from carve.ir import GraphRecipe, MaseGraph
    from carve.models.registry import dataset_info_dict
    from carve.passes.analysis.common_metadata import add_common_metadata_analysis_pass
    from carve.passes.analysis.init_metadata import init_metadata_analysis_pass
    from carve.passes.analysis.software_metadata import add_software_metadata_analysis_pass

    if isinstance(model, MaseGraph):
        graph = model
    else:
        info = dataset_info_dict(dataset_info) if dataset_info is not None else {}
        graph = MaseGraph(model, recipe=GraphRecipe(model_name=model_name, dataset_info=info))
    graph, _ = init_metadata_analysis_pass(graph)
    dummy = _named_inputs(graph, inputs, dataset_info, rows)
    graph, _ = add_common_metadata_analysis_pass(graph, {"dummy_in": dummy, "add_value": False})
    if software:
        graph, _ = add_software_metadata_analysis_pass(graph)
    return graph


def _named_inputs(graph: Any, inputs: Any, dataset_info: Any, rows: int) -> dict[str, Any]:
    names = input_names(graph)
    if isinstance(inputs, Mapping):
        return dict(inputs)
    if inputs is None:
        import torch

        from carve.models.registry import dataset_info_dict

        features = dataset_info_dict(dataset_info)["num_features"]
        inputs = torch.zeros(rows, features)
    if len(names) != 1:
        raise CarveError(
            f"the model takes {len(names)} inputs ({', '.join(names) or 'none'}); "
            "pass inputs={name: tensor} for each"
        )
    return {names[0]: inputs}
