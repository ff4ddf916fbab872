"""Datasets as whole tensors; MASE-compatible data module and input helpers."""

from carve.data.base import Dataset, DatasetInfo, Split
from carve.data.batches import iterate_batches, num_batches
from carve.data.registry import DATASETS, get_dataset, get_dataset_info, register_dataset

__all__ = [
    "DATASETS",
    "Dataset",
    "DatasetInfo",
    "Split",
    "get_dataset",
    "get_dataset_info",
    "iterate_batches",
    "num_batches",
    "register_dataset",
]
