"""Typed pass results: a dict for MASE code; a verdict, files and terminal text for carve."""

from __future__ import annotations

import json

import torch

from carve.ir import MaseGraph
from carve.passes import (
    quantize_transform_pass,
    verify_metadata_analysis_pass,
    verify_quantization_analysis_pass,
)
from carve.passes.graph_build import graph_with_metadata
from carve.passes.results import CheckInfo, PassInfo, TransformInfo
from carve.pipeline.runner import PassResult, PipelineContext, run_pass
from carve.quant import fixed_point_config

INT8 = {"config": fixed_point_config(8, 4)}


def _quantized():
    graph = graph_with_metadata(MaseGraph.from_registered("jsc-tiny"), inputs=torch.randn(8, 16),
                                software=True)  # fmt: skip
    return quantize_transform_pass(graph, {"by": "type", "linear": INT8})


def test_verify_results_say_passed_or_failed_and_stay_dicts():
    quantized, quantize_info = _quantized()
    assert isinstance(quantize_info, TransformInfo) and quantize_info["quantized"]
    _, info = verify_quantization_analysis_pass(quantized, {"inputs": torch.randn(32, 16)})
    assert isinstance(info, CheckInfo) and isinstance(info, dict)
    assert info.verdict is True and info["ok"] is True
    shown = info.terminal_text(logged=False)
    assert shown[0].startswith("Quantization proof") and shown[-1] == "Verification passed"
    assert not any(text.startswith("Quantization proof") for text in info.terminal_text(True))
    json.dumps({k: v for k, v in info.items() if k != "integer_reference"})  # plain data

    bare = MaseGraph.from_registered("jsc-tiny")  # no metadata at all
    _, info = verify_metadata_analysis_pass(bare, {"raise_on_error": False})
    assert info.verdict is False and info["problems"]
    assert info.terminal_text(logged=True) == ["Verification FAILED"]


def test_plain_dicts_are_wrapped_and_a_follow_up_summary_is_shown_once():
    result = PassResult("user_pass", {"data_avg_bit": 8.0})
    assert result.info == {"data_avg_bit": 8.0} and result.info.verdict is None
    assert result.info.terminal_text(logged=False) == [] and result.info.files == []
    assert PassInfo.of(3) == {"value": 3}

    graph = graph_with_metadata(MaseGraph.from_registered("jsc-tiny"), inputs=torch.randn(8, 16),
                                software=True)  # fmt: skip
    _, result = run_pass("quantize", graph, {"by": "type", "linear": INT8}, PipelineContext())
    text = result.info.terminal_text(logged=False)
    assert len(text) == 1 and text[0].startswith("Quantized graph histogram:")
    assert result.info.terminal_text(logged=True) == []
