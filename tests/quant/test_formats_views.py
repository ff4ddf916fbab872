"""Integer views, straight-through gradients, grid checks and the NaN/inf policy,
for every registered format."""

from __future__ import annotations

import pytest
import torch

from carve.errors import CarveError
from carve.quant import FORMATS, IntView

# one representative spec per format (small widths, blocks that do not divide the shape)
SPECS = {
    "integer": {"width": 6, "frac_width": 3},
    "fixed": {"width": 5, "frac_width": 2, "signed": False},
    "scaled_integer": {"width": 5, "granularity": "channel", "channel_dim": 0},
    "minifloat_ieee": {"width": 7, "exponent_width": 3},
    "minifloat_denorm": {"width": 6, "exponent_width": 3, "exponent_bias": 5},
    "log": {"width": 5, "exponent_bias": 6},
    "block_fp": {"width": 5, "exponent_width": 6, "block_size": [2, 3]},
    "block_minifloat": {
        "width": 6,
        "exponent_width": 3,
        "exponent_bias_width": 4,
        "block_size": [3],
    },
    "block_log": {"width": 4, "exponent_bias_width": 4, "block_size": [1, 2, 5]},
    "binary": {"width": 1, "stochastic": False, "bipolar": True, "scaled": True},
    "ternary": {"width": 2, "scaling_factor": True},
    "mxint": {"width": 6, "block_size": 8},
    "mxfp": {"width": 8, "exponent_width": 4, "block_size": 8},
}


def test_every_registered_format_is_exercised():
    assert sorted(SPECS) == FORMATS.names()


def spec_of(name):
    return FORMATS[name].make_spec(**SPECS[name])


def sample(shape=(3, 4, 11), seed=0):
    gen = torch.Generator().manual_seed(seed)
    spread = torch.logspace(-3, 3, shape[-1]) if shape else torch.tensor(3.0)
    x = torch.randn(shape, generator=gen) * spread
    return x.float()


def bits(t: torch.Tensor) -> torch.Tensor:
    return t.contiguous().view(torch.int32)


@pytest.mark.parametrize("name", sorted(SPECS))
@pytest.mark.parametrize("shape", [(), (7,), (3, 4, 11), (2, 3, 4, 5)])
def test_integer_view_round_trip_is_bit_exact(name, shape):
    fmt, spec = FORMATS[name], spec_of(name)
    x = sample(shape)
    view = fmt.to_int(x, spec)
    assert isinstance(view, IntView) and view.ints.dtype == torch.int64
    assert view.shape == tuple(shape)
    assert torch.equal(bits(fmt.from_int(view, spec)), bits(fmt.quantize(x, spec)))


@pytest.mark.parametrize("name", sorted(SPECS))
def test_float32_route_agrees_with_float64(name):
    """float32 inputs may take the float32 route; the same values in float64 may not."""
    fmt, spec = FORMATS[name], spec_of(name)
    x = sample((4, 33))
    x[0, :4] = torch.tensor([1e-40, -1e-45, 3e38, 0.0])  # subnormals, huge, zero
    torch.manual_seed(0)
    q32 = fmt.quantize(x, spec)
    torch.manual_seed(0)
    q64 = fmt.quantize(x.double(), spec)
    assert torch.equal(q32, q64.float())


@pytest.mark.parametrize("name", sorted(SPECS))
def test_quantized_tensor_passes_grid_check_and_raw_does_not(name):
    fmt, spec = FORMATS[name], spec_of(name)
    x = sample()
    q = fmt.quantize(x, spec)
    report = fmt.grid_check(q, spec)
    assert report.ok and report.max_abs_error == 0.0
    assert report.distinct <= report.capacity * max(1, q.numel())
    assert not fmt.grid_check(x, spec).ok


@pytest.mark.parametrize("name", sorted(SPECS))
def test_quantize_keeps_shape_dtype_and_is_deterministic(name):
    fmt, spec = FORMATS[name], spec_of(name)
    x = sample().double()
    q = fmt.quantize(x, spec)
    assert q.shape == x.shape and q.dtype == torch.float64
    assert torch.equal(q, fmt.quantize(x, spec))
    assert not torch.equal(q, x)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_straight_through_gradient(name):
    fmt, spec = FORMATS[name], spec_of(name)
    x = (sample((2, 3, 8)) / 100).requires_grad_(True)
    upstream = torch.randn_like(x)
    (fmt.quantize(x, spec) * upstream).sum().backward()
    if fmt.ste == "identity":
        expected = upstream
    else:
        assert fmt.ste == "clipped"
        expected = upstream * (x.detach().abs() <= 1)
    assert torch.equal(x.grad, expected)


@pytest.mark.parametrize("name", sorted(SPECS))
@pytest.mark.parametrize("grad", [False, True])
def test_result_is_a_new_tensor_safe_to_modify_in_place(name, grad):
    """In-place ops on the output (ReLU(inplace=True)) work and never reach the input."""
    fmt, spec = FORMATS[name], spec_of(name)
    x = sample((2, 3, 8)).requires_grad_(grad)
    before = x.detach().clone()
    q = fmt.quantize(x, spec)
    assert q.untyped_storage().data_ptr() != x.untyped_storage().data_ptr()
    torch.manual_seed(0)
    expected = torch.relu(fmt.quantize(x.detach(), spec))
    torch.manual_seed(0)
    out = torch.relu_(fmt.quantize(x, spec))  # a view error if quantize returned an input
    assert torch.equal(out.detach(), expected) and torch.equal(x.detach(), before)
    if grad:
        out.sum().backward()
        assert x.grad is not None and x.grad.shape == x.shape


