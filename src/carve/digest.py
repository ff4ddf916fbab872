"""Content hashes of named arrays/tensors: written at save time, checked at load.

A flipped bit in a weight file otherwise loads silently (a test loss of 3e35
was the only sign). Checkpoints, saved graphs and the dataset cache store
:func:`arrays_digest` of what they hold and compare it when they read it back.

The digest is SHA-256 over every entry in name order: its name, dtype, shape
and raw bytes, so a renamed, reshaped, retyped or changed entry all differ.

>>> import numpy as np
>>> a = {"w": np.arange(4, dtype=np.float32)}
>>> arrays_digest(a) == arrays_digest({"w": np.arange(4, dtype=np.float32)})
True
>>> b = {"w": np.arange(4, dtype=np.float32)}
>>> b["w"].view(np.uint32)[2] ^= 1  # one flipped bit
>>> arrays_digest(a) == arrays_digest(b)
False
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

PREFIX = "sha256:"


def _raw(value: Any) -> tuple[str, tuple[int, ...], memoryview | bytes]:
    """(dtype name, shape, bytes) of a numpy array or torch tensor."""
    import numpy as np

    if isinstance(value, np.ndarray):
        array = np.ascontiguousarray(value)
        return str(array.dtype), tuple(array.shape), array.tobytes()
    import torch

    tensor = value.detach().cpu().contiguous()
    shape = tuple(tensor.shape)
    flat = tensor.reshape(-1)
    if flat.numel() == 0:
        return str(tensor.dtype), shape, b""
    return str(tensor.dtype), shape, flat.view(torch.uint8).numpy().tobytes()


def arrays_digest(arrays: Mapping[str, Any]) -> str:
    """``"sha256:<hex>"`` of named numpy arrays or torch tensors (order-independent)."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        dtype, shape, data = _raw(arrays[name])
        digest.update(f"{name}\0{dtype}\0{shape}\0{len(data)}\0".encode())
        digest.update(data)
    return PREFIX + digest.hexdigest()


def tree_tensors(tree: Any, prefix: str = "") -> dict[str, Any]:
    """Every tensor/array inside nested dicts and lists, keyed by its path.

    >>> import numpy as np
    >>> sorted(tree_tensors({"a": [np.zeros(1), {"b": np.ones(2)}], "c": 3}))
    ['a/0', 'a/1/b']
    """
    import numpy as np

    found: dict[str, Any] = {}
    if isinstance(tree, Mapping):
        items = ((str(k), v) for k, v in tree.items())
    elif isinstance(tree, (list, tuple)):
        items = ((str(i), v) for i, v in enumerate(tree))
    else:
        kind = type(tree)
        if isinstance(tree, np.ndarray) or kind.__module__.startswith("torch"):
            return {prefix.rstrip("/"): tree} if hasattr(tree, "shape") else {}
        return {}
    for key, value in items:
        found.update(tree_tensors(value, f"{prefix}{key}/"))
    return found


def _skeleton(tree: Any) -> Any:
    """``tree`` with every tensor/array replaced by a marker (for hashing the rest)."""
    if isinstance(tree, Mapping):
        return {str(k): _skeleton(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [_skeleton(v) for v in tree]
    if hasattr(tree, "shape") and hasattr(tree, "dtype"):
        return "<array>"
    return tree


def tree_digest(tree: Mapping[str, Any]) -> str:
    """Digest of a nested dict: every tensor (as :func:`arrays_digest`) plus all other values.

    >>> import numpy as np
    >>> one = {"w": np.zeros(2), "epoch": 3}
    >>> tree_digest(one) == tree_digest({"w": np.zeros(2), "epoch": 3})
    True
    >>> tree_digest(one) == tree_digest({"w": np.zeros(2), "epoch": 4})
    False
    """
    import json

    rest = json.dumps(_skeleton(tree), sort_keys=True, default=repr).encode()
    combined = hashlib.sha256(arrays_digest(tree_tensors(tree)).encode() + b"\0" + rest)
    return PREFIX + combined.hexdigest()
