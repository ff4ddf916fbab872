"""Where the real JSC file comes from: explicit path, data dir, user cache, download.

Order: ``data_path`` (a file, or a directory holding a known file name), then
``$CARVE_DATA_DIR`` (``<dir>/jsc/`` or ``<dir>/``), then the user cache
(``<cache>/jsc/``), then a download into that cache. Offline, one
:class:`~carve.errors.CarveError` says what to fetch, from where, and where to
put it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from carve.data.download import Checksum, DownloadError, download, fetch_bytes
from carve.data.jsc_readers import READERS
from carve.errors import CarveError

DATA_DIR_ENV = "CARVE_DATA_DIR"
H5_FILE_NAME = "processed-pythia82-lhc13-all-pt1-50k-r1_h022_e0175_t220_nonu_truth.z"


@dataclass(frozen=True)
class DownloadSource:
    """An official origin of the JSC file."""

    file_name: str
    page: str
    url: str | None = None  # direct file URL
    metadata_url: str | None = None  # OpenML JSON giving the file URL and its md5


SOURCES: dict[str, DownloadSource] = {
    "openml": DownloadSource(
        file_name="hls4ml_lhc_jets_hlf.arff",
        page="https://www.openml.org/d/42468",
        metadata_url="https://www.openml.org/api/v1/json/data/42468",
    ),
    "cernbox": DownloadSource(
        file_name=H5_FILE_NAME,
        page="https://cernbox.cern.ch/index.php/s/jvFd5MoWhGs1l5v",
        url="https://cernbox.cern.ch/index.php/s/jvFd5MoWhGs1l5v/download",
    ),
}

# file names looked for in a data directory or the cache, in this order
KNOWN_FILE_NAMES = (
    "hls4ml_lhc_jets_hlf.arff",
    "hls4ml_lhc_jets_hlf.parquet",
    "dataset_42468.pq",
    "hls4ml_lhc_jets_hlf.csv",
    H5_FILE_NAME,
)


def cache_folder(root: Path) -> Path:
    return root / "jsc"


def locate_local(data_path: str | os.PathLike | None, cache: Path) -> Path | None:
    """The first existing JSC file from ``data_path``, ``$CARVE_DATA_DIR`` or ``cache``."""
    if data_path is not None:
        path = Path(data_path).expanduser()
        if path.is_file():
            return path
        if path.is_dir():
            found = _known_file_in(path, path / "jsc")
            if found is None:
                raise CarveError(
                    f"data path {str(path)!r} holds no JSC file; expected one of "
                    f"{', '.join(KNOWN_FILE_NAMES)}"
                )
            return found
        raise CarveError(f"data path {str(path)!r} does not exist")
    folders = []
    if os.environ.get(DATA_DIR_ENV):
        data_dir = Path(os.environ[DATA_DIR_ENV]).expanduser()
        folders += [data_dir / "jsc", data_dir]
    return _known_file_in(*folders, cache_folder(cache))


def fetch(source: str, cache: Path, url: str | None, checksum: str | None, progress: bool) -> Path:
    """Download the JSC file of ``source`` (or ``url``) into the cache."""
    origin = SOURCES[source]
    expected = Checksum.parse(checksum) if checksum else None
    file_name = origin.file_name
    if url is None and origin.metadata_url is not None:
        url, expected = _openml_file(origin.metadata_url, expected)
    url = url or origin.url
    suffix_name = Path(urlparse(url).path).name
    if any(suffix_name.lower().endswith(suffix) for suffix in READERS):
        file_name = suffix_name
    return download(url, cache_folder(cache) / file_name, checksum=expected, progress=progress)


def _openml_file(metadata_url: str, expected: Checksum | None) -> tuple[str, Checksum | None]:
    """The ARFF URL and md5 listed in OpenML's dataset description JSON."""
    try:
        description = json.loads(fetch_bytes(metadata_url))["data_set_description"]
        url = description["url"]
    except (ValueError, KeyError, TypeError) as error:
        raise DownloadError(f"unexpected OpenML metadata at {metadata_url}: {error}") from None
    if expected is None and description.get("md5_checksum"):
        expected = Checksum("md5", str(description["md5_checksum"]).lower())
    return url, expected


def offline_message(cache: Path, reason: str) -> str:
    """What to download, from where, and where to put it (one paragraph)."""
    openml, cernbox = SOURCES["openml"], SOURCES["cernbox"]
    return (
        f"the real JSC dataset is not available ({reason}). Download it yourself: OpenML 42468 "
        f"'hls4ml_lhc_jets_hlf' from {openml.page} (ARFF, or a parquet/CSV export) or the "
        f"CERNBox HDF5 file {cernbox.file_name} from {cernbox.url}; then put it in "
        f"{cache_folder(cache)}/ (or in ${DATA_DIR_ENV}/jsc/), or pass --data-path FILE. "
        "The synthetic stand-in 'jsc-synth' works offline."
    )


def _known_file_in(*folders: Path) -> Path | None:
    for folder in folders:
        for name in KNOWN_FILE_NAMES:
            if (folder / name).is_file():
                return folder / name
    return None
