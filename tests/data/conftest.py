"""Data tests: a private cache per test, and fabricated JSC files of the official formats."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from carve.data.jsc_schema import CLASS_NAMES, FEATURE_NAMES, H5_FEATURE_NAMES, H5_LABEL_FIELDS


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Point the carve cache at a temp dir; hide ``$CARVE_DATA_DIR`` and XDG settings."""
    cache = tmp_path / "carve-cache"
    monkeypatch.setenv("CARVE_CACHE_DIR", str(cache))
    monkeypatch.delenv("CARVE_DATA_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    return cache


def known_rows(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` distinct rows: features float32 whose column 0 is the row number; labels 0..4."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(n, 16)).astype(np.float32) * np.arange(1, 17, dtype=np.float32)
    features[:, 0] = np.arange(n)  # identifies the row after shuffling
    features[:, 8] = features[:, 6]  # d2_a1_b1 == d2_b1, as in the real data
    labels = rng.integers(0, 5, size=n).astype(np.int64)
    return features, labels


def write_arff(path: Path, features: np.ndarray, labels: np.ndarray) -> Path:
    """An ARFF file with the OpenML 42468 header (nominal target declared g,q,t,w,z)."""
    lines = ["% hls4ml_lhc_jets_hlf (fabricated for tests)", "@RELATION hls4ml_lhc_jets_hlf", ""]
    lines += [f"@ATTRIBUTE {name} NUMERIC" for name in FEATURE_NAMES]
    lines += ["@ATTRIBUTE class {g,q,t,w,z}", "", "@DATA"]
    for row, label in zip(features, labels):
        lines.append(",".join(repr(float(v)) for v in row) + f",{CLASS_NAMES[label]}")
    path.write_text("\n".join(lines) + "\n")
    return path


def table(features: np.ndarray, labels: np.ndarray, target: str = "class"):
    import pandas

    frame = pandas.DataFrame(features, columns=list(FEATURE_NAMES))
    frame[target] = pandas.Categorical([CLASS_NAMES[i] for i in labels], categories=list("gqtwz"))
    return frame


def write_csv(path: Path, features: np.ndarray, labels: np.ndarray) -> Path:
    table(features, labels).to_csv(path, index=False)
    return path


def write_parquet(path: Path, features: np.ndarray, labels: np.ndarray) -> Path:
    table(features, labels, target="jet_type").to_parquet(path)
    return path


def write_hdf5(path: Path, features: np.ndarray, labels: np.ndarray) -> Path:
    """``t_allpar_new``: structured array, shuffled field order, extra fields, one-hot labels."""
    import h5py

    fields = [(name, "<f4") for name in H5_FEATURE_NAMES]
    fields += [(name, "<i4") for name in (*H5_LABEL_FIELDS, "j_undef", "j_index")]
    fields += [("index", "<i8"), ("j_pt", "<f4"), ("j_mass_trim", "<f4"), ("j_tau21_b1", "<f4")]
    order = np.random.default_rng(1).permutation(len(fields))
    rows = np.zeros(len(labels), dtype=[fields[i] for i in order])
    for column, name in enumerate(H5_FEATURE_NAMES):
        rows[name] = features[:, column]
    for index, name in enumerate(H5_LABEL_FIELDS):
        rows[name] = labels == index
    rows["index"] = np.arange(len(labels))  # not selected: duplicates stay duplicates
    rows["j_pt"] = 1000.0
    with h5py.File(path, "w") as file:
        file.create_dataset("t_allpar_new", data=rows)
    return path


@pytest.fixture
def jsc_files():
    """The writers above, for tests: ``jsc_files.write_arff(path, features, labels)``..."""
    return SimpleNamespace(
        known_rows=known_rows, write_arff=write_arff, write_csv=write_csv,
        write_parquet=write_parquet, write_hdf5=write_hdf5, table=table,
    )  # fmt: skip
