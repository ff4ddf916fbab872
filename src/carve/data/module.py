"""``MaseDataModule``: MASE's data-module interface over whole-tensor splits.

Lab code written for ``chop.dataset.MaseDataModule`` ports unchanged: construct,
``prepare_data()``, ``setup()``, then iterate ``train_dataloader()`` etc. The
"dataloaders" yield ``(x, y)`` slices of a (shuffled) index permutation, not
per-sample items, and the validation split is distinct from the training split
(MASE validates on training rows). ``num_workers`` is accepted for
compatibility and unused: batches are tensor slices, there is nothing to load.

>>> module = MaseDataModule("jsc-synth", batch_size=64, size=500, cache=False)
>>> module.prepare_data(); module.setup()
>>> x, y = next(iter(module.train_dataloader()))
>>> tuple(x.shape), len(module.train_dataloader()), module.dataset_info.num_classes
((64, 16), 5, 5)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from carve.data.batches import iterate_batches, num_batches
from carve.data.registry import get_dataset, get_dataset_info
from carve.errors import CarveError

if TYPE_CHECKING:
    import torch

    from carve.data.base import Dataset, Split

STAGES = ("fit", "validate", "test", "predict", None)


class BatchLoader:
    """An iterable of ``(x, y)`` batches of one split; each pass is a new epoch."""

    def __init__(
        self, split: Split, batch_size: int, shuffle: bool, generator: torch.Generator | None
    ) -> None:
        self.split, self.batch_size, self.shuffle, self.generator = (
            split, batch_size, shuffle, generator,
        )  # fmt: skip

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        return iterate_batches(self.split, self.batch_size, self.shuffle, self.generator)

    def __len__(self) -> int:
        return num_batches(len(self.split), self.batch_size)

    @property
    def dataset(self) -> Split:
        return self.split


class MaseDataModule:
    """Same constructor (argument order included) and methods as MASE's.

    Extra keywords are dataset options (``size=...`` for jsc-synth,
    ``data_path=...`` for jsc); ``seed`` seeds the training-batch shuffling.
    """

    def __init__(
        self,
        name: str,
        batch_size: int,
        num_workers: int = 0,
        max_token_len: int | None = None,
        tokenizer: Any = None,
        load_from_cache_file: bool = True,
        model_name: str | None = None,
        seed: int = 0,
        **dataset_options: Any,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise CarveError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.name = name
        self.batch_size = batch_size
        self.model_name = model_name
        self.num_workers = num_workers
        self.max_token_len = max_token_len
        self.tokenizer = tokenizer
        self.load_from_cache_file = load_from_cache_file
        self.seed = seed
        self.dataset_options = dataset_options
        self.dataset_info = get_dataset_info(name)
        self.dataset: Dataset | None = None
        self.train_dataset = self.val_dataset = self.test_dataset = self.pred_dataset = None
        self._generator = None

    def prepare_data(self) -> None:
        """Load (download, generate or read from cache) the dataset once."""
        if self.dataset is None:
            self.dataset = get_dataset(self.name, **self.dataset_options)
            self.dataset_info = self.dataset.info

    def setup(self, stage: str | None = None) -> None:
        """Expose the splits of ``stage`` (``fit``, ``validate``, ``test``, ``predict``, None)."""
        import torch

        if stage not in STAGES:
            raise CarveError(
                f"unknown stage {stage!r}; accepted: fit, validate, test, predict, None"
            )
        self.prepare_data()
        assert self.dataset is not None
        if stage in ("fit", None):
            self.train_dataset = self.dataset.train
        if stage in ("fit", "validate", None):
            self.val_dataset = self.dataset.val
        if stage in ("test", None):
            self.test_dataset = self.dataset.test
        if stage in ("predict", None):
            self.pred_dataset = self.dataset.test
        if self._generator is None:
            self._generator = torch.Generator().manual_seed(self.seed)

    def train_dataloader(self) -> BatchLoader:
        """Shuffled batches (a seeded generator: reproducible epochs)."""
        return BatchLoader(self._split("train_dataset"), self.batch_size, True, self._generator)

    def val_dataloader(self) -> BatchLoader:
        return BatchLoader(self._split("val_dataset"), self.batch_size, False, None)

    def test_dataloader(self) -> BatchLoader:
        return BatchLoader(self._split("test_dataset"), self.batch_size, False, None)

    def predict_dataloader(self) -> BatchLoader:
        return BatchLoader(self._split("pred_dataset"), self.batch_size, False, None)

    def _split(self, attribute: str) -> Split:
        split = getattr(self, attribute)
        if split is None:
            raise CarveError(
                f"data module {self.name!r}: call prepare_data() and setup() before "
                f"asking for the {attribute.removesuffix('_dataset')} dataloader"
            )
        return split
