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


def check_dataset_options(name: str, options: dict[str, Any]) -> None:
    """Refuse options dataset ``name`` does not take, without loading anything.

    >>> check_dataset_options("jsc", {"size": 2000})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    carve.errors.CarveError: dataset 'jsc' has no option 'size'; accepted: ...
    """
    import inspect

    from carve.data.options import reject_unknown_options

    parameters = inspect.signature(DATASETS[name]).parameters.values()
    accepted = [p.name for p in parameters if p.kind is not inspect.Parameter.VAR_KEYWORD]
    unknown = {key: value for key, value in options.items() if key not in accepted}
    if unknown:
        reject_unknown_options(name, unknown, accepted)


def get_dataset_info(name: str) -> DatasetInfo:
    """The :class:`DatasetInfo` of dataset ``name``, without loading any data."""
    return DATASETS.meta(name)["info"]
