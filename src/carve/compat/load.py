"""MASE's ``load_type="mz"`` and the MASE-named files beside a saved graph.

MASE saved a transformed graph as ``transformed_ckpt/graph_module.mz`` (a
pickled ``fx.GraphModule``), ``state_dict.pt`` and ``node_meta_param.toml``.
carve saves no pickled code: the folder holds ``recipe.json`` and safetensors
files (see :mod:`carve.pipeline.graph_files`), plus ``state_dict.pt`` (a
plain state dict, readable with ``torch.load(weights_only=True)``) and
``node_meta_param.toml`` under MASE's names. ``load_type="mz"`` reads such a
folder, given as the folder or as the ``graph_module.mz`` path MASE users pass.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from carve.errors import CarveError
from carve.pipeline.saved_graph import write_mase_files  # noqa: F401  (MASE's names; kept here)

MASE_GRAPH_FILE = "graph_module.mz"


def saved_graph_folder(path: str | Path) -> Path:
    """The carve graph folder meant by a MASE ``mz`` path (the folder, or ``.../x.mz``)."""
    from carve.pipeline.graph_files import is_saved_graph

    path = Path(path)
    folder = path.parent if path.suffix == ".mz" else path
    if not is_saved_graph(folder):
        raise CarveError(
            f"load type 'mz': {str(path)!r} is not a graph saved by carve (a folder with "
            "recipe.json, e.g. <project>/software/transform/latest/transformed_ckpt); carve "
            "does not read MASE's pickled graph_module.mz files"
        )
    return folder


def load_mz(path: Path, model: Any = None) -> Any:
    """Load type ``mz``: the GraphModule saved in that folder (as MASE's ``mz``)."""
    from carve.pipeline.qat import load_graph_module

    return load_graph_module(saved_graph_folder(path), model)
