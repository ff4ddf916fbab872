"""What sparsity saves: non-zero work and sparse storage of a weight entry.

A weight entry's ``sparsity`` (fraction of zeros, written by the prune pass,
``add_pruning_metadata`` or ``add_natural_sparsity``) is the one figure the
cost passes read. Work: a multiplication by a zero weight is skipped (fixed at
compile time, as hls4ml does for pruned weights), so MACs scale by the weight
density; zero *activations* are data-dependent and not skipped. Storage
assumption (:data:`SPARSE_STORAGE`): a tensor with zeros is stored as a bitmask
(1 bit per element) plus its non-zero values, when that is smaller than dense.

>>> entry = {"type": "integer", "precision": [4, 2], "shape": [8, 8], "sparsity": 0.75}
>>> stored_bits(entry, 64), nonzero_fraction(entry)
(128.0, 0.25)
>>> stored_bits({"precision": [4, 2], "sparsity": 0.1}, 64)  # bitmask would not pay off
256.0
"""

from __future__ import annotations

from typing import Any

from carve.ir.metadata import storage_bits

SPARSE_STORAGE = "bitmask (1 bit/element) + non-zero values, when smaller than dense"


def weight_sparsity(entry: Any) -> float:
    """Fraction of zero elements recorded in a tensor entry (0 when not measured)."""
    if isinstance(entry, dict):
        return float(entry.get("sparsity", 0.0))
    return 0.0


def nonzero_fraction(entry: Any) -> float:
    """Fraction of non-zero elements (1 when no sparsity was recorded)."""
    return 1.0 - weight_sparsity(entry)


def stored_bits(entry: dict, numel: int) -> float:
    """Bits to store ``numel`` elements of ``entry``: dense, or bitmask + non-zero values."""
    bits = storage_bits(entry)
    dense = numel * bits
    sparsity = weight_sparsity(entry)
    if sparsity <= 0.0:
        return float(dense)
    sparse = numel * (1.0 - sparsity) * bits + numel
    return float(min(dense, sparse))
