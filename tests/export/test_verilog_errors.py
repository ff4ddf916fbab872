"""The Verilog export's bad input: one clear line each, nothing half-written; the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from carve.cli.main import main
from carve.errors import CarveError
from carve.export.api import export_graph

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def assert_one_line_and_no_folder(error, out: Path, *fragments: str) -> None:
    message = str(error.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message
    assert not out.exists()  # export_graph removed the half-written folder


def test_width_over_16_names_node_operand_and_range(builders, tmp_path):
    config = builders.by_type(8)
    config["linear"]["config"] |= {"weight_width": 17, "weight_frac_width": 8}
    graph = builders.quantized_graph("jsc-tiny", config)
    with pytest.raises(CarveError) as error:
        export_graph(graph, "verilog", tmp_path / "v")
    assert_one_line_and_no_folder(
        error, tmp_path / "v", "node 'seq_blocks_2' weight is 17 bits wide", "widths 1-16"
    )


def test_other_format_names_node_and_format(builders, tmp_path):
    config = builders.by_type(8)
    minifloat = {"name": "minifloat_ieee", "data_in_width": 8, "data_in_exponent_width": 4}
    config["relu"] = {"config": minifloat | {"data_in_exponent_bias": 7}}
    graph = builders.quantized_graph("jsc-tiny", config)
    with pytest.raises(CarveError) as error:
        export_graph(graph, "verilog", tmp_path / "v")
    assert_one_line_and_no_folder(
        error, tmp_path / "v", "node 'seq_blocks_1' data_in_0 uses format", "minifloat",
        "integer (fixed point) format only",
    )  # fmt: skip


def test_float_network_input_says_how_to_fix_the_config(builders, tmp_path):
    config = builders.by_type(8)
    del config["batch_norm1d"]  # jsc-tiny starts with a float batch norm
    graph = builders.quantized_graph("jsc-tiny", config)
    with pytest.raises(CarveError) as error:
        export_graph(graph, "verilog", tmp_path / "v")
    assert_one_line_and_no_folder(
        error, tmp_path / "v", "network input (node 'seq_blocks_0' data_in_0) is float32",
        "quantize 'seq_blocks_0' (its batch_norm1d config) with the integer format",
    )  # fmt: skip


def test_float_batch_norm_inside_the_network(builders, tmp_path):
    def all_but_one(graph):
        kinds = {"Linear": "linear", "BatchNorm1d": "batch_norm1d", "ReLU": "relu"}
        layer = builders.by_type(6)
        args = {"by": "name", "default": {"config": {"name": "NA"}}}
        for node in graph.nodes:
            if node.op == "call_module" and node.name != "seq_blocks_3":
                kind = type(graph.model.get_submodule(node.target)).__name__
                args[node.name] = layer[kinds[kind]]
        return args

    graph = builders.quantized_graph("jsc-toy", all_but_one)
    with pytest.raises(CarveError) as error:
        export_graph(graph, "verilog", tmp_path / "v")
    assert_one_line_and_no_folder(
        error, tmp_path / "v", "node 'seq_blocks_3' data_in_0 is float32", "integer (fixed) format"
    )


def test_unsupported_layer_and_unquantized_graph(tmp_path):
    import torch

    from carve.ir import MaseGraph

    graph = MaseGraph(torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Sigmoid()))
    with pytest.raises(CarveError) as error:
        export_graph(graph, "verilog", tmp_path / "v")
    assert_one_line_and_no_folder(error, tmp_path / "v", "(Sigmoid) is not supported")
    graph = MaseGraph.from_registered("jsc-tiny")
    with pytest.raises(CarveError) as error:
        export_graph(graph, "verilog", tmp_path / "v")
    assert_one_line_and_no_folder(error, tmp_path / "v", "no quantization metadata")


def test_missing_tools_name_the_debian_package(builders, tmp_path, monkeypatch):
    import shutil

    graph = builders.quantized_graph("jsc-tiny", builders.by_type(4))
    real = shutil.which
    for tool in ("verilator", "iverilog"):
        monkeypatch.setattr(shutil, "which", lambda name, t=tool: None if name == t else real(name))
        with pytest.raises(CarveError) as error:
            export_graph(
                graph, "verilog", tmp_path / tool, inputs=__import__("numpy").zeros((4, 16))
            )
        assert_one_line_and_no_folder(
            error, tmp_path / tool, f"needs {tool!r}, which is not installed",
            f"apt-get install {tool}",
        )  # fmt: skip


def test_existing_output_folder_is_refused(builders, tmp_path):
    (tmp_path / "v").mkdir()
    (tmp_path / "v" / "keep.txt").write_text("mine")
    graph = builders.quantized_graph("jsc-tiny", builders.by_type(4))
    with pytest.raises(CarveError, match="already exists; exports are never overwritten"):
        export_graph(graph, "verilog", tmp_path / "v")
    assert [p.name for p in (tmp_path / "v").iterdir()] == ["keep.txt"]


def test_cli_export_verilog_runs_parity_and_reports(tmp_path, capsys):
    common = ["--project-dir", str(tmp_path), "--data-size", "1500", "--no-progress"]
    config = str(CONFIGS / "export" / "jsc_int8.toml")
    assert main(["transform", "--config", config, "--project", "t", *common]) == 0
    saved = tmp_path / "t" / "software" / "transform" / "latest" / "transformed_ckpt"
    capsys.readouterr()
    code = main(["export", "jsc-tiny", "jsc-synth", "--load", str(saved), "--format", "verilog",
                 "--project", "t", *common])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert "parity Verilator RTL simulation vs carve integer reference: 300 rows, EXACT" in out
    assert "256/256 rows of random input codes checked against the integer reference: EXACT" in out
    folder = tmp_path / "t" / "export" / "verilog" / "version_0"
    import json

    report = json.loads((folder / "report.json").read_text())
    assert report["parity"]["exact"] and report["verilog"]["latency_cycles"] == 4
    assert report["resources"]["latency_cycles"] == 4  # yosys, or the cost model when big
    assert (folder / "rtl" / "carve_net.v").is_file() and (
        folder / "tb" / "tb_carve_net.v"
    ).is_file()
