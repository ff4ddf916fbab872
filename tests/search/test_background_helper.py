"""A forked helper whose parent is gone ends quietly (issue 22 item 11)."""

from __future__ import annotations

import time

from carve.search.background import Background


def _slow(seconds: float) -> str:
    time.sleep(seconds)
    return "done"


def test_helper_outliving_its_parent_exits_without_a_traceback(capfd):
    helper = Background("plots")
    helper.start(_slow, 0.5)
    helper._connection.close()  # what kill -9 of the parent does to the helper's pipe
    helper._process.join(timeout=10)
    assert helper._process.exitcode == 0
    err = capfd.readouterr().err
    assert "BrokenPipeError" not in err and "Traceback" not in err, err
