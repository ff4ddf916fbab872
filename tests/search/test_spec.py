"""The [search] table: MASE's schema loads; bad input fails with one line naming the key."""

from __future__ import annotations

import pytest

from carve.config.toml_io import load_toml
from carve.errors import CarveError
from carve.search.spec import parse_search_table


def test_mase_example_loads_unchanged(tmp_path):
    # MASE's jsc_toy_by_type.toml search tables, verbatim (keys carve ignores included)
    text = """
[search.search_space]
name = "graph/quantize/mixed_precision_ptq"
[search.search_space.setup]
by = "name"
[search.search_space.seed.default.config]
name = ["NA"]
[search.search_space.seed.linear.config]
name = ["integer"]
data_in_width = [4, 8]
data_in_frac_width = ["NA"]
[search.strategy]
name = "optuna"
eval_mode = true
[search.strategy.sw_runner.basic_evaluation]
data_loader = "val_dataloader"
num_samples = 512
[search.strategy.hw_runner.average_bitwidth]
compare_to = 32
[search.strategy.setup]
n_jobs = 1
n_trials = 20
timeout = 20000
sampler = "tpe"
sum_scaled_metrics = false
[search.strategy.metrics]
accuracy.scale = 1.0
accuracy.direction = "maximize"
average_bitwidth.scale = 0.2
average_bitwidth.direction = "minimize"
"""
    path = tmp_path / "s.toml"
    path.write_text(text)
    spec = parse_search_table(load_toml(path)["search"])
    assert spec.sampler == "tpe" and spec.n_trials == 20 and spec.timeout == 20000.0
    assert spec.runner.split == "val" and spec.runner.num_samples == 512
    assert spec.seed["linear"]["config"]["data_in_frac_width"] == [None]  # "NA" -> None
    assert [(m.name, m.scale, m.direction) for m in spec.metrics] == [
        ("accuracy", 1.0, "maximize"),
        ("average_bitwidth", 0.2, "minimize"),
    ]
    assert spec.multi_objective and spec.directions == ["maximize", "minimize"]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            {"strategy": {"setup": {"sampler": "tep"}}},
            "[search.strategy.setup] sampler: unknown search strategy 'tep'; did you mean 'tpe'?",
        ),
        (
            {"search_space": {"name": "graph/quantize/mixed"}},
            "[search.search_space] name: unknown search space 'graph/quantize/mixed'",
        ),
        (
            {"strategy": {"metrics": {"acuracy": {"direction": "maximize"}}}},
            "unknown search metric 'acuracy'; did you mean 'accuracy'?",
        ),
        (
            {"strategy": {"metrics": {"accuracy": {"direction": "max"}}}},
            "[search.strategy.metrics.accuracy] direction: 'max' is not accepted; "
            "accepted: maximize, minimize",
        ),
        (
            {"strategy": {"setup": {"n_trials": 0}}},
            "[search.strategy.setup] n_trials must be >= 1, got 0",
        ),
        (
            {"strategy": {"setup": {"ntrials": 5}}},
            "[search.strategy.setup]: unknown key(s) 'ntrials'; accepted: n_jobs, n_trials",
        ),
        (
            {"strategy": {"constraints": ["accuracy_drop < 0.01"]}},
            "'accuracy_drop < 0.01' is not 'METRIC <= NUMBER' or 'METRIC >= NUMBER'",
        ),
        (
            {"strategy": {"sw_runner": {"basic_evaluation": {"data_loader": "dev"}}}},
            "data_loader: 'dev' is not accepted; accepted: val_dataloader",
        ),
        ({"strategy": {"name": "rl"}}, "[search.strategy] name: 'rl' is not accepted"),
        # typed by carve.schema: wrong types and bounds name the key (no TypeError on a list)
        (
            {"strategy": {"sw_runner": {"basic_evaluation": {"data_loader": ["val"]}}}},
            "[search.strategy.sw_runner.basic_evaluation] data_loader must be str or None, "
            "got list ['val']",
        ),
        (
            {"strategy": {"sw_runner": {"basic_evaluation": {"learning_rate": -1}}}},
            "[search.strategy.sw_runner.basic_evaluation] learning_rate must be >= 0, got -1",
        ),
        (
            {"strategy": {"hw_runner": {"average_bitwidth": {"compare_to": 0.5}}}},
            "[search.strategy.hw_runner.average_bitwidth] compare_to must be >= 1, got 0.5",
        ),
        (
            {"strategy": {"setup": {"sum_scaled_metrics": 1}}},
            "[search.strategy.setup] sum_scaled_metrics must be bool, got int 1",
        ),
        (
            {"strategy": {"metrics": {"accuracy": {"scales": 1.0}}}},
            "[search.strategy.metrics.accuracy]: unknown key(s) 'scales'; "
            "accepted: scale, direction",
        ),
    ],
)
def test_bad_tables_fail_naming_the_key(table, message):
    with pytest.raises(CarveError) as error:
        parse_search_table(table)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_constraints_parse_and_measure_violation():
    spec = parse_search_table(
        {"strategy": {"constraints": ["accuracy_drop <= 0.01", "model_size >= 100"]}}
    )
    drop, size = spec.constraints
    assert str(drop) == "accuracy_drop <= 0.01"
    assert drop.violation(0.005) == pytest.approx(-0.005) and drop.violation(0.03) > 0
    assert size.violation(150) < 0 and size.violation(50) == 50
