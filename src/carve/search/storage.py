"""Where a search's trials live: Optuna storages, opened with one clear error if unreachable.

* default (``None``): SQLite ``study.db`` in the search folder (embedded,
  nothing to start; WAL journal, so readers and a few local writers coexist);
* ``sqlite:///path``, ``postgresql://user@host:port/db``, ``mysql://...``:
  Optuna's RDB storage (PostgreSQL for many machines; plain ``postgresql://``
  uses psycopg2, ``postgresql+psycopg://`` psycopg 3);
* ``journal`` or ``journal:PATH``: Optuna's append-only journal file
  (``study.journal`` in the search folder by default), for several local processes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from carve.errors import CarveError

T = TypeVar("T")
SQLITE_ENGINE = {"connect_args": {"timeout": 60}}  # seconds a writer waits for the lock
ACCEPTED = "sqlite:///PATH, postgresql://USER@HOST:PORT/DB, mysql://..., journal, journal:PATH"


def default_url(folder: Path) -> str:
    return f"sqlite:///{Path(folder).resolve() / 'study.db'}"


def _wal_journal(path: str | Path) -> None:
    """Switch the SQLite file to a WAL journal (survives kill -9; readers beside a writer)."""
    import sqlite3

    connection = sqlite3.connect(path, timeout=SQLITE_ENGINE["connect_args"]["timeout"])
    try:
        connection.execute("PRAGMA journal_mode=WAL")
    finally:
        connection.close()


def _sqlite_pragmas(storage: Any, path: str) -> None:
    """WAL journal with per-commit sync relaxed."""
    _wal_journal(path)
    _relaxed_sync(storage.engine)
    storage.engine.dispose()  # later connections get the pragma


def _relaxed_sync(engine: Any) -> None:
    from sqlalchemy import event

    def on_connect(connection, record) -> None:
        connection.execute("PRAGMA synchronous=NORMAL")

    event.listen(engine, "connect", on_connect)


def sqlite_engine(url: str) -> Any:
    """A SQLAlchemy engine on the SQLite study ``url`` (made by :func:`open_storage`)."""
    from sqlalchemy import create_engine

    engine = create_engine(url, **SQLITE_ENGINE)
    _relaxed_sync(engine)
    return engine


def warm_up() -> None:
    """Import what creating a SQLite study needs (Optuna's RDB storage, SQLAlchemy, Alembic)."""
    import alembic.migration  # imported on first use by Optuna
    import alembic.script  # noqa: F401
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    optuna.storages.RDBStorage  # noqa: B018  (the lazy module loads here)
    from optuna.storages._rdb import models  # noqa: F401


def create_study_id(url: str, name: str, directions: list[str]) -> int:
    """Create the study ``name`` in the SQLite file ``url``; its id.

    Run by a forked process for a new search folder. The schema, its Alembic
    stamp and the study are made in a private file next to ``url`` and linked
    into place only if no file is there yet, so a reader that opens the path
    meanwhile (optuna-dashboard, ``optuna.load_study``) never sees, or races
    with, a half-made schema. A new file gets the schema this Optuna creates
    and stamps, so its compatibility check (which re-reads every Alembic
    migration) is skipped. If a reader created the file first, that file is
    opened as any other: its schema is completed and checked, retrying while
    the reader is still creating it.
    """
    path = Path(url.removeprefix("sqlite:///"))
    study_id = None if path.exists() else _create_alone(path, name, directions)
    if study_id is None:
        study_id = _create_in_shared_file(url, name, directions)
    _wal_journal(path)
    return study_id


def _sqlite_storage(url: str, skip_compatibility_check: bool) -> Any:
    import optuna

    return optuna.storages.RDBStorage(
        url, engine_kwargs=dict(SQLITE_ENGINE), skip_compatibility_check=skip_compatibility_check
    )


def _create_study(storage: Any, name: str, directions: list[str]) -> int:
    import optuna

    try:
        study = optuna.create_study(storage=storage, study_name=name, directions=directions)
        return study._study_id
    finally:
        storage.engine.dispose()


def _create_alone(path: Path, name: str, directions: list[str]) -> int | None:
    """The study made in a private file, linked to ``path``; None if ``path`` exists by then
    or cannot be linked (the study is then made in ``path`` itself)."""
    private = path.with_name(f".{path.name}.{os.getpid()}.new")
    try:
        storage = _sqlite_storage(f"sqlite:///{private}", skip_compatibility_check=True)
        study_id = _create_study(storage, name, directions)
        try:
            os.link(private, path)  # never replaces a file
        except OSError:  # a file is there by now, or this file system has no hard links
            return None
        return study_id
    finally:
        private.unlink(missing_ok=True)


def _create_in_shared_file(url: str, name: str, directions: list[str]) -> int:
    """The study made in a file another process created (and may still be creating)."""

    def create() -> int:
        return _create_study(_sqlite_storage(url, False), name, directions)

    return _past_creation_races(create)


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


def open_storage(url: str | None, folder: Path) -> Any:
    """An Optuna storage for ``url`` (None: SQLite in ``folder``); CarveError if unreachable."""
    import optuna

    url = url or default_url(folder)
    if url == "journal" or url.startswith("journal:"):
        path = Path(url[len("journal:") :] or folder / "study.journal")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            backend = optuna.storages.journal.JournalFileBackend(str(path))
        except OSError as error:
            raise CarveError(f"--storage {url!r}: cannot open the journal file: {error}") from None
        return optuna.storages.JournalStorage(backend)
    scheme = url.split(":", 1)[0].split("+", 1)[0]
    if scheme not in ("sqlite", "postgresql", "mysql"):
        raise CarveError(f"--storage {url!r} is not accepted; accepted: {ACCEPTED}")
    engine: dict[str, Any] = {}
    given = url
    if url.startswith("postgresql://"):  # psycopg2, the `search` extra's driver
        url = "postgresql+psycopg2://" + url.removeprefix("postgresql://")
    if scheme == "postgresql":
        engine = {"connect_args": {"connect_timeout": 10}, "pool_pre_ping": True}
    elif scheme == "sqlite":
        engine = dict(SQLITE_ENGINE)
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    try:
        storage = _past_creation_races(
            lambda: optuna.storages.RDBStorage(url, engine_kwargs=engine)
        )
    except Exception as error:  # driver/connection errors differ per database
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        where = _redact(given)
        raise CarveError(f"--storage {where}: cannot reach the database: {reason}") from None
    if scheme == "sqlite":
        _sqlite_pragmas(storage, url.removeprefix("sqlite:///"))
    return storage


def _redact(url: str) -> str:
    """The URL without its password."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else url
