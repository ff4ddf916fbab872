"""The pipeline: declared pass needs are filled in; run_transform builds, runs, evaluates, saves."""

from __future__ import annotations

import pytest
import torch

from carve.config import CarveConfig
from carve.errors import CarveError
from carve.passes.needs import PassNeeds
from carve.passes.registry import PASSES, pass_needs
from carve.pipeline import PipelineContext, load_graph, run_passes, run_transform
from carve.pipeline.runner import fill_needs
from carve.quant import fixed_point_config

INT8 = fixed_point_config(8, 4)


def test_needs_are_declared_with_the_passes():
    assert pass_needs("quantize") == PassNeeds(
        replayable=True, followed_by="summarize_quantization"
    )
    assert pass_needs("quantize_transform_pass") is pass_needs("quantize")
    replayable = [name for name in PASSES if PASSES.meta(name)["needs"].replayable]
    assert "quantize" in replayable
    assert not {"save_mase_graph", "load_mase_graph", "report_graph"} & set(replayable)


def test_fill_needs_supplies_only_what_is_declared_and_missing(tmp_path):
    ctx = PipelineContext(out_dir=tmp_path, test_x=torch.ones(3, 16), test_y=torch.zeros(3),
                          original="before")  # fmt: skip
    needs = PassNeeds(test_inputs="inputs", test_labels="labels", original_graph="original_graph",
                      output=("save_dir", "verify"))  # fmt: skip
    filled = fill_needs("demo", needs, {"save_dir": "mine"}, ctx, graph=None)
    assert filled["save_dir"] == "mine" and filled["original_graph"] == "before"
    assert filled["inputs"] is ctx.test_x and filled["labels"] is ctx.test_y
    assert fill_needs("demo", PassNeeds(), {"a": 1}, ctx, graph=None) == {"a": 1}
    with pytest.raises(CarveError, match=r"\[passes.demo\] needs the graph before a graph-build"):
        fill_needs("demo", needs, {}, PipelineContext(), graph=None)


def test_quantize_is_followed_by_its_declared_summary(tmp_path):
    from carve.ir import MaseGraph
    from carve.passes import add_common_metadata_analysis_pass, init_metadata_analysis_pass

    graph, _ = init_metadata_analysis_pass(MaseGraph.from_registered("jsc-tiny"))
    graph, _ = add_common_metadata_analysis_pass(graph, {"dummy_in": {"x": torch.randn(4, 16)}})
    ctx = PipelineContext(out_dir=tmp_path)
    tables = {"quantize": {"by": "type", "linear": {"config": INT8}},
              "summarize_quantization": {}}  # fmt: skip
    quantized, results = run_passes(graph, tables, ctx)
    assert [r.name for r in results] == ["quantize", "summarize_quantization"]
    assert ctx.original is graph and quantized is not graph
    summary = results[0].info["summary"]
    assert summary["formats"] == {"seq_blocks_2": dict.fromkeys(["data_in", "weight", "bias"],
                                                                 "integer")}  # fmt: skip
    histogram = summary["histogram"]
    assert {row["OP"]: row["Changed"] for row in histogram}["linear"] == 1
    assert (tmp_path / "quantize" / "quantize_histogram.csv").is_file()


def test_run_transform_saves_a_reloadable_graph(tmp_path):
    config = CarveConfig(model="jsc-tiny", dataset="jsc-synth", data_size=512, batch_size=64)
    passes = {"quantize": {"by": "type", "linear": {"config": INT8}}}
    result = run_transform(config, passes, out_dir=tmp_path)
    assert result.saved_dir == tmp_path / "transformed_ckpt" and result.test_rows > 0
    assert 0.0 <= result.after["acc"] <= 1.0 and result.before.keys() == {"acc", "loss"}
    loaded, count = load_graph(result.saved_dir)
    x = torch.randn(5, 16)
    result.graph.model.eval(), loaded.model.eval()
    assert count == 1 and torch.equal(result.graph.model(x), loaded.model(x))


def test_run_transform_without_passes_is_a_clear_error():
    with pytest.raises(CarveError, match=r"needs \[passes.<name>\] tables"):
        run_transform(CarveConfig(model="jsc-tiny", dataset="jsc-synth"))
