"""Model inputs from a data module, as MASE's ``chop.tools.get_input`` gives them.

``get_dummy_input`` returns ``{"x": <first training batch>}`` (whole batch, so
traced shapes are ``[batch_size, features]``); ``InputGenerator`` iterates such
dicts over a chosen split. Both set the module up if the caller has not.

>>> from carve.data.module import MaseDataModule
>>> module = MaseDataModule("jsc-synth", batch_size=32, size=300, cache=False)
>>> tuple(get_dummy_input(None, module, "cls")["x"].shape)
(32, 16)
>>> generator = InputGenerator(None, module, "cls", "train", max_batches=2)
>>> [tuple(batch["x"].shape) for batch in generator], generator.batch_size
([(32, 16), (32, 16)], 32)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from carve.errors import CarveError

_LOADERS = {
    "train": "train_dataloader",
    "val": "val_dataloader",
    "validation": "val_dataloader",
    "test": "test_dataloader",
    "pred": "predict_dataloader",
}


def _ready(data_module) -> None:
    if getattr(data_module, "train_dataset", None) is None:
        data_module.prepare_data()
        data_module.setup()


def get_dummy_input(model_info: Any, data_module, task: str, device: str = "cpu") -> dict:
    """``{"x": batch}``: the first ``batch_size`` training rows (deterministic, unshuffled)."""
    _ready(data_module)
    x = data_module.train_dataset.x[: data_module.batch_size]
    return {"x": x.to(device)}


class InputGenerator:
    """Iterator of ``{"x": batch}`` dicts from ``which_dataloader`` (train/val/test/pred)."""

    def __init__(
        self,
        model_info: Any,
        data_module,
        task: str,
        which_dataloader: str,
        max_batches: int | None = None,
    ) -> None:
        if which_dataloader not in _LOADERS:
            raise CarveError(
                f"unknown dataloader {which_dataloader!r}; accepted: {', '.join(_LOADERS)}"
            )
        _ready(data_module)
        self.model_info, self.task = model_info, task
        self.batch_size = data_module.batch_size
        self.max_batches = max_batches
        self._batches = iter(getattr(data_module, _LOADERS[which_dataloader])())
        self._count = 0

    def __iter__(self) -> Iterator[dict]:
        return self

    def __next__(self) -> dict:
        if self.max_batches is not None and self._count >= self.max_batches:
            raise StopIteration
        x, _ = next(self._batches)
        self._count += 1
        return {"x": x}
