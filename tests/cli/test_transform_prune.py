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


WIDTHS_16_8 = {"data_in": (16, 8), "weight": (8, 4), "bias": (8, 4)}  # (width, frac)
QUANTIZE_16_8 = (
    'model = "jsc-s"\ndataset = "jsc-synth"\n[passes.quantize]\nby = "type"\n'
    'default.config.name = "NA"\n[passes.quantize.linear.config]\nname = "integer"\n'
    + "".join(f"{k}_width = {w}\n{k}_frac_width = {f}\n" for k, (w, f) in WIDTHS_16_8.items())
)
PRUNE_REPORT = """
model = "jsc-s"
dataset = "jsc-synth"
[passes.prune.weight]
sparsity = 0.5
method = "l1-norm"
[passes.report_sparsity]
"""


def test_pruning_a_saved_quantized_graph_costs_at_its_widths_per_sample(
    tmp_path, monkeypatch, capsys, cache
):
    """Issue 22 items 6-7: a quantized graph loaded and pruned by ``carve transform`` is
    costed at 16-bit inputs x 8-bit weights (not 32 x 32), per input sample (not per batch)."""
    monkeypatch.setenv("CARVE_CACHE_DIR", str(cache))
    common = ["--project-dir", str(tmp_path), "--project", "p", "--data-size", "1500",
              "--no-progress"]  # fmt: skip
    (tmp_path / "q.toml").write_text(QUANTIZE_16_8)
    (tmp_path / "p.toml").write_text(PRUNE_REPORT)
    assert main(["transform", "--config", str(tmp_path / "q.toml"), *common]) == 0
    saved = tmp_path / "p" / "software" / "transform" / "latest" / "transformed_ckpt"
    assert main(["transform", "--config", str(tmp_path / "p.toml"), "--load", str(saved),
                 *common]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "MACs/sample (dense)" in out
    table = tmp_path / "p" / "software" / "transform" / "latest" / "sparsity" / "sparsity.csv"
    rows = {r["node"]: r for r in csv.DictReader(table.open())}
    first = rows["module_list_2"]  # Linear(16, 64): 1,024 weights, half of them zero
    assert float(first["dense_macs"]) == 16 * 64  # one sample, not a 128-row batch
    assert float(first["macs"]) == 512
    assert float(first["bitops"]) == 512 * 16 * 8
    # bitmask (1 bit/weight) + 512 non-zero 8-bit weights + 64 dense 8-bit biases
    assert float(first["weight_bits"]) == 1024 + 512 * 8 + 64 * 8
