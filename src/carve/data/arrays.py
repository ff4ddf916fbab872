"""Processed splits as numpy arrays: split sizes, standardization, caching, tensors.

Loaders produce :class:`SplitArrays` (numpy, cacheable as one ``.npz``) and turn
them into a :class:`carve.data.base.Dataset` of torch tensors at the very end.

Split sizes follow scikit-learn's ``train_test_split`` rounding (the test part
is ``ceil(fraction * n)``), so the default JSC sizes are the literature's:

>>> split_sizes(830_000, test_fraction=0.2, val_fraction=0.2)
(531200, 132800, 166000)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from carve.data.cache import load_npz, save_npz_atomic

if TYPE_CHECKING:
    from carve.data.base import Dataset, DatasetInfo

_SPLITS = ("train", "val", "test")


def split_sizes(n: int, test_fraction: float, val_fraction: float) -> tuple[int, int, int]:
    """``(train, val, test)`` row counts: test from all rows, val from the rest."""
    n_test = math.ceil(test_fraction * n)
    n_val = math.ceil(val_fraction * (n - n_test))
    return n - n_test - n_val, n_val, n_test


def standardize(fit_rows: np.ndarray, *arrays: np.ndarray):
    """Scale ``arrays`` with the mean/std of ``fit_rows`` (as ``StandardScaler``).

    Returns ``(mean, scale, *scaled)``; a constant column gets scale 1.

    >>> mean, scale, out = standardize(np.array([[0.0], [2.0]]), np.array([[4.0]]))
    >>> float(mean[0]), float(scale[0]), float(out[0, 0])
    (1.0, 1.0, 3.0)
    """
    fit64 = fit_rows.astype(np.float64)
    mean = fit64.mean(axis=0)
    scale = fit64.std(axis=0)
    scale[scale == 0.0] = 1.0
    scaled = [((a - mean) / scale).astype(np.float32) for a in arrays]
    return (mean, scale, *scaled)


@dataclass
class SplitArrays:
    """Train/val/test features (float32) and labels (int64), plus preprocessing facts."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    scaler_mean: np.ndarray = field(default_factory=lambda: np.zeros(0))
    scaler_scale: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def save(self, path: Path) -> None:
        save_npz_atomic(path, dict(vars(self)))

    @classmethod
    def load(cls, path: Path) -> SplitArrays | None:
        """The cached splits at ``path``; ``None`` if absent or unreadable."""
        arrays = load_npz(path)
        if arrays is None or set(arrays) != {f.name for f in cls.__dataclass_fields__.values()}:
            return None
        return cls(**arrays)

    def sizes(self) -> tuple[int, int, int]:
        return len(self.y_train), len(self.y_val), len(self.y_test)

    def to_dataset(self, info: DatasetInfo) -> Dataset:
        """Whole torch tensors per split (float32 features, int64 labels)."""
        import torch

        from carve.data.base import Dataset, Split

        def split(x: np.ndarray, y: np.ndarray) -> Split:
            return Split(
                torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)),
                torch.from_numpy(np.ascontiguousarray(y, dtype=np.int64)),
            )

        return Dataset(
            train=split(self.x_train, self.y_train),
            val=split(self.x_val, self.y_val),
            test=split(self.x_test, self.y_test),
            info=info,
        )
