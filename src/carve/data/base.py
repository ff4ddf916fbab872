"""The dataset contract: whole tensors per split, plus a MASE-style info object.

Every registered dataset builder returns a :class:`Dataset` whose ``train``,
``val`` and ``test`` splits are distinct :class:`Split` objects holding the
whole split as two tensors (``x`` float32 ``[N, features]``, ``y`` int64 ``[N]``).
Training iterates slices of a shuffled index permutation (see
:mod:`carve.data.batches`), never per-sample ``__getitem__`` + collate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch loads lazily: `carve --info` must not import it
    import torch


@dataclass
class DatasetInfo:
    """Facts about a dataset; field names follow MASE's ``MaseDatasetInfo``."""

    name: str
    num_classes: int
    num_features: int
    class_names: tuple[str, ...] = ()
    feature_names: tuple[str, ...] = ()
    dataset_source: str = "manual"
    available_splits: tuple[str, ...] = ("train", "validation", "test")
    physical_data_point_classification: bool = True
    image_classification: bool = False
    sequence_classification: bool = False
    causal_LM: bool = False
    seq2seqLM: bool = False
    image_size: tuple[int, ...] | None = None
    preprocess_one_split_for_all: bool = True
    description: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def train_split_available(self) -> bool:
        return "train" in self.available_splits

    @property
    def validation_split_available(self) -> bool:
        return "validation" in self.available_splits

    @property
    def test_split_available(self) -> bool:
        return "test" in self.available_splits

    @property
    def pred_split_available(self) -> bool:
        return "pred" in self.available_splits

    def __getitem__(self, key: str):
        """Dict-style access (``info["num_features"]``), which MASE models use."""
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None


@dataclass
class Split:
    """One split as whole tensors."""

    x: torch.Tensor
    y: torch.Tensor

    def __post_init__(self) -> None:
        if self.x.shape[0] != self.y.shape[0]:
            raise ValueError(f"x has {self.x.shape[0]} rows but y has {self.y.shape[0]}")

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Sample ``index`` as ``(x, y)``, as MASE's ``train_dataset[i]`` (batches are faster)."""
        return self.x[index], self.y[index]


@dataclass
class Dataset:
    """A dataset: three distinct splits and its info."""

    train: Split
    val: Split
    test: Split
    info: DatasetInfo

    def split(self, name: str) -> Split:
        """The split called ``name`` (``train``, ``val``/``validation``, ``test``)."""
        from carve.errors import CarveError

        aliases = {"train": self.train, "val": self.val, "validation": self.val, "test": self.test}
        if name not in aliases:
            raise CarveError(f"unknown split {name!r}; accepted: train, val, validation, test")
        return aliases[name]
