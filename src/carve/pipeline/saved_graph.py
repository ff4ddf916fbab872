"""Save and load a MaseGraph with no pickled code (files: :mod:`carve.pipeline.graph_files`).

Saving writes the recipe, the weights and the metadata of a graph. Loading
rebuilds the model (from the registry, or from the ``graph`` you pass),
replays the recorded transforms, loads the weights strictly and puts the
metadata back.

Only graph-building transforms are replayed: a recorded step must name a pass
registered with ``PassNeeds(replayable=True)`` (quantize, prune...). A
recipe naming anything else (``save_mase_graph``, ``load_mase_graph``, a
report) is refused, so a tampered ``recipe.json`` cannot write files or load
itself. Any layer that changes a graph's modules stays loadable by recording
itself with :meth:`MaseGraph.record_transform` and declaring itself
replayable.

The two interface passes of MASE's API (``save_mase_graph_interface_pass``,
``load_mase_graph_interface_pass``) are the entry points; they live here, with
the format.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carve.errors import CarveError
from carve.ir.graph import GraphRecipe, MaseGraph
from carve.pipeline.graph_files import (
    FORMAT,
    METADATA_FILE,
    METADATA_TENSORS_FILE,
    RECIPE_FILE,
    VERSION,
    WEIGHTS_FILE,
    RecipeDocument,
    check_graph_folder,
    read_metadata,
    read_recipe,
    read_tensors,
    write_tensors,
)

logger = logging.getLogger("carve.passes")


@dataclass
class SaveArgs:
    """``save_dir``: the folder to write (MASE passed it as a bare string; also accepted)."""

    save_dir: str


@dataclass
class LoadArgs:
    """``load_dir``: a folder written by ``save_mase_graph_interface_pass``."""

    load_dir: str


def _input_shapes(graph: MaseGraph) -> dict:
    args = graph.meta.get("mase", {}).get("common", {}).get("args", {})
    return {name: {"shape": list(e["shape"]),
                   "dtype": str(e["torch_dtype"]).removeprefix("torch.")}
            for name, e in args.items() if isinstance(e, dict) and "torch_dtype" in e}  # fmt: skip


def save_graph(graph: MaseGraph, folder: str | Path) -> Path:
    """Write ``graph`` to ``folder`` (created); each file is written atomically."""
    from carve.fileio import atomic_write_text
    from carve.passes.interface.codec import encode

    folder = Path(folder)
    if folder.is_file():
        raise CarveError(f"{folder} is a file; a graph is saved to a folder")
    folder.mkdir(parents=True, exist_ok=True)
    recipe = graph.recipe
    side: dict[str, Any] = {}
    document = {
        "format": FORMAT,
        "version": VERSION,
        "model_name": recipe.model_name,
        "dataset_info": encode(recipe.dataset_info, side, "recipe/dataset_info"),
        "cf_args": encode(recipe.cf_args, side, "recipe/cf_args"),
        "inputs": _input_shapes(graph),
        "transforms": encode(recipe.transforms, side, "recipe/transforms"),
    }
    nodes = {}
    for node in graph.nodes:
        meta = node.meta.get("mase")
        if meta is not None:
            nodes[node.name] = encode(meta.parameters, side, f"node/{node.name}")
    metadata = {"graph": encode(graph.meta.get("mase", {}), side, "graph"), "nodes": nodes}
    write_tensors(dict(graph.model.state_dict()), folder / WEIGHTS_FILE)
    write_tensors(side, folder / METADATA_TENSORS_FILE)
    atomic_write_text(folder / METADATA_FILE, json.dumps(metadata, indent=1))
    atomic_write_text(folder / RECIPE_FILE, json.dumps(document, indent=1))
    if recipe.model_name is None:
        logger.info(
            "saved graph has no registered model name: loading it needs the graph "
            "of the same model (load_mase_graph_interface_pass(MaseGraph(model), ...))"
        )
    return folder


def _decoded(data: Any, side: dict, where: Path) -> Any:
    from carve.passes.interface.codec import decode

    try:
        return decode(data, side)
    except CarveError as error:
        raise CarveError(f"{where}: {error}") from None


def _base_graph(graph: MaseGraph | None, recipe: RecipeDocument, side: dict, path: Path):
    if graph is not None:
        return graph
    if recipe.model_name is None:
        raise CarveError(
            "this saved graph was not built from a registered model; pass a MaseGraph of the "
            "same model: load_mase_graph_interface_pass(MaseGraph(model), {'load_dir': ...})"
        )
    return MaseGraph.from_registered(
        recipe.model_name,
        dataset_info=_decoded(recipe.dataset_info, side, path),
        cf_args=_decoded(recipe.cf_args, side, path),
    )


def check_replayable(transforms: list[dict], where: str) -> None:
    """Every step names a registered, replayable (graph-building) transform."""
    from carve.passes.registry import PASSES, pass_needs

    allowed = sorted(name for name in PASSES if PASSES.meta(name)["needs"].replayable)
    for index, step in enumerate(transforms):
        name = step["pass"]
        try:
            replayable = pass_needs(name).replayable
        except CarveError as error:
            raise CarveError(f"{where}: transform {index}: {error}") from None
        if not replayable:
            raise CarveError(
                f"{where}: transform {index} names pass {name!r}, which is not a graph-building "
                f"transform; a saved graph replays only: {', '.join(allowed)} (passes registered "
                "with PassNeeds(replayable=True))"
            )


def _replay(graph: MaseGraph, transforms: list[dict], inputs: dict, where: str) -> None:
    import torch

    from carve.passes.interface.codec import dtype_named
    from carve.passes.registry import get_pass

    done = len(graph.recipe.transforms)
    if graph.recipe.transforms != transforms[:done]:
        raise CarveError(
            "the graph passed to load_mase_graph_interface_pass already has transforms that "
            "differ from the saved ones; pass the untransformed graph"
        )
    pending = transforms[done:]
    if not pending:
        return
    from carve.passes.graph_build import graph_with_metadata

    try:
        dummy = {name: torch.zeros(spec.shape, dtype=dtype_named(spec.dtype))
                 for name, spec in inputs.items()}  # fmt: skip
    except (CarveError, RuntimeError, ValueError) as error:
        raise CarveError(f"{where}: inputs: {error}") from None
    graph_with_metadata(graph, inputs=dummy)  # shapes and types the transforms read
    for index, step in enumerate(pending, start=done):
        try:
            get_pass(step["pass"])(graph, step["pass_args"])
        except CarveError as error:
            raise CarveError(f"{where}: transform {index} ({step['pass']}): {error}") from None


def load_graph(folder: str | Path, graph: MaseGraph | None = None) -> tuple[MaseGraph, int]:
    """Rebuild the graph saved in ``folder``; returns it and the number of transforms replayed.

    ``graph`` may be None (the model is rebuilt from the registry) or a fresh
    MaseGraph of the same model. Every file is validated before any code runs.
    """
    folder = check_graph_folder(folder)
    recipe_path, metadata_path = folder / RECIPE_FILE, folder / METADATA_FILE
    recipe = read_recipe(folder)
    metadata = read_metadata(folder)
    side = read_tensors(folder / METADATA_TENSORS_FILE)
    transforms = _decoded([s.model_dump(by_alias=True) for s in recipe.transforms], side,
                          recipe_path)  # fmt: skip
    check_replayable(transforms, str(recipe_path))
    nodes = {name: _decoded(meta, side, metadata_path) for name, meta in metadata.nodes.items()}
    graph_meta = _decoded(metadata.graph, side, metadata_path)
    weights = read_tensors(folder / WEIGHTS_FILE)
    graph = _base_graph(graph, recipe, side, recipe_path)
    _replay(graph, transforms, recipe.inputs, str(recipe_path))
    graph.recipe = GraphRecipe(
        model_name=recipe.model_name,
        dataset_info=_decoded(recipe.dataset_info, side, recipe_path),
        cf_args=_decoded(recipe.cf_args, side, recipe_path),
        transforms=transforms,
    )
    try:
        graph.model.load_state_dict(weights, strict=True)
    except RuntimeError as error:
        raise CarveError(f"saved weights do not fit the rebuilt graph: {error}") from None
    names = {node.name for node in graph.nodes}
    if nodes and set(nodes) != names:
        raise CarveError(f"saved metadata names nodes {sorted(set(nodes) ^ names)} that the "
                         "rebuilt graph lacks or adds")  # fmt: skip
    from carve.ir.metadata import MaseMetadata

    for node in graph.nodes:
        if node.name in nodes:
            meta = MaseMetadata(node=node, model=graph.model)
            meta.parameters = nodes[node.name]
            node.meta["mase"] = meta
    graph.meta["mase"] = graph_meta
    return graph, len(transforms)


def save_mase_graph_interface_pass(
    graph: MaseGraph, pass_args: dict | str | Path | None = None
) -> tuple[MaseGraph, dict]:
    """Write ``graph`` to ``pass_args`` (a folder path, or ``{"save_dir": path}``)."""
    from carve.passes.utils import parse_pass_args

    if isinstance(pass_args, str | Path):
        pass_args = {"save_dir": str(pass_args)}
    args = parse_pass_args(SaveArgs, pass_args, "save_mase_graph_interface_pass")
    folder = save_graph(graph, args.save_dir)
    return graph, {"save_dir": str(folder)}


def load_mase_graph_interface_pass(
    graph: MaseGraph | None = None, pass_args: dict | str | Path | None = None
) -> tuple[MaseGraph, dict]:
    """Rebuild the graph saved in ``pass_args["load_dir"]``; returns ``(graph, info)``.

    ``graph`` may be None (the model is rebuilt from the registry) or a fresh
    MaseGraph of the same model.
    """
    from carve.passes.utils import parse_pass_args

    if isinstance(pass_args, str | Path):
        pass_args = {"load_dir": str(pass_args)}
    args = parse_pass_args(LoadArgs, pass_args, "load_mase_graph_interface_pass")
    graph, count = load_graph(args.load_dir, graph)
    return graph, {"load_dir": str(args.load_dir), "transforms": count}


def write_mase_files(graph: Any, folder: str | Path) -> list[Path]:
    """``state_dict.pt`` and ``node_meta_param.toml`` in ``folder``, MASE's names for them."""
    from carve.fileio import atomic_torch_save
    from carve.passes import save_node_meta_param_interface_pass

    folder = Path(folder)
    state = {key: value.detach().cpu() for key, value in graph.model.state_dict().items()}
    atomic_torch_save(state, folder / "state_dict.pt")
    save_node_meta_param_interface_pass(graph, {"toml_path": str(folder / "node_meta_param.toml")})
    return [folder / "state_dict.pt", folder / "node_meta_param.toml"]
