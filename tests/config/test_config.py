"""Config: MASE defaults, precedence, TOML ("NA", errors, pass-through tables), table."""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path

import pytest

from carve.config import (
    CarveConfig,
    add_common_flags,
    config_rows,
    dumps_toml,
    load_toml,
    resolve_config,
    save_toml,
)
from carve.errors import CarveError


def parse(argv: list[str]) -> CarveConfig:
    parser = argparse.ArgumentParser()
    add_common_flags(parser)
    return resolve_config(parser.parse_intermixed_args(argv))


def write(tmp_path, text: str, name: str = "run.toml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_defaults_are_mase_early_2024_values():
    config = CarveConfig()
    assert (config.batch_size, config.learning_rate, config.max_epochs) == (128, 1e-5, 20)
    assert (config.training_optimizer, config.seed, config.weight_decay) == ("adam", 0, 0.0)
    assert (config.max_steps, config.accumulate_grad_batches, config.eta_min) == (-1, 1, 1e-6)
    assert (config.task, config.project_dir, config.log_every_n_steps) == (
        "classification",
        "./carve_output",
        50,
    )


def test_default_project_name_is_model_task_dataset_date():
    config = parse(["jsc-tiny", "jsc-synth"])
    assert config.project == f"jsc-tiny_classification_jsc-synth_{datetime.date.today()}"


def test_precedence_default_then_toml_then_command_line(tmp_path):
    path = write(tmp_path, 'model = "jsc-toy"\ndataset = "jsc-synth"\nbatch_size = 512\n'
                 "max_epochs = 5\nlearning_rate = 1e-2\n")  # fmt: skip
    config = parse(["--config", path, "--max-epochs", "7"])
    assert (config.model, config.batch_size, config.learning_rate) == ("jsc-toy", 512, 0.01)
    assert config.max_epochs == 7  # command line beats the file
    assert config.weight_decay == 0.0  # neither: default
    assert config.provenance.file_values["max_epochs"] == 5
    assert config.provenance.cli_values == {"max_epochs": 7}


def test_explicit_command_line_value_equal_to_default_beats_toml(tmp_path):
    path = write(tmp_path, 'model = "jsc-tiny"\ndataset = "jsc-synth"\nbatch_size = 512\n'
                 "progress = false\n")  # fmt: skip
    config = parse(["--config", path, "--batch-size", "128", "--progress"])
    assert config.batch_size == 128  # MASE would keep 512 here
    assert config.progress is True


def test_na_means_none_and_positionals_override_file(tmp_path):
    path = write(tmp_path, 'model = "jsc-toy"\ndataset = "jsc-synth"\nload_name = "NA"\n'
                 'project = "NA"\nt_max = "NA"\n')  # fmt: skip
    config = parse(["jsc-tiny", "--config", path])
    assert config.load_name is None and config.t_max is None
    assert config.model == "jsc-tiny" and config.project.startswith("jsc-tiny_")
    assert config.effective_t_max == config.max_epochs


def test_unknown_toml_key_is_an_error_naming_it(tmp_path):
    path = write(tmp_path, 'model = "jsc-tiny"\nbatch_sise = 3\nfoo = 1\n')
    with pytest.raises(CarveError) as error:
        parse(["--config", path])
    message = str(error.value)
    assert "'batch_sise'" in message and "did you mean 'batch_size'" in message
    assert "'foo'" in message and path in message


def test_non_flag_tables_pass_through_to_actions(tmp_path):
    path = write(tmp_path, 'model = "jsc-tiny"\ndataset = "jsc-synth"\n'
                 '[passes.quantize]\nby = "type"\n[passes.quantize.default.config]\n'
                 'name = "NA"\n[search.strategy]\nn_trials = 5\n')  # fmt: skip
    config = parse(["--config", path])
    assert config.tables["passes"]["quantize"]["by"] == "type"
    assert config.tables["passes"]["quantize"]["default"]["config"]["name"] is None
    assert config.tables["search"] == {"strategy": {"n_trials": 5}}


def test_malformed_toml_names_file_and_line(tmp_path):
    path = write(tmp_path, 'model = "jsc-tiny"\nbatch_size = \nseed = 1\n')
    with pytest.raises(CarveError) as error:
        parse(["--config", path])
    assert path in str(error.value) and "line 2" in str(error.value)


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--batch-size", "0"], "batch_size must be an integer >= 1, got 0"),
        (["--learning-rate", "-0.1"], "learning_rate must be a finite number > 0"),
        (["--learning-rate", "0"], "learning_rate must be a finite number > 0"),
        (["--max-epochs", "0"], "max_epochs must be an integer >= 1"),
        (["--weight-decay", "-1"], "weight_decay must be a finite number >= 0"),
        (["--accumulate-grad-batches", "0"], "accumulate_grad_batches must be an integer >= 1"),
        (["--learning-rate", "nan"], "learning_rate must be a finite number > 0"),
    ],
)
def test_out_of_range_command_line_values(argv, fragment):
    with pytest.raises(CarveError, match=fragment.replace("(", r"\(")):
        parse(["jsc-tiny", "jsc-synth", *argv])


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ('batch_size = "big"', "batch_size must be an integer >= 1, got 'big'"),
        ("batch_size = true", "batch_size must be an integer"),
        ("learning_rate = -1e-3", "learning_rate must be a finite number > 0"),
        ('training_optimizer = "rmsprop"', "training_optimizer must be one of adam, adamw, sgd"),
        ("batch_size = 4.5", "batch_size must be an integer"),
    ],
)
def test_bad_toml_values_name_key_and_file(tmp_path, line, fragment):
    path = write(tmp_path, f'model = "jsc-tiny"\ndataset = "jsc-synth"\n{line}\n')
    with pytest.raises(CarveError) as error:
        parse(["--config", path])
    assert fragment in str(error.value) and path in str(error.value)


