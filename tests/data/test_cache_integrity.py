"""The processed dataset cache is trusted only when it holds exactly what was written."""

from __future__ import annotations

import logging

import numpy as np
import torch

from carve.data import get_dataset


def cache_file(private_cache):
    (path,) = (private_cache / "jsc-synth").glob("*.npz")
    return path


def rewrite(path, change) -> None:
    """Edit the arrays and save them back as a valid .npz (keeping the stored hash)."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    change(arrays)
    with open(path, "wb") as file:
        np.savez(file, **arrays)


def test_shuffled_labels_or_nan_rows_are_regenerated_not_trusted(private_cache, caplog):
    fresh = get_dataset("jsc-synth", size=1000)
    path = cache_file(private_cache)

    def shuffle(arrays):
        arrays["y_train"] = np.random.default_rng(0).permutation(arrays["y_train"])

    def nan_rows(arrays):
        arrays["x_val"][:3] = np.nan

    for change in (shuffle, nan_rows):
        rewrite(path, change)
        with caplog.at_level(logging.WARNING, logger="carve.data"):
            again = get_dataset("jsc-synth", size=1000)
        assert torch.equal(again.train.y, fresh.train.y)
        assert torch.equal(again.val.x, fresh.val.x)
        assert f"cache file {path} is not trusted" in caplog.text
        caplog.clear()
        # and the regenerated file is trusted again
        with caplog.at_level(logging.WARNING, logger="carve.data"):
            get_dataset("jsc-synth", size=1000)
        assert caplog.text == ""


def test_a_stray_temp_file_of_a_killed_write_is_removed(private_cache):
    get_dataset("jsc-synth", size=1000)
    folder = cache_file(private_cache).parent
    stray = folder / f".{cache_file(private_cache).name}.999999999-x1.tmp"  # no such pid
    stray.write_bytes(b"half a file")
    get_dataset("jsc-synth", size=1000)
    assert not stray.exists()
