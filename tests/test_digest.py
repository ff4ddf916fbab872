"""Content hashes: independent of key order, sensitive to every bit, dtype, shape and name."""

from __future__ import annotations

import hashlib

import numpy as np
import torch

from carve.digest import arrays_digest, tree_digest


def test_numpy_and_torch_hash_alike_and_match_an_independent_sha256():
    array = np.arange(6, dtype=np.float32).reshape(2, 3)
    expected = hashlib.sha256(b"w\0float32\0(2, 3)\x0024\0" + array.tobytes()).hexdigest()
    assert arrays_digest({"w": array}) == "sha256:" + expected
    tensor_digest = arrays_digest({"w": torch.arange(6, dtype=torch.float32).reshape(2, 3)})
    assert tensor_digest != arrays_digest({"w": array})  # dtype names differ (torch.float32)
    assert tensor_digest == arrays_digest({"w": torch.arange(6.0).reshape(2, 3).clone()})


def test_every_change_changes_the_digest():
    base = {"a": torch.zeros(4), "b": torch.ones(2, 2, dtype=torch.bfloat16)}
    digest = arrays_digest(base)
    flipped = {k: v.clone() for k, v in base.items()}
    flipped["a"].view(torch.int32)[3] ^= 1 << 30
    variants = [
        flipped,
        {"a": torch.zeros(2, 2), "b": base["b"]},  # shape
        {"a": torch.zeros(4, dtype=torch.float64), "b": base["b"]},  # dtype
        {"c": torch.zeros(4), "b": base["b"]},  # name
    ]
    assert all(arrays_digest(v) != digest for v in variants)
    assert arrays_digest(dict(reversed(base.items()))) == digest


def test_tree_digest_covers_nested_tensors_and_plain_values():
    tree = {"state": {"w": torch.ones(3)}, "history": [{"loss": 0.5}], "epoch": 2}
    same = {"epoch": 2, "history": [{"loss": 0.5}], "state": {"w": torch.ones(3)}}
    assert tree_digest(tree) == tree_digest(same)
    assert tree_digest(tree) != tree_digest({**tree, "history": [{"loss": 0.25}]})
    assert tree_digest(tree) != tree_digest({**tree, "state": {"w": torch.ones(3) * 2}})
