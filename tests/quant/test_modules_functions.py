"""Quantized functions (add, sub, mul, matmul, bmm, relu) against numpy references."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from carve.errors import CarveError
from carve.quant.layers import FUNCTION_CLASSES, quantized_function, quantized_function_module

CONFIG = {"name": "integer", "data_in_width": 6, "data_in_frac_width": 2,
          "weight_width": 4, "weight_frac_width": 1}  # fmt: skip


def fixed(x, width, frac, signed=True):
    x = np.asarray(x, dtype=np.float64)
    lo, hi = (-(2 ** (width - 1)), 2 ** (width - 1) - 1) if signed else (0, 2**width - 1)
    return np.clip(np.round(x * 2.0**frac), lo, hi) / 2.0**frac


REFERENCES = {
    "add": (np.add, "data_in"),
    "sub": (np.subtract, "data_in"),
    "mul": (np.multiply, "data_in"),
    "matmul": (np.matmul, "weight"),
    "bmm": (np.matmul, "weight"),
}


@pytest.mark.parametrize("op", sorted(REFERENCES))
def test_binary_ops_quantize_both_operands(op):
    torch.manual_seed(1)
    numpy_op, second = REFERENCES[op]
    shapes = {"matmul": ((4, 3), (3, 5)), "bmm": ((2, 4, 3), (2, 3, 5))}.get(op, ((4, 3), (4, 3)))
    x, y = torch.randn(*shapes[0]) * 4, torch.randn(*shapes[1]) * 4
    module = quantized_function_module(op, CONFIG)
    y_ref = fixed(y, 6, 2) if second == "data_in" else fixed(y, 4, 1)
    expected = numpy_op(fixed(x, 6, 2), y_ref)
    np.testing.assert_allclose(module(x, y).numpy(), expected, rtol=0, atol=1e-5)
    functional = quantized_function(op, "integer")
    assert functional.__name__ == f"{op}_integer"
    np.testing.assert_allclose(functional(x, y, CONFIG).numpy(), expected, rtol=0, atol=1e-5)
    assert module.y_quantizer.operand == second


def test_relu_function_and_python_scalars():
    module = quantized_function_module("relu", CONFIG)
    x = torch.tensor([-1.0, 0.3, 100.0])
    assert module(x).tolist() == [0.0, 0.25, 15.75]  # unsigned 6 bits, 2 fractional
    add = quantized_function_module("add", CONFIG)
    assert add(torch.tensor([0.3]), 1).tolist() == [1.25]  # the int passes through unquantized


def test_add_keeps_extra_arguments():
    add = quantized_function_module("add", CONFIG)
    assert add(torch.tensor([1.0]), torch.tensor([0.5]), alpha=2).tolist() == [2.0]


def test_gradient_is_straight_through():
    mul = quantized_function_module("mul", CONFIG)
    x = torch.tensor([0.3, 20.0], requires_grad=True)
    mul(x, torch.tensor([2.0, 2.0])).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]  # identity STE (as MASE), even where saturated


def test_every_function_op_is_covered():
    assert set(FUNCTION_CLASSES) == {*REFERENCES, "relu"}


def test_missing_second_operand_spec_is_named():
    config = {k: v for k, v in CONFIG.items() if not k.startswith("weight")}
    with pytest.raises(CarveError, match="weight_width"):
        quantized_function_module("matmul", config)
