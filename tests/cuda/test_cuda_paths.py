"""CUDA code paths: formats, quantized graphs and training on a GPU.

Skipped where no CUDA device is visible (CI); run on a GPU machine with
``python -m pytest tests/cuda -p no:xdist``. Each check compares the GPU result
with the CPU one, which the rest of the suite verifies against references.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import torch

from carve.quant import spec_from_config

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "formats"


def _weight_spec(path: Path):
    config = tomllib.loads(path.read_text())["passes"]["quantize"]
    layer = next(
        value
        for key, value in config.items()
        if isinstance(value, dict) and key not in ("default",)
    )
    return spec_from_config(layer["config"], "weight")


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.toml")), ids=lambda p: p.stem)
def test_format_on_cuda_matches_cpu_and_stays_on_grid(path):
    fmt, spec = _weight_spec(path)
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(64, 64, generator=generator) * 3
    on_cpu = fmt.quantize(x, spec)
    on_gpu = fmt.quantize(x.cuda(), spec).cpu()
    assert fmt.grid_check(on_gpu, spec).ok
    if getattr(spec, "stochastic", False):
        return  # random rounding: only grid membership is comparable
    same = (on_cpu == on_gpu).float().mean().item()
    # log2/exp2 may differ by an ulp between devices at exact binade edges
    assert same >= 0.999, f"{path.stem}: only {same:.4%} of elements agree with the CPU"
    if fmt.name in ("integer", "fixed", "mxint", "block_fp"):
        assert torch.equal(on_cpu, on_gpu)


def test_quantized_graph_runs_on_cuda_like_cpu():
    from carve import MaseGraph
    from carve.passes import (
        add_common_metadata_analysis_pass,
        init_metadata_analysis_pass,
        quantize_transform_pass,
    )

    torch.manual_seed(0)
    mg = MaseGraph.from_registered("jsc-s")
    mg.model.eval()
    x = torch.randn(512, 16)
    mg, _ = init_metadata_analysis_pass(mg)
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": x[:8]}})
    config = {
        "name": "integer",
        "data_in_width": 8,
        "data_in_frac_width": 4,
        "weight_width": 8,
        "weight_frac_width": 4,
        "bias_width": 8,
        "bias_frac_width": 4,
    }
    qmg, _ = quantize_transform_pass(
        mg, {"by": "type", "default": {"config": {"name": None}}, "linear": {"config": config}}
    )
    with torch.no_grad():
        expected = qmg.model(x)
        got = qmg.model.cuda()(x.cuda()).cpu()
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-4)


def test_training_on_cuda_learns_like_cpu():
    from carve.config import CarveConfig
    from carve.train import evaluate, load_dataset, train

    results = {}
    for accelerator in ("cpu", "cuda"):
        config = CarveConfig(
            model="jsc-toy",
            dataset="jsc-synth",
            data_size=6000,
            max_epochs=3,
            batch_size=256,
            learning_rate=1e-2,
            accelerator=accelerator,
            progress=False,
        )
        data = load_dataset(config)
        result = train(config, dataset=data, write_files=False)
        assert next(result.model.parameters()).device.type == accelerator
        results[accelerator] = evaluate(result.model, data.test)
    assert results["cuda"]["acc"] > 0.4  # well above chance (0.2) after 3 epochs
    assert abs(results["cuda"]["acc"] - results["cpu"]["acc"]) < 0.03
