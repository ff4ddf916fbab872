"""Whole-tensor batch iteration: slices of a (shuffled) index permutation.

>>> import torch
>>> from carve.data.base import Split
>>> split = Split(torch.arange(10.0).reshape(5, 2), torch.arange(5))
>>> [y.tolist() for _, y in iterate_batches(split, batch_size=2)]
[[0, 1], [2, 3], [4]]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

    from carve.data.base import Split


def iterate_batches(
    split: Split,
    batch_size: int,
    shuffle: bool = False,
    generator: torch.Generator | None = None,
    drop_last: bool = False,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Yield ``(x, y)`` batches; with ``shuffle`` one permutation per call (epoch)."""
    import torch

    n = len(split)
    if shuffle:
        order = torch.randperm(n, generator=generator)
        x, y = split.x[order], split.y[order]
    else:
        x, y = split.x, split.y
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        yield x[start : start + batch_size], y[start : start + batch_size]


def num_batches(n: int, batch_size: int, drop_last: bool = False) -> int:
    """Number of batches :func:`iterate_batches` yields for ``n`` rows."""
    return n // batch_size if drop_last else -(-n // batch_size)
