"""Report passes (exact text, files), the registry listing, argument validation."""

from __future__ import annotations

import copy
import subprocess
import sys

import pytest
import torch

from carve.errors import CarveError
from carve.ir import MaseGraph
from carve.passes import (
    PASSES,
    add_common_metadata_analysis_pass,
    get_pass,
    init_metadata_analysis_pass,
    report_graph_analysis_pass,
    report_node_meta_param_analysis_pass,
    report_node_shape_analysis_pass,
    report_node_type_analysis_pass,
)


def test_report_graph_text_and_file(analyse, tmp_path, capsys):
    graph = analyse("toy-mlp")
    target = tmp_path / "sub" / "report.txt"
    _, info = report_graph_analysis_pass(graph, {"file_name": str(target)})
    text = target.read_text()
    assert capsys.readouterr().out == text == info["text"]
    lines = text.splitlines()
    assert lines[0] == "graph():"
    assert "    %x : [num_users=1] = placeholder[target=x]" in lines
    assert lines[lines.index("Network overview:") - 1] == "    return fc_out"
    assert lines[lines.index("Network overview:") + 1] == (
        "{'placeholder': 1, 'get_attr': 0, 'call_function': 3, 'call_method': 0, "
        "'call_module': 3, 'output': 1}"
    )
    assert lines[-2] == "Layer types:" and lines[-1].count("Linear(") == 3


def test_node_tables(analyse, tmp_path, capsys):
    graph = analyse("toy-cnn")
    _, info = report_node_type_analysis_pass(graph)
    assert ("flatten", "call_function", "implicit_func", "flatten", "float") in info["rows"]
    _, info = report_node_shape_analysis_pass(graph)
    row = next(r for r in info["rows"] if r[0] == "conv1")
    assert "data_in_0: [4, 1, 4, 4]" in row[1] and "weight: [8, 1, 3, 3]" in row[1]
    assert row[2] == "data_out_0: [4, 8, 4, 4]"
    path = tmp_path / "meta.txt"
    _, info = report_node_meta_param_analysis_pass(
        graph, {"which": ("software",), "save_path": str(path)}
    )
    text = path.read_text()
    assert "Software Param" in text and "Common Param" not in text and "'stat': {}" in text
    out = capsys.readouterr().out
    assert f"Node meta param table is saved to {path}" in out
    with pytest.raises(CarveError, match="'sofware' is unknown"):
        report_node_meta_param_analysis_pass(graph, {"which": ["sofware"]})


def test_meta_param_table_summarises_tensor_values(analyse):
    graph = analyse("jsc-tiny", add_value=True)
    _, info = report_node_meta_param_analysis_pass(graph, {"which": ["common"]})
    assert "<tensor [5, 16] float32>" in info["text"]


def test_common_metadata_argument_errors_name_the_key():
    graph, _ = init_metadata_analysis_pass(MaseGraph.from_registered("jsc-tiny"))
    with pytest.raises(CarveError, match=r"missing required pass_args key.*dummy_in"):
        add_common_metadata_analysis_pass(graph, {})
    with pytest.raises(CarveError, match="dummy_in key 'y' is not a graph input"):
        add_common_metadata_analysis_pass(
            graph, {"dummy_in": {"x": torch.ones(1, 16), "y": torch.ones(1, 16)}}
        )
    with pytest.raises(CarveError, match=r"pass_args\['add_value'\] must be bool"):
        add_common_metadata_analysis_pass(graph, {"dummy_in": {"x": torch.ones(1, 16)},
                                                  "add_value": "yes"})  # fmt: skip
    with pytest.raises(
        CarveError, match="unknown pass_args key 'dumy_in'; did you mean 'dummy_in'"
    ):
        add_common_metadata_analysis_pass(graph, {"dumy_in": {}})
    with pytest.raises(CarveError, match="pass_args must be a dict"):
        init_metadata_analysis_pass(graph, ["x"])
    args = {"dummy_in": {"x": torch.ones(2, 16)}, "add_value": False}
    before = copy.copy(args)
    add_common_metadata_analysis_pass(graph, args)
    assert args == before and args["dummy_in"] is before["dummy_in"]


def test_registry_lists_mase_names_without_importing_torch():
    code = (
        "import sys; from carve.passes.info import info_table; title, cols, rows = info_table();"
        "print(len(rows), 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    count, torch_loaded = out.stdout.split()
    assert int(count) >= 15 and torch_loaded == "False"  # (tests may register more here)
    assert get_pass("report_graph") is get_pass("report_graph_analysis_pass")
    assert PASSES["profile_statistics"].__name__ == "profile_statistics_analysis_pass"
    with pytest.raises(CarveError, match="did you mean 'report_graph'"):
        get_pass("report_grap")


def test_chop_style_node_helpers(analyse):
    import operator

    from torch import nn

    from carve.passes.utils import get_mase_op, get_mase_type, get_node_actual_target

    graph = analyse("toy-mlp")
    nodes = {n.name: n for n in graph.nodes}
    assert (get_mase_op(nodes["fc_in"]), get_mase_type(nodes["fc_in"])) == (
        "linear",
        "module_related_func",
    )
    assert isinstance(get_node_actual_target(nodes["fc_in"]), nn.Linear)
    assert get_node_actual_target(nodes["add"]) is operator.add
    assert get_mase_op(nodes["add"]) == "add"
