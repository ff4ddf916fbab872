"""Shared fixtures: analysed graphs of small models."""

from __future__ import annotations

import pytest
import torch

from carve.ir import MaseGraph
from carve.passes import (
    add_common_metadata_analysis_pass,
    add_software_metadata_analysis_pass,
    init_metadata_analysis_pass,
)


def analysed(name: str, batch: int = 4, add_value: bool = False, seed: int = 0) -> MaseGraph:
    torch.manual_seed(seed)
    graph, _ = init_metadata_analysis_pass(MaseGraph.from_registered(name))
    dummy = {"x": torch.randn(batch, 16)}
    graph, _ = add_common_metadata_analysis_pass(graph, {"dummy_in": dummy, "add_value": add_value})
    graph, _ = add_software_metadata_analysis_pass(graph)
    return graph


@pytest.fixture
def analyse():
    """The :func:`analysed` helper (conftest modules are not importable under importlib mode)."""
    return analysed
