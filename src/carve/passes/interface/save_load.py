"""Save and load a MaseGraph with no pickled code.

A saved graph is a folder:

* ``recipe.json`` - how to rebuild the module: registered model name and
  dataset info, ``cf_args``, input shapes, and the transform passes applied
  (each recorded by the pass with its ``pass_args`` via
  :meth:`MaseGraph.record_transform`);
* ``weights.safetensors`` - the GraphModule's state dict;
* ``metadata.safetensors`` + ``metadata.json`` - every node's metadata
  (tensor values in the safetensors file, everything else in JSON).

Each safetensors file carries the content hash of its tensors in its header
(``carve_digest``), checked on load: a flipped bit is an error naming the file.

Loading rebuilds the model (from the registry, or from the ``graph`` you
pass), replays the recorded transforms, loads the weights strictly and puts
the metadata back. Any layer that changes a graph's modules (e.g.
quantization) stays loadable by recording itself with ``record_transform``
and being replayable from its recorded ``pass_args``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save

from carve.digest import arrays_digest
from carve.errors import CarveError
from carve.fileio import atomic_write_bytes
from carve.ir.graph import GraphRecipe, MaseGraph
from carve.ir.metadata import MaseMetadata
from carve.passes.interface.codec import decode, encode
from carve.passes.utils import parse_pass_args, write_text_atomic

logger = logging.getLogger("carve.passes")
FORMAT = "carve-mase-graph"
VERSION = 1


@dataclass
class SaveArgs:
    """``save_dir``: the folder to write (MASE passed it as a bare string; also accepted)."""

    save_dir: str


@dataclass
class LoadArgs:
    """``load_dir``: a folder written by ``save_mase_graph_interface_pass``."""

    load_dir: str


DIGEST_KEY = "carve_digest"  # safetensors metadata entry: content hash of the tensors


def _save_tensors(tensors: dict[str, torch.Tensor], path: Path) -> None:
    """Write ``tensors`` atomically with their content hash in the safetensors header."""
    owned = {k: v.detach().cpu().contiguous().clone() for k, v in tensors.items()}
    atomic_write_bytes(path, save({**owned}, metadata={DIGEST_KEY: arrays_digest(owned)}))


def _load_tensors(path: Path) -> dict[str, torch.Tensor]:
    """The tensors of a saved graph's safetensors file, checked against their stored hash."""
    if path.is_dir():
        raise CarveError(f"{path} is a directory; expected the safetensors file of a saved graph")
    try:
        with safe_open(str(path), framework="pt") as file:
            stored = (file.metadata() or {}).get(DIGEST_KEY)
            tensors = {name: file.get_tensor(name) for name in file.keys()}  # noqa: SIM118
    except FileNotFoundError:
        raise
    except Exception as error:  # SafetensorError: truncated, garbage, bad header
        raise CarveError(
            f"{path} is truncated or not a safetensors file ({str(error).splitlines()[0]})"
        ) from None
    if stored is not None and stored != arrays_digest(tensors):
        raise CarveError(
            f"{path} is corrupt: its tensors no longer match the hash stored when the graph "
            "was saved (a flipped bit, an edit or a bad copy)"
        )
    return tensors


def _input_shapes(graph) -> dict:
    args = graph.meta.get("mase", {}).get("common", {}).get("args", {})
    return {name: {"shape": e["shape"], "dtype": str(e["torch_dtype"]).removeprefix("torch.")}
            for name, e in args.items() if isinstance(e, dict) and "torch_dtype" in e}  # fmt: skip


def save_mase_graph_interface_pass(graph, pass_args=None):
    """Write ``graph`` to ``pass_args`` (a folder path, or ``{"save_dir": path}``)."""
    if isinstance(pass_args, (str, Path)):
        pass_args = {"save_dir": str(pass_args)}
    args = parse_pass_args(SaveArgs, pass_args, "save_mase_graph_interface_pass")
    folder = Path(args.save_dir)
    folder.mkdir(parents=True, exist_ok=True)
    recipe = graph.recipe
    side: dict[str, torch.Tensor] = {}
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
    _save_tensors(dict(graph.model.state_dict()), folder / "weights.safetensors")
    _save_tensors(side, folder / "metadata.safetensors")
    write_text_atomic(folder / "metadata.json", json.dumps(metadata, indent=1))
    write_text_atomic(folder / "recipe.json", json.dumps(document, indent=1))
    if recipe.model_name is None:
        logger.info(
            "saved graph has no registered model name: loading it needs the graph "
            "of the same model (load_mase_graph_interface_pass(MaseGraph(model), ...))"
        )
    return graph, {"save_dir": str(folder)}


