"""Work a search hands to the machine's other core: a forked process running one call.

Importing matplotlib and drawing the plots costs more than a whole lab-3 grid
of trials and needs none of the search's state. :class:`Background` forks
early (Linux ``fork``: the child starts with every module the parent has
imported), optionally warms up (imports) while the parent builds the graph
and runs the trials, then runs the one call it is sent and sends its result
back; an exception in the child is raised in the parent as a
:class:`CarveError` naming the job.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
from collections.abc import Callable
from typing import Any

from carve.errors import CarveError

NICENESS = 10  # the forked helper's priority below the search's own process


def _child(serve: Callable[..., None], connection, other_end, *args: Any) -> None:
    """The forked process: yield the CPU to the parent, keep only its own end of the pipe.

    Ctrl-C in a terminal reaches the whole process group: the parent handles
    it (finishes what it has, then closes the pipe), so the helper ignores it.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(NICENESS)
    other_end.close()  # the parent's end: closed here, so the parent's exit (even kill -9) is EOF
    # the parent gone (killed): nobody is left to answer, and nothing to report
    with contextlib.suppress(BrokenPipeError, ConnectionResetError, EOFError):
        serve(connection, *args)


def _serve(connection, warm_up: Callable[[], None] | None) -> None:
    try:
        if warm_up is not None:
            warm_up()
        function, args = connection.recv()
    except (EOFError, KeyboardInterrupt):  # closed before a job was sent: nothing to do
        return
    try:
        connection.send(("ok", function(*args)))
    except Exception as error:  # reported to the parent, which raises it there
        connection.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        connection.close()


class Background:
    """A forked process running one call; ``start`` sends it, ``result`` waits for it.

    The child runs at a lower priority (nice 10): its work overlaps the
    parent's, which stays on the critical path and keeps a core to itself.
    """

    def __init__(self, job: str, warm_up: Callable[[], None] | None = None) -> None:
        context = multiprocessing.get_context("fork")
        self._connection, child = context.Pipe()
        self._process = context.Process(
            target=_child, args=(_serve, child, self._connection, warm_up), daemon=True
        )
        self._process.start()
        child.close()
        self.job = job
        self._result: tuple[str, Any] | None = None

    def start(self, function: Callable[..., Any], *args: Any) -> Background:
        """Run ``function(*args)`` in the process (a module-level function: it is pickled).

        A Ctrl-C meanwhile waits until the job is sent (a message cut in two would
        garble the stream the child reads)."""
        from carve.train.interrupts import deferred_interrupt

        with deferred_interrupt():
            self._connection.send((function, args))
        return self

    def result(self) -> Any:
        """The call's return value (waits for it); CarveError if it raised or the process died."""
        if self._result is None:
            try:
                self._result = self._connection.recv()
            except (EOFError, ConnectionResetError):
                self._process.join(timeout=5)
                self._result = ("error", f"the process ended (exit code {self._process.exitcode})")
            self.close()
        status, value = self._result
        if status != "ok":
            raise CarveError(f"{self.job} failed: {value}")
        return value

    def close(self, timeout: float = 5) -> None:
        """Release the pipe (a child waiting for a job sees EOF) and end the process."""
        if not self._connection.closed:
            self._connection.close()
        self._process.join(timeout=timeout)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join()
