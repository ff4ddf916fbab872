"""Where a search's trials live: Optuna storages through Optuna's public API only.

* default (``None``): Optuna's journal file ``study.journal`` in the search
  folder. A search that is its only process writes it through
  :class:`~carve.search.journal.BatchedJournalBackend` (a thread appends the
  operations every quarter second); ``--workers N`` processes share it
  through Optuna's own file backend (a lock and ``fsync`` per operation);
* ``journal`` or ``journal:PATH``: the same journal file (in the search
  folder, or at PATH, for processes of several commands on one machine);
* ``sqlite:///path``, ``postgresql://user@host:port/db``, ``mysql://...``:
  Optuna's :class:`~optuna.storages.RDBStorage` with its heartbeat: each
  running trial is marked alive every ``heartbeat`` seconds, and a trial
  silent for three heartbeats (its worker killed, its machine gone) is failed
  by the next process that looks and retried once more
  (:class:`~optuna.storages.RetryHeartbeatStaleTrialCallback`), never counted.

:class:`OpenedStorage` also carries the storage's *budget lock*, which
serializes "count the complete trials, then tell one" across every process on
the study (see :mod:`carve.search.engine`), and its liveness rule for running
trials (:meth:`OpenedStorage.stale`).
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import os
import socket
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from carve.errors import CarveError

T = TypeVar("T")
SQLITE_ENGINE = {"connect_args": {"timeout": 60}}  # seconds a writer waits for the lock
ACCEPTED = "sqlite:///PATH, postgresql://USER@HOST:PORT/DB, mysql://..., journal, journal:PATH"
JOURNAL = "study.journal"
HEARTBEAT_SECONDS = 10  # default --heartbeat
STALE_HEARTBEATS = 3  # a trial silent for this many heartbeats is failed and retried
RETRIES = 3  # times a stale trial is retried
UNCLAIMED = datetime.timedelta(minutes=1)  # a journal trial with no worker this old is stale


def retry_callback():
    """Optuna's callback queueing a stale trial once more (up to :data:`RETRIES` times)."""
    import warnings

    import optuna

    with warnings.catch_warnings():  # "experimental" since Optuna 2.8
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=RETRIES)


