"""Studies end to end on a small jsc-synth: files, resume, refusals, ensemble == sequential."""

from __future__ import annotations

import json
import re

import pytest

import carve.study
from carve.config import CarveConfig
from carve.errors import CarveError
from carve.study.runner import run_study
from carve.study.spec import StudySpec, parse_vary

SMALL = {"data_size": 800, "max_epochs": 2, "progress": False}


def _run(tmp_path, **kwargs):
    options = {"seeds": 2, "study_dir": tmp_path / "study", **SMALL, **kwargs}
    return carve.study.run(
        "jsc-tiny", "jsc-synth", {"batch_size": [64, 128], "learning_rate": [1e-3, 1e-2]},
        **options,
    )  # fmt: skip


def test_python_api_returns_a_table_and_writes_the_study(tmp_path):
    frame = _run(tmp_path)
    assert list(frame["batch_size"]) == [64, 64, 128, 128]
    assert list(frame["learning_rate"]) == [1e-3, 1e-2, 1e-3, 1e-2]
    assert (frame["seeds"] == 2).all()
    assert ((frame["test_acc_mean"] > 0) & (frame["test_acc_mean"] <= 1)).all()
    root = tmp_path / "study"
    names = {p.name for p in root.iterdir()}
    expected = {"study.json", "results.md", "results.csv", "curves.png", "heatmap.png",
                "metrics_vs_batch_size.png", "metrics_vs_learning_rate.png", "runs"}  # fmt: skip
    assert names >= expected
    assert len(list((root / "runs").iterdir())) == 8
    run = root / "runs" / "batch_size=64,learning_rate=0.001,seed=1"
    assert (run / "software" / "training_ckpts" / "best.ckpt").is_file()
    assert (run / "software" / "metrics.csv").is_file()
    record = json.loads((run / "result.json").read_text())
    assert record["seed"] == 1 and record["epochs"] == 2 and record["mode"] == "ensemble"
    table = (root / "results.md").read_text().splitlines()
    assert table[0].startswith("| Batch Size | Learning Rate | Test Accuracy | Test Loss |")
    assert len(table) == 2 + 4
    for png in root.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_rerun_skips_finished_runs_and_redoes_unfinished_ones(tmp_path):
    base = CarveConfig(model="jsc-tiny", dataset="jsc-synth", **SMALL)
    spec = StudySpec(base, [parse_vary("learning-rate=1e-3,1e-2")], 1)
    root = tmp_path / "study"
    first = run_study(spec, root, progress=False)
    assert first.trained == 2
    done = root / "runs" / "learning_rate=0.001,seed=0" / "result.json"
    stamp = done.stat().st_mtime_ns
    # an interrupted run: files but no result.json -> not in the table, redone on rerun
    unfinished = root / "runs" / "learning_rate=0.01,seed=0"
    (unfinished / "result.json").unlink()
    assert len(carve.study.runner.StudyStore(root, spec).records()) == 1
    second = run_study(spec, root, progress=False)
    assert second.trained == 1
    assert done.stat().st_mtime_ns == stamp
    assert [r["run"] for r in second.records] == [r["run"] for r in first.records]
    assert second.records[1]["test_acc"] == first.records[1]["test_acc"]  # deterministic


def test_directory_holding_another_study_is_refused_untouched(tmp_path):
    _run(tmp_path)
    root = tmp_path / "study"
    before = {p: p.read_bytes() for p in root.iterdir() if p.is_file()}
    with pytest.raises(CarveError, match="holds a different study"):
        _run(tmp_path, max_epochs=3)
    assert {p: p.read_bytes() for p in root.iterdir() if p.is_file()} == before
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(CarveError, match="not a carve study directory"):
        _run(tmp_path, study_dir=tmp_path / "other")


def test_bad_values_fail_before_anything_is_written(tmp_path):
    with pytest.raises(CarveError, match="batch_size must be an integer >= 1"):
        carve.study.run("jsc-tiny", "jsc-synth", {"batch_size": [64, 0]},
                        study_dir=tmp_path / "s", **SMALL)  # fmt: skip
    with pytest.raises(CarveError, match="unknown flag"):
        carve.study.run("jsc-tiny", "jsc-synth", {"batch-sise": [64]},
                        study_dir=tmp_path / "s", **SMALL)  # fmt: skip
    assert not (tmp_path / "s").exists()


def test_ensemble_and_sequential_studies_give_the_same_records(tmp_path):
    kwargs = {"seeds": 2, **SMALL}
    vary = {"learning_rate": [1e-3, 1e-1]}
    fast = carve.study.run("jsc-toy", "jsc-synth", vary, study_dir=tmp_path / "a",
                           records=True, **kwargs)  # fmt: skip
    slow = carve.study.run("jsc-toy", "jsc-synth", vary, study_dir=tmp_path / "b",
                           records=True, ensemble=False, **kwargs)  # fmt: skip
    assert [r["mode"] for r in fast] == ["ensemble"] * 4
    assert [r["mode"] for r in slow] == ["sequential"] * 4
    for a, b in zip(fast, slow):
        for key in ("test_acc", "test_loss", "test_acc_last", "val_loss", "train_loss"):
            assert a[key] == b[key], key


def test_live_progress_shows_overall_and_epoch_bars(tmp_path):
    import io

    from rich.console import Console

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=120)
    base = CarveConfig(model="jsc-tiny", dataset="jsc-synth", data_size=600, max_epochs=2)
    spec = StudySpec(base, [parse_vary("learning-rate=1e-3,1e-2")], 1)
    outcome = run_study(spec, tmp_path / "p", console=console, progress=True)
    text = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", buffer.getvalue())  # drop ANSI codes
    assert outcome.trained == 2
    assert "runs" in text and "2/2" in text and "epoch 2/2" in text and "ETA" in text
    assert "(2 runs: learning_rate=0.001,0.01; seed=0) ensemble: test acc" in text


def test_models_without_a_batched_form_fall_back_to_sequential_runs(tmp_path):
    from torch import nn

    from carve.models import MODELS, register_model

    name = "study-test-tanh-mlp"
    if name not in MODELS:

        @register_model(name, description="test model with a Tanh (no batched form)")
        def build(info):
            features, classes = info["num_features"], info["num_classes"]
            return nn.Sequential(nn.Linear(features, 8), nn.Tanh(), nn.Linear(8, classes))

    records = carve.study.run(name, "jsc-synth", {"learning_rate": [1e-3, 1e-2]},
                              study_dir=tmp_path / "s", records=True, **SMALL)  # fmt: skip
    assert [r["mode"] for r in records] == ["sequential", "sequential"]
    assert all(0 < r["test_acc"] <= 1 for r in records)


def test_a_file_in_place_of_the_study_directory_is_refused(tmp_path):
    (tmp_path / "s").write_text("not a folder")
    with pytest.raises(CarveError, match="is a file"):
        _run(tmp_path, study_dir=tmp_path / "s")


def test_a_configuration_that_trains_alone_uses_the_plain_engine(tmp_path):
    """--vary batch-size with one seed: every group has one run; no 1-member ensembles."""
    records = carve.study.run("jsc-tiny", "jsc-synth", {"batch_size": [64, 128]},
                              study_dir=tmp_path / "s", records=True, **SMALL)  # fmt: skip
    assert [r["mode"] for r in records] == ["sequential", "sequential"]
    for record in records:
        rows = record["history"]
        assert record["train_seconds"] == pytest.approx(sum(r["train_seconds"] for r in rows))
        assert record["seconds"] == pytest.approx(sum(r["seconds"] for r in rows))
        assert 0 < record["train_seconds"] < record["seconds"]
