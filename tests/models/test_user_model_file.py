"""README's ``--model-file`` pattern (an ``nn.Sequential``) trains, lists, traces and quantizes."""

from __future__ import annotations

from pathlib import Path

import torch

from carve.cli.main import main
from carve.ir import MaseGraph
from carve.passes import (
    add_common_metadata_analysis_pass,
    init_metadata_analysis_pass,
    quantize_transform_pass,
    verify_quantization_analysis_pass,
)

MODEL_FILE = """
from torch import nn
from carve.models import register_model


@register_model("readme-seq-mlp", description="lab 1 network")
def build(info):
    return nn.Sequential(
        nn.Linear(info["num_features"], 64), nn.ReLU(), nn.Linear(64, info["num_classes"])
    )
"""

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "jsc_tiny_by_type.toml"

INTEGER = {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4, "weight_width": 8,
           "weight_frac_width": 4, "bias_width": 8, "bias_frac_width": 4}  # fmt: skip


def test_sequential_input_is_bound_under_any_single_name():
    model = torch.nn.Sequential(torch.nn.Linear(16, 8), torch.nn.ReLU(), torch.nn.Linear(8, 5))
    mg, _ = init_metadata_analysis_pass(MaseGraph(model))
    assert [n.name for n in mg.nodes if n.op == "placeholder"] == ["input_1"]
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": torch.randn(4, 16)}})
    qmg, _ = quantize_transform_pass(mg, {"by": "type", "linear": {"config": INTEGER}})
    _, info = verify_quantization_analysis_pass(qmg, {"inputs": {"x": torch.randn(64, 16)}})
    assert info["ok"]


def test_model_file_works_with_info_and_transform(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    (tmp_path / "my_model.py").write_text(MODEL_FILE)
    assert main(["--info", "models", "--model-file", str(tmp_path / "my_model.py")]) == 0
    assert "readme-seq-mlp" in capsys.readouterr().out
    code = main(["transform", "readme-seq-mlp", "jsc-synth", "--config", str(CONFIG),
                 "--model-file", str(tmp_path / "my_model.py"), "--project-dir", str(tmp_path),
                 "--project", "p", "--data-size", "1000", "--no-progress"])  # fmt: skip
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "Verification passed" in out.out
    assert (tmp_path / "p/software/transform/latest/transformed_ckpt/recipe.json").is_file()