def worker_id() -> str:
    """``host:pid`` of this process (recorded on each trial it runs)."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class OpenedStorage:
    """An Optuna storage with what the search loop needs beside it."""

    storage: Any
    where: str  # for messages (no password)
    budget_lock: Callable[[str], AbstractContextManager[None]]  # per study name
    heartbeat: bool = False  # Optuna's heartbeat on: stale trials are found by it
    backend: Any = None  # a BatchedJournalBackend to flush and close

    def stale(self, trial) -> bool:
        """Whether a RUNNING ``trial`` is dead: its heartbeat expired (RDB), or (a journal file,
        one machine) the process that runs it is gone."""
        if self.heartbeat:
            return False  # Optuna fails these itself (optuna.storages.fail_stale_trials)
        worker = trial.user_attrs.get("worker", "")
        host, _, pid = worker.rpartition(":")
        if not worker:  # asked a moment ago, or its process died at once
            return trial.datetime_start < datetime.datetime.now() - UNCLAIMED
        return host == socket.gethostname() and pid.isdigit() and not _alive(int(pid))

    def flush(self) -> None:
        if self.backend is not None:
            self.backend.flush()

    def close(self) -> None:
        if self.backend is not None:
            self.backend.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def _flock(path: str) -> Iterator[None]:
    """An exclusive lock on ``path`` (created if missing), released when done or at exit."""
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _file_budget_lock(path: str | Path) -> Callable[[str], AbstractContextManager[None]]:
    return lambda name: _flock(f"{path}.budget-lock")


def _lock_key(name: str) -> int:
    return zlib.crc32(f"carve-search:{name}".encode())


@contextlib.contextmanager
def _postgresql_lock(engine: Any, name: str) -> Iterator[None]:
    from sqlalchemy import text

    with engine.connect() as connection:  # a session lock: freed by the server if we die
        connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _lock_key(name)})
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _lock_key(name)})
            connection.commit()


@contextlib.contextmanager
def _mysql_lock(engine: Any, name: str) -> Iterator[None]:
    from sqlalchemy import text

    key = f"carve-search-{_lock_key(name)}"
    with engine.connect() as connection:
        connection.execute(text("SELECT GET_LOCK(:k, -1)"), {"k": key})
        try:
            yield
        finally:
            connection.execute(text("SELECT RELEASE_LOCK(:k)"), {"k": key})
            connection.commit()


def _rdb_budget_lock(scheme: str, storage: Any, url: str):
    if scheme == "sqlite":  # one machine: a file lock beside the database
        return _file_budget_lock(url.removeprefix("sqlite:///"))
    lock = RDB_LOCKS[scheme]
    return lambda name: lock(storage.engine, name)


RDB_LOCKS = {"postgresql": _postgresql_lock, "mysql": _mysql_lock}


def _wal_journal(path: str | Path) -> None:
    """Switch the SQLite file to a WAL journal (survives kill -9; readers beside a writer)."""
    import sqlite3

    connection = sqlite3.connect(path, timeout=SQLITE_ENGINE["connect_args"]["timeout"])
    try:
        connection.execute("PRAGMA journal_mode=WAL")
    finally:
        connection.close()


def _past_creation_races(make: Callable[[], T]) -> T:
    """``make()``, retried for up to 10 s while another process creates the same schema.

    Optuna creates its tables and Alembic stamp on first use, check-then-create:
    processes started together on one new storage (``--workers``, two
    terminals, several machines, a dashboard) collide there ("table ...
    already exists", a duplicate stamp). The one that loses waits and finds
    the winner's schema; any other error goes on at once.
    """
    deadline = time.monotonic() + 10
    while True:
        try:
            return make()
        except Exception as error:
            if not _creation_race(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _creation_race(error: Exception) -> bool:
    from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

    if isinstance(error, IntegrityError):  # two stamps, two rows for one table type
        return True
    said = str(error).lower()
    racing = ("already exists", "database is locked")
    return isinstance(error, OperationalError | ProgrammingError) and any(r in said for r in racing)


def is_journal(url: str | None) -> bool:
    return url is None or url == "journal" or url.startswith("journal:")


def journal_path(url: str | None, folder: Path) -> Path:
    path = None if url is None else url[len("journal:") :] if url.startswith("journal:") else ""
    return Path(path) if path else Path(folder) / JOURNAL


def open_storage(
    url: str | None, folder: Path, *, exclusive: bool = False, heartbeat: int = HEARTBEAT_SECONDS
) -> OpenedStorage:
    """The storage ``url`` names (None: the journal file in ``folder``); CarveError if it
    cannot be opened. ``exclusive``: this process is the journal's only writer (batched)."""
    if is_journal(url):
        return _open_journal(journal_path(url, folder), exclusive)
    scheme = url.split(":", 1)[0].split("+", 1)[0]
    if scheme not in ("sqlite", "postgresql", "mysql"):
        raise CarveError(f"--storage {url!r} is not accepted; accepted: {ACCEPTED}")
    return _open_rdb(url, scheme, heartbeat)


def _open_journal(path: Path, exclusive: bool) -> OpenedStorage:
    import optuna

    from carve.search.journal import BatchedJournalBackend

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if exclusive:
            backend = BatchedJournalBackend(str(path))
        else:
            backend = optuna.storages.journal.JournalFileBackend(str(path))
    except (OSError, ValueError) as error:
        raise CarveError(
            f"--storage journal:{path}: cannot open the journal file: {error}"
        ) from None
    return OpenedStorage(
        optuna.storages.JournalStorage(backend),
        str(path),
        _file_budget_lock(path),
        backend=backend if exclusive else None,
    )


def _open_rdb(url: str, scheme: str, heartbeat: int) -> OpenedStorage:
    import warnings

    import optuna

    engine: dict[str, Any] = {}
    given = url
    if url.startswith("postgresql://"):  # psycopg2, the `search` extra's driver
        url = "postgresql+psycopg2://" + url.removeprefix("postgresql://")
    if scheme == "postgresql":
        engine = {"connect_args": {"connect_timeout": 10}, "pool_pre_ping": True}
    elif scheme == "sqlite":
        engine = dict(SQLITE_ENGINE)
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)

    def make() -> Any:
        with warnings.catch_warnings():  # heartbeat_interval is "experimental" since 2.9
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.storages.RDBStorage(
                url,
                engine_kwargs=engine,
                heartbeat_interval=heartbeat,
                grace_period=STALE_HEARTBEATS * heartbeat,
                heartbeat_stale_trial_callback=retry_callback(),
            )

    try:
        storage = _past_creation_races(make)
    except Exception as error:  # driver/connection errors differ per database
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CarveError(
            f"--storage {_redact(given)}: cannot reach the database: {reason}"
        ) from None
    if scheme == "sqlite":
        _wal_journal(url.removeprefix("sqlite:///"))
    return OpenedStorage(
        storage, _redact(given), _rdb_budget_lock(scheme, storage, url), heartbeat=True
    )


def _redact(url: str) -> str:
    """The URL without its password."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else url
