"""Checkpoints of quantization-aware training remember the graph they trained.

``carve train --load <saved graph>`` trains a quantized GraphModule. Its
state dict alone would load into the float model without complaint (and
evaluate as a float model), so the checkpoint also embeds the saved graph's
files (recipe, metadata; a few kB): loading it rebuilds the quantized graph
from them, then loads the trained weights. The files are read once, when the
graph is loaded, and travel as uint8 tensors (covered by the checkpoint's hash).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from carve.errors import CarveError

FILES_ATTRIBUTE = "carve_graph_files"  # set on a GraphModule loaded from a saved graph
CHECKPOINT_KEY = "graph_files"


def read_graph_files(folder: str | Path) -> dict[str, Any]:
    """The regular files directly in a saved graph ``folder``, as uint8 tensors."""
    import torch

    return {
        path.name: torch.frombuffer(bytearray(path.read_bytes()), dtype=torch.uint8)
        for path in sorted(Path(folder).iterdir())
        if path.is_file() and not path.name.startswith(".")
    }


def graph_files_of(model: Any) -> dict[str, Any] | None:
    """The saved-graph files a model was loaded from (None for a plain model)."""
    return getattr(model, FILES_ATTRIBUTE, None)


def model_from_graph_files(files: dict[str, Any], state_dict: dict, source: str, model=None):
    """Rebuild the graph from its embedded ``files``, then load ``state_dict`` into it."""
    from carve.models.load import load_state_dict_checked
    from carve.pipeline.qat import load_graph_module

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
