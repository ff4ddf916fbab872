"""Checkpoints of quantization-aware training remember the graph they trained.

``carve train --load <saved graph>`` trains a quantized GraphModule. Its
state dict alone would load into the float model without complaint (and
evaluate as a float model), so the checkpoint also embeds the saved graph's
files (recipe, metadata; a few kB): loading it rebuilds the quantized graph
from them, then loads the trained weights (``model_from_graph_files`` in
:mod:`carve.pipeline.qat`, which :mod:`carve.catalog` registers for
:func:`carve.models.load_model`). The files are read once, when the graph is
loaded, and travel as uint8 tensors (covered by the checkpoint's hash).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
