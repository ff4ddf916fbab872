"""A saved graph folder is data: a tampered recipe naming any path-taking pass writes nothing."""

from __future__ import annotations

import json

import pytest
import torch

from carve.errors import CarveError
from carve.ir import MaseGraph
from carve.passes import (
    add_common_metadata_analysis_pass,
    init_metadata_analysis_pass,
    load_mase_graph_interface_pass,
    quantize_transform_pass,
)
from carve.passes.registry import PASSES
from carve.pipeline import save_graph
from carve.quant import fixed_point_config

INT8 = fixed_point_config(8, 4)
# every pass_args key a registered pass uses for a file or folder, pointed at one target
PATH_KEYS = ("save_dir", "load_dir", "file_name", "save_path", "toml_path", "save_name")
NOT_REPLAYED = sorted(name for name in PASSES if not PASSES.meta(name)["needs"].replayable)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    torch.manual_seed(0)
    graph, _ = init_metadata_analysis_pass(MaseGraph.from_registered("jsc-tiny"))
    graph, _ = add_common_metadata_analysis_pass(graph, {"dummy_in": {"x": torch.randn(4, 16)}})
    graph, _ = quantize_transform_pass(graph, {"by": "type", "linear": {"config": INT8}})
    return save_graph(graph, tmp_path_factory.mktemp("g") / "graph")


@pytest.mark.parametrize("step", NOT_REPLAYED)
def test_no_io_or_analysis_pass_is_replayed_from_a_recipe(saved, tmp_path, step):
    assert {"save_mase_graph", "report_graph", "save_node_meta_param"} <= set(NOT_REPLAYED)
    folder = tmp_path / "copy"
    folder.mkdir()
    for path in saved.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    target = tmp_path / "outside" / "victim.txt"
    recipe = json.loads((folder / "recipe.json").read_text())
    args = {key: str(target) for key in PATH_KEYS}
    recipe["transforms"].append({"pass": step, "pass_args": args})
    (folder / "recipe.json").write_text(json.dumps(recipe))
    before = sorted(p.name for p in folder.iterdir())
    with pytest.raises(CarveError, match=f"names pass '{step}', which is not a graph-building"):
        load_mase_graph_interface_pass(None, {"load_dir": str(folder)})
    assert not target.parent.exists()
    assert sorted(p.name for p in folder.iterdir()) == before
