"""Every run of a study is checked before any trains; one error lists what cannot train."""

from __future__ import annotations

import pytest

import carve.study
from carve.cli.main import main
from carve.errors import CarveError
from carve.study.report import markdown_table, summarize
from carve.study.spec import parse_vary

SMALL = ["--data-size", "600", "--max-epochs", "1", "--no-progress"]


@pytest.mark.parametrize(
    ("vary", "message"),
    [
        (["--vary", "devices=1,2"], "run num_devices=2,seed=0: carve trains on one device"),
        (["--vary", "dataset=jsc-synth,jsc"], "run dataset=jsc,seed=0: dataset 'jsc' has no"),
        (["--vary", "model=jsc-tiny,jsc-tny"], "run model=jsc-tny,seed=0: unknown model 'jsc-tny'"),
    ],
)  # fmt: skip
def test_a_run_that_cannot_train_stops_the_study_before_any_output(tmp_path, capsys, vary, message):
    code = main(
        ["study", "jsc-tiny", "jsc-synth", *vary, *SMALL, "--study-dir", str(tmp_path / "s")]
    )
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.startswith("carve: error: study not started, 1 run setting(s) cannot train")
    assert message in captured.err
    assert captured.out == "" and not (tmp_path / "s").exists()


def test_an_absent_accelerator_is_refused_up_front(tmp_path):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a GPU is visible here")
    with pytest.raises(CarveError, match="run accelerator=gpu,seed=0: accelerator 'gpu' asked"):
        carve.study.run("jsc-tiny", "jsc-synth", {"accelerator": ["cpu", "gpu"]},
                        study_dir=tmp_path / "s", data_size=600, max_epochs=1)  # fmt: skip
    assert not (tmp_path / "s").exists()


def test_two_spellings_of_one_setting_and_unvariable_flags():
    with pytest.raises(CarveError, match=r"two spellings of one setting.*'classification', 'cls'"):
        parse_vary("task=cls,classification")
    with pytest.raises(CarveError, match="--vary: load cannot be varied by a study"):
        parse_vary("load-name=a.ckpt,b.ckpt")
    with pytest.raises(CarveError) as error:
        parse_vary("batchsize=64")
    text = str(error.value)
    assert "did you mean 'batch-size'?" in text and "load" not in text.split("vary:")[-1]
    assert " devices," in text and "num-devices" not in text


def test_parameter_column_when_models_vary():
    records = [{"values": {"model": m}, "seed": 0, "test_acc": 0.5, "test_loss": 1.0,
                "train_seconds": 1.0, "parameters": p} for m, p in (("jsc-tiny", 117),
                                                                   ("jsc-10x", 1253))]  # fmt: skip
    table = markdown_table(summarize(records, ["model"]), ["model"])
    assert table.splitlines()[0].startswith("| Model | Parameters | Test Accuracy |")
    assert "| jsc-10x | 1,253 |" in table
    assert "Parameters" not in markdown_table(summarize(records, []), [])


def test_python_study_shows_progress_only_where_someone_watches(tmp_path, monkeypatch):
    import rich.console

    seen = {}

    def fake_run_study(spec, root, *, ensemble, console, progress, **options):
        seen["progress"] = progress
        raise KeyboardInterrupt

    monkeypatch.setattr("carve.study.runner.run_study", fake_run_study)
    for terminal in (True, False):
        shown = property(lambda self, terminal=terminal: terminal)
        monkeypatch.setattr(rich.console.Console, "is_terminal", shown)
        with pytest.raises(KeyboardInterrupt):
            carve.study.run("jsc-tiny", "jsc-synth", {"batch_size": [64]}, study_dir=tmp_path)
        assert seen["progress"] is terminal
