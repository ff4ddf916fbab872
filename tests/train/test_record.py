"""One training-run record: the engine and the study ensemble write the same rows."""

from __future__ import annotations

import csv
import math

import pytest

from carve.config import CarveConfig
from carve.train import train
from carve.train.ensemble import train_ensemble
from carve.train.record import COLUMNS, EpochRecord, RunRecord


def _epoch(epoch: int, val_loss: float) -> EpochRecord:
    return EpochRecord(epoch=epoch, global_step=epoch * 10, lr=0.1, train_loss=1.0,
                       train_acc=0.5, val_loss=val_loss, val_acc=0.5, train_seconds=2.0,
                       seconds=2.5)  # fmt: skip


def test_run_record_tracks_best_loss_steps_and_times():
    record = RunRecord()
    assert [record.add(_epoch(1, 0.9)), record.add(_epoch(2, 1.1)), record.add(_epoch(3, 0.8))] \
        == [True, False, True]  # fmt: skip
    assert record.best_val_loss == 0.8 and record.global_step == 30 and record.epochs == 3
    result = record.result(None, interrupted=False, model=None)
    assert result.train_seconds == 6.0 and result.seconds == 7.5
    assert result.final == {"train_loss": 1.0, "train_acc": 0.5, "val_loss": 0.8, "val_acc": 0.5}
    assert result.best_checkpoint is None and result.history[1]["val_loss"] == 1.1


@pytest.fixture(scope="module")
def runs(small_data, tmp_path_factory):
    """The same two configs, trained by the engine and by the ensemble, with files."""
    base = CarveConfig(model="jsc-tiny", dataset="jsc-synth", max_epochs=2, batch_size=128,
                       learning_rate=1e-2, progress=False)  # fmt: skip
    configs = [base.replace(seed=0), base.replace(seed=1)]
    root = tmp_path_factory.mktemp("record")
    alone = [train(c, dataset=small_data, output_dir=root / f"e{i}") for i, c in enumerate(configs)]
    together = train_ensemble(configs, small_data, output_dirs=[root / "m0", root / "m1"])
    return alone, together


def test_engine_and_ensemble_rows_have_the_same_fields_and_time_meaning(runs):
    for result in (*runs[0], *runs[1]):
        for row in result.history:
            assert tuple(row) == COLUMNS
            assert 0 < row["train_seconds"] <= row["seconds"]  # seconds adds validation
        assert math.isclose(result.train_seconds, sum(r["train_seconds"] for r in result.history))


def test_engine_and_ensemble_metrics_csv_have_the_same_columns(runs):
    for result in (*runs[0], *runs[1]):
        with open(result.output_dir / "metrics.csv", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert tuple(rows[0]) == COLUMNS and len(rows) == 2
        assert float(rows[-1]["train_seconds"]) == result.history[-1]["train_seconds"]
