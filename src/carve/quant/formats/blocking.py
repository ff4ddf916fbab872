"""Tiling a tensor of any rank into blocks that share an exponent, bias or scale.

``block_size`` is right-aligned with the tensor's trailing dimensions (as
MASE's): ``[4, 4]`` on a ``[N, C, H, W]`` tensor tiles each ``H x W`` plane
into 4x4 blocks. Dimensions not covered get block size 1 (each index is its
own block: per sample / per channel); ``-1`` or a size larger than the
dimension means the whole dimension. Ragged edges are padded with zeros, which
never change a block's maximum magnitude. ``skip_first_dim`` forces block size
1 on dimension 0 (MASE's per-sample blocking of activations).

>>> block_shape((8, 3, 5, 5), [4, 4])
[1, 1, 4, 4]
>>> block_shape((8, 64), [1, 16], skip_first_dim=True), block_shape((8, 6), [-1, 16])
([1, 16], [8, 6])
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor


def block_shape(
    shape: Sequence[int], block_size: Sequence[int], skip_first_dim: bool = False
) -> list[int]:
    """Per-dimension block sizes for a tensor of ``shape`` (see the module docstring)."""
    ndim = len(shape)
    sizes = list(block_size)[-ndim:] if ndim else []
    sizes = [1] * (ndim - len(sizes)) + sizes
    result = [dim if (size == -1 or size > dim) else size for size, dim in zip(sizes, shape)]
    if skip_first_dim and ndim > 1:
        result[0] = 1
    return [max(1, size) for size in result]


class Tiling:
    """A tensor shape cut into blocks: work on ``tile(x)`` (shape ``(n0, b0, n1, b1, ...)``,
    zero-padded), compute per-block values once with ``reduce_max`` (shape
    ``(n0, 1, n1, 1, ...)``, broadcastable), and map results back with ``untile``.

    >>> import torch
    >>> tiling = Tiling((3, 4), [2, 3])
    >>> x = torch.arange(12.0).reshape(3, 4)
    >>> tiling.untile(tiling.reduce_max(tiling.tile(x))).tolist()
    [[6.0, 6.0, 6.0, 7.0], [6.0, 6.0, 6.0, 7.0], [10.0, 10.0, 10.0, 11.0]]
    """

    def __init__(self, shape: Sequence[int], blocks: Sequence[int]) -> None:
        self.shape = tuple(shape)
        self.tiled_shape: list[int] = []
        self.pads: list[int] = []
        for dim, size in zip(self.shape, blocks):
            count = -(-dim // size)
            self.pads = [0, count * size - dim, *self.pads]
            self.tiled_shape += [count, size]
        if not self.shape:  # a 0-d tensor is one block of one element
            self.tiled_shape = [1, 1]
        self.padded_shape = [
            self.tiled_shape[i] * self.tiled_shape[i + 1]
            for i in range(0, len(self.tiled_shape), 2)
        ]
        self.reduce_dims = tuple(range(1, len(self.tiled_shape), 2))

    def tile(self, x: Tensor) -> Tensor:
        if any(self.pads):
            x = F.pad(x, self.pads)
        return x.reshape(self.tiled_shape)

    def reduce_max(self, tiled: Tensor) -> Tensor:
        """Per-block max of a tiled tensor, ignoring NaN (keepdim, broadcastable)."""
        return torch.nan_to_num(tiled, nan=0.0).amax(dim=self.reduce_dims, keepdim=True)

    def groups(self, x: Tensor) -> Tensor:
        """``x`` as one row per block, shape ``(blocks, block elements)``, padded with NaN.

        >>> Tiling((3,), [2]).groups(torch.tensor([1.0, 2.0, 3.0])).tolist()
        [[1.0, 2.0], [3.0, nan]]
        """
        padded = F.pad(x, self.pads, value=float("nan")) if any(self.pads) else x
        tiled = padded.reshape(self.tiled_shape)
        count = len(self.tiled_shape) // 2
        order = [*range(0, 2 * count, 2), *range(1, 2 * count, 2)]
        return tiled.permute(order).reshape(-1, math.prod(self.tiled_shape[1::2]))

    def untile(self, tiled: Tensor) -> Tensor:
        """A tiled (or per-block, broadcastable) tensor back in the original shape."""
        full = tiled.expand(self.tiled_shape).reshape(self.padded_shape)
        if any(self.pads):
            full = full[tuple(slice(0, dim) for dim in self.shape)]
        return full.reshape(self.shape)
