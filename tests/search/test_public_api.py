"""Search uses Optuna through its public API only: no private modules or attributes."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
PRIVATE = re.compile(r"optuna\._|storages\._rdb|study\._|\._storage\b|\._trial_id\b|_stop_flag")


def test_no_private_optuna_api_in_src():
    found = [
        f"{path.relative_to(SRC)}:{number}: {line.strip()}"
        for path in sorted(SRC.rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if PRIVATE.search(line)
    ]
    assert found == []


def test_the_pattern_catches_what_it_is_for():
    for line in ("from optuna.storages._rdb import models", "study._storage.get_trial(1)",
                 "trial._trial_id", "optuna._imports", "study._stop_flag = False"):  # fmt: skip
        assert PRIVATE.search(line), line
