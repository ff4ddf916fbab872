"""A new search's ``study.db``, owned by a forked process on the other core.

Creating a SQLite study (SQLAlchemy, Alembic, Optuna's schema) and writing
to it costs more than a whole lab-3 grid of trials. For a new search run by
one process, :class:`MirrorProcess` forks before the model is even built: the
child imports all of that while the parent builds the graph, then creates the
database and the study in the new search folder and stores each trial record
the parent sends it (a :class:`carve.search.mirror.TrialMirror` in the child,
one transaction per record). The parent never imports SQLAlchemy.

Records are sent when a trial's choices are drawn and when it ends, as the
in-process mirror writes them; :meth:`MirrorProcess.sync` sends what changed
and waits until everything is stored. The child dies with the parent
(``PR_SET_PDEATHSIG``): after a ``kill -9`` the database holds what was
stored by then (a trial is RUNNING there, or was not stored yet), and
``--resume`` reruns the rest. An error in the child (disk full) is sent at
once and raised in the parent, naming the file, at its next write or sync.
"""

from __future__ import annotations

import ctypes
import signal
from typing import Any

from carve.errors import CarveError
from carve.search.background import Forked
from carve.search.mirror import changed

PR_SET_PDEATHSIG = 1  # prctl(2): signal this process when its parent dies


def owns_new_study(storage: str | None, workers: int, resume: bool) -> bool:
    """Whether a search gets a new ``study.db`` that only its own process writes (the default:
    no ``--storage``, one worker, not ``--resume``), i.e. whether it uses a MirrorProcess."""
    return storage is None and workers == 1 and not resume


def _die_with_parent() -> None:
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _serve(connection) -> None:
    """The child: warm up, create the study, store records until told to stop."""
    _die_with_parent()
    from carve.search.mirror import TrialMirror
    from carve.search.storage import create_study_id, sqlite_engine, warm_up

    warm_up()
    message = _receive(connection)  # None: no search after all (bad input), nothing to create
    mirror = error = None
    while message is not None:
        kind, payload = message
        try:
            if kind == "create" and error is None:
                url, name, directions = payload
                mirror = TrialMirror(sqlite_engine(url), create_study_id(url, name, directions))
            elif kind == "write" and error is None:
                mirror.write(payload)
            elif kind == "sync":
                connection.send(("synced", None))
        except Exception as failure:  # told at once; nothing more is stored
            error = f"{type(failure).__name__}: {failure}"
            connection.send(("error", error))
        message = _receive(connection)


def _receive(connection) -> tuple | None:
    """The next message; None once the parent has closed the pipe. A garbled stream is
    reported to the parent (which raises it) and ends the process."""
    try:
        return connection.recv()
    except EOFError:
        return None
    except Exception as failure:
        connection.send(("error", f"a record arrived garbled ({type(failure).__name__})"))
        return None


class MirrorProcess(Forked):
    """The parent's side: ``create``, then ``write`` trials as they change, ``sync`` at the end."""

    def __init__(self) -> None:
        super().__init__(_serve)
        self.url = ""
        self.written: dict[int, Any] = {}  # trial number -> last state sent

    def create(self, url: str, name: str, directions: list[str]) -> None:
        """Create the SQLite study ``name`` at ``url`` (a new file)."""
        self.url = url
        self._send(("create", (url, name, directions)))

    def write(self, trial) -> None:
        """Store ``trial`` (a FrozenTrial) as it is now; CarveError if storing has failed."""
        if self._connection.poll():  # the process reports a failure as soon as it happens
            self._raise(self._connection.recv())
        self._send(("write", trial))
        self.written[trial.number] = trial.state

    def sync(self, study) -> None:
        """Store every trial of ``study`` that changed; return once all is stored."""
        for trial in changed(study, self.written):
            self.write(trial)
        self._send(("sync", None))
        try:
            reply = self._connection.recv()
        except (EOFError, ConnectionResetError):
            reply = ("error", f"the process ended (exit code {self._ended()})")
        self._raise(reply)

    def _raise(self, reply: tuple[str, str | None]) -> None:
        kind, error = reply
        if kind == "error":
            raise CarveError(f"storing the trials in {self.url} failed: {error}")

    def _send(self, message: tuple) -> None:
        try:
            self._send_whole(message)
        except (BrokenPipeError, ConnectionResetError):
            raise CarveError(
                f"storing the trials in {self.url} failed: the process ended "
                f"(exit code {self._ended()})"
            ) from None

    def close(self) -> None:
        """Let the process finish what it was sent (it stores every record first), then end it."""
        super().close(timeout=30)
