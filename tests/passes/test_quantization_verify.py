"""verify_quantization_analysis_pass: grid proofs, integer-only reference, and that it can fail."""

from __future__ import annotations

import json

import pytest
import torch

from carve.errors import CarveError
from carve.ir import MaseGraph
from carve.passes import (
    add_common_metadata_analysis_pass,
    init_metadata_analysis_pass,
    quantize_transform_pass,
    verify_quantization_analysis_pass,
)
from carve.quant.layers import OperandQuantizer


def config(data=(8, 4), weight=(8, 4), bias=(8, 4), name="integer"):
    return {"name": name, "data_in_width": data[0], "data_in_frac_width": data[1],
            "weight_width": weight[0], "weight_frac_width": weight[1],
            "bias_width": bias[0], "bias_frac_width": bias[1]}  # fmt: skip


def quantized(model: str, default: dict, trained_like: bool = True):
    torch.manual_seed(0)
    mg, _ = init_metadata_analysis_pass(MaseGraph.from_registered(model))
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": torch.randn(4, 16)}})
    if trained_like:  # non-trivial BatchNorm statistics
        for module in mg.model.modules():
            if isinstance(module, torch.nn.BatchNorm1d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
    qmg, _ = quantize_transform_pass(
        mg, {"by": "type", "default": {"config": default}, "default_ops": "all"}
    )
    return qmg


INPUTS = torch.randn(600, 16, generator=torch.Generator().manual_seed(1)) * 2


def test_integer_graph_proof_and_exact_integer_reference(tmp_path):
    qmg = quantized("jsc-s", config())
    labels = torch.randint(0, 5, (600,))
    _, info = verify_quantization_analysis_pass(
        qmg, {"inputs": INPUTS, "labels": labels, "batch_size": 256, "save_dir": str(tmp_path)}
    )
    assert info["ok"]
    weights = [r for r in info["operands"] if r["operand"] == "weight"]
    assert len(weights) == 8 and all(r["on_grid"] == r["numel"] and r["in_range"] for r in weights)
    assert all(r["distinct"] <= r["capacity"] == 256 for r in info["operands"])
    linear = next(r for r in weights if r["node"] == "module_list_2")
    assert 0 < linear["max_quant_error"] <= 2**-5  # round to nearest on a 2**-4 grid
    acts = [r for r in info["operands"] if r["operand"] == "data_in_0"]
    assert sum(r["numel"] for r in acts if r["node"] == "module_list_2") == 600 * 16
    reference = info["integer_reference"]
    assert reference["logits_equal"] and reference["max_logit_diff"] == 0.0
    assert reference["all_layers_exact"]
    assert reference["accuracy_fake_quant"] == reference["accuracy_integer"]
    assert "module_list_2" in reference["integer_layers"]
    assert "module_list_0" in reference["float_quantized_layers"]  # BatchNorm: float statistics
    saved = json.loads((tmp_path / "quantize_verify.json").read_text())
    assert saved["ok"] and len(saved["operands"]) == len(info["operands"])


class _Leaky(OperandQuantizer):
    """Claims the layer's spec but lets values through unquantized (a broken quantizer)."""

    def __call__(self, x):
        return x


@pytest.mark.parametrize("attribute,operand", [("w_quantizer", "weight"),
                                               ("x_quantizer", "data_in_0")])  # fmt: skip
def test_off_grid_values_are_caught(attribute, operand):
    qmg = quantized("jsc-tiny", config())
    layer = qmg.model.get_submodule("seq_blocks.2")
    good = getattr(layer, attribute)
    setattr(layer, attribute, _Leaky(good.operand, good.format, good.spec))
    _, info = verify_quantization_analysis_pass(qmg, {"inputs": INPUTS})
    report = next(r for r in info["operands"] if r["node"] == "seq_blocks_2"
                  and r["operand"] == operand)  # fmt: skip
    assert report["on_grid"] < report["numel"] and not report["ok"]
    assert not info["ok"]
    assert not info["integer_reference"]["logits_equal"]
    with pytest.raises(CarveError, match=f"seq_blocks_2.{operand}"):
        verify_quantization_analysis_pass(qmg, {"inputs": INPUTS, "strict": True})


def test_wide_formats_use_the_derived_bound():
    # 16-bit codes: sums reach beyond 2**24, float32 accumulation may round
    qmg = quantized("jsc-s-logits", config(data=(16, 10), weight=(16, 12), bias=(16, 10)))
    _, info = verify_quantization_analysis_pass(qmg, {"inputs": INPUTS * 8})
    reference = info["integer_reference"]
    assert not reference["all_layers_exact"]
    inexact = [c for c in reference["layers"] if not c["exact"]]
    assert inexact and all(c["max_diff"] <= c["bound"] and c["bound"] > 0 for c in inexact)
    assert reference["layers_within_bound"] and info["ok"]


def test_other_formats_get_grid_proofs_without_integer_reference():
    minifloat = {
        "name": "minifloat_ieee",
        **{
            f"{op}_{k}": v
            for op in ("data_in", "weight", "bias")
            for k, v in {"width": 8, "exponent_width": 4, "exponent_bias": 7}.items()
        },
    }
    qmg = quantized("jsc-tiny", minifloat)
    _, info = verify_quantization_analysis_pass(qmg, {"inputs": INPUTS})
    assert info["ok"] and info["integer_reference"]["integer_layers"] == []
    assert all(r["format"] == "minifloat_ieee" for r in info["operands"])


def test_weights_only_without_inputs_and_errors():
    qmg = quantized("jsc-tiny", config())
    _, info = verify_quantization_analysis_pass(qmg)
    assert info["ok"] and {r["operand"] for r in info["operands"]} == {"weight", "bias"}
    with pytest.raises(CarveError, match="no quantized layer"):
        float_graph, _ = init_metadata_analysis_pass(MaseGraph.from_registered("jsc-tiny"))
        verify_quantization_analysis_pass(float_graph)
    with pytest.raises(CarveError, match="unknown pass_args key 'input'"):
        verify_quantization_analysis_pass(qmg, {"input": INPUTS})


@pytest.mark.parametrize(
    "model,ops",
    [("toy-cnn", {"conv2d", "relu", "max_pool2d", "linear"}),
     ("toy-mlp", {"linear", "relu", "add"}),
     ("toy-transformer", {"linear", "bmm", "matmul", "add"})],
)  # fmt: skip
def test_integer_reference_covers_conv_pool_functions_and_output_quantizers(model, ops):
    cfg = config() | {"data_out_width": 10, "data_out_frac_width": 3}  # requantized outputs too
    qmg = quantized(model, cfg, trained_like=False)
    _, info = verify_quantization_analysis_pass(qmg, {"inputs": INPUTS[:200]})
    reference = info["integer_reference"]
    assert {c["op"] for c in reference["layers"]} == ops
    assert reference["all_layers_exact"] and reference["logits_equal"] and info["ok"]
    outs = [r for r in info["operands"] if r["operand"] == "data_out_0"]
    assert outs and all(r["on_grid"] == r["numel"] for r in outs)


def test_layers_that_could_overflow_int64_run_as_float():
    qmg = quantized("jsc-tiny", config(data=(32, 16), weight=(32, 16), bias=(32, 16)))
    _, info = verify_quantization_analysis_pass(qmg, {"inputs": INPUTS[:50]})
    reference = info["integer_reference"]
    assert "seq_blocks_2" in reference["float_quantized_layers"]
    assert "seq_blocks_2" not in reference["integer_layers"]


def test_layer_evidence_is_merged_across_batches_in_any_order():
    # large rows make float32 accumulation inexact; zero rows are exact: the verdict must
    # rest on every batch, not on the last one, and not depend on the order of the rows
    qmg = quantized("jsc-s-logits", config(data=(16, 10), weight=(16, 12), bias=(16, 10)))
    large, small = INPUTS[:64] * 8, torch.zeros(64, 16)

    def reference(rows):
        _, info = verify_quantization_analysis_pass(qmg, {"inputs": rows, "batch_size": 64})
        return info, {c["node"]: c for c in info["integer_reference"]["layers"]}

    alone, by_node = reference(large)
    forward, merged = reference(torch.cat([large, small]))
    backward, merged_reversed = reference(torch.cat([small, large]))
    assert merged == merged_reversed
    assert forward["ok"] == backward["ok"] == alone["ok"]
    assert forward["integer_reference"]["all_layers_exact"] is False
    assert backward["integer_reference"] == forward["integer_reference"]
    for node, check in by_node.items():  # the large batch's evidence survives the zero batch
        assert merged[node]["max_sum"] == check["max_sum"]
        assert merged[node]["exact"] == check["exact"]
        assert merged[node]["max_diff"] == check["max_diff"]
