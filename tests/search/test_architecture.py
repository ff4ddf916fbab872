"""The JSC MLP architecture space: candidates built as sampled, trained by basic_train."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from carve.config import CarveConfig
from carve.errors import CarveError
from carve.search.session import run_search
from carve.search.spaces.architecture import build_mlp

TABLE = {
    "search_space": {"name": "graph/architecture/jsc_mlp",
                     "seed": {"depth": [1, 2], "width": [4, 8], "batch_norm": [True],
                              "activation": ["relu", "tanh"]}},
    "strategy": {"sw_runner": {"basic_train": {"max_epochs": 1, "learning_rate": 1e-2,
                                               "num_samples": 256}},
                 "setup": {"sampler": "random", "n_trials": 2},
                 "metrics": {"accuracy": {"direction": "maximize"},
                             "model_size": {"direction": "minimize"}}},
}  # fmt: skip


def test_build_mlp_follows_the_choices():
    model = build_mlp({"depth": 2, "width_0": 8, "width_1": 4, "batch_norm": False,
                       "activation": "gelu"}, 16, 5)  # fmt: skip
    kinds = [type(m) for m in model]
    assert kinds == [nn.Linear, nn.GELU, nn.Linear, nn.GELU, nn.Linear]
    assert [m.out_features for m in model if isinstance(m, nn.Linear)] == [8, 4, 5]


def test_architecture_search_trains_each_candidate(tmp_path):
    config = CarveConfig(model="jsc-tiny", dataset="jsc-synth", data_size=1000, batch_size=128,
                         project_dir=str(tmp_path), project="a", progress=False)  # fmt: skip
    outcome = run_search(config, TABLE, progress=False)
    frame = outcome.frame
    assert len(frame) == 2
    for _, row in frame.iterrows():
        values = {"depth": int(row["depth"]), "width_0": int(row["width_0"]),
                  "width_1": int(row["width_1"]), "batch_norm": True,
                  "activation": row["activation"]}  # fmt: skip
        model = build_mlp(values, 16, 5)
        parameters = sum(p.numel() for p in model.parameters())
        assert row["model_size"] == parameters * 4  # float32 bytes
    assert not (outcome.folder / "best_transform.toml").exists()  # not a transform config
    assert torch.is_grad_enabled()


def test_architecture_space_needs_a_training_runner(tmp_path):
    config = CarveConfig(model="jsc-tiny", dataset="jsc-synth", data_size=600,
                         project_dir=str(tmp_path), progress=False, project="a")  # fmt: skip
    table = {"search_space": TABLE["search_space"],
             "strategy": {"sw_runner": {"basic_evaluation": {}}}}  # fmt: skip
    with pytest.raises(CarveError, match="basic_evaluation cannot evaluate graph/architecture"):
        run_search(config, table, progress=False)
    bad = {"search_space": {"name": "graph/architecture/jsc_mlp",
                            "seed": {"activation": ["relu", "swish"]}}}  # fmt: skip
    with pytest.raises(CarveError, match="unknown activation 'swish'"):
        run_search(config, bad, progress=False)
