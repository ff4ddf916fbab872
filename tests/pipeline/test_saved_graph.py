"""Saved-graph folders: schema validation, replay allow-list, unreadable files -> one CarveError."""

from __future__ import annotations

import json

import pytest
import torch

from carve.errors import CarveError
from carve.ir import MaseGraph
from carve.models import get_model, load_model
from carve.passes import (
    add_common_metadata_analysis_pass,
    init_metadata_analysis_pass,
    load_mase_graph_interface_pass,
    quantize_transform_pass,
)
from carve.pipeline import is_saved_graph, load_graph, save_graph
from carve.quant import fixed_point_config

INT8 = fixed_point_config(8, 4)


@pytest.fixture
def saved(tmp_path):
    """A quantized jsc-tiny saved to ``tmp_path / "g"`` (one replayable transform)."""
    torch.manual_seed(0)
    graph, _ = init_metadata_analysis_pass(MaseGraph.from_registered("jsc-tiny"))
    dummy = {"x": torch.randn(4, 16)}
    graph, _ = add_common_metadata_analysis_pass(graph, {"dummy_in": dummy, "add_value": True})
    graph, _ = quantize_transform_pass(graph, {"by": "type", "linear": {"config": INT8}})
    return save_graph(graph, tmp_path / "g")


def _edit(path, change):
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def test_round_trip_replays_the_quantize_transform(saved):
    assert is_saved_graph(saved)
    graph, count = load_graph(saved)
    assert count == 1 and type(graph.modules["seq_blocks.2"]).__name__ == "LinearInteger"


@pytest.mark.parametrize("step", ["save_mase_graph", "load_mase_graph", "report_graph"])
def test_only_graph_building_transforms_are_replayed(saved, tmp_path, step):
    target = tmp_path / "elsewhere"
    args = {"save_dir": str(target)} if step == "save_mase_graph" else {"load_dir": str(saved)}
    _edit(saved / "recipe.json",
          lambda d: d["transforms"].append({"pass": step, "pass_args": args}))  # fmt: skip
    with pytest.raises(
        CarveError,
        match=rf"transform 1 names pass '{step}', which is not a "
        r"graph-building transform; .*replays only: .*quantize",
    ):
        load_mase_graph_interface_pass(None, {"load_dir": str(saved)})
    assert not target.exists()  # nothing written, no recursion


def _missing_pass(d):
    del d["transforms"][0]["pass"]


def _shape_as_string(d):
    d["inputs"]["x"]["shape"] = "4x16"


def _unknown_dtype(d):
    d["inputs"]["x"]["dtype"] = "float33"


def _unknown_pass(d):
    d["transforms"][0]["pass"] = "quantise"


def _model_name_number(d):
    d["model_name"] = 7


@pytest.mark.parametrize(
    "change,message",
    [(_missing_pass, r"recipe\.json does not match the saved-graph schema: transforms\.0\.pass: "
                     "Field required"),
     (_shape_as_string, r"recipe\.json does not match .*inputs\.x\.shape: Input should be a "
                           "valid list"),
     (_unknown_dtype, r"recipe\.json: inputs: unknown torch dtype 'float33'; did you mean "
                      "'float32'"),
     (_unknown_pass, r"recipe\.json: transform 0: unknown pass 'quantise'; did you mean "
                     "'quantize'"),
     (_model_name_number, r"model_name: Input should be a valid string")],
)  # fmt: skip
def test_recipe_schema_errors_name_the_file_and_field(saved, change, message):
    _edit(saved / "recipe.json", change)
    with pytest.raises(CarveError, match=message):
        load_graph(saved)


def test_metadata_schema_dangling_reference_and_dtype(saved):
    original = (saved / "metadata.json").read_text()
    _edit(saved / "metadata.json", lambda d: d.pop("nodes"))
    with pytest.raises(CarveError, match=r"metadata\.json does not match .*nodes: Field required"):
        load_graph(saved)
    (saved / "metadata.json").write_text(original)
    text = original.replace('"node/seq_blocks_2/common/args/weight/value"', '"node/nowhere"', 1)
    assert text != original
    (saved / "metadata.json").write_text(text)
    with pytest.raises(CarveError, match=r"metadata\.json: tensor reference 'node/nowhere' has no"):
        load_graph(saved)
    (saved / "metadata.json").write_text(
        original.replace('"__dtype__": "float32"', '"__dtype__": "floot32"', 1)
    )
    with pytest.raises(CarveError, match=r"metadata\.json: unknown torch dtype 'floot32'"):
        load_graph(saved)


@pytest.mark.parametrize("name", ["weights.safetensors", "metadata.safetensors"])
@pytest.mark.parametrize("damage", ["truncate", "garbage", "delete"])
def test_unreadable_safetensors_name_the_file(saved, name, damage):
    path = saved / name
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif damage == "garbage":
        path.write_bytes(b"\x00garbage" * 10)
    else:
        path.unlink()
    expected = "is missing" if damage == "delete" else "is not a readable safetensors file"
    with pytest.raises(CarveError, match=rf"{name}.* {expected}|{expected}"):
        load_graph(saved)


def test_a_file_where_a_graph_folder_is_expected(saved, tmp_path):
    file = saved / "recipe.json"
    with pytest.raises(CarveError, match=r"recipe\.json is a file, not a saved carve graph"):
        load_graph(file)
    with pytest.raises(CarveError, match="is a file, not a saved carve graph"):
        load_model(file, "graph", get_model("jsc-tiny"))
    with pytest.raises(CarveError, match=r"elsewhere is not a saved carve graph: .* is missing"):
        load_graph(tmp_path / "elsewhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CarveError, match=r"empty/recipe\.json is missing"):
        load_model(tmp_path / "empty", "auto", get_model("jsc-tiny"))
    with pytest.raises(CarveError, match="is a file; a graph is saved to a folder"):
        save_graph(MaseGraph.from_registered("jsc-tiny"), file)
