"""Hardware-aware search: the graph/hardware/jsc_mlp space, luts/ffs/latency_cycles metrics,
constraints on them, and --verify-hardware (yosys beside the cost model)."""

from __future__ import annotations

import copy

import pytest

from carve.config import CarveConfig
from carve.errors import CarveError
from carve.search.session import run_search

TABLE = {
    "search_space": {
        "name": "graph/hardware/jsc_mlp",
        "setup": {"train_epochs": 1},
        # 3-4 bits: at 2 bits a one-epoch model's weights round to zero, a constant network
        # that yosys maps to no LUT at all (the verified trial must have logic to compare)
        "seed": {"hidden": [[4], [6, 4]], "data_width": [3, 4], "weight_width": [3, 4],
                 "sparsity": [0.0, 0.75]},
    },
    "strategy": {
        "constraints": ["luts <= 100000"],
        "sw_runner": {"basic_evaluation": {"num_samples": 256}},
        "setup": {"sampler": "random", "n_trials": 6},
        "metrics": {"accuracy": {"direction": "maximize"}, "luts": {"direction": "minimize"},
                    "latency_cycles": {"direction": "minimize"}},
    },
}  # fmt: skip


def _config(tmp_path) -> CarveConfig:
    return CarveConfig(model="jsc-tiny", dataset="jsc-synth", data_size=1500, batch_size=128,
                       project_dir=str(tmp_path), project="h", progress=False)  # fmt: skip


def test_hardware_search_measures_the_cost_model_and_checks_with_yosys(tmp_path):
    outcome = run_search(_config(tmp_path), TABLE, progress=False, verify_hardware=1)
    frame = outcome.frame
    assert len(frame) == 6
    for _, row in frame.iterrows():
        depth = 1 if row["hidden"] == 0 else 2
        # BatchNorm, (Linear BatchNorm ReLU) x depth, Linear: one register stage per node
        assert row["latency_cycles"] == 3 * depth + 2
        assert row["luts"] > 0 and row["ffs"] > 0
    verified = frame[frame["yosys_luts"].notna()]
    assert len(verified) == 1 and bool(verified["best"].iloc[0])
    row = verified.iloc[0]
    assert row["yosys_luts"] > 0 and row["yosys_ffs"] > 0
    assert row["luts_model_error"] == pytest.approx(row["luts"] / row["yosys_luts"] - 1, abs=1e-3)
    table = (outcome.folder / "hardware.md").read_text()
    assert "yosys estimate (not Vivado)" in table and "yosys_luts" in table
    assert "yosys_luts" in (outcome.folder / "results.md").read_text()
    trial = int(row["number"])
    assert (outcome.folder / "hardware" / f"trial_{trial}" / "rtl" / "carve_net.v").is_file()


def test_a_lut_constraint_marks_infeasible_trials(tmp_path):
    table = copy.deepcopy(TABLE)
    table["strategy"]["constraints"] = ["luts <= 1"]
    outcome = run_search(_config(tmp_path), table, progress=False)
    assert not outcome.frame["feasible"].any()
    assert not (outcome.folder / "hardware.md").exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"seed": {"hidden": [[4]], "depth": [2]}}, r"unknown key\(s\) depth; accepted: hidden"),
        ({"seed": {"weight_width": [1, 4]}}, r"weight_width: 1 is not accepted"),
        ({"seed": {"sparsity": [1.0]}}, r"sparsity: 1.0 is not accepted"),
        ({"setup": {"train_epochs": 0}}, "train_epochs must be an integer >= 1"),
    ],
)
def test_bad_space_input_is_one_line(tmp_path, change, message):
    table = copy.deepcopy(TABLE)
    table["search_space"].update(change)
    with pytest.raises(CarveError, match=message):
        run_search(_config(tmp_path), table, progress=False)


def test_verify_hardware_count_is_checked(tmp_path):
    with pytest.raises(CarveError, match="--verify-hardware must be an integer >= 0, got -1"):
        run_search(_config(tmp_path), TABLE, progress=False, verify_hardware=-1)
