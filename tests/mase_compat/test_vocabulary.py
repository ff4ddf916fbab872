"""MASE's keys and flags: accepted, applied or ignored with one note; others still errors."""

from __future__ import annotations

import argparse
import logging
import warnings

import pytest
import torch

from carve.config import CarveConfig, add_common_flags, read_config_file, resolve_config
from carve.errors import CarveError
from carve.ir import MaseGraph
from carve.passes import (
    add_common_metadata_analysis_pass,
    add_software_metadata_analysis_pass,
    init_metadata_analysis_pass,
    quantize_transform_pass,
)
from carve.quant import fixed_point_config
from carve.vocabulary import RUN_KEYS, accept_transform_table

INT8 = fixed_point_config(8, 4)

# every MASE run key MASE's CLI defaults table has and carve has no field for
MASE_RUN_TOML = """
model = "jsc-tiny"
dataset = "jsc-synth"
batch_size = 512
strategy = "ddp"
num_nodes = 1
trainer_precision = "16-mixed"
report_to = "tensorboard"
quant_config = "NA"
max_token_len = 512
disable_dataset_cache = false
github_ci = false
is_to_auto_requeue = false
target = "xcu250-figd2104-2L-e"
num_targets = 100
is_pretrained = false
no_warnings = false
"""

IGNORED = sorted(key for key, entry in RUN_KEYS.items() if entry.apply is None)


def notes(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "carve.compat"]


def test_mase_run_keys_in_a_toml_file_load_with_one_note_each(tmp_path, caplog):
    path = tmp_path / "run.toml"
    path.write_text(MASE_RUN_TOML)
    with caplog.at_level(logging.INFO, logger="carve.compat"):
        values, tables = read_config_file(str(path))
    assert values == {"model": "jsc-tiny", "dataset": "jsc-synth", "batch_size": 512}
    assert tables == {}
    # quant_config = "NA" is None after loading: MASE's default, nothing to note
    noted = sorted(message.split("'")[1] for message in notes(caplog))
    assert noted == [key for key in IGNORED if key != "quant_config"]
    assert (
        f"{path}: MASE key 'strategy' accepted and ignored: carve trains on one device"
        in (notes(caplog)[0])
    )


