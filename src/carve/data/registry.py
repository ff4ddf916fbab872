"""The dataset registry and lookup functions (``carve.data.get_dataset``...)."""

from __future__ import annotations

from typing import Any

from carve.data.base import Dataset, DatasetInfo
from carve.registry import Registry

# name -> builder(**options) -> Dataset; entry meta: info=DatasetInfo, options=...
DATASETS: Registry = Registry("dataset")


def register_dataset(name: str, info: DatasetInfo, **meta: Any):
    """Decorator registering a dataset builder ``builder(**options) -> Dataset``."""

    def decorate(builder):
        DATASETS.add(name, builder, info=info, **meta)
        return builder

    return decorate


def get_dataset(name: str, **options: Any) -> Dataset:
    """Load dataset ``name`` (whole tensors per split); options are dataset-specific."""
    return DATASETS[name](**options)


def get_dataset_info(name: str) -> DatasetInfo:
    """The :class:`DatasetInfo` of dataset ``name``, without loading any data."""
    return DATASETS.meta(name)["info"]
