"""Quantized modules with the integer format, against numpy fixed-point references."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from carve.errors import CarveError
from carve.quant.layers import MODULE_CLASSES, quantized_module
from carve.quant.layers.modules import QuantizedConv2d, QuantizedLinear


def fixed(x, width, frac, signed=True):
    """Independent numpy fixed point: round half to even, saturate."""
    x = np.asarray(x, dtype=np.float64)
    lo, hi = (-(2 ** (width - 1)), 2 ** (width - 1) - 1) if signed else (0, 2**width - 1)
    return np.clip(np.round(x * 2.0**frac), lo, hi) / 2.0**frac


def config(x=(8, 4), w=(6, 3), b=(8, 5)):
    return {
        "name": "integer",
        "data_in_width": x[0], "data_in_frac_width": x[1],
        "weight_width": w[0], "weight_frac_width": w[1],
        "bias_width": b[0], "bias_frac_width": b[1],
    }  # fmt: skip


def t(array):
    return torch.tensor(np.asarray(array), dtype=torch.float32)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def test_linear_matches_numpy_reference():
    layer = nn.Linear(7, 3)
    q = quantized_module(layer, "linear", config())
    x = torch.randn(5, 7) * 3
    ref = fixed(x, 8, 4) @ fixed(layer.weight.detach(), 6, 3).T + fixed(layer.bias.detach(), 8, 5)
    np.testing.assert_allclose(q(x).detach().numpy(), ref, rtol=0, atol=1e-5)
    assert type(q).__name__ == "LinearInteger" and isinstance(q, QuantizedLinear)


@pytest.mark.parametrize("cls,op,shape", [(nn.Conv1d, "conv1d", (2, 3, 9)),
                                          (nn.Conv2d, "conv2d", (2, 3, 6, 6))])  # fmt: skip
def test_conv_copies_and_quantizes_bias(cls, op, shape):
    layer = cls(3, 4, 3, stride=2, padding=1, bias=True)
    with torch.no_grad():
        layer.bias.fill_(0.3)  # on no 2**-5 grid point: 0.3 -> 0.3125
    q = quantized_module(layer, op, config())
    assert torch.equal(q.bias, layer.bias) and torch.equal(q.weight, layer.weight)
    assert (q.stride, q.padding) == (layer.stride, layer.padding)
    x = torch.randn(*shape)
    conv = F.conv1d if op == "conv1d" else F.conv2d
    ref = conv(t(fixed(x, 8, 4)), t(fixed(layer.weight.detach(), 6, 3)),
               t(fixed(layer.bias.detach(), 8, 5)), stride=2, padding=1)  # fmt: skip
    torch.testing.assert_close(q(x), ref, rtol=0, atol=1e-5)
    assert torch.allclose(q.quantized_parameter("bias"), torch.full((4,), 0.3125))


def test_relu_quantizes_input_unsigned():
    q = quantized_module(nn.ReLU(inplace=True), "relu", {"name": "integer", "data_in_width": 4,
                                                         "data_in_frac_width": 1})  # fmt: skip
    x = torch.tensor([-3.0, 0.2, 0.3, 0.75, 7.4, 9.0])
    assert q(x).tolist() == fixed(x.numpy(), 4, 1, signed=False).tolist()
    assert q(x).tolist() == [0.0, 0.0, 0.5, 1.0, 7.5, 7.5]  # unsigned 4 bits: 15 * 0.5 max


@pytest.mark.parametrize(
    "cls,op,shape",
    [(nn.BatchNorm1d, "batch_norm1d", (6, 4)), (nn.BatchNorm2d, "batch_norm2d", (3, 4, 2, 2))],
)
def test_batch_norm_eval_and_train(cls, op, shape):
    layer = cls(4)
    with torch.no_grad():
        layer.weight.uniform_(0.5, 1.5)
        layer.bias.uniform_(-1, 1)
        layer.running_mean.uniform_(-1, 1)
        layer.running_var.uniform_(0.5, 2)
    q = quantized_module(layer, op, config())
    x = torch.randn(*shape)
    q.eval()
    ref = F.batch_norm(t(fixed(x, 8, 4)), layer.running_mean, layer.running_var,
                       t(fixed(layer.weight.detach(), 6, 3)), t(fixed(layer.bias.detach(), 8, 5)),
                       False, 0.0, layer.eps)  # fmt: skip
    torch.testing.assert_close(q(x), ref, rtol=0, atol=1e-5)
    q.train()
    mean_before = q.running_mean.clone()
    q(x)
    assert not torch.equal(q.running_mean, mean_before)  # training still tracks statistics
    assert int(q.num_batches_tracked) == 1


@pytest.mark.parametrize(
    "layer,op,shape",
    [(nn.MaxPool1d(2), "max_pool1d", (2, 3, 8)), (nn.MaxPool2d(2), "max_pool2d", (2, 3, 4, 4)),
     (nn.AvgPool1d(2), "avg_pool1d", (2, 3, 8)), (nn.AvgPool2d(2), "avg_pool2d", (2, 3, 4, 4)),
     (nn.AdaptiveAvgPool1d(2), "adaptive_avg_pool1d", (2, 3, 8)),
     (nn.AdaptiveAvgPool2d(1), "adaptive_avg_pool2d", (2, 3, 4, 4))],
)  # fmt: skip
def test_pooling_applies_float_op_to_quantized_input(layer, op, shape):
    q = quantized_module(
        layer, op, {"name": "integer", "data_in_width": 5, "data_in_frac_width": 2}
    )
    x = torch.randn(*shape) * 2
    torch.testing.assert_close(q(x), layer(t(fixed(x, 5, 2))), rtol=0, atol=0)


def test_every_module_op_has_a_test_above():
    assert set(MODULE_CLASSES) == {
        "linear", "conv1d", "conv2d", "relu", "batch_norm1d", "batch_norm2d", "max_pool1d",
        "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
        "adaptive_max_pool1d", "adaptive_max_pool2d",
    }  # fmt: skip


def test_straight_through_gradient_reaches_input_and_weight():
    layer = nn.Linear(4, 2)
    q = quantized_module(layer, "linear", config())
    x = (torch.randn(3, 4) * 2).requires_grad_()
    q(x).sum().backward()
    wq = t(fixed(layer.weight.detach(), 6, 3))
    torch.testing.assert_close(x.grad, wq.sum(0).expand(3, 4))  # identity STE through x's quantizer
    torch.testing.assert_close(q.weight.grad, t(fixed(x.detach(), 8, 4)).sum(0).expand(2, 4))


def test_data_out_keys_quantize_the_output():
    cfg = config() | {"data_out_width": 4, "data_out_frac_width": 0}
    q = quantized_module(nn.Linear(3, 2), "linear", cfg)
    out = q(torch.randn(8, 3) * 10)
    assert torch.equal(out, out.round().clamp(-8, 7))


def test_layer_without_bias_needs_no_bias_keys():
    cfg = {k: v for k, v in config().items() if not k.startswith("bias")}
    q = quantized_module(nn.Linear(3, 2, bias=False), "linear", cfg)
    assert q.bias is None and not q.b_quantizer.enabled


@pytest.mark.parametrize(
    "change,message",
    [({"bias_width": None}, "lacks key 'bias_width'"),
     ({"weight_widht": 3}, "did you mean 'weight_width'"),
     ({"name": "integr"}, "did you mean 'integer'"),
     ({"weight_width": 0}, "width=0 is out of range"),
     ({"data_in_width": 99}, "width=99 is out of range")],
)  # fmt: skip
def test_config_mistakes_name_the_key(change, message):
    cfg = {**config(), **change}
    cfg = {k: v for k, v in cfg.items() if v is not None}
    with pytest.raises(CarveError, match=message):
        quantized_module(nn.Linear(3, 2), "linear", cfg)


def test_quantized_modules_pickle_and_deepcopy():
    import copy

    q = quantized_module(nn.Conv2d(2, 2, 1), "conv2d", config())
    x = torch.randn(1, 2, 3, 3)
    for clone in (pickle.loads(pickle.dumps(q)), copy.deepcopy(q)):
        assert type(clone) is type(q) and isinstance(clone, QuantizedConv2d)
        assert torch.equal(clone(x), q(x))


def test_quantized_module_stays_a_leaf_and_keeps_its_op():
    from carve.ir import MaseGraph
    from carve.passes import add_common_metadata_analysis_pass, init_metadata_analysis_pass

    model = nn.Sequential(quantized_module(nn.Linear(4, 3), "linear", config()), nn.ReLU())
    mg, _ = init_metadata_analysis_pass(MaseGraph(model))
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"input_1": torch.randn(2, 4)}})
    ops = [(n.op, n.meta["mase"]["common"]["mase_op"]) for n in mg.nodes]
    assert ops[1] == ("call_module", "linear")


@pytest.mark.parametrize(
    "width,frac,signed,rounding",
    [(8, 4, True, "nearest_even"), (4, 1, False, "nearest_even"), (24, 30, True, "nearest_even"),
     (3, -2, True, "nearest_even"), (16, 0, False, "nearest_even"), (8, 3, True, "floor"),
     (25, 8, True, "nearest_even"), (32, 16, False, "floor")],
)  # fmt: skip
def test_quantizer_bits_match_float64_reference_with_and_without_autograd(
    width, frac, signed, rounding
):
    """The layer's quantizer (in-place float32 path) gives the bits of a float64 reference."""
    from carve.quant import FORMATS
    from carve.quant.formats.integer import IntegerSpec
    from carve.quant.layers import OperandQuantizer

    spec = IntegerSpec(width=width, frac_width=frac, signed=signed, rounding=rounding)
    quantizer = OperandQuantizer("data_in", FORMATS["integer"], spec)
    edges = [0.0, -0.0, 0.5, -0.5, 1.5, 2.5, -2.5, 1e30, -1e30, float("inf"), float("-inf"),
             1e-30, -1e-30, 2.0**-frac * 0.5, -(2.0**-frac) * 1.5]  # fmt: skip
    x = torch.cat([torch.randn(2000) * 2.0 ** (width - frac - 1), torch.tensor(edges)])
    x64 = x.double().numpy()
    codes = np.floor(x64 * 2.0**frac) if rounding == "floor" else np.round(x64 * 2.0**frac)
    lo, hi = (-(2 ** (width - 1)), 2 ** (width - 1) - 1) if signed else (0, 2**width - 1)
    if float(np.float32(hi)) > hi:  # float32 cannot hold the top code: saturate below it
        hi = float(np.nextafter(np.float32(hi), np.float32(0)))
    ref = torch.from_numpy(np.clip(codes, lo, hi) * 2.0**-frac + 0.0).float()  # -0 -> +0
    with torch.no_grad():
        fast = quantizer(x)
    taped = quantizer(x.clone().requires_grad_(True))
    assert torch.equal(fast.view(torch.int32), ref.view(torch.int32))  # same bits, +0 only
    assert torch.equal(taped.detach().view(torch.int32), ref.view(torch.int32))
    nan = torch.tensor([float("nan")])
    with torch.no_grad():
        assert torch.isnan(quantizer(nan)).all()


def test_in_place_relu_trains_through_the_quantizer():
    """ReLU(inplace=True) (JSC's) runs in place on the quantized input, gradients flow."""
    relu = quantized_module(nn.ReLU(inplace=True), "relu", {"name": "integer",
                            "data_in_width": 4, "data_in_frac_width": 1})  # fmt: skip
    x = torch.tensor([-3.0, 0.3, 0.75, 9.0], requires_grad=True)
    out = relu(x * 1.0)
    assert out.tolist() == [0.0, 0.5, 1.0, 7.5]
    out.sum().backward()
    # identity STE through the quantizer, then ReLU's own gradient: zero where the code is 0
    assert x.grad.tolist() == [0.0, 1.0, 1.0, 1.0]
