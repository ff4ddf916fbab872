"""Quantized JSC graphs and the full jsc-synth test split, shared by the export tests."""

from __future__ import annotations

import pytest
import torch

from carve.ir import MaseGraph
from carve.passes import (
    add_common_metadata_analysis_pass,
    init_metadata_analysis_pass,
    quantize_transform_pass,
)

MODELS = ("jsc-tiny", "jsc-toy", "jsc-s", "jsc-10x")


def fixed(width: int, frac: int, operands=("data_in", "weight", "bias")) -> dict:
    config = {"name": "integer"}
    for operand in operands:
        config |= {f"{operand}_width": width, f"{operand}_frac_width": frac}
    return config


def by_type(width: int) -> dict:
    """Every Linear, BatchNorm and ReLU at ``width`` bits (half of them fractional)."""
    frac = width // 2
    return {
        "by": "type",
        "default": {"config": {"name": "NA"}},
        "linear": {"config": fixed(width, frac)},
        "batch_norm1d": {"config": fixed(width, frac)},
        "relu": {"config": fixed(width, frac, ("data_in",))},
    }


def mixed(graph: MaseGraph) -> dict:
    """By name: Linear layers cycle through 8/6/4-bit formats, ReLUs unsigned 5 bits,
    the first BatchNorm float, one ReLU float (mixed precision, mixed float)."""
    args: dict = {"by": "name", "default": {"config": {"name": "NA"}}}
    widths = [(8, 4, 6, 3), (6, 2, 8, 5), (4, 2, 6, 3)]
    relus = 0
    for node in graph.nodes:
        if node.op != "call_module":
            continue
        kind = type(graph.model.get_submodule(node.target)).__name__
        if kind == "Linear":
            x_w, x_f, w_w, w_f = widths[len(args) % 3]
            args[node.name] = {
                "config": {
                    "name": "integer",
                    "data_in_width": x_w,
                    "data_in_frac_width": x_f,
                    "weight_width": w_w,
                    "weight_frac_width": w_f,
                    "bias_width": 12,
                    "bias_frac_width": 6,
                }
            }
        elif kind == "ReLU" and relus % 3 != 1:
            args[node.name] = {"config": fixed(5, 2, ("data_in",))}
        relus += kind == "ReLU"
    return args


def quantized_graph(model: str, quantize, seed: int = 0) -> MaseGraph:
    """``model`` with seeded non-trivial weights and BN statistics, quantized by ``quantize``."""
    torch.manual_seed(seed)
    graph = MaseGraph.from_registered(model)
    with torch.no_grad():
        for module in graph.model.modules():
            if isinstance(module, torch.nn.Linear):  # wide enough to hit every code, saturate
                module.weight.uniform_(-1.2, 1.2)
                module.bias.uniform_(-1.0, 1.0)
            if isinstance(module, torch.nn.BatchNorm1d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.3, 3.0)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.3, 0.3)
    graph, _ = init_metadata_analysis_pass(graph)
    dummy = {"x": torch.randn(8, 16)}
    graph, _ = add_common_metadata_analysis_pass(graph, {"dummy_in": dummy, "add_value": False})
    args = quantize(graph) if callable(quantize) else quantize
    graph, _ = quantize_transform_pass(graph, args)
    return graph


@pytest.fixture(scope="session")
def test_split():
    """The full default jsc-synth test split (166,000 rows; carve's dataset cache)."""
    from carve.data import get_dataset

    return get_dataset("jsc-synth").test


@pytest.fixture
def quantized():
    return quantized_graph


@pytest.fixture
def configs():
    """Quantization configs by case name (a dict, or a function of the graph)."""
    return {"8-bit": by_type(8), "4-bit": by_type(4), "mixed": mixed}


@pytest.fixture
def builders():
    """The config and graph builders above, for tests that compose their own cases."""
    from types import SimpleNamespace

    return SimpleNamespace(by_type=by_type, fixed=fixed, quantized_graph=quantized_graph)
