"""Readers of the official JSC files into raw features and labels (g, q, w, z, t order).

Formats: OpenML 42468 ``hls4ml_lhc_jets_hlf`` as ARFF, or its parquet / CSV
exports (16 feature columns and a string target ``g q t w z``), and the CERNBox
HDF5 file (dataset ``t_allpar_new``, a structured array with ``j_*`` fields and
one-hot labels ``j_g j_q j_w j_z j_t``). Target strings are mapped through
:data:`carve.data.jsc_schema.CLASS_NAMES`, never sorted alphabetically.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from carve.data import jsc_schema
from carve.data.optional import require
from carve.errors import CarveError

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
TARGET_COLUMNS = ("class", "jet_type", "target", "label", "type")


@dataclass
class RawJSC:
    """Unprocessed rows of a JSC file: ``features [N, 16]`` float32, ``labels [N]`` int64."""

    features: np.ndarray
    labels: np.ndarray
    kind: str  # "openml" (ARFF/parquet/CSV table) or "hdf5" (CERNBox t_allpar_new)


def is_hdf5(path: Path) -> bool:
    """Whether ``path`` starts with the HDF5 signature (the CERNBox ``.z`` file does)."""
    with open(path, "rb") as file:
        return file.read(len(HDF5_SIGNATURE)) == HDF5_SIGNATURE


def read_jsc_file(path: Path) -> RawJSC:
    """Read any supported JSC file; the format comes from its content or suffix."""
    path = Path(path)
    if not path.is_file():
        raise CarveError(f"JSC data file {str(path)!r} does not exist")
    reader = read_hdf5 if is_hdf5(path) else None
    for suffix in reversed([s.lower() for s in path.suffixes]):
        if reader is None and suffix in READERS:
            reader = READERS[suffix]
    if reader is None:
        raise CarveError(
            f"cannot tell the format of JSC data file {str(path)!r}; accepted: an HDF5 file "
            f"(t_allpar_new) or a file ending in {', '.join(sorted(READERS))}"
        )
    try:
        return reader(path)
    except (OSError, ValueError) as error:  # corrupt or truncated: h5py, pandas, pyarrow
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise CarveError(f"JSC data file {str(path)!r} is unreadable: {reason}") from None


def read_arff(path: Path) -> RawJSC:
    """OpenML ARFF: header ``@attribute`` lines, then comma-separated ``@data`` rows."""
    pandas = require("pandas", "reading the JSC ARFF file")
    names: list[str] = []
    with open(path, encoding="utf-8", errors="replace") as file:
        for line in file:
            words = line.strip().split(None, 2)
            if not words or words[0].startswith("%"):
                continue
            keyword = words[0].lower()
            if keyword == "@attribute" and len(words) >= 2:
                names.append(words[1].strip("'\""))
            elif keyword == "@data":
                break
        else:
            raise CarveError(f"ARFF file {str(path)!r} has no @data section")
        text = file.read()
    if text.lstrip().startswith("{"):
        raise CarveError(f"ARFF file {str(path)!r} is sparse ARFF, which JSC files never are")
    table = pandas.read_csv(
        io.StringIO(text), header=None, names=names, comment="%", quotechar="'",
        skipinitialspace=True, na_values=["?"],
        dtype={n: str for n in names if n not in jsc_schema.FEATURE_NAMES},
    )  # fmt: skip
    return _from_table(table, path)


def read_csv(path: Path) -> RawJSC:
    pandas = require("pandas", "reading a JSC CSV file")
    return _from_table(pandas.read_csv(path), path)


def read_parquet(path: Path) -> RawJSC:
    pandas = require("pandas", "reading a JSC parquet file")
    require("pyarrow", "reading a JSC parquet file")
    return _from_table(pandas.read_parquet(path), path)


def read_hdf5(path: Path) -> RawJSC:
    """CERNBox HDF5: structured array ``t_allpar_new``; labels are the one-hot argmax."""
    h5py = require("h5py", "reading the JSC HDF5 file")
    with h5py.File(path, "r") as file:
        if jsc_schema.H5_DATASET_KEY not in file:
            raise CarveError(
                f"HDF5 file {str(path)!r} has no dataset {jsc_schema.H5_DATASET_KEY!r} "
                f"(found: {', '.join(file.keys()) or 'nothing'})"
            )
        rows = file[jsc_schema.H5_DATASET_KEY][()]
    fields = rows.dtype.names or ()
    wanted = jsc_schema.H5_FEATURE_NAMES + jsc_schema.H5_LABEL_FIELDS
    missing = [name for name in wanted if name not in fields]
    if missing:
        raise CarveError(f"HDF5 file {str(path)!r}: {jsc_schema.H5_DATASET_KEY} lacks {missing}")
    features = np.stack([rows[name] for name in jsc_schema.H5_FEATURE_NAMES], axis=1)
    one_hot = np.stack([rows[name] for name in jsc_schema.H5_LABEL_FIELDS], axis=1)
    return RawJSC(features.astype(np.float32), one_hot.argmax(axis=1).astype(np.int64), "hdf5")


def _from_table(table, path: Path) -> RawJSC:
    """Features by OpenML (or ``j_``-prefixed) names; target strings -> g,q,w,z,t indices."""
    columns = [str(c) for c in table.columns]
    table.columns = columns
    for names in (jsc_schema.FEATURE_NAMES, jsc_schema.H5_FEATURE_NAMES):
        if all(name in columns for name in names):
            try:
                features = table[list(names)].to_numpy(dtype=np.float32)
            except (TypeError, ValueError) as error:
                raise CarveError(
                    f"JSC table {str(path)!r} has non-numeric features: {error}"
                ) from None
            break
    else:
        missing = [n for n in jsc_schema.FEATURE_NAMES if n not in columns]
        raise CarveError(f"JSC table {str(path)!r} lacks feature columns {missing}")
    if not np.isfinite(features).all():
        bad = int((~np.isfinite(features)).any(axis=1).sum())
        raise CarveError(
            f"JSC table {str(path)!r} has {bad} rows with missing or infinite features"
        )
    return RawJSC(features, _labels(table, columns, path), "openml")


def _labels(table, columns: list[str], path: Path) -> np.ndarray:
    if all(name in columns for name in jsc_schema.H5_LABEL_FIELDS):
        one_hot = table[list(jsc_schema.H5_LABEL_FIELDS)].to_numpy()
        return one_hot.argmax(axis=1).astype(np.int64)
    candidates = [c for c in columns if c.lower() in TARGET_COLUMNS]
    if len(candidates) != 1:
        raise CarveError(
            f"JSC table {str(path)!r}: expected one target column named one of "
            f"{', '.join(TARGET_COLUMNS)} (or one-hot j_g..j_t), found columns {columns}"
        )
    values = table[candidates[0]].astype(str).str.strip().str.strip("'\"").str.lower()
    codes = {name: index for index, name in enumerate(jsc_schema.CLASS_NAMES)}
    labels = values.map(codes)
    if labels.isna().any():
        bad = sorted(set(values[labels.isna()]))[:5]
        raise CarveError(
            f"JSC table {str(path)!r}: target {candidates[0]!r} has values {bad}; accepted: "
            f"{', '.join(jsc_schema.CLASS_NAMES)} (integer codes are ambiguous: alphabetical "
            "OpenML order differs from the g,q,w,z,t order)"
        )
    return labels.to_numpy(dtype=np.int64)


# file suffix -> reader (HDF5 is also recognised by its signature whatever the suffix)
READERS: dict[str, Callable[[Path], RawJSC]] = {
    ".arff": read_arff,
    ".csv": read_csv,
    ".parquet": read_parquet,
    ".pq": read_parquet,
    ".h5": read_hdf5,
    ".hdf5": read_hdf5,
    ".z": read_hdf5,
}
