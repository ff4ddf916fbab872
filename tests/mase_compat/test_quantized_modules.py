"""MASE's quantized layers built directly: ``LinearInteger(in, out, bias=True, config={...})``.

Each class must be the float layer (trainable ``weight``/``bias``, same state_dict
keys), read MASE's config keys, and compute exactly what the quantize pass
computes for the same config (bit for bit).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import torch
from torch import nn

from carve.compat import quantized
from carve.compat.names import carve_import, quantized_layer_names
from carve.config import na_to_none
from carve.errors import CarveError
from carve.ir import MaseGraph
from carve.passes import (
    add_common_metadata_analysis_pass,
    init_metadata_analysis_pass,
    quantize_transform_pass,
)

CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "formats"
FORMATS = sorted(p.stem for p in CONFIGS.glob("*.toml"))
INT = {"data_in_width": 8, "data_in_frac_width": 4, "weight_width": 6, "weight_frac_width": 3,
       "bias_width": 8, "bias_frac_width": 4}  # fmt: skip

# op -> (float layer, MASE class constructor arguments, input shape)
LAYERS = {
    "linear": (lambda: nn.Linear(12, 5), ((12, 5), {"bias": True}), (4, 12)),
    "conv1d": (lambda: nn.Conv1d(2, 3, 3, padding=1), ((2, 3, 3), {"padding": 1}), (2, 2, 16)),
    "conv2d": (lambda: nn.Conv2d(2, 3, 3, stride=2), ((2, 3, 3), {"stride": 2}), (2, 2, 8, 8)),
    "relu": (nn.ReLU, ((), {"inplace": False}), (4, 16)),
}


def format_config(name: str) -> dict:
    data = na_to_none(tomllib.loads((CONFIGS / f"{name}.toml").read_text()))
    return data["passes"]["quantize"]["linear"]["config"]


def pass_output(layer: nn.Module, op: str, config: dict, x: torch.Tensor) -> torch.Tensor:
    graph, _ = init_metadata_analysis_pass(MaseGraph(nn.Sequential(layer)))
    graph, _ = add_common_metadata_analysis_pass(graph, {"dummy_in": {"x": x}})
    qmg, info = quantize_transform_pass(graph, {"by": "type", op: {"config": config}})
    assert len(info["quantized"]) == 1
    return qmg.model(x)


@pytest.mark.parametrize("fmt", FORMATS)
def test_mase_constructors_compute_what_the_pass_computes(fmt):
    config = format_config(fmt)
    mase_config = {k: v for k, v in config.items() if k != "name"}  # MASE's classes need no name
    for op, (make_float, (args, kwargs), shape) in LAYERS.items():
        torch.manual_seed(7)
        float_layer, x = make_float(), torch.randn(*shape) * 2
        cls = quantized.quantized_module_map[f"{op}_{fmt}"]
        layer = cls(*args, **kwargs, config=mase_config)
        layer.load_state_dict(float_layer.state_dict())  # same weights as the float layer
        assert isinstance(layer, type(float_layer)), (fmt, op)
        expected = pass_output(float_layer, op, config, x)
        assert torch.equal(layer(x), expected), (fmt, op)


def test_mase_names_and_map_keys():
    for name in ("LinearInteger", "LinearMinifloatIEEE", "LinearMinifloatDenorm", "LinearLog",
                 "LinearBlockFP", "LinearBlockMinifloat", "LinearBlockLog", "LinearBinary",
                 "LinearTernary", "Conv1dBlockFP", "Conv2dMinifloatIEEE", "ReLUInteger",
                 "ReLUBlockMinifloat", "AvgPool2dInteger", "AdaptiveAvgPool2dInteger",
                 "BatchNorm1dInteger"):  # fmt: skip
        assert getattr(quantized, name).__name__ == name
    assert quantized.quantized_module_map["linear_fixed"] is quantized.LinearInteger
    assert quantized.quantized_module_map["relu_minifloat_ieee"] is quantized.ReLUMinifloatIEEE
    assert quantized.quantized_func_map["add_fixed"].__name__ == "add_fixed"
    assert quantized.quantized_func_map["matmul_log"] is quantized.matmul_log
    # the import map (torch-free) lists exactly what the module provides
    classes = {cls.__name__ for cls in quantized.quantized_module_map.values()}
    functions = {f.__name__ for k, f in quantized.quantized_func_map.items() if f.__name__ == k}
    generated = classes | functions | {"quantized_module_map", "quantized_func_map"}
    assert set(quantized_layer_names()) == {n for n in generated if hasattr(quantized, n)}
    assert carve_import("Conv2dBlockFP") == ("carve.compat.quantized", "Conv2dBlockFP")


CODE = """
import torch
from chop.passes.graph.transforms.quantize.quantized_modules import (
    LinearInteger, Conv2dInteger, Conv1dInteger, ReLUInteger, quantized_module_map,
)
from chop.passes.graph.transforms.quantize.quantized_funcs import add_integer

