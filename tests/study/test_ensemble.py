"""The vectorised ensemble reproduces sequential training runs bit for bit.

Reference: :func:`carve.train.train` (the sequential engine) run once per config.
Equality is exact (``torch.equal``, ``==`` on metrics), including BatchNorm
running statistics, the checkpoint's optimizer state and a partial last batch.
"""

from __future__ import annotations

import pytest
import torch

from carve.config import CarveConfig
from carve.data import get_dataset
from carve.errors import CarveError
from carve.train import read_checkpoint, train
from carve.train.ensemble import ensemble_key, train_ensemble
from carve.train.ensemble_layers import EnsembleUnsupported, stack_models
from run_helpers import metrics


@pytest.fixture(scope="module")
def data():
    return get_dataset("jsc-synth", size=1200, cache=False)  # 768 training rows


def _assert_same(sequential, member):
    assert metrics(sequential.history) == metrics(member.history)
    expected, got = sequential.model.state_dict(), member.model.state_dict()
    assert list(expected) == list(got)
    for name in expected:
        assert torch.equal(expected[name], got[name]), name


@pytest.mark.parametrize(
    ("model", "optimizer"),
    [("jsc-tiny", "adam"), ("jsc-toy", "sgd"), ("jsc-10x", "adamw")],
)
def test_members_equal_sequential_runs(data, model, optimizer):
    base = CarveConfig(model=model, dataset="jsc-synth", max_epochs=2, batch_size=100,
                       training_optimizer=optimizer, progress=False)  # fmt: skip
    configs = [
        base.replace(learning_rate=1e-3, seed=0),
        base.replace(learning_rate=3e-2, seed=1),
        base.replace(learning_rate=1e-1, seed=2, weight_decay=1e-3),
    ]
    members = train_ensemble(configs, data, write_files=False)
    for config, member in zip(configs, members):
        _assert_same(train(config, dataset=data, write_files=False), member)


@pytest.mark.parametrize("optimizer", ["adam", "adamw"])
def test_members_sharing_a_learning_rate_equal_sequential_runs(data, optimizer):
    """Seeds only: the shared-rate update path (one ``addcdiv_`` for all rows)."""
    base = CarveConfig(model="jsc-tiny", dataset="jsc-synth", max_epochs=1, batch_size=100,
                       learning_rate=1e-2, weight_decay=1e-3, training_optimizer=optimizer,
                       progress=False)  # fmt: skip
    configs = [base.replace(seed=5), base.replace(seed=6)]
    for config, member in zip(configs, train_ensemble(configs, data, write_files=False)):
        _assert_same(train(config, dataset=data, write_files=False), member)


def test_member_checkpoints_equal_sequential_checkpoints(data, tmp_path):
    base = CarveConfig(model="jsc-tiny", dataset="jsc-synth", max_epochs=2, batch_size=128,
                       learning_rate=1e-2, progress=False)  # fmt: skip
    configs = [base.replace(seed=3), base.replace(seed=4, learning_rate=1e-3)]
    members = train_ensemble(configs, data, output_dirs=[tmp_path / "a", tmp_path / "b"])
    sequential = train(configs[1], dataset=data, output_dir=tmp_path / "seq")
    _assert_same(sequential, members[1])
    for name in ("last.ckpt", "best.ckpt"):
        mine = read_checkpoint(tmp_path / "b" / "training_ckpts" / name)
        theirs = read_checkpoint(tmp_path / "seq" / "training_ckpts" / name)
        assert mine["epoch"] == theirs["epoch"] and mine["global_step"] == theirs["global_step"]
        assert mine["history"][-1]["val_loss"] == theirs["history"][-1]["val_loss"]
        for key, value in theirs["optimizer"]["state"].items():
            for field, tensor in value.items():
                assert torch.equal(mine["optimizer"]["state"][key][field], tensor), (key, field)
        assert mine["optimizer"]["param_groups"] == theirs["optimizer"]["param_groups"]
        assert mine["scheduler"] == theirs["scheduler"]
        assert torch.equal(mine["rng"]["shuffle"], theirs["rng"]["shuffle"])
    assert (tmp_path / "a" / "metrics.csv").read_text().count("\n") == 3
    assert list((tmp_path / "a" / "tensorboard").glob("version_0/events.*"))


def test_only_seed_lr_and_weight_decay_may_differ(data):
    base = CarveConfig(model="jsc-tiny", dataset="jsc-synth", max_epochs=1)
    assert ensemble_key(base.replace(seed=1, learning_rate=0.1)) == ensemble_key(base)
    assert ensemble_key(base.replace(batch_size=64)) != ensemble_key(base)
    with pytest.raises(CarveError, match="differ in more than"):
        train_ensemble([base, base.replace(batch_size=64)], data, write_files=False)
    with pytest.raises(CarveError, match="accumulate_grad_batches"):
        train_ensemble([base.replace(accumulate_grad_batches=2)], data, write_files=False)


def test_models_without_a_batched_form_are_refused():
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Tanh())
    with pytest.raises(EnsembleUnsupported, match="Tanh"):
        stack_models([model, model])


@pytest.mark.parametrize("batch", [1, 15, 16, 17, 100, 256, 257, 4097])
def test_replayed_batch_losses_equal_nll_loss(batch):
    from torch.nn import functional

    from carve.train.ensemble_loss import mean_nll, row_nll

    generator = torch.Generator().manual_seed(batch)
    log_probs = torch.randn(4, batch, 5, generator=generator).log_softmax(-1)
    target = torch.randint(0, 5, (4, batch), generator=generator)
    picked = log_probs.gather(2, target.unsqueeze(-1)).squeeze(-1)
    assert torch.equal(row_nll(log_probs, target), -picked)
    expected = [functional.nll_loss(lp, t) for lp, t in zip(log_probs, target)]
    assert torch.equal(mean_nll(-picked), torch.stack(expected))
