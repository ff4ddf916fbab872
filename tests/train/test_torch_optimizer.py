"""Any torch.optim optimizer by path: same loop, schedule, checkpoints and resume as built-ins."""

from __future__ import annotations

import math
import re

import pytest
import torch

from carve.errors import CarveError
from carve.models import get_model
from carve.train import train
from carve.train.ensemble import ensemble_supported
from carve.train.torch_optimizer import TorchOptimizer
from run_helpers import metrics
from run_helpers import tiny_config as config


def test_torch_optim_adamw_by_path_equals_the_builtin_bit_for_bit(small_data):
    """The real torch.optim class through the engine == carve's fused re-implementation."""
    real = train(config(training_optimizer="torch.optim.AdamW", weight_decay=1e-3),
                 dataset=small_data, write_files=False)  # fmt: skip
    ours = train(config(training_optimizer="adamw", weight_decay=1e-3), dataset=small_data,
                 write_files=False)  # fmt: skip
    assert metrics(real.history) == metrics(ours.history)
    a, b = real.model.state_dict(), ours.model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_rmsprop_trains_with_the_cosine_schedule_and_resumes_exactly(small_data, tmp_path):
    changes = {"training_optimizer": "torch.optim.RMSprop", "max_epochs": 3, "eta_min": 1e-4}
    straight = train(config(**changes), dataset=small_data, output_dir=tmp_path / "a")
    lrs = [row["lr"] for row in straight.history]
    expected = [1e-4 + (1e-2 - 1e-4) * (1 + math.cos(math.pi * e / 3)) / 2 for e in range(3)]
    assert lrs == pytest.approx(expected, rel=1e-12)
    assert straight.history[-1]["train_loss"] < straight.history[0]["train_loss"]

    class StopInEpoch2:
        left = math.ceil(len(small_data.train) / 64) + 3

        def __call__(self, module, inputs):
            if module.training:
                self.left -= 1
                if self.left < 0:
                    raise KeyboardInterrupt

    model = get_model("jsc-tiny")
    model.register_forward_pre_hook(StopInEpoch2())
    cut = train(config(**changes), dataset=small_data, model=model, output_dir=tmp_path / "b")
    assert cut.interrupted and len(cut.history) == 1
    resumed = train(config(**changes), dataset=small_data, output_dir=tmp_path / "b", resume=True)
    assert metrics(resumed.history) == metrics(straight.history)


def test_bad_optimizer_paths_are_clear_errors():
    with pytest.raises(CarveError, match="training_optimizer must be one of adam, adamw, sgd, or"):
        config(training_optimizer="rmsprop")
    layer = torch.nn.Linear(2, 1)
    with pytest.raises(
        CarveError, match=re.escape("torch.optim has no RMSProp; did you mean 'RMSprop'")
    ):
        TorchOptimizer("torch.optim.RMSProp", layer.parameters(), 0.1, 0.0)
    with pytest.raises(CarveError, match="cannot import 'no_such_pkg'"):
        TorchOptimizer("no_such_pkg.Opt", layer.parameters(), 0.1, 0.0)
    with pytest.raises(
        CarveError, match=re.escape("'torch.nn.Linear' is not a torch.optim.Optimizer")
    ):
        TorchOptimizer("torch.nn.Linear", layer.parameters(), 0.1, 0.0)
    with pytest.raises(CarveError, match=re.escape("'torch.optim.LBFGS' needs a closure")):
        TorchOptimizer("torch.optim.LBFGS", layer.parameters(), 0.1, 0.0)


def test_torch_optimizers_train_alone_in_a_study():
    reason = ensemble_supported(config(training_optimizer="torch.optim.RMSprop"))
    assert reason == "torch.optim.RMSprop has no batched form (carve's adam, adamw, sgd do)"
    assert ensemble_supported(config()) is None


def test_optimizer_path_trust_is_documented(capsys):
    """Issue 22 item 12: a class path imports arbitrary modules, like --model-file runs a file;
    both the flag's help and the README say so."""
    from pathlib import Path

    from carve.cli.main import main

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "A path imports its module (runs its code): trust it as you would a --model-file" in (
        help_text
    )
    readme = " ".join((Path(__file__).resolve().parents[2] / "README.md").read_text().split())
    assert '`training_optimizer = "pkg.mod.Class"` in a TOML config) imports `pkg.mod`' in readme
    assert "Both have the trust level of running `python FILE` yourself" in readme
