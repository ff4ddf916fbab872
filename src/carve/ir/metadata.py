"""``node.meta["mase"]``: per-node metadata with MASE's schema.

``parameters`` holds ``common`` (op identity, argument and result
descriptions), ``software`` (statistics slots) and ``hardware`` (kept empty:
hardware generation is out of scope). ``meta["mase"]["common"]`` works as in
MASE.

A tensor entry is ``{"type", "precision", "shape", "torch_dtype"}`` plus an
optional ``value``. After quantization the quantization layer sets ``type``
(the format name), ``precision`` (MASE's list) and ``storage_bits`` (average
bits per stored element); :func:`storage_bits` is the one reader.

>>> import torch
>>> entry = tensor_entry(torch.zeros(2, 3), add_value=False)
>>> entry
{'type': 'float', 'precision': [32], 'shape': [2, 3], 'torch_dtype': torch.float32}
>>> storage_bits(entry)
32.0
>>> storage_bits({"type": "integer", "precision": [8, 4]})
8.0
"""

from __future__ import annotations

from typing import Any

import torch


class MaseMetadata:
    """The metadata of one node: ``parameters = {"common", "software", "hardware"}``."""

    def __init__(self, node=None, model=None) -> None:
        self.node = node
        self.model = model
        self.parameters: dict[str, dict[str, Any]] = {"common": {}, "software": {}, "hardware": {}}

    @property
    def module(self):
        """The submodule of a ``call_module`` node, else None."""
        if self.node is None or self.node.op != "call_module" or self.model is None:
            return None
        return self.model.get_submodule(self.node.target)

    @property
    def graph(self):
        return None if self.node is None else self.node.graph

    def __getitem__(self, key: str) -> dict[str, Any]:
        return self.parameters[key]

    def __setitem__(self, key: str, value: dict[str, Any]) -> None:
        self.parameters[key] = value

    def __contains__(self, key: object) -> bool:
        return key in self.parameters

    def __repr__(self) -> str:
        name = None if self.node is None else self.node.name
        return f"MaseMetadata(node={name!r}, parameters={list(self.parameters)})"

    def __deepcopy__(self, memo):
        import copy

        copied = MaseMetadata(self.node, self.model)
        copied.parameters = copy.deepcopy(self.parameters, memo)
        return copied


def dtype_type_precision(dtype: torch.dtype) -> tuple[str, list[int]]:
    """MASE ``(type, precision)`` of an unquantized tensor dtype."""
    if dtype.is_floating_point:
        return "float", [torch.finfo(dtype).bits]
    if dtype == torch.bool:
        return "bool", [1]
    if dtype.is_complex:
        return "complex", [torch.finfo(dtype).bits * 2]
    return "integer", [torch.iinfo(dtype).bits, 0]


def tensor_entry(tensor: torch.Tensor, add_value: bool) -> dict[str, Any]:
    """The entry describing ``tensor`` (value cloned: in-place ops would change it)."""
    kind, precision = dtype_type_precision(tensor.dtype)
    entry: dict[str, Any] = {
        "type": kind,
        "precision": precision,
        "shape": list(tensor.shape),
        "torch_dtype": tensor.dtype,
    }
    if add_value:
        entry["value"] = tensor.detach().clone()
    return entry


def value_entry(value: Any, add_value: bool) -> dict[str, Any]:
    """The entry of a non-tensor value flowing along an edge (``size`` results, ints...)."""
    if isinstance(value, torch.Tensor):
        return tensor_entry(value, add_value)
    entry: dict[str, Any] = {"type": type(value).__name__, "precision": [], "shape": [1]}
    if isinstance(value, (tuple, list)):
        entry["shape"] = [len(value)]
    if add_value:
        entry["value"] = value
    return entry


def storage_bits(entry: dict[str, Any]) -> float:
    """Average bits per stored element of a tensor entry.

    ``storage_bits`` when the quantization layer set it; else the first
    precision number (the width) for fixed-point and friends; else 32.
    """
    if "storage_bits" in entry:
        return float(entry["storage_bits"])
    precision = entry.get("precision") or [32]
    return float(precision[0])


def get_common(node) -> dict[str, Any]:
    """``common`` metadata of a node, with a clear error when add_common has not run."""
    common = get_mase(node).parameters["common"]
    if "mase_type" not in common:
        from carve.errors import CarveError

        raise CarveError(
            f"node {node.name!r} has no common metadata; run "
            "add_common_metadata_analysis_pass first"
        )
    return common


def get_mase(node) -> MaseMetadata:
    """``node.meta["mase"]``, with a clear error when the metadata passes have not run."""
    meta = node.meta.get("mase")
    if meta is None:
        from carve.errors import CarveError

        raise CarveError(
            f"node {node.name!r} has no metadata; run init_metadata_analysis_pass and "
            "add_common_metadata_analysis_pass first"
        )
    return meta