@pytest.mark.parametrize("name", sorted(SPECS))
def test_nan_propagates_and_has_no_integer_code(name):
    fmt, spec = FORMATS[name], spec_of(name)
    x = sample((2, 16))
    x[0, 3] = float("nan")
    q = fmt.quantize(x, spec)
    assert torch.isnan(q[0, 3])
    assert torch.isfinite(q[1]).all()
    with pytest.raises(CarveError, match="NaN"):
        fmt.to_int(x, spec)


SATURATING = ["integer", "minifloat_ieee", "minifloat_denorm", "log", "block_fp", "mxint", "mxfp"]


@pytest.mark.parametrize("name", SATURATING)
def test_infinity_saturates_to_the_largest_finite_value(name):
    fmt, spec = FORMATS[name], spec_of(name)
    big = torch.finfo(torch.float32).max
    x = torch.tensor([[float("inf"), float("-inf"), big, -big]])
    q = fmt.quantize(x, spec)
    assert torch.isfinite(q).all()
    assert q[0, 0] == q[0, 2] and q[0, 1] == q[0, 3] and q[0, 0] > 0 > q[0, 1]


def test_asymmetric_scaled_integer_grid_check_within_float_rounding():
    fmt = FORMATS["scaled_integer"]
    spec = fmt.make_spec(width=4, symmetric=False)
    q = fmt.quantize(sample() + 3.0, spec)
    report = fmt.grid_check(q, spec)
    assert report.ok and report.max_abs_error <= 1e-6 * float(q.abs().max())


def test_block_formats_tile_any_rank_like_their_planes():
    fmt = FORMATS["block_fp"]
    spec = fmt.make_spec(width=5, exponent_width=8, block_size=[2, 3])
    x = sample((2, 3, 5, 7))
    whole = fmt.quantize(x, spec)
    for i in range(2):
        for j in range(3):
            assert torch.equal(whole[i, j], fmt.quantize(x[i, j], spec))


def test_mx_blocks_run_along_the_last_dimension():
    fmt = FORMATS["mxint"]
    spec = fmt.make_spec(width=8)  # block of 32
    x = torch.ones(2, 64)
    x[0, 0] = 1000.0  # only the first block of row 0 gets the large scale
    q = fmt.quantize(x, spec)
    assert q[0, 1] == 0.0 and torch.equal(q[0, 32:], x[0, 32:]) and torch.equal(q[1], x[1])


def test_stochastic_binary_round_trip_with_the_same_seed():
    fmt = FORMATS["binary"]
    spec = fmt.make_spec(width=1, stochastic=True, bipolar=True)
    x = torch.linspace(-1.5, 1.5, 400)
    torch.manual_seed(3)
    q = fmt.quantize(x, spec)
    torch.manual_seed(3)
    assert torch.equal(fmt.from_int(fmt.to_int(x, spec), spec), q)
    assert set(q.tolist()) == {-1.0, 1.0}
    assert (q[:50] == -1).all() and (q[-50:] == 1).all()  # clamp(+-1.5) is certain
    assert 0.3 < (q[150:250] == 1).float().mean() < 0.7  # near 0: about half


def test_integer_unsigned_clamps_negatives_to_zero():
    fmt = FORMATS["integer"]
    spec = fmt.make_spec(width=4, frac_width=1, signed=False)
    q = fmt.quantize(torch.tensor([-3.0, 0.2, 0.25, 0.75, 9.0]), spec)
    assert q.tolist() == [0.0, 0.0, 0.0, 1.0, 7.5]  # 0.25*2 = 0.5 -> 0 (half to even)


def test_log_has_no_zero():
    fmt = FORMATS["log"]
    spec = fmt.make_spec(width=4, exponent_bias=3)
    q = fmt.quantize(torch.tensor([0.0, -0.0, -1e-12, 1e-12]), spec)
    assert q.tolist() == [0.125, 0.125, -0.125, 0.125]


def test_ternary_threshold_priority_and_statistics():
    fmt = FORMATS["ternary"]
    x = torch.tensor([[0.1, -0.35, 0.5, 2.0]])
    by_mean = fmt.make_spec(width=2, mean=0.4, median=10.0, max=10.0)  # delta 0.3
    by_max = fmt.make_spec(width=2, max=8.0)  # delta 0.4
    by_median = fmt.make_spec(width=2, median=0.1)  # delta 0.075
    assert fmt.quantize(x, by_mean).tolist() == [[0.0, -1.0, 1.0, 1.0]]
    assert fmt.quantize(x, by_max).tolist() == [[0.0, 0.0, 1.0, 1.0]]
    assert fmt.quantize(x, by_median).tolist() == [[1.0, -1.0, 1.0, 1.0]]


def test_storage_bits_amortise_shared_exponents():
    assert FORMATS["integer"].storage_bits(FORMATS["integer"].make_spec(width=8)) == 8
    mx = FORMATS["mxfp"]
    assert mx.storage_bits(mx.make_spec(width=8, exponent_width=4)) == 8.25
    bfp = FORMATS["block_fp"]
    assert bfp.storage_bits(bfp.make_spec(width=8, exponent_width=8, block_size=[1, 16])) == 8.5


def test_capacity_counts_distinct_values():
    mx = FORMATS["mxfp"]
    assert mx.capacity(mx.make_spec(width=8, exponent_width=4)) == 253  # E4M3: 256 - NaNs - (-0)
    assert mx.capacity(mx.make_spec(width=4, exponent_width=2)) == 15
    denorm = FORMATS["minifloat_denorm"]
    spec = denorm.make_spec(width=5, exponent_width=2)
    grid = {m / 4 * 2.0**e * s for e in range(-1, 3) for m in range(4) for s in (1, -1)}  # bias 1
    assert denorm.capacity(spec) == len(grid)
