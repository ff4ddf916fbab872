"""carve's Adam/AdamW/SGD and cosine schedule against torch.optim, step for step.

Reference: ``torch.optim`` (Adam/AdamW with ``foreach=True``, SGD momentum 0.9
Nesterov) and ``CosineAnnealingLR`` on an identical copy of the model. The
update math is torch's operation for operation, so equality is exact
(``torch.equal``, ``==`` on learning rates), not a tolerance.
"""

from __future__ import annotations

import copy
import subprocess
import sys

import pytest
import torch

from carve.train.optimizers import CosineSchedule, build_optimizer, build_scheduler

TORCH_OPTIMIZERS = {
    "adam": lambda p, lr, wd: torch.optim.Adam(p, lr=lr, weight_decay=wd, foreach=True),
    "adamw": lambda p, lr, wd: torch.optim.AdamW(p, lr=lr, weight_decay=wd, foreach=True),
    "sgd": lambda p, lr, wd: torch.optim.SGD(p, lr=lr, momentum=0.9, nesterov=True,
                                             weight_decay=wd),
}  # fmt: skip


def _model():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.BatchNorm1d(16), torch.nn.ReLU(), torch.nn.Linear(16, 8), torch.nn.ReLU(),
        torch.nn.Linear(8, 5),
    )  # fmt: skip


def _train(model, optimizer, scheduler, epochs: int, steps: int, generator=None) -> list[float]:
    generator = generator if generator is not None else torch.Generator().manual_seed(1)
    lrs = []
    for _ in range(epochs):
        for _ in range(steps):
            x = torch.randn(32, 16, generator=generator)
            y = torch.randint(0, 5, (32,), generator=generator)
            torch.nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0] if hasattr(scheduler, "get_last_lr") else
                   scheduler.lr)  # fmt: skip
    return lrs


@pytest.mark.parametrize("name", ["adam", "adamw", "sgd"])
@pytest.mark.parametrize("weight_decay", [0.0, 1e-2])
def test_steps_equal_torch_optim(name, weight_decay):
    theirs_model, mine_model = _model(), _model()
    theirs = TORCH_OPTIMIZERS[name](theirs_model.parameters(), 0.05, weight_decay)
    theirs_schedule = torch.optim.lr_scheduler.CosineAnnealingLR(theirs, T_max=3, eta_min=1e-3)
    mine = build_optimizer(name, mine_model.parameters(), 0.05, weight_decay)
    mine_schedule = build_scheduler(mine, 3, 1e-3)
    assert _train(mine_model, mine, mine_schedule, 4, 3) == _train(
        theirs_model, theirs, theirs_schedule, 4, 3
    )
    mine.release()
    for (key, a), b in zip(theirs_model.state_dict().items(), mine_model.state_dict().values()):
        assert torch.equal(a, b), key
    expected, got = theirs.state_dict(), mine.state_dict()
    _same_layout(got["param_groups"][0], expected["param_groups"][0])
    assert expected["state"].keys() == got["state"].keys()
    for index, fields in expected["state"].items():
        for field, tensor in fields.items():
            assert torch.equal(got["state"][index][field], tensor), (index, field)
    _same_layout(mine_schedule.state_dict(), theirs_schedule.state_dict())


# keys that torch releases add or drop (2.4: scheduler "verbose", no "_is_initial" and no
# "decoupled_weight_decay"); carve writes 2.13's, and torch's load_state_dict takes either
VERSION_KEYS = {"decoupled_weight_decay", "verbose", "_is_initial"}


def _same_layout(got: dict, expected: dict) -> None:
    assert set(got) ^ set(expected) <= VERSION_KEYS, set(got) ^ set(expected)
    assert {k: got[k] for k in expected if k in got} == {k: v for k, v in expected.items()
                                                         if k in got}  # fmt: skip