config = {"data_in_width": 8, "data_in_frac_width": 4, "weight_width": 6,
          "weight_frac_width": 3, "bias_width": 8, "bias_frac_width": 4}
torch.manual_seed(0)
fc = LinearInteger(in_features=4, out_features=3, bias=True, config=config)
conv = Conv2dInteger(1, 2, kernel_size=3, stride=1, padding=1, bias=False, config=config)
conv1 = Conv1dInteger(1, 2, 3, config=config)
relu = ReLUInteger(inplace=False, config=config)
x = torch.tensor([[0.3, -1.26, 9.0, 0.05]])
weight, bias = fc.weight.detach().clone(), fc.bias.detach().clone()
y = relu(fc(x))
w_q = fc.w_quantizer(fc.weight)
total = add_integer(x, x, config)
optimizer = torch.optim.SGD(fc.parameters(), lr=0.1)
fc(x).sum().backward()
optimizer.step()
"""


def test_mase_code_builds_trains_and_computes(run_ported):
    ns = run_ported(CODE)
    fc, conv, x = ns["fc"], ns["conv"], ns["x"]
    assert list(fc.state_dict()) == ["weight", "bias"] and list(conv.state_dict()) == ["weight"]
    assert fc.config["weight_width"] == 6 and fc.bypass is False

    def fixed(t, width, frac, signed=True):
        lo, hi = (-(2 ** (width - 1)), 2 ** (width - 1) - 1) if signed else (0, 2**width - 1)
        return torch.clamp(torch.round(t * 2**frac), lo, hi) / 2**frac

    w = fixed(ns["weight"], 6, 3)
    assert torch.equal(ns["w_q"], w)
    linear = torch.nn.functional.linear(fixed(x, 8, 4), w, fixed(ns["bias"], 8, 4))
    assert torch.equal(ns["y"], torch.relu(fixed(linear, 8, 4, signed=False)))
    assert torch.equal(ns["total"], fixed(x, 8, 4) * 2)
    assert not torch.equal(fc.weight.detach(), ns["weight"])  # the float master weight trained
    assert conv(torch.randn(1, 1, 5, 5)).shape == (1, 2, 5, 5)
    bypassed = quantized.LinearInteger(4, 3, config={"bypass": True})  # MASE: float compute
    assert bypassed.bypass and bypassed.w_quantizer.type == "float"
    assert torch.equal(bypassed(x), torch.nn.functional.linear(x, bypassed.weight, bypassed.bias))
    assert ns["conv1"].weight.shape == (2, 1, 3)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: quantized.LinearInteger(4, 3, config=None), "LinearInteger: config is required"),
        (lambda: quantized.LinearInteger(4, 3, config={**INT, "weight_widht": 4}),
         "LinearInteger: config: unknown integer config key 'weight_widht'; did you mean "
         "'weight_width'"),
        (lambda: quantized.LinearInteger(4, 3, config={k: v for k, v in INT.items()
                                                      if not k.startswith("bias")}),
         "LinearInteger: config: integer config for operand 'bias' lacks key 'bias_width'"),
        (lambda: quantized.Conv2dLog(1, 2, 3, config={"name": "integer", **INT}),
         "Conv2dLog: config key 'name' is 'integer' but Conv2dLog quantizes with 'log'"),
        (lambda: quantized.ReLUInteger(config={"data_in_width": 0, "data_in_frac_width": 0}),
         "ReLUInteger: config: integer: width=0 is out of range"),
    ],
)  # fmt: skip
def test_bad_configs_name_the_key(make, message):
    with pytest.raises(CarveError, match=message.replace("(", r"\(")):
        make()
