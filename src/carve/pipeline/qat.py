"""Quantization-aware training: load a saved (quantized) graph as a model, save it back.

``carve train --load <saved graph folder>`` (load type ``graph``, detected
automatically for a saved-graph folder) rebuilds the graph - model, replayed
transforms such as quantization, weights - and trains its GraphModule:
quantized layers fake-quantize in the forward pass and pass gradients straight
through, so the float master weights learn. After training the graph is saved
again in the same form (:func:`save_trained_graph`), and ``carve test --load``
evaluates it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from carve.errors import CarveError
from carve.pipeline.graph_files import check_graph_folder, read_recipe

GRAPH_ATTRIBUTE = "carve_graph"  # the MaseGraph a loaded GraphModule belongs to
TRAINED_FOLDER = Path("training_ckpts") / "transformed_ckpt"  # MASE's place for it


def load_graph_module(path: Path, model: Any = None) -> Any:
    """Load type ``graph``: the GraphModule of the graph saved in folder ``path``.

    ``model`` (the float model named by the config) is used as the base only
    when the saved graph does not name a registered model.
    """
    from carve.ir import MaseGraph
    from carve.pipeline.saved_graph import load_graph

    path = check_graph_folder(path)
    named = read_recipe(path).model_name is not None
    base = None if named or model is None else MaseGraph(model)
    graph, _ = load_graph(path, base)
    module = graph.model
    if model is not None:
        _check_same_shapes(model, module, path)
    setattr(module, GRAPH_ATTRIBUTE, graph)
    from carve.train.graph_checkpoint import FILES_ATTRIBUTE, read_graph_files

    setattr(module, FILES_ATTRIBUTE, read_graph_files(path))  # checkpoints embed the graph
    return module


def save_trained_graph(model: Any, software_dir: str | Path | None) -> Path | None:
    """Save a model loaded with :func:`load_graph_module` (after training) next to the checkpoints.

    Returns the folder, or None when ``model`` did not come from a saved graph.
    """
    from carve.pipeline.saved_graph import save_graph

    graph = getattr(model, GRAPH_ATTRIBUTE, None)
    if graph is None or software_dir is None:
        return None
    graph.model = model  # the trained module (moved/trained in place)
    return save_graph(graph, Path(software_dir) / TRAINED_FOLDER)


def _check_same_shapes(model: Any, loaded: Any, path: Path) -> None:
    """The saved graph must be the model the command names (same tensors and shapes)."""
    from carve.passes.transforms.prune.masks import plain_state_key

    def shapes(module: Any) -> dict:  # pruning masks are extra tensors of the same layers
        items = ((plain_state_key(k), tuple(v.shape)) for k, v in module.state_dict().items())
        return {k: shape for k, shape in items if k is not None}

    expected, found = shapes(model), shapes(loaded)
    if expected != found:
        different = sorted(set(expected.items()) ^ set(found.items()))[:4]
        raise CarveError(
            f"the graph saved in {str(path)!r} is not the model named on the command line "
            f"({type(model).__name__}): tensors differ, e.g. {different}"
        )


def model_from_graph_files(files: dict[str, Any], state_dict: dict, source: str, model=None):
    """Rebuild the graph from its embedded ``files``, then load ``state_dict`` into it."""
    import tempfile

    from carve.models.load import load_state_dict_checked

    with tempfile.TemporaryDirectory(prefix="carve-graph-") as tmp:
        for name, data in files.items():
            if not isinstance(name, str) or name != Path(name).name or name.startswith("."):
                raise CarveError(f"{source} embeds a graph file with a bad name: {name!r}")
            (Path(tmp) / name).write_bytes(data.numpy().tobytes())
        try:
            module = load_graph_module(Path(tmp), model)
        except CarveError as error:
            raise CarveError(
                f"{source} was trained from a quantized graph (QAT) that cannot be rebuilt: {error}"
            ) from None
    return load_state_dict_checked(module, state_dict, source)
