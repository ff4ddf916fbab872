"""Save/load round trips: weights, metadata (values included) and replayed transforms."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from carve.errors import CarveError
from carve.ir import MaseGraph
from carve.passes import (
    add_common_metadata_analysis_pass,
    init_metadata_analysis_pass,
    load_mase_graph_interface_pass,
    profile_statistics_analysis_pass,
    register_pass,
    save_mase_graph_interface_pass,
)


def _same(a, b, path="meta"):
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and torch.equal(a, b), path
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), path
        for key in a:
            _same(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{path}[{i}]")
    else:
        assert a == b, path


def _check_round_trip(original, loaded, x):
    assert [n.name for n in original.nodes] == [n.name for n in loaded.nodes]
    for node, other in zip(original.nodes, loaded.nodes):
        _same(node.meta["mase"].parameters, other.meta["mase"].parameters, node.name)
    _same(original.meta["mase"], loaded.meta["mase"])
    for key, value in original.model.state_dict().items():
        assert torch.equal(value, loaded.model.state_dict()[key]), key
    original.model.eval(), loaded.model.eval()
    assert torch.equal(original.model(x), loaded.model(x))


@pytest.mark.parametrize("name", ["jsc-s", "toy-cnn", "toy-transformer"])
def test_round_trip_registered_model_with_values_and_stats(analyse, tmp_path, name):
    graph = analyse(name, add_value=True)
    with torch.no_grad():
        for p in graph.model.parameters():
            p.add_(0.5)  # differ from a fresh init, so loading must really load
    profile_statistics_analysis_pass(graph, {
        "target_weight_nodes": ["linear"],
        "weight_statistics": {"range_min_max": {"dims": None}, "variance_online": {}},
    })  # fmt: skip
    save_mase_graph_interface_pass(graph, str(tmp_path / "g"))
    assert not list((tmp_path / "g").glob("*.pt"))  # no pickles
    json.loads((tmp_path / "g" / "metadata.json").read_text())
    loaded, _ = load_mase_graph_interface_pass(None, {"load_dir": str(tmp_path / "g")})
    _check_round_trip(graph, loaded, torch.randn(3, 16))


class _Custom(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 4)

    def forward(self, x):
        return torch.relu(self.fc(x)) * 2


def test_round_trip_unregistered_model_needs_its_graph(tmp_path):
    graph, _ = init_metadata_analysis_pass(MaseGraph(_Custom()))
    graph, _ = add_common_metadata_analysis_pass(graph, {"dummy_in": {"x": torch.randn(2, 16)}})
    save_mase_graph_interface_pass(graph, {"save_dir": str(tmp_path)})
    with pytest.raises(CarveError, match="pass a MaseGraph of the same model"):
        load_mase_graph_interface_pass(None, {"load_dir": str(tmp_path)})
    loaded, _ = load_mase_graph_interface_pass(MaseGraph(_Custom()), str(tmp_path))
    _check_round_trip(graph, loaded, torch.randn(2, 16))
    with pytest.raises(CarveError, match="do not fit"):
        other = MaseGraph(nn.Sequential(nn.Linear(16, 4)))
        load_mase_graph_interface_pass(other, str(tmp_path))
    with pytest.raises(CarveError, match="is not a saved carve graph"):
        load_mase_graph_interface_pass(None, str(tmp_path / "missing"))
    (tmp_path / "recipe.json").write_text("{not json")
    with pytest.raises(CarveError, match="malformed JSON"):
        load_mase_graph_interface_pass(None, str(tmp_path))


class _Doubled(nn.Module):
    """A 'transformed' module: what a transform pass swaps in."""

    def __init__(self, inner: nn.Linear, factor: float):
        super().__init__()
        self.inner, self.factor = inner, factor
        self.register_buffer("scale", torch.tensor(factor))

    def forward(self, x):
        return self.inner(x) * self.scale


def _scale_linears_pass(graph, pass_args=None):
    """Test transform: wraps every Linear, records itself so load can replay it."""
    for node in graph.nodes:
        if node.op == "call_module" and isinstance(
            graph.model.get_submodule(node.target), nn.Linear
        ):
            parent, _, child = node.target.rpartition(".")
            owner = graph.model.get_submodule(parent) if parent else graph.model
            setattr(owner, child, _Doubled(getattr(owner, child), pass_args["factor"]))
    graph.record_transform("test_scale_linears", dict(pass_args))
    return graph, {}


@pytest.fixture
def scale_pass():
    """Register the test transform for one test, then remove it (PASSES is global)."""
    from carve.passes import registry
    from carve.passes.needs import PassNeeds

    register_pass("test_scale_linears", f"{__name__}:_scale_linears_pass", "transform", "test",
                  PassNeeds(replayable=True))  # fmt: skip
    yield
    registry.PASSES._entries.pop("test_scale_linears")
    registry.PASSES._meta.pop("test_scale_linears")
    registry._BY_FUNCTION.pop("_scale_linears_pass")


def test_recorded_transforms_are_replayed_on_load(analyse, tmp_path, scale_pass):
    graph = analyse("jsc-toy")
    _scale_linears_pass(graph, {"factor": 3.0})
    save_mase_graph_interface_pass(graph, str(tmp_path))
    recipe = json.loads((tmp_path / "recipe.json").read_text())
    assert recipe["transforms"] == [{"pass": "test_scale_linears", "pass_args": {"factor": 3.0}}]
    loaded, info = load_mase_graph_interface_pass(None, str(tmp_path))
    assert info["transforms"] == 1
    assert isinstance(loaded.model.get_submodule("seq_blocks.2"), _Doubled)
    _check_round_trip(graph, loaded, torch.randn(5, 16))


def test_quantized_graph_round_trips_and_costs_follow_storage_bits(analyse, tmp_path):
    quantize = pytest.importorskip("carve.passes.transforms.quantize").quantize_transform_pass
    from carve.passes import calculate_avg_bits_mg_analysis_pass, flops_analysis_pass

    graph = analyse("jsc-s")
    config = {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4, "weight_width": 4,
              "weight_frac_width": 2, "bias_width": 8, "bias_frac_width": 4}  # fmt: skip
    quantized, _ = quantize(graph, {"by": "type", "linear": {"config": config}})
    _, bits = calculate_avg_bits_mg_analysis_pass(quantized)
    assert bits == {"data_avg_bit": 8.0, "w_avg_bit": 4.0}
    _, costs = flops_analysis_pass(quantized)
    assert costs["total"]["bitops"] == costs["total"]["macs"] * 4 * 8
    save_mase_graph_interface_pass(quantized, str(tmp_path))
    loaded, info = load_mase_graph_interface_pass(None, str(tmp_path))
    assert info["transforms"] == 1
    _check_round_trip(quantized, loaded, torch.randn(4, 16))


def _lists(data):
    """Tuples as lists (TOML has no tuples)."""
    if isinstance(data, dict):
        return {k: _lists(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_lists(v) for v in data]
    return data


def test_node_meta_toml_round_trip(analyse, tmp_path):
    import tomllib

    from carve.passes import (
        load_node_meta_param_interface_pass,
        save_node_meta_param_interface_pass,
    )

    graph = analyse("toy-cnn", add_value=True)
    profile_statistics_analysis_pass(graph, {
        "target_weight_nodes": ["conv2d"], "weight_statistics": {"range_min_max": {"dims": None}},
    })  # fmt: skip
    path = tmp_path / "meta" / "node_meta_param.toml"
    save_node_meta_param_interface_pass(graph, str(path))
    text = path.read_text()
    tomllib.loads(text)  # valid TOML
    assert 'from = "NA"' in text and 'torch_dtype = "torch.float32"' in text
    fresh = analyse("toy-cnn", add_value=False, seed=1)
    loaded, info = load_node_meta_param_interface_pass(fresh, {"toml_path": str(path)})
    assert info["nodes"] == len(list(graph.nodes))
    for node, other in zip(graph.nodes, loaded.nodes):
        _same(_lists(node.meta["mase"].parameters), other.meta["mase"].parameters, node.name)
    with pytest.raises(CarveError, match="does not exist"):
        load_node_meta_param_interface_pass(fresh, str(tmp_path / "none.toml"))
