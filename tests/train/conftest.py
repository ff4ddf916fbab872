"""Small jsc-synth data shared by the training tests (generated once, not cached)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def small_data():
    from carve.data import get_dataset

    return get_dataset("jsc-synth", size=3000, cache=False)
