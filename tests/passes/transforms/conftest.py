"""Metadata-ready graphs of registered models, and an 8/4 integer config."""

from __future__ import annotations

import pytest
import torch

from carve.ir import MaseGraph
from carve.passes import add_common_metadata_analysis_pass, init_metadata_analysis_pass
from carve.quant import fixed_point_config

INT8 = fixed_point_config(8, 4)


def graph_of(name: str, features: int = 16, seed: int = 0) -> MaseGraph:
    torch.manual_seed(seed)
    mg, _ = init_metadata_analysis_pass(MaseGraph.from_registered(name))
    mg.model.eval()
    dummy = {"x": torch.randn(4, features)}
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": dummy, "add_value": False})
    return mg


@pytest.fixture
def jsc_tiny() -> MaseGraph:
    return graph_of("jsc-tiny")


@pytest.fixture
def int8() -> dict:
    return dict(INT8)


@pytest.fixture
def make_graph():
    return graph_of
