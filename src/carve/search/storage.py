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

from pathlib import Path
from typing import Any

from carve.errors import CarveError

SQLITE_ENGINE = {"connect_args": {"timeout": 60}}  # seconds a writer waits for the lock
ACCEPTED = "sqlite:///PATH, postgresql://USER@HOST:PORT/DB, mysql://..., journal, journal:PATH"


def default_url(folder: Path) -> str:
    return f"sqlite:///{Path(folder).resolve() / 'study.db'}"


def _sqlite_pragmas(storage: Any, path: str) -> None:
    """WAL journal (survives kill -9; concurrent readers) with per-commit sync relaxed."""
    import sqlite3

    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
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

    Run by a forked process for a new search folder. A new file gets the
    schema this Optuna creates and stamps, so its compatibility check (which
    re-reads every Alembic migration) is skipped; a file that exists already
    (optuna-dashboard opened the path first) is opened as any other.
    """
    import optuna

    path = url.removeprefix("sqlite:///")
    storage = optuna.storages.RDBStorage(
        url, engine_kwargs=dict(SQLITE_ENGINE), skip_compatibility_check=not Path(path).exists()
    )
    _sqlite_pragmas(storage, path)
    study = optuna.create_study(storage=storage, study_name=name, directions=directions)
    storage.engine.dispose()
    return study._study_id


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
        storage = optuna.storages.RDBStorage(url, engine_kwargs=engine)
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
