"""The ``jsc`` dataset end to end: file lookup order, formats, caching, options."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from carve.data import get_dataset, get_dataset_info, jsc
from carve.errors import CarveError

H5_NAME = "processed-pythia82-lhc13-all-pt1-50k-r1_h022_e0175_t220_nonu_truth.z"


def _sizes(data):
    return len(data.train), len(data.val), len(data.test)


def test_hdf5_is_deduplicated_and_split_as_the_field(tmp_path, jsc_files):
    features, labels = jsc_files.known_rows(120)
    x = np.concatenate([features, features[:30]])
    y = np.concatenate([labels, labels[:30]])
    data = get_dataset("jsc", data_path=jsc_files.write_hdf5(tmp_path / H5_NAME, x, y))
    n_test = math.ceil(0.2 * 120)
    n_val = math.ceil(0.2 * (120 - n_test))
    assert _sizes(data) == (120 - n_test - n_val, n_val, n_test)
    assert data.info.extra["format"] == "hdf5"
    assert data.train.x.dtype == torch.float32 and data.train.y.dtype == torch.int64
    assert data.info.class_names == ("g", "q", "w", "z", "t")


def test_openml_is_not_deduplicated_unless_asked(tmp_path, jsc_files):
    features, labels = jsc_files.known_rows(100)
    x = np.concatenate([features, features[:10]])
    y = np.concatenate([labels, labels[:10]])
    path = jsc_files.write_parquet(tmp_path / "hls4ml_lhc_jets_hlf.parquet", x, y)
    assert sum(_sizes(get_dataset("jsc", data_path=path))) == 110
    assert sum(_sizes(get_dataset("jsc", data_path=path, deduplicate=True))) == 100


def test_all_formats_give_the_same_tensors(tmp_path, jsc_files):
    features, labels = jsc_files.known_rows(80)
    results = []
    for fmt, name in (("arff", "a.arff"), ("csv", "b.csv"), ("parquet", "c.pq"), ("hdf5", "d.h5")):
        path = getattr(jsc_files, f"write_{fmt}")(tmp_path / name, features, labels)
        results.append(get_dataset("jsc", data_path=path, deduplicate=False, cache=False))
    for other in results[1:]:
        for split in ("train", "val", "test"):
            torch.testing.assert_close(other.split(split).x, results[0].split(split).x)
            assert torch.equal(other.split(split).y, results[0].split(split).y)


def test_lookup_order_data_path_then_env_dir_then_cache(
    tmp_path, private_cache, monkeypatch, jsc_files
):
    for rows, folder in ((30, tmp_path / "env" / "jsc"), (40, private_cache / "jsc")):
        folder.mkdir(parents=True)
        jsc_files.write_csv(folder / "hls4ml_lhc_jets_hlf.csv", *jsc_files.known_rows(rows))
    explicit = jsc_files.write_arff(tmp_path / "mine.arff", *jsc_files.known_rows(20))
    options = {"download": False, "cache": False}
    assert sum(_sizes(get_dataset("jsc", **options))) == 40  # the user cache
    monkeypatch.setenv("CARVE_DATA_DIR", str(tmp_path / "env"))
    assert sum(_sizes(get_dataset("jsc", **options))) == 30  # the data dir wins
    assert sum(_sizes(get_dataset("jsc", data_path=explicit, **options))) == 20
    assert sum(_sizes(get_dataset("jsc", data_path=tmp_path / "env", **options))) == 30


def test_processed_arrays_are_cached_and_keyed_by_options(
    tmp_path, private_cache, monkeypatch, jsc_files
):
    path = jsc_files.write_csv(tmp_path / "j.csv", *jsc_files.known_rows(60))
    first = get_dataset("jsc", data_path=path)
    cached = list((private_cache / "jsc" / "processed").glob("jsc-*.npz"))
    assert len(cached) == 1

    def no_parsing(_):
        raise AssertionError("the cache should have been used")

    monkeypatch.setattr(jsc, "read_jsc_file", no_parsing)
    second = get_dataset("jsc", data_path=path)
    assert torch.equal(first.val.x, second.val.x) and torch.equal(first.test.y, second.test.y)
    with pytest.raises(AssertionError, match="cache should"):
        get_dataset("jsc", data_path=path, val_fraction=0.3)  # other options: other key


def test_corrupt_processed_cache_is_rebuilt(tmp_path, private_cache, jsc_files):
    path = jsc_files.write_csv(tmp_path / "j.csv", *jsc_files.known_rows(60))
    first = get_dataset("jsc", data_path=path)
    (cached,) = (private_cache / "jsc" / "processed").glob("jsc-*.npz")
    cached.write_bytes(b"not a zip")
    assert torch.equal(get_dataset("jsc", data_path=path).train.x, first.train.x)


def test_bad_options_are_named(tmp_path):
    with pytest.raises(CarveError, match=r"has no option 'data_pth'; accepted: .*data_path"):
        get_dataset("jsc", data_pth="x")
    with pytest.raises(CarveError, match="'source' is 'kaggle'; accepted: openml, cernbox"):
        get_dataset("jsc", source="kaggle")
    with pytest.raises(CarveError, match="'val_fraction' must be a number in"):
        get_dataset("jsc", val_fraction=1.5)
    with pytest.raises(CarveError, match="does not exist"):
        get_dataset("jsc", data_path=tmp_path / "nothing.arff")
    with pytest.raises(CarveError, match="holds no JSC file"):
        get_dataset("jsc", data_path=tmp_path)


def test_download_disabled_gives_the_offline_message():
    with pytest.raises(CarveError, match=r"download disabled.*jsc-synth"):
        get_dataset("jsc", download=False)


def test_info_without_loading():
    info = get_dataset_info("jsc")
    assert (info.num_features, info.num_classes) == (16, 5)
    assert info["class_names"] == ("g", "q", "w", "z", "t")
    assert info.feature_names[8] == "d2_a1_b1_mmdt"
