"""The ``jsc`` dataset: the real hls4ml LHC jet data, located, parsed, preprocessed, cached.

See :mod:`carve.data.jsc_sources` (where the file comes from),
:mod:`carve.data.jsc_readers` (formats) and :mod:`carve.data.jsc_preprocess`
(splits and scaling). The processed splits are cached as ``.npz`` keyed by a
hash of the source file (path, size, modification time) and the options, so a
second start only loads arrays.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from carve.data import jsc_schema, jsc_sources
from carve.data.arrays import SplitArrays
from carve.data.base import Dataset
from carve.data.cache import cache_root, options_key
from carve.data.download import DownloadError
from carve.data.jsc_info import jsc_info
from carve.data.jsc_preprocess import preprocess
from carve.data.jsc_readers import is_hdf5, read_jsc_file
from carve.data.options import reject_unknown_options, require_fraction, require_positive_int
from carve.errors import CarveError

NAME = "jsc"
PREPROCESS_VERSION = 1  # bump when preprocessing changes (invalidates processed caches)
OPTIONS = (
    "data_path", "source", "download", "download_url", "checksum", "progress", "cache",
    "cache_dir", "deduplicate", "val_fraction", "test_fraction", "split_seed",
)  # fmt: skip


def build_jsc(
    data_path: str | os.PathLike | None = None,
    source: str = "openml",
    download: bool = True,
    download_url: str | None = None,
    checksum: str | None = None,
    progress: bool = True,
    cache: bool = True,
    cache_dir: str | os.PathLike | None = None,
    deduplicate: bool | None = None,
    val_fraction: float = jsc_schema.VAL_FRACTION,
    test_fraction: float = jsc_schema.TEST_FRACTION,
    split_seed: int = jsc_schema.SPLIT_SEED,
    **unknown: Any,
) -> Dataset:
    """Load the real JSC data as train/val/test tensors.

    ``source`` picks what to download when no local file exists (``openml``:
    the ARFF with OpenML's md5; ``cernbox``: the HDF5 file); ``download_url``
    and ``checksum`` (``"sha256:<hex>"`` or ``"md5:<hex>"``) point at a mirror.
    ``deduplicate`` defaults to the field's choice: True for HDF5, False for OpenML.
    """
    reject_unknown_options(NAME, unknown, OPTIONS)
    if source not in jsc_sources.SOURCES:
        raise CarveError(
            f"dataset 'jsc': option 'source' is {source!r}; accepted: "
            f"{', '.join(jsc_sources.SOURCES)}"
        )
    val_fraction = require_fraction(NAME, "val_fraction", val_fraction)
    test_fraction = require_fraction(NAME, "test_fraction", test_fraction)
    split_seed = require_positive_int(NAME, "split_seed", split_seed, minimum=0)
    root = cache_root(cache_dir)
    path = _raw_file(data_path, source, download, download_url, checksum, progress, root)
    arrays, kind = _processed(
        path, root, cache, deduplicate, val_fraction, test_fraction, split_seed
    )
    info = jsc_info()
    info = replace(info, extra={**info.extra, "source_file": str(path), "format": kind})
    return arrays.to_dataset(info)


def _raw_file(data_path, source, download, download_url, checksum, progress, root) -> Path:
    local = jsc_sources.locate_local(data_path, root)
    if local is not None:
        return local
    if not download:
        raise CarveError(jsc_sources.offline_message(root, "no local copy; download disabled"))
    try:
        return jsc_sources.fetch(source, root, download_url, checksum, progress)
    except DownloadError as error:
        raise CarveError(jsc_sources.offline_message(root, str(error))) from None


def _processed(path: Path, root: Path, cache: bool, deduplicate, val, test, seed):
    kind = "hdf5" if is_hdf5(path) else "openml"
    dedup = kind == "hdf5" if deduplicate is None else bool(deduplicate)
    stat = path.stat()
    key = options_key(
        {"v": PREPROCESS_VERSION, "file": str(path.resolve()), "size": stat.st_size,
         "mtime_ns": stat.st_mtime_ns, "dedup": dedup, "val": val, "test": test,
         "seed": seed}
    )  # fmt: skip
    cached_path = jsc_sources.cache_folder(root) / "processed" / f"jsc-{key}.npz"
    if cache:
        cached = SplitArrays.load(cached_path)
        if cached is not None:
            return cached, kind
    raw = read_jsc_file(path)
    arrays = preprocess(raw.features, raw.labels, dedup, test, val, seed)
    if cache:
        arrays.save(cached_path)
    return arrays, kind
