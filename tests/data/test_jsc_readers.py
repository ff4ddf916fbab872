"""The JSC readers parse each official format into the same values and label order."""

from __future__ import annotations

import numpy as np
import pytest

from carve.data.jsc_readers import read_jsc_file
from carve.errors import CarveError

FORMATS = {
    "arff": "hls4ml_lhc_jets_hlf.arff",
    "csv": "hls4ml_lhc_jets_hlf.csv",
    "parquet": "hls4ml_lhc_jets_hlf.parquet",
    "hdf5": "processed-pythia82-lhc13-all-pt1-50k-r1_h022_e0175_t220_nonu_truth.z",
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_gives_the_written_values_and_labels(fmt, tmp_path, jsc_files):
    features, labels = jsc_files.known_rows(40)
    path = getattr(jsc_files, f"write_{fmt}")(tmp_path / FORMATS[fmt], features, labels)
    raw = read_jsc_file(path)
    np.testing.assert_allclose(raw.features, features, rtol=1e-6)
    np.testing.assert_array_equal(raw.labels, labels)
    assert raw.features.dtype == np.float32 and raw.labels.dtype == np.int64
    assert raw.kind == ("hdf5" if fmt == "hdf5" else "openml")


def test_openml_strings_map_to_h5_order_not_alphabetical(tmp_path, jsc_files):
    features, _ = jsc_files.known_rows(5)
    labels = np.array([0, 1, 2, 3, 4])  # written as g, q, w, z, t
    path = jsc_files.write_arff(tmp_path / "jets.arff", features, labels)
    text = path.read_text().splitlines()[-5:]
    assert [line.rsplit(",", 1)[1] for line in text] == ["g", "q", "w", "z", "t"]
    # alphabetical (LabelEncoder) would give g=0 q=1 t=2 w=3 z=4; ours: t=4, w=2, z=3
    assert read_jsc_file(path).labels.tolist() == [0, 1, 2, 3, 4]


def test_arff_with_quoted_targets_and_comments(tmp_path, jsc_files):
    features, labels = jsc_files.known_rows(6)
    path = jsc_files.write_arff(tmp_path / "jets.arff", features, labels)
    lines = path.read_text().splitlines()
    data_at = lines.index("@DATA")
    quoted = [
        line.rsplit(",", 1)[0] + ",'" + line.rsplit(",", 1)[1] + "'"
        for line in lines[data_at + 1 :]
    ]
    path.write_text("\n".join([*lines[: data_at + 1], "% a comment", *quoted]) + "\n")
    np.testing.assert_array_equal(read_jsc_file(path).labels, labels)


def test_hdf5_duplicates_are_kept_by_the_reader(tmp_path, jsc_files):
    features, labels = jsc_files.known_rows(10)
    doubled = np.concatenate([features, features[:3]]), np.concatenate([labels, labels[:3]])
    raw = read_jsc_file(jsc_files.write_hdf5(tmp_path / "jets.h5", *doubled))
    assert len(raw.labels) == 13  # de-duplication belongs to preprocessing


def test_hdf5_recognised_by_signature_whatever_the_suffix(tmp_path, jsc_files):
    features, labels = jsc_files.known_rows(8)
    path = jsc_files.write_hdf5(tmp_path / "download", features, labels)
    np.testing.assert_array_equal(read_jsc_file(path).labels, labels)


def test_integer_targets_are_rejected_as_ambiguous(tmp_path, jsc_files):
    features, labels = jsc_files.known_rows(8)
    frame = jsc_files.table(features, labels)
    frame["class"] = labels
    frame.to_csv(tmp_path / "jets.csv", index=False)
    with pytest.raises(CarveError, match="ambiguous"):
        read_jsc_file(tmp_path / "jets.csv")


def test_missing_columns_and_keys_are_named(tmp_path, jsc_files):
    import h5py

    features, labels = jsc_files.known_rows(8)
    jsc_files.table(features, labels).drop(columns=["mass_mmdt"]).to_csv(tmp_path / "a.csv")
    with pytest.raises(CarveError, match="mass_mmdt"):
        read_jsc_file(tmp_path / "a.csv")
    with h5py.File(tmp_path / "b.h5", "w") as file:
        file.create_dataset("other", data=np.zeros(3))
    with pytest.raises(CarveError, match="t_allpar_new"):
        read_jsc_file(tmp_path / "b.h5")


def test_unknown_format_and_missing_file(tmp_path):
    (tmp_path / "jets.txt").write_text("hello")
    with pytest.raises(CarveError, match="cannot tell the format"):
        read_jsc_file(tmp_path / "jets.txt")
    with pytest.raises(CarveError, match="does not exist"):
        read_jsc_file(tmp_path / "absent.arff")


def test_missing_and_non_numeric_values_are_reported(tmp_path, jsc_files):
    features, labels = jsc_files.known_rows(6)
    path = jsc_files.write_arff(tmp_path / "jets.arff", features, labels)
    path.write_text(path.read_text().replace(repr(float(features[2, 5])), "?", 1))
    with pytest.raises(CarveError, match="1 rows with missing"):
        read_jsc_file(path)
    frame = jsc_files.table(features, labels)
    frame["zlogz"] = "abc"
    frame.to_csv(tmp_path / "jets.csv", index=False)
    with pytest.raises(CarveError, match="non-numeric features"):
        read_jsc_file(tmp_path / "jets.csv")


@pytest.mark.parametrize("name", ["jets.parquet", "jets.h5"])
def test_corrupt_files_are_one_line_errors(tmp_path, name):
    (tmp_path / name).write_bytes(b"junk")
    with pytest.raises(CarveError, match="is unreadable"):
        read_jsc_file(tmp_path / name)