def test_unknown_key_is_still_an_error_with_a_hint(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('stratgy = "ddp"\n')
    with pytest.raises(CarveError, match=r"'stratgy' \(did you mean 'strategy'\?\)"):
        read_config_file(str(path))
    with pytest.raises(CarveError, match=r"num_nodes must be an integer, got 'x' \(from Python\)"):
        CarveConfig.from_dict({"num_nodes": "x"})


def test_is_pretrained_true_is_refused_and_no_warnings_silences_warnings():
    with pytest.raises(CarveError, match="carve ships no pretrained weights"):
        CarveConfig.from_dict({"is_pretrained": True})
    with warnings.catch_warnings():
        CarveConfig.from_dict({"no_warnings": True})
        assert warnings.filters[0][0] == "ignore"


def _parse(argv):
    parser = argparse.ArgumentParser()
    add_common_flags(parser)
    return resolve_config(parser.parse_intermixed_args(argv))


def test_mase_command_line_flags_are_accepted(caplog):
    argv = ["jsc-tiny", "jsc-synth", "--strategy", "ddp", "--nodes", "2", "--trainer-precision",
            "32", "--report-to", "wandb", "--max-token-len", "128", "--disable-dataset-cache",
            "--github-ci", "--auto-requeue", "--target", "xc7z020", "--num-targets", "3",
            "--quant-config", "q.toml", "--batch-size", "64"]  # fmt: skip
    with caplog.at_level(logging.INFO, logger="carve.compat"):
        config = _parse(argv)
    assert config.batch_size == 64
    assert len(notes(caplog)) == len(IGNORED)
    assert all(m.startswith("the command line: MASE key") for m in notes(caplog))
    with pytest.raises(CarveError, match="no pretrained weights"):
        _parse(["jsc-tiny", "jsc-synth", "--pretrained"])


def _graph(name="jsc-toy"):
    torch.manual_seed(0)
    mg, _ = init_metadata_analysis_pass(MaseGraph.from_registered(name), {"dummy_in": {}})
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": torch.randn(4, 16)}})
    return mg


def test_dummy_in_is_accepted_by_init_and_software_metadata(caplog):
    dummy = {"x": torch.randn(4, 16)}
    with caplog.at_level(logging.INFO, logger="carve.compat"):
        mg, _ = init_metadata_analysis_pass(
            MaseGraph.from_registered("jsc-tiny"), {"dummy_in": dummy}
        )
        mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": dummy})
        mg, _ = add_software_metadata_analysis_pass(mg, {"dummy_in": dummy})
    assert [m.split(":")[0] for m in notes(caplog)] == [
        "init_metadata_analysis_pass", "add_software_metadata_analysis_pass"]  # fmt: skip
    assert mg.fx_graph.find_nodes(op="call_module", target="seq_blocks.2")[0].meta[
        "mase"
    ].parameters["software"]["args"].keys() == {"data_in_0", "weight", "bias"}
    with pytest.raises(
        CarveError, match="unknown pass_args key 'dumy_in'; did you mean 'dummy_in'"
    ):
        add_common_metadata_analysis_pass(mg, {"dumy_in": dummy})


def quantized_ops(qmg) -> list[str]:
    from carve.quant.layers import QuantizedLayer

    return sorted(type(m).__name__ for m in qmg.modules.values() if isinstance(m, QuantizedLayer))


def test_by_type_default_quantizes_masess_ops_only_and_more_is_opt_in(caplog):
    mg = _graph("jsc-toy")  # BatchNorm1d, Linear, ReLU
    caplog.clear()  # _graph's own note shows when an earlier test left carve's logger at INFO
    with caplog.at_level(logging.INFO, logger="carve.compat"):
        qmg, _info = quantize_transform_pass(
            mg, {"by": "type", "report": True, "default": {"config": INT8}}
        )
    assert notes(caplog) == [
        "quantize_transform_pass: MASE key 'report' accepted and ignored: run "
        "summarize_quantization_analysis_pass for the table and histogram"
    ]
    kinds = [type(m).__name__ for m in mg.model.modules()]
    assert kinds.count("Linear") == 3 and kinds.count("BatchNorm1d") == 4
    assert quantized_ops(qmg) == ["LinearInteger"] * 3 + ["ReLUInteger"] * kinds.count("ReLU")
    named = {"by": "type", "default": {"config": INT8}, "batch_norm1d": {"config": INT8}}
    assert quantized_ops(quantize_transform_pass(mg, named)[0]).count("BatchNorm1dInteger") == 4
    every = {"by": "type", "default": {"config": INT8}, "default_ops": "all"}
    assert len(quantized_ops(quantize_transform_pass(mg, every)[0])) == 7 + kinds.count("ReLU")
    with pytest.raises(CarveError, match=r"default_ops='some'; accepted: \"mase\""):
        quantize_transform_pass(mg, {"by": "type", "default_ops": "some"})


def test_node_name_keys_under_by_type_are_ignored_like_mase(caplog):
    mg = _graph("jsc-toy")
    caplog.clear()  # _graph's own note shows when an earlier test left carve's logger at INFO
    other = INT8 | {"weight_width": 4}
    with caplog.at_level(logging.INFO, logger="carve.compat"):
        _qmg, info = quantize_transform_pass(
            mg, {"by": "type", "default": {"config": INT8}, "seq_blocks_2": {"config": other}}
        )
    assert info["configs"]["seq_blocks_2"]["weight_width"] == 8  # the default, as MASE
    assert "'seq_blocks_2' accepted and ignored" in notes(caplog)[0]
    with pytest.raises(CarveError, match=r"unknown quantizable op 'lineer'; did you mean 'linear'"):
        quantize_transform_pass(mg, {"by": "type", "lineer": {"config": INT8}})


def test_binary_keys_mase_never_reads_are_accepted():
    mg = _graph("jsc-tiny")
    config = {"name": "binary", "binary_training": 1, "data_in_width": 1, "data_in_frac_width": 0,
              "data_in_stochastic": 0, "data_in_bipolar": 1, "weight_width": 1,
              "weight_frac_width": 0, "weight_stochastic": 0, "weight_bipolar": 1,
              "bias_width": 1, "bias_stochastic": 0, "bias_bipolar": 1}  # fmt: skip
    qmg, _ = quantize_transform_pass(mg, {"by": "type", "default": {"config": config}})
    weight = qmg.modules["seq_blocks.2"].w_quantizer(qmg.modules["seq_blocks.2"].weight)
    assert set(weight.unique().tolist()) <= {-1.0, 1.0}
    with pytest.raises(CarveError, match="binary config key 'weight_frac_wdth'"):
        quantize_transform_pass(
            mg, {"by": "type", "default": {"config": config | {"weight_frac_wdth": 0}}}
        )


def test_transform_table_style(caplog):
    with caplog.at_level(logging.INFO, logger="carve.compat"):
        accept_transform_table({"style": "module"}, "cfg.toml")
        accept_transform_table({"style": "graph"}, "cfg.toml")
    assert len(notes(caplog)) == 1 and "'style'" in notes(caplog)[0]
    with pytest.raises(CarveError, match=r"style='layer' in cfg.toml; accepted: graph, module"):
        accept_transform_table({"style": "layer"}, "cfg.toml")
    with pytest.raises(CarveError, match=r"unknown key\(s\) \['stile'\]; accepted: style"):
        accept_transform_table({"stile": "graph"}, "cfg.toml")


def test_out_of_scope_material_fails_naming_it():
    from carve.data import MaseDataModule
    from carve.models import get_model
    from carve.passes import get_pass

    with pytest.raises(CarveError, match=r"dataset 'cifar10' is not available in carve: image "
                       r"datasets \(CIFAR, MNIST, ImageNet\) are out of scope"):  # fmt: skip
        MaseDataModule(name="cifar10", batch_size=8)
    with pytest.raises(CarveError, match=r"'bert-base-uncased' is not available.*HuggingFace"):
        get_model("bert-base-uncased", "cls", None, False)
    with pytest.raises(
        CarveError, match=r"emit_bram_transform_pass.*carve export --format verilog"
    ):
        get_pass("emit_bram_transform_pass")
