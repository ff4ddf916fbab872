"""Each bad input a new user tried gets one clear line, before anything is written."""

from __future__ import annotations

import math

import pytest

from carve.cli.main import main
from carve.errors import CarveError
from carve.search.session import run_search
from carve.search.spec import parse_search_table


@pytest.mark.parametrize("name", ["../../x", "/tmp/carve-outside", "a/b", "..", ""])
def test_search_name_must_stay_inside_the_search_root(toy_config, by_type, tmp_path, name):
    with pytest.raises(CarveError, match=r"^--search-name .* is not accepted: one folder name"):
        run_search(toy_config, by_type, search_name=name, progress=False)
    assert not (tmp_path / "p").exists() and not (tmp_path.parent / "x").exists()


def test_workers_are_capped_at_the_machine_s_cores(toy_config, by_type):
    with pytest.raises(CarveError, match=r"^--workers 10000: at most \d+ on this machine"):
        run_search(toy_config, by_type, workers=10000, progress=False)


@pytest.mark.parametrize("name", ["", "   "])
def test_an_empty_study_name_is_refused(toy_config, by_type, name):
    with pytest.raises(CarveError, match=r"^--study-name .* is empty"):
        run_search(toy_config, by_type, study_name=name, progress=False)


@pytest.mark.parametrize(
    "setup, message",
    [
        ({"timeout": math.nan}, "timeout must be a finite number, got nan"),
        ({"timeout": 0}, "timeout must be a number of seconds above 0, got 0"),
        ({"timeout": -5}, "timeout must be a number of seconds above 0, got -5"),
    ],
)
def test_bad_timeouts_in_the_table(setup, message):
    with pytest.raises(CarveError, match=message):
        parse_search_table({"strategy": {"setup": setup}})


def test_a_nan_scale_and_an_empty_metrics_table_are_refused():
    nan = {"accuracy": {"scale": math.nan}}
    with pytest.raises(CarveError, match=r"accuracy\] scale must be a finite number, got nan"):
        parse_search_table({"strategy": {"metrics": nan}})
    with pytest.raises(CarveError, match=r"^\[search.strategy.metrics\] is empty: name at least"):
        parse_search_table({"strategy": {"metrics": {}}})


@pytest.mark.parametrize("value", ["nan", "0", "-1", "inf"])
def test_cli_timeout_is_one_line_exit_2(toy_checkpoint, tmp_path, capsys, value):
    config = tmp_path / "s.toml"
    config.write_text('model = "jsc-toy"\ndataset = "jsc-synth"\ndata_size = 3000\n[search]\n')
    code = main(["search", "--config", str(config), "--load", toy_checkpoint,
                 f"--timeout={value}", "--project-dir", str(tmp_path / "o")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("carve: error: --timeout ") and err.count("\n") == 1
    assert "must be a number of seconds above 0" in err
    assert not (tmp_path / "o").exists()


def test_a_constraint_no_trial_meets_says_so(toy_config, by_type):
    by_type["strategy"]["setup"]["n_trials"] = 3
    by_type["strategy"]["constraints"] = ["accuracy >= 2"]
    outcome = run_search(toy_config, by_type, progress=False)
    assert len(outcome.frame) == 3
    (note,) = outcome.notes
    assert note.startswith("no feasible trial: none of the 3 complete trial(s) meets accuracy >= 2")
    assert not (outcome.folder / "best_transform.toml").exists()


def test_a_stored_study_reused_with_another_space_gives_a_warning(toy_config, by_type, tmp_path):
    storage = f"sqlite:///{tmp_path / 'shared.db'}"
    by_type["strategy"]["setup"]["n_trials"] = 2
    first = run_search(toy_config, by_type, storage=storage, study_name="s", progress=False)
    assert first.notes == []
    again = run_search(toy_config, by_type, storage=storage, study_name="s", progress=False)
    assert again.notes == []  # the same space: no warning
    by_type["search_space"]["seed"]["linear"]["config"]["weight_width"] = [3, 5]
    by_type["strategy"]["setup"]["n_trials"] = 4
    other = run_search(toy_config, by_type, storage=storage, study_name="s", progress=False)
    (note,) = other.notes
    assert note.startswith("warning: study 's' in sqlite:///") and "another search space" in note
    assert "weight_width" in note


@pytest.mark.parametrize("value", [0, -3, 1.5, True])
def test_a_heartbeat_below_one_second_is_refused(toy_config, by_type, value):
    with pytest.raises(CarveError, match=r"^--heartbeat must be a whole number of seconds, 1 or "):
        run_search(toy_config, by_type, heartbeat=value, progress=False)
