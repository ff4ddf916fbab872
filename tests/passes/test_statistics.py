"""Each statistic against numpy on the same samples; the profiling pass end to end."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from carve.errors import CarveError
from carve.passes import profile_statistics_analysis_pass
from carve.passes.analysis.statistics.stats import make_stat

rng = np.random.default_rng(0)
SAMPLES = rng.normal(size=(12, 3, 4, 5))  # 12 samples of shape [3, 4, 5]
SEEN = SAMPLES.astype(np.float32).astype(np.float64)  # the values the stats get (float32)


def _numpy_view(dims, abs_=False):
    """Samples as the stats see them (float64), with the reduced axes (sample axis 0 always)."""
    data = np.abs(SEEN) if abs_ else SEEN
    if dims == "all":
        return data, None
    if dims is None:
        return data, (0,)
    return data, (0, *[d % 3 + 1 for d in dims])


def _run(name, kwargs, chunks=(5, 7)):
    stat = make_stat(name, kwargs)
    start = 0
    for size in chunks:  # updates in uneven chunks must equal one pass over all samples
        stat.update(torch.from_numpy(SAMPLES[start : start + size]).float())
        start += size
    return stat.compute()


DIMS = ["all", None, [1, 2], [-1]]


@pytest.mark.parametrize("dims", DIMS)
@pytest.mark.parametrize("name", ["variance_online", "variance_precise"])
def test_variances(name, dims):
    result = _run(name, {"dims": dims})
    data, axes = _numpy_view(dims)
    np.testing.assert_allclose(result["mean"], data.mean(axis=axes), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(result["variance"], data.var(axis=axes, ddof=1), rtol=1e-9)
    assert result["count"] == (
        data.size
        if axes is None
        else data.size // np.prod([s for i, s in enumerate(data.shape) if i not in axes])
    )


@pytest.mark.parametrize("dims", DIMS)
@pytest.mark.parametrize("abs_", [False, True])
def test_range_min_max(dims, abs_):
    result = _run("range_min_max", {"dims": dims, "abs": abs_})
    data, axes = _numpy_view(dims, abs_)
    np.testing.assert_allclose(result["min"], data.min(axis=axes), rtol=1e-6)
    np.testing.assert_allclose(result["max"], data.max(axis=axes), rtol=1e-6)
    np.testing.assert_allclose(
        result["range"], data.max(axis=axes) - data.min(axis=axes), rtol=1e-6
    )


@pytest.mark.parametrize("dims", DIMS)
@pytest.mark.parametrize("abs_", [False, True])
@pytest.mark.parametrize("var_mode", ["online", "precise"])
def test_range_n_sigma(dims, abs_, var_mode):
    result = _run("range_n_sigma", {"dims": dims, "abs": abs_, "num_sigma": 2,
                                    "var_mode": var_mode})  # fmt: skip
    data, axes = _numpy_view(dims, abs_)
    mean, std = data.mean(axis=axes), data.std(axis=axes, ddof=1)
    np.testing.assert_allclose(result["min"], mean - 2 * std, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(result["max"], mean + 2 * std, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("dims", DIMS)
@pytest.mark.parametrize("abs_", [False, True])
def test_range_quantile(dims, abs_):
    result = _run("range_quantile", {"dims": dims, "abs": abs_, "quantile": 0.9})
    data, axes = _numpy_view(dims, abs_)
    if axes is not None:  # numpy quantile over several axes: move them to the front
        kept = [i for i in range(data.ndim) if i not in axes]
        data = data.transpose(*axes, *kept).reshape(-1, *[data.shape[i] for i in kept])
        axes = 0
    np.testing.assert_allclose(result["min"], np.quantile(data, 0.1, axis=axes), rtol=1e-6)
    np.testing.assert_allclose(result["max"], np.quantile(data, 0.9, axis=axes), rtol=1e-6)


@pytest.mark.parametrize("dims", DIMS)
def test_abs_mean(dims):
    result = _run("abs_mean", {"dims": dims})
    data, axes = _numpy_view(dims, True)
    np.testing.assert_allclose(result["abs_mean"], data.mean(axis=axes), rtol=1e-9)


@pytest.mark.parametrize("stack", [False, True])
def test_record(stack):
    result = _run("record", {"add_new_dim_before_concat": stack})
    data = np.asarray(result["data"])
    expected = SAMPLES.astype(np.float32)
    expected = expected if stack else expected.reshape(-1, 4, 5)
    np.testing.assert_array_equal(data, expected)
    assert result["count"] == 12 and result["size_in_bytes"] == SAMPLES.size * 4


def test_single_value_variance_is_na_and_bad_kwargs_fail():
    stat = make_stat("variance_online", {"dims": None})
    stat.update(torch.ones(1, 3))
    assert stat.compute()["variance"] == "NA"
    with pytest.raises(CarveError, match="unknown pass_args key 'dim'"):
        make_stat("range_min_max", {"dim": "all"})
    with pytest.raises(CarveError, match="unknown statistic 'variance'"):
        make_stat("variance", {})
    with pytest.raises(CarveError, match="quantile"):
        make_stat("range_quantile", {"quantile": 1.5})


def _lab_args(generator, num_samples=32):
    return {
        "by": "type",
        "target_weight_nodes": ["linear"],
        "target_activation_nodes": ["relu"],
        "weight_statistics": {"variance_precise": {"device": "cpu", "dims": "all"}},
        "activation_statistics": {
            "range_quantile": {"device": "cpu", "dims": "all", "quantile": 0.97},
            "record": {},
        },
        "input_generator": generator,
        "num_samples": num_samples,
    }


def test_profile_pass_matches_numpy_on_jsc_tiny_with_in_place_relus(analyse):
    graph = analyse("jsc-tiny")
    torch.manual_seed(1)
    batches = [torch.randn(10, 16) for _ in range(4)]  # 40 samples; 32 used (last batch cut)
    graph, info = profile_statistics_analysis_pass(
        graph, _lab_args(iter({"x": b} for b in batches))
    )
    assert info["num_samples"] == 32 and info["activation_nodes"] == [
        "seq_blocks_1",
        "seq_blocks_3",
    ]
    model = graph.model.eval()
    x = torch.cat(batches)[:32]
    bn = model.get_submodule("seq_blocks.0")  # input of the first ReLU = BN(x), by hand:
    scale = (bn.weight / torch.sqrt(bn.running_var + bn.eps)).detach().numpy()
    shift = (bn.bias - bn.running_mean * bn.weight / torch.sqrt(bn.running_var + bn.eps)).detach()
    relu_in = x.numpy().astype(np.float64) * scale + shift.numpy()
    software = {n.name: n.meta["mase"]["software"] for n in graph.nodes}
    stat = software["seq_blocks_1"]["args"]["data_in_0"]["stat"]
    assert stat["range_quantile"]["count"] == 32 * 16
    np.testing.assert_allclose(stat["range_quantile"]["max"], np.quantile(relu_in, 0.97), rtol=1e-6)
    np.testing.assert_allclose(stat["range_quantile"]["min"], np.quantile(relu_in, 0.03), rtol=1e-6)
    assert np.asarray(stat["record"]["data"]).min() < 0  # recorded before the in-place ReLU
    weight = software["seq_blocks_2"]["args"]["weight"]["stat"]["variance_precise"]
    w = model.get_submodule("seq_blocks.2").weight.detach().numpy().astype(np.float64)
    assert weight["count"] == 80
    np.testing.assert_allclose(weight["variance"], w.var(ddof=1), rtol=1e-6)
    bias = software["seq_blocks_2"]["args"]["bias"]["stat"]["variance_precise"]
    assert bias["count"] == 5
    assert software["seq_blocks_2"]["args"]["data_in_0"]["stat"] == {}


def test_profile_pass_validates_and_does_not_mutate_args(analyse):
    graph = analyse("jsc-tiny")
    args = _lab_args([{"x": torch.randn(8, 16)}] * 4)
    snapshot = {k: v for k, v in args.items() if k != "input_generator"}
    profile_statistics_analysis_pass(graph, args)
    assert {k: v for k, v in args.items() if k != "input_generator"} == snapshot
    with pytest.raises(CarveError, match="'linaer' matches no node"):
        profile_statistics_analysis_pass(graph, {**args, "target_weight_nodes": ["linaer"]})
    with pytest.raises(CarveError, match="num_samples"):
        profile_statistics_analysis_pass(graph, {**args, "num_samples": "32"})
    with pytest.raises(CarveError, match="input_generator"):
        profile_statistics_analysis_pass(graph, {**args, "input_generator": None})
    by_name = {**args, "by": "name", "target_weight_nodes": ["seq_blocks_2"],
               "target_activation_nodes": ["seq_blocks_3"]}  # fmt: skip
    _, info = profile_statistics_analysis_pass(graph, by_name)
    assert info["weight_nodes"] == ["seq_blocks_2"] and info["activation_nodes"] == ["seq_blocks_3"]


def test_profile_functional_ops_on_toy_transformer(analyse):
    graph = analyse("toy-transformer")
    args = {
        "target_activation_nodes": ["bmm", "add"],
        "activation_statistics": {"range_min_max": {"dims": None}},
        "input_generator": [{"x": torch.randn(6, 16)}],
        "num_samples": 6,
        "profile_output_activation": True,
    }
    graph, _ = profile_statistics_analysis_pass(graph, args)
    bmm = next(n for n in graph.nodes if n.name == "bmm").meta["mase"]["software"]
    assert np.asarray(bmm["args"]["data_in_1"]["stat"]["range_min_max"]["max"]).shape == (16, 4)
    assert np.asarray(bmm["results"]["data_out_0"]["stat"]["range_min_max"]["min"]).shape == (4, 4)


@settings(max_examples=25, deadline=None)
@given(
    chunks=st.lists(st.integers(1, 5), min_size=1, max_size=6),
    dims=st.sampled_from(["all", None, [0], [1], [0, 1]]),
    seed=st.integers(0, 2**16),
)
def test_online_merge_equals_precise_for_any_chunking(chunks, dims, seed):
    data = torch.from_numpy(np.random.default_rng(seed).normal(size=(sum(chunks), 3, 2)))
    online, precise = (
        make_stat("variance_online", {"dims": dims}),
        make_stat("variance_precise", {"dims": dims}),
    )
    start = 0
    for size in chunks:
        online.update(data[start : start + size])
        precise.update(data[start : start + size])
        start += size
    a, b = online.compute(), precise.compute()
    assert a["count"] == b["count"]
    np.testing.assert_allclose(a["mean"], b["mean"], rtol=1e-9, atol=1e-12)
    if b["variance"] == "NA":
        assert a["variance"] == "NA"
    else:
        np.testing.assert_allclose(a["variance"], b["variance"], rtol=1e-7, atol=1e-12)


def test_range_n_sigma_var_mode_is_honoured():
    # precise: one torch.var over every value (bit for bit); online: merged chunk moments
    data = torch.from_numpy(SAMPLES).float()
    exact = data.double().reshape(-1)
    sigma = float(exact.var().sqrt())
    precise = _run("range_n_sigma", {"var_mode": "precise", "num_sigma": 1})
    assert precise["max"] == float(exact.mean() + sigma)
    assert precise["min"] == float(exact.mean() - sigma)
    online = make_stat("range_n_sigma", {"var_mode": "online"})
    stored = make_stat("range_n_sigma", {"var_mode": "precise"})
    assert type(online._moments).__name__ == "VarianceOnline"
    assert type(stored._moments).__name__ == "VariancePrecise"
    with pytest.raises(CarveError, match="var_mode"):
        make_stat("range_n_sigma", {"var_mode": "exact"})
