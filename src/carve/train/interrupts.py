"""Hold Ctrl-C while an epoch's files are written, so a second Ctrl-C cannot lose them.

The first Ctrl-C stops training and saves the last completed epoch; an impatient
second one used to land in the middle of that save. Inside
:func:`deferred_interrupt` SIGINT is only noted; the ``KeyboardInterrupt`` is
raised when the block ends, after the files are complete.

>>> with deferred_interrupt():
...     pass  # files written here are never cut short by Ctrl-C
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def deferred_interrupt() -> Iterator[None]:
    """Run the block with SIGINT deferred (main thread only; elsewhere a plain block)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def note(signum, frame) -> None:
        received.append(signum)

    previous = signal.signal(signal.SIGINT, note)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt
