"""MASE's save/load calls: ``save_mase_graph_interface_pass`` then ``load_type="mz"``."""

from __future__ import annotations

import pytest
import torch

from carve.errors import CarveError

CODE = """
import torch
from chop.ir.graph.mase_graph import MaseGraph
from chop.models import get_model
from chop.passes.graph import (
    init_metadata_analysis_pass,
    add_common_metadata_analysis_pass,
    quantize_transform_pass,
    save_mase_graph_interface_pass,
    save_node_meta_param_interface_pass,
    load_node_meta_param_interface_pass,
)
from chop.tools.checkpoint_load import load_model

torch.manual_seed(0)
model = get_model("jsc-toy", task="cls", dataset_info=None, pretrained=False)
mg = MaseGraph(model=model)
mg, _ = init_metadata_analysis_pass(mg, None)
mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": torch.randn(8, 16)}})
config = {"name": "integer", "data_in_width": 6, "data_in_frac_width": 3, "weight_width": 6,
          "weight_frac_width": 3, "bias_width": 6, "bias_frac_width": 3}
mg, _ = quantize_transform_pass(mg, {"by": "type", "default": {"config": config}})
mg, _ = save_mase_graph_interface_pass(mg, "saved")
mg, _ = save_node_meta_param_interface_pass(mg, "saved/node_meta_param.toml")
fresh = get_model("jsc-toy", task="cls", dataset_info=None, pretrained=False)
loaded = load_model(load_name="saved/graph_module.mz", load_type="mz", model=fresh)
mg, _ = load_node_meta_param_interface_pass(mg, "saved/node_meta_param.toml")
"""


def test_mz_load_type_reads_what_save_mase_graph_writes(run_ported, tmp_path):
    ns = run_ported(CODE)
    x = torch.randn(32, 16)
    ns["mg"].model.eval()
    ns["loaded"].eval()
    torch.testing.assert_close(ns["loaded"](x), ns["mg"].model(x), rtol=0, atol=0)
    names = {type(m).__name__ for m in ns["loaded"].modules()}
    assert {"LinearInteger", "ReLUInteger"} <= names and "BatchNorm1dInteger" not in names
    # the folder form of the path works too; anything else is a clear error
    from carve.models import get_model, load_model

    again = load_model(tmp_path / "saved", "mz", get_model("jsc-toy"))
    torch.testing.assert_close(again.eval()(x), ns["mg"].model(x), rtol=0, atol=0)
    with pytest.raises(CarveError, match=r"does not read MASE's pickled graph_module\.mz"):
        load_model(tmp_path / "elsewhere" / "graph_module.mz", "mz")


def test_mase_named_files_beside_a_saved_graph(tmp_path):
    from carve.compat.load import write_mase_files
    from carve.ir import MaseGraph
    from carve.passes import init_metadata_analysis_pass

    mg, _ = init_metadata_analysis_pass(MaseGraph.from_registered("jsc-tiny"))
    written = write_mase_files(mg, tmp_path)
    assert [p.name for p in written] == ["state_dict.pt", "node_meta_param.toml"]
    state = torch.load(tmp_path / "state_dict.pt", weights_only=True)
    for key, value in mg.model.state_dict().items():
        assert torch.equal(state[key], value)
    assert "[seq_blocks_2.common]" in (tmp_path / "node_meta_param.toml").read_text()
