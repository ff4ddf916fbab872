"""Suite-wide isolation: a test that runs the CLI in-process (which sets carve's log
level, as ``carve ... --log-level`` does) must not change what later tests log."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # helpers shared by tests: run_helpers


@pytest.fixture(autouse=True)
def _restore_carve_log_level():
    logger = logging.getLogger("carve")
    level = logger.level
    yield
    logger.setLevel(level)
