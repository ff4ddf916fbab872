"""Property tests: every format against its independent numpy reference.

Inputs mix random float32 values across many magnitudes with each format's
edge values: 0, -0, +-max, midpoints between neighbours (ties), float32
subnormals, huge and tiny magnitudes, and +-inf (saturates: the stated policy).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
import formats_reference as ref

from carve.quant import FORMATS

# derandomized: the same examples on every run, so CI stays deterministic
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)

MAGNITUDES = st.one_of(
    st.floats(-4.0, 4.0, width=32),
    st.floats(-1e4, 1e4, width=32),
    st.floats(-(2.0**-10), 2.0**-10, width=32),
    st.sampled_from([0.0, -0.0, 1e-40, -1e-45, 3e38, -3e38, 1e-30, 1e30]),
)


def with_edges(table: np.ndarray, draw, n: int) -> np.ndarray:
    """``n`` random values plus table ends, neighbours' midpoints (ties) and +-0."""
    values = [draw(MAGNITUDES) for _ in range(n)]
    picks = draw(st.lists(st.integers(0, len(table) - 2), min_size=4, max_size=8))
    for i in picks:
        a, b = table[i], table[i + 1]
        values += [a, b, (a + b) / 2]
    values += [table[0], table[-1], 0.0, -0.0]
    return np.array(values, dtype=np.float32)


def run(name: str, x: np.ndarray, **fields) -> np.ndarray:
    fmt = FORMATS[name]
    return fmt.quantize(torch.from_numpy(x), fmt.make_spec(**fields)).numpy()


def assert_same(ours: np.ndarray, expected: np.ndarray) -> None:
    expected = np.asarray(expected, dtype=np.float64).astype(np.float32)
    np.testing.assert_array_equal(ours, expected)


@SETTINGS
@given(st.data(), st.integers(2, 10), st.integers(-2, 8), st.booleans())
def test_integer_matches_reference(data, width, frac_width, signed):
    table = ref.integer(
        np.arange(-(2**width), 2**width) / 2.0**frac_width, width, frac_width, signed
    )
    x = with_edges(np.unique(table), data.draw, 30)
    x = np.concatenate([x, np.array([np.inf, -np.inf], np.float32)])
    ours = run("integer", x, width=width, frac_width=frac_width, signed=signed)
    assert_same(ours, ref.integer(x, width, frac_width, signed))


MINIFLOAT_SHAPES = [(4, 2), (5, 2), (6, 3), (7, 3), (8, 4), (8, 5)]


@SETTINGS
@given(
    st.data(),
    st.sampled_from(MINIFLOAT_SHAPES),
    st.one_of(st.integers(-2, 20), st.just(140)),  # 140: below float32, the float64 route
    st.booleans(),
)
def test_minifloat_matches_table(data, shape, bias, implicit):
    width, exponent_width = shape
    table = ref.minifloat_table(width, exponent_width, bias, implicit)
    x = with_edges(table, data.draw, 30)
    x = np.concatenate([x, np.array([np.inf, -np.inf], np.float32)])
    name = "minifloat_ieee" if implicit else "minifloat_denorm"
    ours = run(name, x, width=width, exponent_width=exponent_width, exponent_bias=bias)
    assert_same(ours, ref.minifloat(x, width, exponent_width, bias, implicit))


@SETTINGS
@given(st.data(), st.integers(3, 7), st.one_of(st.integers(0, 20), st.just(140)))
def test_log_matches_reference(data, width, bias):
    powers = 2.0 ** np.arange(-bias, 2 ** (width - 1) - bias)
    table = np.concatenate([-powers[::-1], powers])
    x = with_edges(table, data.draw, 30)
    x = np.concatenate([x, np.array([np.inf, -np.inf, 2.0**-bias * 1.41421], np.float32)])
    assert_same(run("log", x, width=width, exponent_bias=bias), ref.log(x, width, bias))


def block_input(draw, rows: int, cols: int) -> np.ndarray:
    scale = draw(st.sampled_from([1e-3, 1.0, 100.0, 1e6]))
    values = draw(
        st.lists(st.floats(-1.0, 1.0, width=32), min_size=rows * cols, max_size=rows * cols)
    )
    x = np.array(values, dtype=np.float32).reshape(rows, cols) * np.float32(scale)
    x[0, 0] = draw(st.sampled_from([0.0, 1.0, 0.5, 2.0**-10, 96.0]))  # powers of two, zero
    if draw(st.booleans()):
        x[-1] = 0.0  # an all-zero block row
    return x


BLOCKS = [(1, 4), (2, 3), (4, 4), (1, 16)]


@SETTINGS
@given(st.data(), st.integers(3, 8), st.integers(3, 8), st.sampled_from(BLOCKS))
def test_block_fp_matches_reference(data, width, exponent_width, block):
    x = block_input(data.draw, 5, 10)
    ours = run("block_fp", x, width=width, exponent_width=exponent_width, block_size=list(block))
    bias = 2 ** (exponent_width - 1) - 1
    assert_same(ours, ref.block_fp_2d(x, width, exponent_width, bias, block))