def test_integer_toml_value_for_float_option_widens(tmp_path):
    path = write(tmp_path, 'model = "jsc-tiny"\ndataset = "jsc-synth"\nlearning_rate = 1\n')
    config = parse(["--config", path])
    assert config.learning_rate == 1.0 and isinstance(config.learning_rate, float)


def test_missing_model_or_config_file_is_an_error(tmp_path):
    with pytest.raises(CarveError, match="no model given"):
        parse([])
    with pytest.raises(CarveError, match="does not exist"):
        parse(["--config", str(tmp_path / "absent.toml")])
    with pytest.raises(CarveError, match=r"must end in \.toml"):
        parse(["--config", write(tmp_path, "seed = 1\n", name="run.txt")])


def test_toml_round_trip_with_none_nested_tables_and_quoting(tmp_path):
    data = {
        "model": "jsc-tiny",
        "load_name": None,
        "learning_rate": 1e-05,
        "flags": [1, None, 'a"b'],
        "passes": {"quantize": {"by": "type", "default": {"config": {"name": None, "w": 8}}}},
    }
    path = save_toml(data, tmp_path / "out.toml")
    assert load_toml(path) == data
    assert 'load_name = "NA"' in dumps_toml(data)


def test_table_has_config_file_column_only_with_config(tmp_path):
    columns, rows = config_rows(parse(["jsc-tiny", "jsc-synth", "--batch-size", "256"]))
    assert columns == ["Name", "Default", "Manual override", "Effective"]
    assert ["batch_size", "128", "256", "256"] in rows
    assert not any(row[0] == "config" for row in rows)
    path = write(tmp_path, "batch_size = 512\nmax_epochs = 3\n")
    columns, rows = config_rows(parse(["jsc-tiny", "jsc-synth", "--config", path,
                                       "--batch-size", "256"]))  # fmt: skip
    assert columns == ["Name", "Default", "Config file", "Manual override", "Effective"]
    assert ["batch_size", "128", "512", "256", "256"] in rows
    assert ["max_epochs", "20", "3", "", "3"] in rows
    assert ["load_name", "None", "", "", "None"] in rows


def test_python_api_validates_and_round_trips():
    config = CarveConfig(model="jsc-tiny", dataset="jsc-synth", max_epochs=3)
    assert CarveConfig.from_dict(config.to_dict()) == config
    assert config.replace(batch_size=64).batch_size == 64
    with pytest.raises(CarveError, match="unknown config key"):
        config.replace(batch=64)
    with pytest.raises(CarveError, match="unknown config key"):
        CarveConfig.from_dict({"modle": "x"})
    assert CarveConfig(data_size=500, data_path="x.h5").dataset_options() == {
        "data_path": "x.h5",
        "size": 500,
    }


def test_config_built_in_python_gets_the_default_project_folder():
    from carve.config import project_path
    from carve.config.resolve import default_project

    config = CarveConfig(model="jsc-tiny", dataset="jsc-synth", project_dir="out")
    assert config.project is None
    expected = default_project("jsc-tiny", "classification", "jsc-synth")
    assert project_path(config) == Path("out") / expected
    with pytest.raises(CarveError, match="no project name"):
        project_path(CarveConfig(project_dir="out"))
