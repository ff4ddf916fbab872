"""benchmarks/train_throughput.py skips its Lightning part, saying why, without Lightning."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "train_throughput.py"


def _load():
    spec = importlib.util.spec_from_file_location("train_throughput", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_lightning_part_is_skipped_without_lightning(monkeypatch):
    module = _load()
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name in ("lightning", "torchmetrics") else real(name, *a),
    )
    lines = module.lightning_lines(data=None, engine=1.0, skip=False)
    assert lines == [
        "(c) Lightning recipe: skipped, lightning and torchmetrics not installed "
        "(pip install -e '.[bench]')"
    ]
    assert module.lightning_lines(None, 1.0, skip=True) == [
        "(c) Lightning recipe: skipped (--skip-lightning)"
    ]
