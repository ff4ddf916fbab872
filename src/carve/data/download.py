"""HTTP(S) download into the cache: progress bar, temp file, verification, atomic move.

The bytes go to a hidden ``.<name>.part`` file beside the destination; only a
transfer that is complete (``Content-Length``), of the expected size and
checksum is renamed into place, so an interrupted or corrupt download never
looks like a cached file. Failures raise :class:`DownloadError` and remove the
temporary file.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from carve.errors import CarveError

CHUNK_BYTES = 1 << 20


class DownloadError(CarveError):
    """A download failed or its bytes did not verify."""


@dataclass(frozen=True)
class Checksum:
    """An expected digest, written ``"md5:<hex>"`` or ``"sha256:<hex>"``.

    >>> Checksum.parse("md5:ABC").algorithm, Checksum.parse("md5:ABC").hexdigest
    ('md5', 'abc')
    """

    algorithm: str
    hexdigest: str

    @classmethod
    def parse(cls, text: str) -> Checksum:
        algorithm, _, digest = text.partition(":")
        if algorithm not in ("md5", "sha256") or not digest:
            raise CarveError(f"checksum {text!r} must look like 'md5:<hex>' or 'sha256:<hex>'")
        return cls(algorithm, digest.strip().lower())


def download(
    url: str,
    destination: Path,
    checksum: Checksum | None = None,
    expected_size: int | None = None,
    timeout: float = 30.0,
    progress: bool = True,
) -> Path:
    """Fetch ``url`` to ``destination`` (atomically); verify size and checksum when known."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    temp = destination.with_name(f".{destination.name}.part")
    try:
        digest = _fetch(url, temp, checksum, expected_size, timeout, progress)
        if checksum is not None and digest != checksum.hexdigest:
            raise DownloadError(
                f"download of {url} is corrupt: {checksum.algorithm} {digest} "
                f"!= expected {checksum.hexdigest}"
            )
        os.replace(temp, destination)
    finally:
        temp.unlink(missing_ok=True)
    return destination


def fetch_bytes(url: str, timeout: float = 30.0) -> bytes:
    """A small document (e.g. dataset metadata JSON), with the same error handling."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.read()
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        raise DownloadError(f"cannot fetch {url}: {_reason(error)}") from None


def _fetch(url, temp: Path, checksum, expected_size, timeout, progress) -> str:
    hasher = hashlib.new(checksum.algorithm if checksum else "sha256")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(temp, "wb") as out:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else expected_size
            received = 0
            with _progress_bar(url, total, progress) as advance:
                while chunk := response.read(CHUNK_BYTES):
                    out.write(chunk)
                    hasher.update(chunk)
                    received += len(chunk)
                    advance(len(chunk))
    except http.client.IncompleteRead as error:
        raise DownloadError(
            f"download of {url} was cut short after {len(error.partial):,} more bytes "
            "(truncated transfer); nothing was cached, try again"
        ) from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        raise DownloadError(f"cannot download {url}: {_reason(error)}") from None
    for what, expected in (("Content-Length", total), ("expected size", expected_size)):
        if expected is not None and received != expected:
            raise DownloadError(
                f"download of {url} is incomplete: {received:,} bytes, {what} says "
                f"{expected:,}; nothing was cached"
            )
    return hasher.hexdigest()


def _reason(error: BaseException) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return str(error.reason)
    return str(error) or type(error).__name__


class _progress_bar:
    """A rich progress bar (bytes, speed, ETA) that is a no-op when disabled."""

    def __init__(self, url: str, total: int | None, enabled: bool) -> None:
        self.url, self.total, self.enabled = url, total, enabled
        self.bar = None

    def __enter__(self):
        if not self.enabled:
            return lambda n: None
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self.bar = Progress(
            "[progress.description]{task.description}", BarColumn(), DownloadColumn(),
            TransferSpeedColumn(), TimeRemainingColumn(), transient=True,
        )  # fmt: skip
        self.bar.__enter__()
        task = self.bar.add_task(f"downloading {self.url.rsplit('/', 1)[-1]}", total=self.total)
        return lambda n: self.bar.update(task, advance=n)

    def __exit__(self, *exc_info) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc_info)
