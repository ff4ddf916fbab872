"""MaseGraph tracing, leaves, op tables, drawing and the metadata schema."""

from __future__ import annotations

import logging

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from carve.errors import CarveError
from carve.ir import MaseGraph, register_module_op
from carve.models import MODELS, get_model
from carve.passes import (
    add_common_metadata_analysis_pass,
    add_software_metadata_analysis_pass,
    init_metadata_analysis_pass,
    verify_metadata_analysis_pass,
)


def _analysed(graph: MaseGraph, x: torch.Tensor, add_value: bool = True) -> MaseGraph:
    graph, _ = init_metadata_analysis_pass(graph)
    graph, _ = add_common_metadata_analysis_pass(
        graph, {"dummy_in": {"x": x}, "add_value": add_value}
    )
    graph, _ = add_software_metadata_analysis_pass(graph)
    return graph


def _buildable(name: str) -> bool:
    try:
        get_model(name)
    except Exception:
        return False
    return True


@pytest.mark.parametrize("name", [n for n in MODELS.names() if _buildable(n)])
def test_every_registered_model_traces_with_verified_metadata(name):
    torch.manual_seed(0)
    graph = _analysed(MaseGraph.from_registered(name), torch.randn(4, 16), add_value=False)
    _, info = verify_metadata_analysis_pass(graph)
    assert info["problems"] == [] and info["edges"] >= info["nodes"] - 2
    out = graph.meta["mase"]["common"]["results"]["data_in_0"]["shape"]
    if MODELS.meta(name)["info"].physical_data_point_classification:
        assert out == [4, 5]  # MASE's toy models keep MASE's outputs (toy_custom_fn: [1, 100, 100])


def test_jsc_tiny_metadata_matches_mase_schema():
    graph = _analysed(MaseGraph.from_registered("jsc-tiny"), torch.randn(8, 16))
    nodes = {n.name: n.meta["mase"] for n in graph.nodes}
    bn = nodes["seq_blocks_0"]["common"]
    assert (bn["mase_type"], bn["mase_op"]) == ("module", "batch_norm1d")
    assert bn["args"]["data_in_0"]["shape"] == [8, 16]
    assert bn["args"]["weight"]["type"] == "float" and bn["args"]["weight"]["precision"] == [32]
    assert bn["args"]["weight"]["torch_dtype"] == torch.float32
    linear = nodes["seq_blocks_2"]["common"]
    assert (linear["mase_type"], linear["mase_op"]) == ("module_related_func", "linear")
    assert linear["args"]["weight"]["shape"] == [5, 16] and linear["args"]["bias"]["shape"] == [5]
    assert linear["results"]["data_out_0"]["shape"] == [8, 5]
    assert nodes["x"]["common"]["mase_type"] == "placeholder"
    software = nodes["seq_blocks_0"]["software"]["args"]
    assert set(software) == {"data_in_0", "weight", "bias", "running_mean", "running_var"}
    assert nodes["x"]["software"] == {"args": {}, "results": {"data_out_0": {"stat": {}}}}


def test_values_survive_in_place_relu_and_model_state_is_untouched():
    torch.manual_seed(0)
    model = get_model("jsc-tiny")
    model.train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    graph = MaseGraph(model)
    x = torch.randn(8, 16)
    graph = _analysed(graph, x)
    assert graph.model.training  # mode restored
    for key, value in graph.model.state_dict().items():
        assert torch.equal(value, before[key]), key
    model.eval()
    expected = model.seq_blocks[0](x)
    nodes = {n.name: n.meta["mase"]["common"] for n in graph.nodes}
    recorded = nodes["seq_blocks_0"]["results"]["data_out_0"]["value"]
    assert (recorded < 0).any()  # not overwritten by the in-place ReLU that follows
    assert torch.allclose(recorded, expected)


def test_function_and_method_args_are_named():
    graph = _analysed(MaseGraph.from_registered("toy-cnn"), torch.randn(2, 16), add_value=False)
    nodes = {n.name: n.meta["mase"]["common"] for n in graph.nodes}
    assert nodes["flatten"]["args"]["start_dim"] == 1
    assert nodes["flatten"]["mase_op"] == "flatten"
    assert nodes["view"]["args"]["shape"][1:] == [1, 4, 4]
    assert nodes["relu"]["mase_type"] == "module_related_func"
    graph = _analysed(MaseGraph.from_registered("toy-transformer"), torch.randn(2, 16), False)
    nodes = {n.name: n.meta["mase"]["common"] for n in graph.nodes}
    assert (nodes["transpose"]["args"]["dim0"], nodes["transpose"]["args"]["dim1"]) == (1, 2)
    assert nodes["bmm"]["mase_type"] == "builtin_func"
    assert nodes["bmm"]["results"]["data_out_0"]["shape"] == [2, 4, 4]
    assert nodes["getitem"]["results"]["data_out_0"]["type"] == "int"


