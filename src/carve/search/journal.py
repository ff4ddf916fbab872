"""A journal file written in the background: Optuna's file backend, its appends batched.

Optuna's :class:`~optuna.storages.journal.JournalFileBackend` locks, appends
and ``fsync``\\ s the file for every storage operation (a new trial, each
parameter, each attribute, the result): about 5 ms each here, a cap of a
few dozen trials per second. A search that is the only process on its
journal (the default: ``study.journal`` in its own, locked, search folder)
needs no arbitration between writers, so :class:`BatchedJournalBackend`
keeps the operations in memory, answers Optuna's reads from the file plus
that buffer, and a thread appends the buffer to the file every
:data:`FLUSH_SECONDS` with the same backend (one lock, one ``fsync``).

The file is an ordinary Optuna journal: ``optuna.load_study``,
optuna-dashboard and ``--resume`` read it. ``flush()`` writes everything
(the search calls it when it stops, Ctrl-C included); a ``kill -9`` loses at
most the last :data:`FLUSH_SECONDS` of operations, trials that then never
existed and are run again by ``--resume``. Not for a journal that other
processes write: they would not see the buffer (``--workers``, a shared
``--storage journal:PATH`` use Optuna's backend directly).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Generator
from typing import Any

from optuna.storages.journal import BaseJournalBackend, JournalFileBackend

from carve.errors import CarveError

FLUSH_SECONDS = 0.25


class BatchedJournalBackend(BaseJournalBackend):
    """Optuna's journal file at ``path``; appends written by a background thread."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._file = JournalFileBackend(path)
        self._lock = threading.Lock()  # guards the buffer and the count of logs in the file
        self._writing = threading.Lock()
        self._in_file = sum(1 for _ in self._file.read_logs(0))  # this process is its only writer
        self._buffer: list[dict[str, Any]] = []  # appended, not yet in the file, in order
        self._error: str | None = None
        self._wake = threading.Event()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="carve-journal", daemon=True)
        self._thread.start()

    def read_logs(self, log_number_from: int) -> Generator[dict[str, Any], None, None]:
        with self._lock:
            in_file, buffered = self._in_file, list(self._buffer)
        if log_number_from < in_file:
            yield from itertools.islice(
                self._file.read_logs(log_number_from), in_file - log_number_from
            )
        yield from buffered[max(0, log_number_from - in_file) :]

    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        self._raise_error()
        with self._lock:
            self._buffer.extend(logs)

    def flush(self) -> None:
        """Write every buffered operation to the file now; CarveError if writing failed."""
        self._write()
        self._raise_error()

    def close(self) -> None:
        """Flush, then stop the thread."""
        self._stopped = True
        self._wake.set()
        self._thread.join()
        self.flush()

    def _run(self) -> None:
        while not self._stopped:
            self._wake.wait(FLUSH_SECONDS)
            self._write()

    def _write(self) -> None:
        from carve.train.interrupts import deferred_interrupt

        # a Ctrl-C between writing a chunk and dropping it from the buffer would write it twice
        with deferred_interrupt(), self._writing:  # one writer: the thread, or flush()
            with self._lock:
                chunk = list(self._buffer)
            if not chunk or self._error is not None:
                return
            try:  # the lock is free meanwhile: the search goes on appending and reading
                self._file.append_logs(chunk)
            except Exception as error:  # disk full, folder removed: told at the next call
                self._error = f"{type(error).__name__}: {error}"
                return
            with self._lock:
                del self._buffer[: len(chunk)]
                self._in_file += len(chunk)

    def _raise_error(self) -> None:
        if self._error is not None:
            raise CarveError(f"storing the trials in {self.path} failed: {self._error}")
