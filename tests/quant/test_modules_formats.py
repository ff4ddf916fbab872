"""Every registered format works in every quantized layer, read from configs/formats/*.toml.

The reference is the float op applied to operands quantized by the format
function itself (whose numerics have their own numpy-reference tests): this
checks the layers wire each operand to the right quantizer, for every format.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from carve.config import na_to_none
from carve.quant import FORMATS, spec_from_config
from carve.quant.layers import quantized_function_module, quantized_module

CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "formats"


def linear_config(name: str) -> dict:
    data = na_to_none(tomllib.loads((CONFIGS / f"{name}.toml").read_text()))
    return data["passes"]["quantize"]["linear"]["config"]


FORMAT_NAMES = sorted({FORMATS[name].name for name in FORMATS.names()})


def test_every_format_has_an_example_config():
    assert sorted(p.stem for p in CONFIGS.glob("*.toml")) == FORMAT_NAMES


def q(config: dict, operand: str, x: torch.Tensor, **overrides) -> torch.Tensor:
    fmt, spec = spec_from_config(config, operand, **overrides)
    return fmt.quantize(x, spec)


@pytest.mark.parametrize("name", FORMAT_NAMES)
def test_linear_and_conv_with_every_format(name):
    torch.manual_seed(3)
    config = linear_config(name)
    layer = nn.Linear(32, 8)
    x = torch.randn(4, 32)
    ref = F.linear(q(config, "data_in", x), q(config, "weight", layer.weight),
                   q(config, "bias", layer.bias))  # fmt: skip
    out = quantized_module(layer, "linear", config)(x)
    torch.testing.assert_close(out, ref, rtol=0, atol=0)
    conv = nn.Conv2d(2, 4, 3, bias=True)
    x4 = torch.randn(2, 2, 5, 5)
    ref = F.conv2d(q(config, "data_in", x4), q(config, "weight", conv.weight),
                   q(config, "bias", conv.bias))  # fmt: skip
    torch.testing.assert_close(quantized_module(conv, "conv2d", config)(x4), ref, rtol=0, atol=0)


@pytest.mark.parametrize("name", FORMAT_NAMES)
def test_functions_with_every_format(name):
    torch.manual_seed(4)
    config = linear_config(name)
    x, y = torch.randn(3, 32), torch.randn(3, 32)
    torch.testing.assert_close(
        quantized_function_module("add", config)(x, y),
        q(config, "data_in", x) + q(config, "data_in", y), rtol=0, atol=0,
    )  # fmt: skip
    w = torch.randn(32, 4)
    torch.testing.assert_close(
        quantized_function_module("matmul", config)(x, w),
        q(config, "data_in", x) @ q(config, "weight", w), rtol=0, atol=0,
    )  # fmt: skip


@pytest.mark.parametrize("name", FORMAT_NAMES)
def test_training_through_every_format(name):
    """Straight-through gradients reach the float weights (MASE's block_minifloat could not)."""
    layer = quantized_module(nn.Linear(32, 4), "linear", linear_config(name))
    layer(torch.randn(8, 32)).square().sum().backward()
    assert layer.weight.grad is not None and torch.isfinite(layer.weight.grad).all()
