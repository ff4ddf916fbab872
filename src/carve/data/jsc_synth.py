"""The ``jsc-synth`` dataset: the synthetic JSC stand-in, split, scaled and cached.

Rows come from :func:`carve.data.jsc_synth_generator.generate_jsc_synth`; the
splits mirror the real dataset's protocol (20 % test, then 20 % of the rest as
validation; features standardized with statistics of the training split), so
the default 830,000 rows give the real sizes 531,200 / 132,800 / 166,000.
The processed arrays are cached as ``.npz`` under ``<cache>/jsc-synth/``.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import numpy as np

from carve.data import jsc_schema
from carve.data.arrays import SplitArrays, split_sizes, standardize
from carve.data.base import Dataset
from carve.data.cache import cache_root, options_key
from carve.data.jsc_info import jsc_synth_info
from carve.data.jsc_synth_generator import generate_jsc_synth
from carve.data.options import (
    reject_unknown_options,
    require_fraction,
    require_memory,
    require_positive_int,
)

logger = logging.getLogger("carve.data")

NAME = "jsc-synth"
# peak memory of generating, splitting and scaling one row (measured: 460-494 bytes)
BYTES_PER_ROW = 512
GENERATOR_VERSION = 2  # bump whenever generated values change (invalidates caches)
OPTIONS = ("size", "seed", "val_fraction", "test_fraction", "cache", "cache_dir", "data_path")


def build_jsc_synth(
    size: int = jsc_schema.NUM_ROWS,
    seed: int = 0,
    val_fraction: float = jsc_schema.VAL_FRACTION,
    test_fraction: float = jsc_schema.TEST_FRACTION,
    cache: bool = True,
    cache_dir: str | os.PathLike | None = None,
    data_path: str | os.PathLike | None = None,
    **unknown: Any,
) -> Dataset:
    """Generate (or load from cache) ``size`` synthetic jets as train/val/test splits.

    >>> data = build_jsc_synth(size=500, cache=False)
    >>> [len(s) for s in (data.train, data.val, data.test)]
    [320, 80, 100]
    """
    from carve.errors import CarveError

    reject_unknown_options(NAME, unknown, OPTIONS)
    if data_path is not None:
        raise CarveError(f"dataset {NAME!r} is generated, it reads no file; use 'jsc' for a file")
    size = require_positive_int(NAME, "size", size, minimum=10)
    require_memory(NAME, "size", size, BYTES_PER_ROW)  # before numpy tries (and the OS kills)
    val_fraction = require_fraction(NAME, "val_fraction", val_fraction)
    test_fraction = require_fraction(NAME, "test_fraction", test_fraction)
    if split_sizes(size, test_fraction, val_fraction)[0] < 1:  # else NaN scaling, no training
        raise CarveError(
            f"dataset {NAME!r}: size={size}, val_fraction={val_fraction} and "
            f"test_fraction={test_fraction} leave no training rows"
        )
    return synth_arrays(
        size,
        require_positive_int(NAME, "seed", seed, minimum=0),
        val_fraction,
        test_fraction,
        cache=cache,
        cache_dir=cache_dir,
    ).to_dataset(jsc_synth_info())


def synth_arrays(
    size: int,
    seed: int,
    val_fraction: float,
    test_fraction: float,
    cache: bool = True,
    cache_dir: str | os.PathLike | None = None,
) -> SplitArrays:
    """The processed numpy splits, from the cache when present."""
    key = options_key(
        {
            "v": GENERATOR_VERSION,
            "size": size,
            "seed": seed,
            "val": val_fraction,
            "test": test_fraction,
        }
    )
    path = cache_root(cache_dir) / NAME / f"{NAME}-{key}.npz"
    if cache:
        cached = SplitArrays.load(path)
        if cached is not None:
            return cached
    where = f"; caching it in {path.parent}" if cache else ""
    logger.info("Generating jsc-synth (%s rows, seed %s), once%s", f"{size:,}", seed, where)
    arrays = _make_splits(size, seed, val_fraction, test_fraction)
    if cache:
        arrays.save(path)
    return arrays


def _make_splits(size: int, seed: int, val_fraction: float, test_fraction: float) -> SplitArrays:
    features, labels = generate_jsc_synth(size, seed)
    n_train, n_val, _ = split_sizes(size, test_fraction, val_fraction)
    # Rows are i.i.d., so consecutive blocks are already random splits.
    x_train, x_val, x_test = np.split(features, [n_train, n_train + n_val])
    y_train, y_val, y_test = np.split(labels, [n_train, n_train + n_val])
    mean, scale, x_train, x_val, x_test = standardize(x_train, x_train, x_val, x_test)
    return SplitArrays(x_train, y_train, x_val, y_val, x_test, y_test, mean, scale)
