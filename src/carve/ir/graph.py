"""``MaseGraph``: a torch.fx GraphModule plus per-node MASE metadata.

Same attributes as MASE's: ``model`` (the GraphModule), ``fx_graph``,
``nodes``, ``modules``, ``cf_args``, ``tracer``; ``meta["mase"]`` holds the
graph-level metadata. ``recipe`` records how the graph was built (model name,
transform passes and their arguments) so it can be saved and rebuilt without
pickled code (see :mod:`carve.passes.interface`).

>>> from carve.models import get_model
>>> mg = MaseGraph.from_registered("jsc-tiny")
>>> [node.op for node in mg.nodes]
['placeholder', 'call_module', 'call_module', 'call_module', 'call_module', 'output']
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import fx, nn

from carve.ir.tracer import trace

logger = logging.getLogger("carve.ir")


@dataclass
class GraphRecipe:
    """How to rebuild a graph: the registered model and the transforms applied, in order."""

    model_name: str | None = None
    dataset_info: dict[str, Any] = field(default_factory=dict)
    cf_args: dict[str, Any] | None = None
    transforms: list[dict[str, Any]] = field(default_factory=list)


class MaseGraph:
    """A traced model whose nodes carry ``node.meta["mase"]``."""

    def __init__(
        self,
        model: nn.Module,
        cf_args: dict[str, Any] | None = None,
        custom_leaf_modules: Iterable[type] = (),
        custom_leaf_functions: Iterable[Callable] = (),
        recipe: GraphRecipe | None = None,
    ) -> None:
        if isinstance(model, fx.GraphModule):
            self.model, self.tracer = model, None
        else:
            if not isinstance(model, nn.Module):
                from carve.errors import CarveError

                raise CarveError(f"MaseGraph needs a torch.nn.Module, got {type(model).__name__}")
            self.model, self.tracer = trace(
                model, cf_args, custom_leaf_modules, custom_leaf_functions
            )
        self.cf_args = cf_args
        self.meta: dict[str, Any] = {}
        self.recipe = recipe if recipe is not None else GraphRecipe(cf_args=cf_args)

    @classmethod
    def from_registered(cls, name: str, dataset_info: Any = None, **kwargs: Any) -> MaseGraph:
        """Build registered model ``name`` and trace it, recording the name for save/load."""
        from carve.models import get_model
        from carve.models.registry import dataset_info_dict

        info = dataset_info_dict(dataset_info)
        recipe = GraphRecipe(model_name=name, dataset_info=info, cf_args=kwargs.get("cf_args"))
        return cls(get_model(name, dataset_info=info), recipe=recipe, **kwargs)

    @property
    def fx_graph(self) -> fx.Graph:
        return self.model.graph

    @property
    def nodes(self):
        return self.model.graph.nodes

    @property
    def modules(self) -> dict[str, nn.Module]:
        return dict(self.model.named_modules())

    def record_transform(self, pass_name: str, pass_args: dict[str, Any]) -> None:
        """Append a transform to the recipe (transform passes call this; load replays it)."""
        self.recipe.transforms.append({"pass": pass_name, "pass_args": pass_args})

    def draw(self, file: str | Path = "mase_graph.svg") -> Path:
        """Draw the graph to ``file`` (SVG/PNG/PDF/...; ``.dot`` writes the DOT source).

        Rendering needs pydot and Graphviz's ``dot`` program; without them the
        DOT source is written next to ``file`` and the log says how to render it.
        """
        from carve.ir.draw import render

        return render(self, Path(file))

    def __repr__(self) -> str:
        return f"MaseGraph({type(self.model).__name__}, {len(self.fx_graph.nodes)} nodes)"