@pytest.mark.parametrize("name", ["adam", "adamw", "sgd"])
def test_carve_state_continues_in_torch_optim_and_back(name):
    """Checkpoints cross over: carve's state loaded into torch.optim (and torch's into carve)
    continue exactly like an uninterrupted carve run."""
    data = torch.Generator().manual_seed(1)
    whole_model = _model()
    whole = build_optimizer(name, whole_model.parameters(), 0.02, 1e-3)
    _train(whole_model, whole, build_scheduler(whole, 5, 0.0), 4, 2, data)

    data = torch.Generator().manual_seed(1)
    model = _model()
    mine = build_optimizer(name, model.parameters(), 0.02, 1e-3)
    mine_schedule = build_scheduler(mine, 5, 0.0)
    _train(model, mine, mine_schedule, 1, 2, data)
    mine.release()
    theirs = TORCH_OPTIMIZERS[name](model.parameters(), 0.02, 1e-3)
    theirs_schedule = torch.optim.lr_scheduler.CosineAnnealingLR(theirs, T_max=5, eta_min=0.0)
    theirs.load_state_dict(mine.state_dict())
    theirs_schedule.load_state_dict(mine_schedule.state_dict())
    _train(model, theirs, theirs_schedule, 2, 2, data)  # epochs 2-3 in torch.optim
    back = build_optimizer(name, model.parameters(), 0.02, 1e-3)
    back_schedule = build_scheduler(back, 5, 0.0)
    back.load_state_dict(theirs.state_dict())
    back_schedule.load_state_dict(theirs_schedule.state_dict())
    _train(model, back, back_schedule, 1, 2, data)  # epoch 4 in carve again
    back.release()
    whole.release()
    for a, b in zip(model.parameters(), whole_model.parameters()):
        assert torch.equal(a, b)


def test_schedule_equals_torch_over_several_periods():
    """The recursive form, including the restart branch after T_max, matches torch's floats."""
    layer = torch.nn.Linear(1, 1)
    theirs = torch.optim.lr_scheduler.CosineAnnealingLR(
        torch.optim.SGD(layer.parameters(), lr=0.3), T_max=4, eta_min=1e-6
    )
    mine = CosineSchedule(0.3, t_max=4, eta_min=1e-6)
    for _ in range(17):
        theirs.optimizer.step()
        theirs.step()
        mine.step()
        assert mine.lr == theirs.get_last_lr()[0]


@pytest.mark.parametrize("name", ["adam", "sgd"])
def test_state_dict_round_trip_continues_exactly(name):
    """Stopping after 2 epochs and reloading the saved state gives the uninterrupted weights."""
    whole_model = _model()
    whole = build_optimizer(name, whole_model.parameters(), 0.02, 1e-3)
    _train(whole_model, whole, build_scheduler(whole, 5, 0.0), 4, 2)

    data = torch.Generator().manual_seed(1)
    first_model = _model()
    first = build_optimizer(name, first_model.parameters(), 0.02, 1e-3)
    first_schedule = build_scheduler(first, 5, 0.0)
    _train(first_model, first, first_schedule, 2, 2, data)
    saved = (copy.deepcopy(first_model.state_dict()), first.state_dict(),
             first_schedule.state_dict())  # fmt: skip
    resumed_model = _model()
    resumed = build_optimizer(name, resumed_model.parameters(), 0.02, 1e-3)
    schedule = build_scheduler(resumed, 5, 0.0)
    resumed_model.load_state_dict(saved[0])
    resumed.load_state_dict(saved[1])
    schedule.load_state_dict(saved[2])
    _train(resumed_model, resumed, schedule, 2, 2, data)
    assert resumed.lr == whole.lr
    for a, b in zip(resumed_model.parameters(), whole_model.parameters()):
        assert torch.equal(a, b)


def test_release_gives_parameters_their_own_storage():
    model = _model()
    optimizer = build_optimizer("adam", model.parameters(), 0.1, 0.0)
    pointers = {p.untyped_storage().data_ptr() for p in model.parameters()}
    assert len(pointers) == 1  # views into one flat buffer while training
    optimizer.release()
    assert len({p.untyped_storage().data_ptr() for p in model.parameters()}) == 6


def test_train_and_test_do_not_import_dynamo(tmp_path):
    """torch.optim's eager step imports torch._dynamo (seconds); carve's engine must not."""
    code = f"""
import sys
from carve.cli.main import main
common = ["jsc-tiny", "jsc-synth", "--data-size", "1500", "--project-dir", {str(tmp_path)!r},
          "--project", "p", "--no-progress"]
assert main(["train", *common, "--max-epochs", "2"]) == 0
assert main(["train", *common, "--max-epochs", "2", "--resume"]) == 0
ckpt = {str(tmp_path / "p" / "software" / "latest" / "training_ckpts" / "best.ckpt")!r}
assert main(["test", *common, "--load", ckpt]) == 0
print("DYNAMO", "torch._dynamo" in sys.modules)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "DYNAMO False" in result.stdout
