"""``carve train`` / ``carve test`` end to end through ``carve.cli.main.main``."""

from __future__ import annotations

import datetime

import pytest
import torch

from carve.cli.main import main
from carve.data import get_dataset
from carve.models import get_model, load_model
from carve.train import evaluate

SMALL = ["--data-size", "2000"]


@pytest.fixture(autouse=True)
def workdir(tmp_path, monkeypatch):
    """Run in a temp dir (./carve_output lands there) with a private dataset cache."""
    monkeypatch.setenv("CARVE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def project(model="jsc-tiny"):
    return f"carve_output/{model}_classification_jsc-synth_{datetime.date.today()}"


def test_train_prints_sections_in_order_then_test_reports_test_metrics(workdir, capsys):
    argv = ["train", "jsc-tiny", "jsc-synth", "--max-epochs", "2", "--batch-size", "64",
            "--learning-rate", "1e-2", "--no-progress", *SMALL]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    order = ["Configuration", "Project will be created at", "Model summary", "epoch 1/2",
             "epoch 2/2", "Final metrics"]  # fmt: skip
    positions = [out.index(text) for text in order]
    assert positions == sorted(positions)
    assert "val_acc" in out.split("Final metrics")[1]
    assert "117" in out  # the summary's total parameter count
    best = workdir / project() / "software/latest/training_ckpts/best.ckpt"
    assert best.is_file() and (best.parent / "last.ckpt").is_file()

    assert main(["test", "jsc-tiny", "jsc-synth", "--load", str(best), *SMALL]) == 0
    out = capsys.readouterr().out
    test_split = get_dataset("jsc-synth", size=2000).test
    expected = evaluate(load_model(best, "ours", get_model("jsc-tiny")), test_split)
    assert f"{expected['acc']:.6g}" in out.split("test_acc")[1].splitlines()[0]
    assert f"{expected['loss']:.6g}" in out.split("test_loss")[1].splitlines()[0]
    rows = f"Test rows: {len(test_split):,}, the test split of jsc-synth at --data-size 2,000"
    assert f"{rows}, as the checkpoint was trained" in out
    # issue 22 item 8: another size than the run's is said, with the flag for the run's own
    assert main(["test", "jsc-tiny", "jsc-synth", "--load", str(best), "--data-size", "1000"]) == 0
    out = capsys.readouterr().out
    assert "at --data-size 1,000; the checkpoint was trained on --data-size 2000: pass " in out
    assert "pass --data-size 2000 to test that run's own test split" in out


def test_config_file_and_model_file(workdir, capsys):
    (workdir / "mine.py").write_text(
        "from torch import nn\nfrom carve.models import register_model\n\n"
        "@register_model('cli-user-mlp')\ndef build(info):\n"
        "    return nn.Linear(info['num_features'], info['num_classes'])\n"
    )
    (workdir / "run.toml").write_text(
        'model = "cli-user-mlp"\ndataset = "jsc-synth"\nmax_epochs = 1\nbatch_size = 512\n'
        'model_file = "mine.py"\nproject = "from-toml"\n[passes.quantize]\nby = "type"\n'
    )
    assert main(["train", "--config", "run.toml", "--no-progress", *SMALL]) == 0
    out = capsys.readouterr().out
    assert "Config file" in out and "from-toml" in out
    assert (workdir / "carve_output/from-toml/software/latest/training_ckpts/last.ckpt").is_file()


def test_pl_checkpoint_through_the_cli(workdir, capsys):
    model = get_model("jsc-tiny")
    torch.save({"state_dict": {f"model.{k}": v for k, v in model.state_dict().items()}},
               workdir / "mase.ckpt")  # fmt: skip
    argv = ["test", "jsc-tiny", "jsc-synth", "--load", "mase.ckpt", "--load-type", "pl", *SMALL]
    assert main(argv) == 0
    assert "test_loss" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "jsc-tny", "jsc-synth"], "unknown model 'jsc-tny'; did you mean 'jsc-tiny'?"),
        (["train", "jsc-tiny", "jsc-synht"], "did you mean 'jsc-synth'?"),
        (["train", "jsc-tiny", "jsc-synth", "--batch-size", "0"], "batch_size must be"),
        (["train", "jsc-tiny", "jsc-synth", "--learning-rate", "-1e-3"], "learning_rate must be"),
        (["test", "jsc-tiny", "jsc-synth", *SMALL], "needs a checkpoint"),
        (["test", "jsc-tiny", "jsc-synth", "--load", "absent.ckpt", *SMALL], "does not exist"),
        (["train", "--config", "bad.toml"], "bad.toml: malformed TOML"),
        (["train", "jsc-tiny", "jsc-synth", "--model-file", "nope.py"], "does not exist"),
        (["trian", "jsc-tiny"], "unknown action 'trian'; did you mean 'train'?"),
    ],
)
def test_user_errors_are_one_line_with_exit_2(workdir, capsys, argv, message):
    (workdir / "bad.toml").write_text("model = 'jsc-tiny'\nmax_epochs = = 3\n")
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert out == ""  # caught up front, before the config table is printed


def test_checkpoint_of_another_model_says_which_tensors(workdir, capsys):
    torch.save(get_model("jsc-tiny").state_dict(), workdir / "tiny.pt")
    argv = ["test", "jsc-toy", "jsc-synth", "--load", "tiny.pt", "--load-type", "pt", *SMALL]
    assert main(argv) == 2
    assert "shape mismatch: seq_blocks.2.weight [5, 16] vs model [8, 16]" in capsys.readouterr().err


def test_debug_shows_the_traceback(workdir):
    from carve.errors import CarveError

    with pytest.raises(CarveError):
        main(["train", "jsc-tny", "jsc-synth", "--debug"])


def test_top_level_flags_alone_print_help(capsys):
    assert main(["--debug"]) == 0
    assert "actions:" in capsys.readouterr().out


def test_project_dir_that_is_a_file_is_one_line(workdir, capsys):
    (workdir / "taken").write_text("")
    argv = ["train", "jsc-tiny", "jsc-synth", "--project-dir", "taken", "--max-epochs", "1", *SMALL]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Not a directory" in err and "taken" in err and "Traceback" not in err
