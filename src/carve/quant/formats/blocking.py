"""Tiling a tensor of any rank into blocks that share an exponent, bias or scale.

``block_size`` is right-aligned with the tensor's trailing dimensions (as
MASE's): ``[4, 4]`` on a ``[N, C, H, W]`` tensor tiles each ``H x W`` plane
into 4x4 blocks. Dimensions not covered get block size 1 (each index is its
own block: per sample / per channel); ``-1`` or a size larger than the
dimension means the whole dimension. Ragged edges are padded with zeros, which
never change a block's maximum magnitude. ``skip_first_dim`` forces block size
1 on dimension 0 (MASE's per-sample blocking of activations).

>>> import torch
>>> x = torch.arange(12.0).reshape(3, 4)
>>> block_amax(x, block_shape(x.shape, [2, 3])).tolist()
[[6.0, 6.0, 6.0, 7.0], [6.0, 6.0, 6.0, 7.0], [10.0, 10.0, 10.0, 11.0]]
"""

from __future__ import annotations

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


def _tiled(x: Tensor, blocks: Sequence[int]) -> tuple[Tensor, list[int]]:
    """Zero-pad ``x`` to multiples of ``blocks`` and view it as (n0, b0, n1, b1, ...)."""
    pads: list[int] = []
    tiled_shape: list[int] = []
    for dim, size in zip(x.shape, blocks):
        count = -(-dim // size)
        pads = [0, count * size - dim, *pads]
        tiled_shape += [count, size]
    if any(pads):
        x = F.pad(x, pads)
    return x.reshape(tiled_shape), tiled_shape


def block_reduce_max(values: Tensor, blocks: Sequence[int]) -> Tensor:
    """Per-block max of ``values >= 0``, broadcast back to ``values``' shape."""
    if values.ndim == 0:
        return values
    tiled, tiled_shape = _tiled(values, blocks)
    reduce_dims = tuple(range(1, len(tiled_shape), 2))
    per_block = tiled.amax(dim=reduce_dims, keepdim=True)
    padded = per_block.expand(tiled_shape).reshape(
        [tiled_shape[i] * tiled_shape[i + 1] for i in range(0, len(tiled_shape), 2)]
    )
    return padded[tuple(slice(0, dim) for dim in values.shape)]


def block_amax(x: Tensor, blocks: Sequence[int]) -> Tensor:
    """Per-block max |x| ignoring NaN, broadcast to ``x``'s shape (float64)."""
    v = torch.nan_to_num(x.to(torch.float64).abs(), nan=0.0)
    return block_reduce_max(v, blocks)


def block_count(shape: Sequence[int], blocks: Sequence[int]) -> int:
    count = 1
    for dim, size in zip(shape, blocks):
        count *= -(-dim // size)
    return count
