"""Fixtures for running MASE-style code on carve after ``carve port`` and nothing else."""

from __future__ import annotations

import importlib.util
import logging
import re
from pathlib import Path

import pytest

from carve.compat.port import port_source

_HERE = Path(__file__).parent


@pytest.fixture(scope="session")
def mase_configs() -> dict[str, str]:
    """MASE's ``configs/tests/quantize/*.toml`` texts (see mase_configs.py)."""
    spec = importlib.util.spec_from_file_location("mase_configs", _HERE / "mase_configs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CONFIGS


@pytest.fixture
def run_ported(tmp_path, monkeypatch):
    """``run_ported(code, **names) -> namespace``: port ``code`` (chop imports), then run it.

    The code runs in ``tmp_path`` (MASE's code writes relative paths such as
    ``quantize_summary/``); ``names`` are put in its namespace first (data the
    test prepared, such as a checkpoint path).
    """
    monkeypatch.chdir(tmp_path)
    carve_logger = logging.getLogger("carve")
    level, handlers = carve_logger.level, list(carve_logger.handlers)

    def run(code: str, **names):
        ported = port_source(code)
        assert ported.unknown == [], ported.report()
        assert not re.search(r"^\s*(from|import)\s+chop\b", ported.text, re.M), ported.text
        namespace = {"__name__": "ported_mase_code", **names}
        exec(compile(ported.text, "<ported MASE code>", "exec"), namespace)
        return namespace

    yield run
    carve_logger.setLevel(level)
    carve_logger.handlers[:] = handlers
