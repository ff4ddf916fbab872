"""Gradual pruning: polynomial schedule, engine epoch hooks, ``carve train`` with ``[prune]``."""

from __future__ import annotations

import pytest
import torch

from carve.cli.main import main
from carve.errors import CarveError
from carve.passes import load_mase_graph_interface_pass
from carve.passes.transforms.prune.prune import prunable_layers
from carve.passes.transforms.prune.schedule import PruneSchedule, parse_schedule


def test_polynomial_schedule_matches_tf_mot_formula():
    schedule = PruneSchedule(initial_sparsity=0.1, begin_epoch=2, end_epoch=6, power=3)
    for epoch in range(10):
        progress = min(1.0, max(0.0, (epoch - 2) / 4))
        expected = 0.0 if epoch < 2 else 0.9 + (0.1 - 0.9) * (1 - progress) ** 3
        assert schedule.sparsity_at(epoch, 0.9) == pytest.approx(expected)
    assert [schedule.updates_at(e) for e in range(8)] == [False, False, True, True, True, True,
                                                          True, False]  # fmt: skip


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            {"end_epoch": 5},
            r"end_epoch must lie in \[begin_epoch, max_epochs - 1\] = \[0, 3\], got 5",
        ),
        ({"initial_sparsity": 1.2}, r"initial_sparsity must be in \[0, 1\], got 1.2"),
        ({"frequncy": 2}, "unknown pass_args key 'frequncy'; did you mean 'frequency'"),
        ({"power": 0}, "power > 0, got 0"),
        ({"power": float("nan")}, r"power > 0 \(a finite number\), got nan"),  # issue 22
        ({"power": float("inf")}, r"power > 0 \(a finite number\), got inf"),
    ],
)
def test_bad_schedule_is_one_clear_line(table, message):
    with pytest.raises(CarveError, match=message):
        parse_schedule(table, max_epochs=4)


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.setenv("CARVE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_carve_train_prunes_gradually_and_saves_a_reloadable_graph(workdir, capsys):
    (workdir / "gradual.toml").write_text(
        '[prune.weight]\nsparsity = 0.75\nmethod = "l1-norm"\n'
        "[prune.schedule]\ninitial_sparsity = 0.25\nend_epoch = 1\n"
    )
    common = ["--data-size", "2000", "--no-progress", "--project", "g"]
    code = main(["train", "jsc-s", "jsc-synth", "--config", "gradual.toml", "--max-epochs", "3",
                 "--learning-rate", "1e-3", *common])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert "weight sparsity targets: epoch 1: 25.0%, epoch 2: 75.0%" in out
    saved = workdir / "carve_output/g/software/latest/training_ckpts/transformed_ckpt"
    graph, _ = load_mase_graph_interface_pass(None, {"load_dir": str(saved)})
    for name, layer in prunable_layers(graph).items():
        assert int((layer.weight == 0).sum()) == round(0.75 * layer.weight.numel()), name
    assert graph.recipe.transforms[0]["pass_args"]["weight"]["sparsity"] == 0.75
    code = main(["test", "jsc-s", "jsc-synth", "--load", str(saved), *common])
    assert code == 0 and "test_acc" in capsys.readouterr().out


def test_train_without_weight_table_is_a_clear_error(workdir, capsys):
    (workdir / "bad.toml").write_text("[prune.schedule]\nend_epoch = 1\n")
    code = main(["train", "jsc-tiny", "jsc-synth", "--config", "bad.toml", "--data-size", "500",
                 "--no-progress"])  # fmt: skip
    assert code == 2
    assert "[prune] needs a [prune.weight] table" in capsys.readouterr().err


def test_engine_calls_epoch_hooks_before_each_epoch():
    from carve.config import CarveConfig
    from carve.data import get_dataset
    from carve.train import train

    small_data = get_dataset("jsc-synth", size=1000, cache=False)
    config = CarveConfig.from_dict(dict(model="jsc-tiny", dataset="jsc-synth", max_epochs=3,
                                          batch_size=512, progress=False))  # fmt: skip
    calls = []
    model = torch.nn.Sequential(torch.nn.Linear(16, 5))
    train(config, dataset=small_data, model=model, write_files=False,
          epoch_hooks=[lambda epoch, m: calls.append((epoch, m is model))])  # fmt: skip
    assert calls == [(0, True), (1, True), (2, True)]
