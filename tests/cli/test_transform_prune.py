"""``carve transform`` with the configs/prune files: they run, and report the sparsity they set."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from carve.cli.main import main

CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "prune"
# config -> expected total weight sparsity of the Linear layers (5,280 weights)
EXPECTED = {
    "local_l1": 0.5,
    "global_l1": 0.75,
    "channel": (16 * 16 + 8 * 64 + 8 * 32 + 8 * 32) / 5280,  # a quarter of each hidden layer's rows
    "prune_int4": 0.75,
}


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")  # one generated dataset for all four runs


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_prune_configs_run_and_reach_their_sparsity(tmp_path, monkeypatch, capsys, cache, name):
    monkeypatch.setenv("CARVE_CACHE_DIR", str(cache))
    common = ["--project-dir", str(tmp_path), "--project", "p", "--data-size", "1500",
              "--no-progress"]  # fmt: skip
    code = main(["transform", "--config", str(CONFIGS / f"{name}.toml"), *common])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Sparse storage: bitmask" in out
    table = tmp_path / "p" / "software" / "transform" / "latest" / "sparsity" / "sparsity.csv"
    total = list(csv.DictReader(table.open()))[-1]
    assert float(total["weight_sparsity"]) == pytest.approx(EXPECTED[name], abs=1 / 5280)
    if name == "prune_int4":
        saved = tmp_path / "p" / "software" / "transform" / "latest" / "transformed_ckpt"
        assert main(["test", "--load", str(saved), "jsc-s", "jsc-synth", *common]) == 0
