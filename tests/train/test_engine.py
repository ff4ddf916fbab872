"""The training engine: determinism, exact resume after Ctrl-C, schedule, steps, files."""

from __future__ import annotations

import csv
import math

import pytest
import torch

from carve.config import CarveConfig
from carve.errors import CarveError
from carve.models import get_model
from carve.train import read_checkpoint, train
from run_helpers import metrics, tiny_config


def config(**changes) -> CarveConfig:
    return tiny_config(**{"max_epochs": 3, **changes})


def test_same_seed_same_metrics_to_the_last_digit(small_data):
    first = train(config(), dataset=small_data, write_files=False)
    second = train(config(), dataset=small_data, write_files=False)
    assert metrics(first.history) == metrics(second.history)
    other = train(config(seed=1), dataset=small_data, write_files=False)
    assert metrics(other.history) != metrics(first.history)
    assert first.final["val_acc"] > 0.3  # it learns (5 classes: chance is ~0.2)


class InterruptAfter:
    """A forward pre-hook raising KeyboardInterrupt (a Ctrl-C) at the n-th training batch."""

    def __init__(self, calls: int) -> None:
        self.left = calls

    def __call__(self, module, inputs):
        if module.training:
            self.left -= 1
            if self.left < 0:
                raise KeyboardInterrupt


def test_ctrl_c_then_resume_ends_exactly_like_an_uninterrupted_run(small_data, tmp_path):
    changes = {"max_epochs": 4, "training_optimizer": "adamw", "weight_decay": 1e-3}
    straight = train(config(**changes), dataset=small_data, output_dir=tmp_path / "a")

    model = get_model("jsc-tiny")
    batches_per_epoch = math.ceil(len(small_data.train) / 64)
    model.register_forward_pre_hook(InterruptAfter(2 * batches_per_epoch + 5))  # in epoch 3
    cut = train(config(**changes), dataset=small_data, model=model, output_dir=tmp_path / "b")
    assert cut.interrupted and len(cut.history) == 2
    assert read_checkpoint(tmp_path / "b/training_ckpts/last.ckpt")["epoch"] == 2

    resumed = train(config(**changes), dataset=small_data, output_dir=tmp_path / "b", resume=True)
    assert not resumed.interrupted
    assert metrics(resumed.history) == metrics(straight.history)
    final_a, final_b = straight.model.state_dict(), resumed.model.state_dict()
    assert all(torch.equal(final_a[k], final_b[k]) for k in final_a)
    with open(tmp_path / "b/metrics.csv") as file:
        rows = list(csv.DictReader(file))
    assert [float(r["val_loss"]) for r in rows] == [r["val_loss"] for r in straight.history]


def test_interrupt_in_first_epoch_saves_the_initial_state(small_data, tmp_path):
    model = get_model("jsc-tiny")
    model.register_forward_pre_hook(InterruptAfter(3))
    result = train(config(), dataset=small_data, model=model, output_dir=tmp_path)
    assert result.interrupted and result.history == []
    assert read_checkpoint(result.last_checkpoint)["epoch"] == 0


def test_resume_refuses_changed_settings_and_missing_checkpoint(small_data, tmp_path):
    with pytest.raises(CarveError, match="nothing to resume"):
        train(config(), dataset=small_data, output_dir=tmp_path, resume=True)
    train(config(max_epochs=1), dataset=small_data, output_dir=tmp_path)
    with pytest.raises(CarveError, match=r"settings differ: batch_size \(checkpoint 64, now 32\)"):
        train(config(max_epochs=1, batch_size=32), dataset=small_data, output_dir=tmp_path,
              resume=True)  # fmt: skip


def test_cosine_schedule_per_epoch(small_data):
    lr0, eta = 0.05, 1e-6
    result = train(config(max_epochs=4, learning_rate=lr0, training_optimizer="sgd"),
                   dataset=small_data, write_files=False)  # fmt: skip
    expected = [eta + (lr0 - eta) * (1 + math.cos(math.pi * e / 4)) / 2 for e in range(4)]
    assert [row["lr"] for row in result.history] == pytest.approx(expected, rel=1e-12)


def test_max_steps_and_gradient_accumulation_count_optimizer_steps(small_data):
    batches = math.ceil(len(small_data.train) / 64)
    result = train(config(max_steps=7), dataset=small_data, write_files=False)
    assert result.global_step == 7 and len(result.history) == 1
    result = train(config(max_epochs=2, accumulate_grad_batches=4), dataset=small_data,
                   write_files=False)  # fmt: skip
    assert [row["global_step"] for row in result.history] == [
        math.ceil(batches / 4),
        2 * math.ceil(batches / 4),
    ]


def test_accumulating_two_half_batches_equals_one_full_batch(small_data):
    """Without BatchNorm, 2 x 32 rows accumulated is the same gradient as 64 rows at once."""

    def run(batch_size, accumulate):
        torch.manual_seed(0)
        model = torch.nn.Linear(16, 5)
        cfg = config(batch_size=batch_size, accumulate_grad_batches=accumulate, max_epochs=1,
                     training_optimizer="sgd", data_size=None)  # fmt: skip
        return train(cfg, dataset=small_data, model=model, write_files=False).model

    whole, halves = run(64, 1), run(32, 2)
    assert torch.allclose(whole.weight, halves.weight, atol=1e-6)
    assert torch.allclose(whole.bias, halves.bias, atol=1e-6)


def test_files_checkpoints_csv_and_tensorboard(small_data, tmp_path):
    result = train(config(max_epochs=3), dataset=small_data, output_dir=tmp_path)
    assert result.best_checkpoint == tmp_path / "training_ckpts/best.ckpt"
    best = read_checkpoint(result.best_checkpoint)
    last = torch.load(result.last_checkpoint, weights_only=True)
    assert set(last) >= {"state_dict", "optimizer", "scheduler", "epoch", "rng", "config"}
    assert last["epoch"] == 3 and last["config"]["batch_size"] == 64
    best_epoch = min(result.history, key=lambda row: row["val_loss"])["epoch"]
    assert best["epoch"] == best_epoch
    with open(tmp_path / "metrics.csv") as file:
        rows = list(csv.DictReader(file))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert float(rows[-1]["val_acc"]) == result.final["val_acc"]
    assert list((tmp_path / "tensorboard/version_0").glob("events.out.tfevents.*"))
