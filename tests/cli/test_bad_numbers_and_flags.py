"""Bad numbers, flag combinations and TOML tables: one clear line, exit 2, nothing written."""

from __future__ import annotations

import pytest
import torch

from carve.cli.main import main


@pytest.fixture(autouse=True)
def workdir(tmp_path, monkeypatch):
    monkeypatch.setenv("CARVE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _fails(argv, capsys, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("carve: error: "), err
    assert message in err, err


TRAIN = ["train", "jsc-tiny", "jsc-synth", "--data-size", "500", "--no-progress"]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--weight-decay", "inf"], "weight_decay must be a finite number >= 0, got inf"),
        (["--eta-min", "inf"], "eta_min must be a finite number >= 0, got inf"),
        (["--learning-rate", "-inf"], "learning_rate must be a finite number > 0, got -inf"),
        (["--seed", str(2**80)], f"seed must be an integer >= 0 and <= 4294967295, got {2**80}"),
        (["--num-threads", "100000000"], "num_threads must be an integer >= 1 and <= 1024"),
        (["--max-epochs", "100000000"], "max_epochs must be an integer >= 1 and <= 100000"),
    ],
)
def test_absurd_or_non_finite_numbers_are_refused(workdir, capsys, flags, message):
    _fails([*TRAIN, *flags], capsys, message)
    assert not (workdir / "carve_output").exists()


def test_infinite_learning_rate_in_toml_names_the_file(workdir, capsys):
    (workdir / "run.toml").write_text("learning_rate = inf\n")
    _fails([*TRAIN, "--config", "run.toml"], capsys, "learning_rate must be a finite number > 0")


def test_study_refuses_an_infinite_learning_rate_and_absurd_epochs(workdir, capsys):
    study = ["study", "jsc-tiny", "jsc-synth", "--data-size", "500", "--no-progress",
             "--study-dir", str(workdir / "s")]  # fmt: skip
    _fails([*study, "--vary", "learning-rate=1e-3,inf"], capsys,
           "--vary learning-rate: learning_rate must be a finite number > 0, got inf")  # fmt: skip
    _fails([*study, "--vary", "batch-size=64", "--max-epochs", "100000000"], capsys,
           "max_epochs must be an integer >= 1 and <= 100000")  # fmt: skip
    assert not (workdir / "s").exists()


def test_data_size_beyond_memory_is_refused_before_allocating(capsys):
    _fails(["train", "jsc-tiny", "jsc-synth", "--data-size", "10000000000"], capsys,
           "dataset 'jsc-synth': size=10,000,000,000 needs about 4.7 TiB of memory to build "
           "(~512 bytes a row) and ")  # fmt: skip


def test_resume_with_load_is_an_error_not_a_silent_choice(workdir, capsys):
    (workdir / "weights.ckpt").write_bytes(b"x")
    _fails([*TRAIN, "--resume", "--load", "weights.ckpt"], capsys,
           "--resume continues the project's own training_ckpts/last.ckpt and would ignore "
           "--load weights.ckpt")  # fmt: skip


def test_unknown_toml_table_is_an_error_with_a_hint(workdir, capsys):
    (workdir / "run.toml").write_text('[pases.quantize]\nby = "type"\n')
    _fails([*TRAIN, "--config", "run.toml"], capsys,
           "run.toml: unknown table [pases] (did you mean [passes]?); known tables: [export], "
           "[passes], [prune], [search], [study], [transform]")  # fmt: skip


def test_known_tables_stay_accepted(workdir):
    from carve.config import read_config_file

    (workdir / "run.toml").write_text(
        '[passes.quantize]\nby = "type"\n[search.strategy]\nn_trials = 2\n[study]\nseeds = 2\n'
        '[transform]\nstyle = "graph"\n'
    )
    _, tables = read_config_file("run.toml")
    assert sorted(tables) == ["passes", "search", "study", "transform"]


def test_carve_test_uses_the_training_thread_policy(workdir, capsys):
    assert main([*TRAIN, "--max-epochs", "1", "--project", "p"]) == 0
    best = workdir / "carve_output/p/software/latest/training_ckpts/best.ckpt"
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        assert (
            main(["test", "jsc-tiny", "jsc-synth", "--data-size", "500", "--load", str(best)]) == 0
        )
        assert torch.get_num_threads() == 1  # jsc-tiny: 117 parameters -> one thread
        torch.set_num_threads(2)
        assert main(["test", "jsc-tiny", "jsc-synth", "--data-size", "500", "--load", str(best),
                     "--num-threads", "2"]) == 0  # fmt: skip
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_info_reports_an_import_error_instead_of_skipping(monkeypatch, capsys):
    import carve.cli.main as cli

    monkeypatch.setitem(cli.INFO_SECTIONS, "models", ("carve.models.no_such_module", "x"))
    _fails(["--info", "models"], capsys,
           "carve --info models: cannot import what carve.models.no_such_module needs "
           "(ModuleNotFoundError: No module named 'carve.models.no_such_module')")  # fmt: skip
