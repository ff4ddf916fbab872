"""Datasets as whole tensors; MASE-compatible data module and input helpers.

Importing this package stays light (no torch, no numpy): the datasets are
registered lazily and the torch-based helpers load on first attribute access.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from carve.data import catalog as _catalog  # noqa: F401  (registers the built-in datasets)
from carve.data.base import Dataset, DatasetInfo, Split
from carve.data.batches import iterate_batches, num_batches
from carve.data.registry import DATASETS, get_dataset, get_dataset_info, register_dataset

# public name -> module that defines it (imported on first use)
_LAZY = {
    "MaseDataModule": "carve.data.module",
    "InputGenerator": "carve.data.inputs",
    "get_dummy_input": "carve.data.inputs",
    "cache_root": "carve.data.cache",
}

__all__ = [
    "DATASETS",
    "Dataset",
    "DatasetInfo",
    "InputGenerator",
    "MaseDataModule",
    "Split",
    "cache_root",
    "get_dataset",
    "get_dataset_info",
    "get_dummy_input",
    "iterate_batches",
    "num_batches",
    "register_dataset",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'carve.data' has no attribute {name!r}")