@SETTINGS
@given(
    st.data(), st.sampled_from([(5, 2), (6, 3), (8, 4)]), st.integers(2, 6), st.sampled_from(BLOCKS)
)
def test_block_minifloat_matches_reference(data, shape, bias_width, block):
    width, exponent_width = shape
    x = block_input(data.draw, 4, 9)
    ours = run(
        "block_minifloat",
        x,
        width=width,
        exponent_width=exponent_width,
        exponent_bias_width=bias_width,
        block_size=list(block),
    )
    assert_same(ours, ref.block_minifloat_2d(x, width, exponent_width, bias_width, block))


@SETTINGS
@given(st.data(), st.integers(3, 6), st.integers(2, 6), st.sampled_from(BLOCKS))
def test_block_log_matches_reference(data, width, bias_width, block):
    x = block_input(data.draw, 4, 9)
    ours = run("block_log", x, width=width, exponent_bias_width=bias_width, block_size=list(block))
    assert_same(ours, ref.block_log_2d(x, width, bias_width, block))


@SETTINGS
@given(st.data(), st.integers(3, 8), st.sampled_from([4, 32]))
def test_mxint_matches_reference(data, width, block_size):
    x = block_input(data.draw, 3, 40)
    ours = run("mxint", x, width=width, block_size=block_size)
    assert_same(ours, ref.mx_rows(x, block_size, ref.mxint_table(width), emax_elem=0))


OCP_ELEMENTS = {(8, 4): 8, (8, 5): 15, (6, 3): 4, (6, 2): 2, (4, 2): 2}


@SETTINGS
@given(st.data(), st.sampled_from(sorted(OCP_ELEMENTS)), st.sampled_from([8, 32]))
def test_mxfp_matches_ocp_element_tables(data, element, block_size):
    width, exponent_width = element
    x = block_input(data.draw, 3, 40)
    ours = run("mxfp", x, width=width, exponent_width=exponent_width, block_size=block_size)
    table = ref.ocp_element_table(width, exponent_width)
    assert_same(ours, ref.mx_rows(x, block_size, table, OCP_ELEMENTS[element]))


def test_ocp_element_maxima():
    """The tables the mxfp test relies on hold OCP's published maxima."""
    maxima = {(8, 4): 448.0, (8, 5): 57344.0, (6, 3): 28.0, (6, 2): 7.5, (4, 2): 6.0}
    for element, expected in maxima.items():
        assert ref.ocp_element_table(*element)[-1] == expected


@SETTINGS
@given(
    st.lists(st.floats(-8, 8, width=32), min_size=12, max_size=12),
    st.booleans(),
    st.booleans(),
)
def test_binary_matches_reference(values, bipolar, scaled):
    x = np.array(values, dtype=np.float32).reshape(3, 4)
    ours = run("binary", x, width=1, stochastic=False, bipolar=bipolar, scaled=scaled)
    np.testing.assert_allclose(ours, ref.binary(x, bipolar, scaled), rtol=1e-6, atol=0)


@SETTINGS
@given(
    st.lists(st.floats(-8, 8, width=32), min_size=12, max_size=12),
    st.one_of(st.none(), st.floats(0.0, 4.0)),
    st.booleans(),
)
def test_ternary_matches_reference(values, threshold, scaled):
    x = np.array(values, dtype=np.float32).reshape(3, 4)
    ours = run("ternary", x, width=2, scaling_factor=scaled, threshold=threshold)
    expected = ref.ternary(x, None if threshold is None else threshold, scaled)
    np.testing.assert_allclose(ours, expected, rtol=1e-6, atol=0)


@SETTINGS
@given(
    st.lists(st.floats(-100, 100, width=32), min_size=12, max_size=12),
    st.integers(2, 12),
    st.sampled_from([None, 0, 1]),
)
def test_scaled_integer_symmetric_matches_reference(values, width, axis):
    x = np.array(values, dtype=np.float32).reshape(3, 4)
    fields = (
        {"granularity": "tensor"}
        if axis is None
        else {"granularity": "channel", "channel_dim": axis}
    )
    ours = run("scaled_integer", x, width=width, **fields)
    np.testing.assert_allclose(ours, ref.scaled_integer_symmetric(x, width, axis), rtol=1e-6)


@pytest.mark.parametrize("width", [2, 4, 8])
def test_scaled_integer_asymmetric_codes_span_the_range(width):
    x = np.linspace(-1.0, 3.0, 50, dtype=np.float32)
    fmt = FORMATS["scaled_integer"]
    spec = fmt.make_spec(width=width, symmetric=False)
    view = fmt.to_int(torch.from_numpy(x), spec)
    assert int(view.ints.min()) == 0 and int(view.ints.max()) == 2**width - 1
    scale = 4.0 / (2**width - 1)
    zero_point = round(1.0 / scale)
    np.testing.assert_array_equal(view.zero_point.numpy().ravel(), [zero_point])
    expected = (np.clip(np.round(x / scale) + zero_point, 0, 2**width - 1) - zero_point) * scale
    np.testing.assert_allclose(fmt.quantize(torch.from_numpy(x), spec).numpy(), expected, rtol=1e-6)
