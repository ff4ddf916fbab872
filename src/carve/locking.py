"""Advisory locks on output folders: one writer per run, a clear line naming the holder.

Two ``carve train --resume`` of one run, or two study processes claiming the
same run, would otherwise overwrite each other's files. :class:`HolderLock`
takes an exclusive ``fcntl.flock`` on a lock file and writes the holder's pid,
host and start time into it, so the process that is refused can say who holds
it. The kernel drops a flock when its process dies (even by ``kill -9``), so a
lock file left by a dead process is *stale*: the next taker sees the old holder
line, logs that it takes the lock over, and proceeds. (flock is local to one
machine; on network file systems that do not forward it, locks are per host.)

>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as tmp:
...     path = pathlib.Path(tmp) / ".lock"
...     with HolderLock(path, "run folder"):
...         try:
...             HolderLock(path, "run folder").acquire()
...         except LockedError as error:
...             print(str(error).split(" by ")[0])  # doctest: +ELLIPSIS
run folder ... is in use
"""

from __future__ import annotations

import datetime
import fcntl
import logging
import os
import socket
from pathlib import Path

from carve.errors import CarveError

logger = logging.getLogger("carve.files")
LOCK_NAME = ".carve.lock"


class LockedError(CarveError):
    """Another live process holds the lock."""


def holder_line() -> str:
    """``pid <pid> on <host> since <UTC time>``: what a lock file records."""
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"pid {os.getpid()} on {socket.gethostname()} since {now}"


class HolderLock:
    """Exclusive, non-blocking (by default) advisory lock on ``path``; a context manager.

    ``what`` names the guarded thing in the refusal (``"run folder"``...);
    ``guarded`` is the path shown (default: the lock file's folder).
    """

    def __init__(
        self, path: str | os.PathLike, what: str, guarded: str | os.PathLike | None = None
    ) -> None:
        self.path = Path(path)
        self.what = what
        self.guarded = Path(guarded) if guarded is not None else self.path.parent
        self._fd: int | None = None

    def acquire(self, wait: bool = False) -> HolderLock:
        """Take the lock (``wait``: block until free); raises :class:`LockedError` if held."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)  # the umask applies
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            holder = os.pread(fd, 512, 0).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise LockedError(
                f"{self.what} {self.guarded} is in use by {holder}; wait for it to finish "
                "or write somewhere else"
            ) from None
        previous = os.pread(fd, 512, 0).decode(errors="replace").strip()
        if previous:
            logger.info("taking over the stale lock of %s (%s is gone)", self.guarded, previous)
        os.ftruncate(fd, 0)
        os.pwrite(fd, (holder_line() + "\n").encode(), 0)
        os.fsync(fd)
        self._fd = fd
        return self

    def release(self) -> None:
        """Empty the holder line and drop the lock (the file stays: removing it would race)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> HolderLock:
        return self if self.held else self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def folder_lock(folder: str | os.PathLike, what: str = "run folder") -> HolderLock:
    """The lock guarding ``folder`` (its ``.carve.lock`` file)."""
    return HolderLock(Path(folder) / LOCK_NAME, what)
