"""summarize_quantization_analysis_pass: MASE's lab-2 histogram, both signatures, CSV files."""

from __future__ import annotations

import csv

import pytest
import torch

from carve.errors import CarveError
from carve.ir import MaseGraph
from carve.passes import (
    add_common_metadata_analysis_pass,
    init_metadata_analysis_pass,
    quantize_transform_pass,
    summarize_quantization_analysis_pass,
)
from carve.quant import fixed_point_config

INT8 = fixed_point_config(8, 4)
# MASE's Dec-2023 lab 2 output for jsc-tiny, by type, linear only
MASE_HISTOGRAM = [
    ["BatchNorm1d", "batch_norm1d", "1", "0", "1"],
    ["Linear", "linear", "1", "1", "0"],
    ["ReLU", "relu", "2", "0", "2"],
    ["output", "output", "1", "0", "1"],
    ["x", "placeholder", "1", "0", "1"],
]


@pytest.fixture(scope="module")
def graphs():
    mg, _ = init_metadata_analysis_pass(MaseGraph.from_registered("jsc-tiny"))
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": torch.randn(4, 16)}})
    args = {"by": "type", "default": {"config": {"name": "NA"}}, "linear": {"config": INT8}}
    qmg, _ = quantize_transform_pass(mg, args)
    return mg, qmg


def test_early_signature_writes_mase_histogram(tmp_path, graphs):
    mg, qmg = graphs
    out, _ = summarize_quantization_analysis_pass(mg, qmg, save_dir=str(tmp_path))
    assert out is qmg
    with open(tmp_path / "quantize_histogram.csv") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["Original type", "OP", "Total", "Changed", "Unchanged"]
    assert rows[1:] == MASE_HISTOGRAM
    with open(tmp_path / "quantize_table.csv") as file:
        table = list(csv.reader(file))
    assert table[0] == ["", "Ori name", "New name", "MASE_TYPE", "Mase_OP", "Original type",
                        "Quantized type", "Changed"]  # fmt: skip
    assert table[4] == ["3", "seq_blocks_2", "seq_blocks_2", "module_related_func", "linear",
                        "Linear", "LinearInteger", "True"]  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "quantize_histogram.csv",
        "quantize_table.csv",
    ]  # no temp files


def test_later_signature_gives_the_same_result(tmp_path, graphs):
    mg, qmg = graphs
    _, early = summarize_quantization_analysis_pass(mg, qmg)
    _, later = summarize_quantization_analysis_pass(qmg, {"original_graph": mg})
    assert early["histogram"] == later["histogram"] and early["table"] == later["table"]
    assert later["files"] == []
    rows = [line.split("|")[1:-1] for line in later["histogram_text"].splitlines()]
    assert ["Linear", "linear", "1", "1", "0"] in [[c.strip() for c in row] for row in rows]


def test_mistakes(graphs):
    mg, qmg = graphs
    with pytest.raises(CarveError, match="original_graph"):
        summarize_quantization_analysis_pass(qmg, {"save_dir": "x"})
    with pytest.raises(CarveError, match="unknown pass_args key 'savedir'"):
        summarize_quantization_analysis_pass(qmg, {"original_graph": mg, "savedir": "x"})


def test_function_nodes_count_as_changed():
    mg, _ = init_metadata_analysis_pass(MaseGraph.from_registered("toy-mlp"))
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": torch.randn(4, 16)}})
    qmg, _ = quantize_transform_pass(mg, {"by": "type", "add": {"config": INT8}})
    _, info = summarize_quantization_analysis_pass(mg, qmg)
    add = next(row for row in info["histogram"] if row["OP"] == "add")
    assert (add["Total"], add["Changed"]) == (1, 1)
    row = next(r for r in info["table"] if r["Mase_OP"] == "add")
    # as MASE: a function node's type is the function's __name__ (add -> add_integer)
    assert (row["Original type"], row["Quantized type"]) == ("add", "add_integer")
    assert row["Ori name"] == row["New name"]