def _read(folder: Path) -> tuple[dict, dict, dict[str, torch.Tensor]]:
    if folder.exists() and not folder.is_dir():
        raise CarveError(
            f"{folder} is a file; expected a saved graph folder (recipe.json, metadata.json, "
            "*.safetensors inside, as save_mase_graph_interface_pass writes it)"
        )
    try:
        document = json.loads((folder / "recipe.json").read_text())
        metadata = json.loads((folder / "metadata.json").read_text())
        side = _load_tensors(folder / "metadata.safetensors")
    except FileNotFoundError as error:
        raise CarveError(
            f"{folder} is not a saved carve graph: {error.filename} is missing"
        ) from None
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError
        raise CarveError(f"{folder} is not a saved carve graph: malformed JSON ({error})") from None
    if (
        not isinstance(document, dict)
        or document.get("format") != FORMAT
        or document.get("version") != VERSION
    ):
        raise CarveError(f"{folder}/recipe.json is not a {FORMAT} v{VERSION} file")
    return document, metadata, side


def _base_graph(graph, document: dict, side: dict) -> MaseGraph:
    if graph is not None:
        return graph
    if document["model_name"] is None:
        raise CarveError(
            "this saved graph was not built from a registered model; pass a MaseGraph of the "
            "same model: load_mase_graph_interface_pass(MaseGraph(model), {'load_dir': ...})"
        )
    return MaseGraph.from_registered(
        document["model_name"],
        dataset_info=decode(document["dataset_info"], side),
        cf_args=decode(document["cf_args"], side),
    )


def _replay(graph: MaseGraph, transforms: list[dict], inputs: dict) -> None:
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
    from carve.passes.analysis.common_metadata import add_common_metadata_analysis_pass
    from carve.passes.analysis.init_metadata import init_metadata_analysis_pass

    dummy = {name: torch.zeros(spec["shape"], dtype=getattr(torch, spec["dtype"]))
             for name, spec in inputs.items()}  # fmt: skip
    init_metadata_analysis_pass(graph)
    add_common_metadata_analysis_pass(graph, {"dummy_in": dummy, "add_value": False})
    for step in pending:
        get_pass(step["pass"])(graph, step["pass_args"])


def load_mase_graph_interface_pass(graph=None, pass_args=None):
    """Rebuild the graph saved in ``pass_args["load_dir"]``; returns ``(graph, info)``.

    ``graph`` may be None (the model is rebuilt from the registry) or a fresh
    MaseGraph of the same model.
    """
    if isinstance(pass_args, (str, Path)):
        pass_args = {"load_dir": str(pass_args)}
    args = parse_pass_args(LoadArgs, pass_args, "load_mase_graph_interface_pass")
    folder = Path(args.load_dir)
    document, metadata, side = _read(folder)
    graph = _base_graph(graph, document, side)
    transforms = decode(document["transforms"], side)
    _replay(graph, transforms, document.get("inputs", {}))
    graph.recipe = GraphRecipe(
        model_name=document["model_name"],
        dataset_info=decode(document["dataset_info"], side),
        cf_args=decode(document["cf_args"], side),
        transforms=transforms,
    )
    try:
        weights = _load_tensors(folder / "weights.safetensors")
    except FileNotFoundError:
        raise CarveError(
            f"{folder} is not a saved carve graph: weights.safetensors is missing"
        ) from None
    try:
        graph.model.load_state_dict(weights, strict=True)
    except RuntimeError as error:
        raise CarveError(f"saved weights do not fit the rebuilt graph: {error}") from None
    nodes = metadata["nodes"]
    names = {node.name for node in graph.nodes}
    if nodes and set(nodes) != names:
        raise CarveError(f"saved metadata names nodes {sorted(set(nodes) ^ names)} that the "
                         "rebuilt graph lacks or adds")  # fmt: skip
    for node in graph.nodes:
        if node.name in nodes:
            meta = MaseMetadata(node=node, model=graph.model)
            meta.parameters = decode(nodes[node.name], side)
            node.meta["mase"] = meta
    graph.meta["mase"] = decode(metadata["graph"], side)
    return graph, {"load_dir": str(folder), "transforms": len(transforms)}
