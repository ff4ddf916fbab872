"""A first use of jsc-synth says it is generating (and where it caches); a cached one is quiet."""

from __future__ import annotations

import logging

from carve.data import get_dataset


def test_generation_is_announced_once(private_cache, caplog):
    with caplog.at_level(logging.INFO, logger="carve.data"):
        get_dataset("jsc-synth", size=300)
    messages = [r.getMessage() for r in caplog.records if r.name == "carve.data"]
    folder = private_cache / "jsc-synth"
    assert messages == [f"Generating jsc-synth (300 rows, seed 0), once; caching it in {folder}"]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="carve.data"):
        get_dataset("jsc-synth", size=300)
    assert not [r for r in caplog.records if r.name == "carve.data"]