class _Branchy(nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            return x * 2
        return x


class _Wrapper(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = _Branchy()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return self.fc(self.inner(x))


def test_untraceable_model_names_the_line_and_the_ways_out():
    with pytest.raises(CarveError) as error:
        MaseGraph(_Wrapper())
    message = str(error.value)
    assert "if x.sum() > 0" in message and "test_graph.py" in message
    assert "custom_leaf_modules" in message and "cf_args" in message


def test_custom_leaf_module_and_registered_op(caplog):
    graph = MaseGraph(_Wrapper(), custom_leaf_modules=[_Branchy])
    ops = [n.op for n in graph.nodes]
    assert ops == ["placeholder", "call_module", "call_module", "output"]
    with caplog.at_level(logging.WARNING, logger="carve.ir"):
        graph = _analysed(graph, torch.ones(2, 4), add_value=False)
    assert any("_Branchy" in r.getMessage() for r in caplog.records)
    assert list(graph.nodes)[1].meta["mase"]["common"]["mase_op"] == "_branchy"
    register_module_op(_Branchy, "branchy", "module")
    graph = _analysed(MaseGraph(_Wrapper(), custom_leaf_modules=[_Branchy]), torch.ones(2, 4))
    assert list(graph.nodes)[1].meta["mase"]["common"]["mase_op"] == "branchy"


def test_unknown_function_gets_generic_name_and_warning(caplog):
    class Odd(nn.Module):
        def forward(self, x):
            return F.logsigmoid(x)

    with caplog.at_level(logging.WARNING, logger="carve.ir"):
        graph = _analysed(MaseGraph(Odd()), torch.ones(2, 3))
    common = list(graph.nodes)[1].meta["mase"]["common"]
    assert (common["mase_type"], common["mase_op"]) == ("builtin_func", "log_sigmoid")
    assert any("log_sigmoid" in r.getMessage() for r in caplog.records)


def test_draw_writes_dot_source_when_graphviz_is_missing(tmp_path, monkeypatch):
    import carve.ir.draw as draw_module

    monkeypatch.setattr(draw_module, "graphviz_available", lambda: False)
    graph = _analysed(MaseGraph.from_registered("jsc-tiny"), torch.ones(2, 16), False)
    written = graph.draw(tmp_path / "g.svg")
    assert written == tmp_path / "g.dot"
    text = written.read_text()
    assert '"seq_blocks_1" -> "seq_blocks_2"' in text and "linear" in text
    assert graph.draw(tmp_path / "h.dot").read_text() == text


def test_non_module_input_is_a_carve_error():
    with pytest.raises(CarveError, match=r"torch\.nn\.Module"):
        MaseGraph(lambda x: x)


def clip_positive(x):
    """Data-dependent control flow: untraceable unless kept as a leaf function."""
    return x if bool((x > 0).all()) else x.clamp(min=0)


class _UsesFunction(nn.Module):
    def forward(self, x):
        return clip_positive(x) + 1


def test_custom_leaf_function_stays_one_node():
    with pytest.raises(CarveError, match="cannot trace"):
        MaseGraph(_UsesFunction())
    graph = MaseGraph(_UsesFunction(), custom_leaf_functions=[clip_positive])
    targets = [n.target for n in graph.nodes if n.op == "call_function"]
    assert clip_positive in targets
    x = torch.tensor([[-1.0, 2.0]])
    assert torch.equal(graph.model(x), _UsesFunction()(x))


def test_draw_renders_through_pydot_when_graphviz_is_present(tmp_path, monkeypatch):
    pydot = pytest.importorskip("pydot")
    import carve.ir.draw as draw_module

    monkeypatch.setattr(draw_module, "graphviz_available", lambda: True)
    calls = []

    def fake_create(self, prog=None, format=None, **kwargs):
        calls.append((format, self.get_name()))
        return b"<svg/>"

    monkeypatch.setattr(pydot.Dot, "create", fake_create)
    graph = MaseGraph.from_registered("jsc-tiny")
    assert graph.draw(tmp_path / "g.svg").read_bytes() == b"<svg/>"
    assert calls == [("svg", "mase_graph")]


class _Flagged(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x, double=False):
        y = self.fc(x)
        if double:
            y = y * 2
        return y


def test_concrete_args_fix_python_control_flow():
    graph = MaseGraph(_Flagged(), cf_args={"double": True})
    assert "mul" in [n.name for n in graph.nodes]
    x = torch.randn(3, 4)
    graph = _analysed(graph, x, add_value=False)
    _, info = verify_metadata_analysis_pass(graph)
    assert info["problems"] == []
