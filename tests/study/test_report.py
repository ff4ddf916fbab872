"""Summary rows, markdown and CSV tables from per-run records (hand-computed references)."""

from __future__ import annotations

import csv
import io
import math

from carve.study.report import csv_text, markdown_table, summarize, title


def _record(batch, seed, acc, loss, seconds=1.0):
    return {
        "values": {"batch_size": batch}, "seed": seed, "test_acc": acc, "test_loss": loss,
        "train_seconds": seconds,
    }  # fmt: skip


def test_summarize_mean_and_sample_std_over_seeds():
    records = [_record(64, 0, 0.5, 1.0, 2.0), _record(64, 1, 0.7, 0.8, 4.0),
               _record(64, 2, 0.6, 0.9, 3.0), _record(128, 0, 0.4, 1.2)]  # fmt: skip
    rows = summarize(records, ["batch_size"])
    assert [row["batch_size"] for row in rows] == [64, 128]
    first = rows[0]
    assert math.isclose(first["test_acc_mean"], 0.6)
    # sample standard deviation of 0.5, 0.7, 0.6: sqrt((0.01 + 0.01 + 0) / 2) = 0.1
    assert math.isclose(first["test_acc_std"], 0.1)
    assert math.isclose(first["test_loss_std"], 0.1)
    assert math.isclose(first["train_seconds_mean"], 3.0)
    assert first["seeds"] == 3
    assert rows[1]["test_acc_std"] == 0.0 and rows[1]["seeds"] == 1


def test_markdown_table_has_the_lab_layout():
    rows = summarize([_record(64, 0, 0.5, 1.0), _record(64, 1, 0.7, 0.8)], ["batch_size"])
    lines = markdown_table(rows, ["batch_size"]).splitlines()
    assert lines[0].startswith("| Batch Size | Test Accuracy | Test Loss |")
    assert lines[2] == "| 64 | 0.6000 ± 0.1414 | 0.9000 ± 0.1414 | 1.0 | 2 |"
    single = summarize([_record(64, 0, 0.5, 1.0)], ["batch_size"])
    assert (
        markdown_table(single, ["batch_size"]).splitlines()[2]
        == "| 64 | 0.5000 | 1.0000 | 1.0 | 1 |"
    )


def test_csv_round_trips_every_column():
    rows = summarize([_record(64, 0, 0.5, 1.0), _record(128, 0, 0.25, 2.0)], ["batch_size"])
    parsed = list(csv.DictReader(io.StringIO(csv_text(rows))))
    assert [row["batch_size"] for row in parsed] == ["64", "128"]
    assert float(parsed[1]["test_acc_mean"]) == 0.25
    assert set(parsed[0]) >= {"test_acc_std", "test_loss_mean", "train_seconds_mean", "seeds"}


def test_titles():
    assert title("learning_rate") == "Learning Rate"
    assert title("accumulate_grad_batches") == "Accumulate Grad Batches"
