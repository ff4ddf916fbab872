"""Prune passes: exact sparsity, channel/kernel groups, errors, save/load, detach, quantize."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from carve.errors import CarveError
from carve.passes import (
    load_mase_graph_interface_pass,
    prune_detach_hook_transform_pass,
    prune_transform_pass,
    quantize_transform_pass,
    save_mase_graph_interface_pass,
)
from carve.passes.transforms.prune.masks import WeightMask
from carve.passes.transforms.prune.prune import prunable_layers
from carve.train.optimizers import build_optimizer

JSC_S_LINEARS = ["module_list_2", "module_list_5", "module_list_7", "module_list_9",
                 "module_list_11"]  # fmt: skip


def _weights(graph) -> dict[str, torch.Tensor]:
    return {name: m.weight.detach() for name, m in prunable_layers(graph).items()}


def _zeros(graph) -> dict[str, int]:
    return {name: int((w == 0).sum()) for name, w in _weights(graph).items()}


@pytest.mark.parametrize("method", ["l1-norm", "l1", "l2-norm", "random"])
@pytest.mark.parametrize("sparsity", [0.3, 0.5, 0.9])
def test_local_sparsity_exact_per_layer(make_graph, method, sparsity):
    graph = make_graph("jsc-s")
    pruned, info = prune_transform_pass(graph, {"weight": {"sparsity": sparsity, "method": method}})
    for name, weight in _weights(pruned).items():
        assert abs(int((weight == 0).sum()) - sparsity * weight.numel()) <= 1, name
        assert info["weight"][name]["pruned"] == int((weight == 0).sum())
    assert sum(_zeros(graph).values()) == 0  # the caller's graph is untouched


def test_local_l1_keeps_the_largest_magnitudes_numpy_reference(make_graph):
    graph = make_graph("jsc-s")
    before = {k: v.numpy().copy() for k, v in _weights(graph).items()}
    pruned, _ = prune_transform_pass(graph, {"weight": {"sparsity": 0.6, "method": "l1-norm"}})
    for name, weight in _weights(pruned).items():
        flat = np.abs(before[name]).ravel()
        keep = np.zeros(flat.size, bool)
        keep[np.argsort(flat, kind="stable")[round(0.6 * flat.size) :]] = True
        np.testing.assert_array_equal(weight.numpy().ravel() != 0, keep)
        np.testing.assert_array_equal(weight.numpy().ravel()[keep], before[name].ravel()[keep])


def test_global_sparsity_exact_overall_one_threshold(make_graph):
    graph = make_graph("jsc-s")
    before = torch.cat([w.abs().flatten() for w in _weights(graph).values()])
    pruned, _ = prune_transform_pass(graph, {"weight": {"sparsity": 0.75, "scope": "global"}})
    zeros = sum(_zeros(pruned).values())
    assert abs(zeros - 0.75 * before.numel()) <= 1
    per_layer = [z / w.numel() for z, w in zip(_zeros(pruned).values(), _weights(pruned).values())]
    assert max(per_layer) - min(per_layer) > 0.05  # one ranking, not per-layer targets
    kept = torch.cat([w.abs().flatten() for w in _weights(pruned).values()])
    assert kept[kept > 0].min() >= before.sort().values[zeros - 1]


def test_per_node_dict_prunes_only_named_nodes(make_graph):
    graph = make_graph("jsc-s")
    sparsity = {"module_list_2": 0.5, "module_list_9": 0.25}
    pruned, _ = prune_transform_pass(graph, {"weight": {"sparsity": sparsity}})
    zeros = _zeros(pruned)
    assert zeros["module_list_2"] == 512 and zeros["module_list_9"] == 256
    assert zeros["module_list_5"] == 0
    assert not torch.nn.utils.parametrize.is_parametrized(pruned.modules["module_list.5"])


def test_channel_pruning_removes_whole_output_channels_and_next_layer_runs(make_graph):
    graph = make_graph("jsc-s")
    pruned, _ = prune_transform_pass(graph, {"weight": {"sparsity": 0.5, "granularity": "channel",
                                                        "method": "l2-norm"}})  # fmt: skip
    layer = pruned.modules["module_list.2"]
    rows = (layer.weight == 0).all(dim=1)
    assert int(rows.sum()) == 32 and int((layer.weight == 0).sum()) == 32 * 16
    norms = graph.modules["module_list.2"].weight.detach().norm(dim=1)
    assert set(torch.argsort(norms, stable=True)[:32].tolist()) == set(
        rows.nonzero().flatten().tolist()
    )
    assert torch.all(layer.bias[rows] == 0)
    x = torch.randn(7, 16)
    pruned.model.eval()
    hidden = layer(pruned.modules["module_list.1"](pruned.modules["module_list.0"](x)))
    assert torch.all(hidden[:, rows] == 0)  # whole output channel gone
    assert pruned.model(x).shape == (7, 5)


def test_kernel_granularity_on_conv_and_clear_error_on_linear(make_graph):
    graph = make_graph("toy-cnn")
    pruned, _ = prune_transform_pass(graph, {"weight": {"sparsity": {"conv1": 0.5},
                                                        "granularity": "kernel"}})  # fmt: skip
    weight = pruned.modules["conv1"].weight
    kernels = (weight == 0).flatten(2).all(dim=2)
    assert int(kernels.sum()) == round(0.5 * kernels.numel())
    assert int((weight == 0).sum()) == int(kernels.sum()) * 9
    with pytest.raises(CarveError, match="granularity 'kernel' applies to conv weights"):
        prune_transform_pass(
            make_graph("jsc-s"), {"weight": {"sparsity": 0.5, "granularity": "kernel"}}
        )


@pytest.mark.parametrize(
    ("weight", "message"),
    [
        ({"sparsity": -0.1}, r"weight.sparsity must be in \[0, 1\] .* got -0.1"),
        ({"sparsity": 1.5}, r"weight.sparsity must be in \[0, 1\] .* got 1.5"),
        (
            {"sparsity": {"module_list_3": 0.5}},
            r"weight.sparsity \(Linear/Conv nodes only\): "
            "unknown prunable node 'module_list_3'; did you mean",
        ),
        (
            {"sparsity": 0.5, "method": "l1-nrom"},
            "unknown method 'l1-nrom'; did you mean 'l1-norm'",
        ),
        ({"sparsity": 0.5, "granularity": "row"}, "unknown granularity 'row'"),
        ({"sparsity": 0.5, "scope": "layer"}, "unknown scope 'layer'.*Known scopes: global, local"),
        ({"sparsity": {"module_list_2": 0.5}, "scope": "global"}, "per-node sparsity dict needs"),
        ({"sparsity": 0.5, "mthod": "l1"}, "unknown key 'mthod'; did you mean 'method'"),
        ({"scope": "local"}, "needs 'sparsity'"),
    ],
)
def test_bad_pass_args_one_clear_line(make_graph, weight, message):
    with pytest.raises(CarveError, match=message) as error:
        prune_transform_pass(make_graph("jsc-s"), {"weight": weight})
    assert "\n" not in str(error.value) and str(error.value).startswith("prune_transform_pass")


def test_pass_args_not_modified_and_unknown_top_key(make_graph):
    args = {"weight": {"sparsity": {"module_list_2": 0.5}}}
    prune_transform_pass(make_graph("jsc-s"), args)
    assert args == {"weight": {"sparsity": {"module_list_2": 0.5}}}
    with pytest.raises(CarveError, match="prune_transform_pass: the first argument must be a Mase"):
        prune_transform_pass(None, args)
    with pytest.raises(CarveError, match="unknown pass_args key 'weights'; did you mean 'weight'"):
        prune_transform_pass(make_graph("jsc-s"), {"weights": {"sparsity": 0.5}})


def test_masks_survive_save_load_and_detach(make_graph, tmp_path):
    graph = make_graph("jsc-s")
    pruned, _ = prune_transform_pass(graph, {"weight": {"sparsity": 0.7, "scope": "global"}})
    save_mase_graph_interface_pass(pruned, {"save_dir": str(tmp_path / "g")})
    loaded, _ = load_mase_graph_interface_pass(None, {"load_dir": str(tmp_path / "g")})
    x = torch.randn(9, 16)
    pruned.model.eval(), loaded.model.eval()
    assert torch.equal(pruned.model(x), loaded.model(x))
    assert _zeros(loaded) == _zeros(pruned)
    layer = loaded.modules["module_list.5"]
    assert isinstance(layer.parametrizations.weight[0], WeightMask)  # still a mask, not baked
    baked, info = prune_detach_hook_transform_pass(loaded)
    assert set(info["baked"]) == set(JSC_S_LINEARS)
    assert type(baked.modules["module_list.5"]) is torch.nn.Linear
    assert type(loaded.modules["module_list.5"]).__name__ == "ParametrizedLinear"  # copy baked
    assert torch.equal(baked.model(x), pruned.model(x))
    save_mase_graph_interface_pass(baked, {"save_dir": str(tmp_path / "b")})
    again, _ = load_mase_graph_interface_pass(None, {"load_dir": str(tmp_path / "b")})
    assert torch.equal(again.model.eval()(x), pruned.model(x))
    assert "module_list.5.weight" in again.model.state_dict()


def test_activation_pruning_masks_inputs_per_sample_then_detach_removes_hooks(make_graph):
    graph = make_graph("jsc-s")
    pruned, _ = prune_transform_pass(graph, {"activation": {"sparsity": 0.5}})
    layer = pruned.modules["module_list.5"]
    x = torch.randn(6, 64)
    expected = x.clone()
    for row in expected:
        row[torch.argsort(row.abs(), stable=True)[:32]] = 0
    assert torch.equal(layer(x), torch.nn.functional.linear(expected, layer.weight, layer.bias))
    assert torch.equal(layer.activation_mask, expected != 0)
    baked, detach = prune_detach_hook_transform_pass(pruned)
    assert detach["hooks_removed"]["module_list_5"] == 1
    assert torch.equal(baked.modules["module_list.5"](x), torch.nn.functional.linear(
        x, layer.weight, layer.bias))  # fmt: skip


def test_global_activation_needs_values_or_threshold(make_graph):
    with pytest.raises(CarveError, match=r"add_value=True first, or give activation\.threshold"):
        prune_transform_pass(
            make_graph("jsc-s"), {"activation": {"sparsity": 0.5, "scope": "global"}}
        )
    pruned, _ = prune_transform_pass(
        make_graph("jsc-s"), {"activation": {"sparsity": 0.5, "scope": "global", "threshold": 0.3}}
    )
    x = torch.tensor([[0.2, -0.5] * 32])
    pruned.modules["module_list.5"](x)
    assert pruned.modules["module_list.5"].activation_mask.tolist() == [[False, True] * 32]


def test_prune_then_quantize_keeps_masks_and_qat_keeps_zeros(make_graph, int8, tmp_path):
    graph = make_graph("jsc-s")
    pruned, _ = prune_transform_pass(graph, {"weight": {"sparsity": 0.8}})
    quantized, _ = quantize_transform_pass(pruned, {"by": "type", "linear": {"config": int8}})
    layer = quantized.modules["module_list.5"]
    assert type(layer).__name__ == "ParametrizedLinearInteger"
    assert int((layer.w_quantizer(layer.weight) == 0).sum()) >= round(0.8 * 2048)
    zero = layer.parametrizations.weight[0].mask == 0
    save_mase_graph_interface_pass(quantized, {"save_dir": str(tmp_path / "q")})
    loaded, _ = load_mase_graph_interface_pass(None, {"load_dir": str(tmp_path / "q")})
    model = loaded.model.train()
    optimizer = build_optimizer("adamw", model.parameters(), 1e-2, 1e-3)  # carve's, as carve train
    for _ in range(3):
        x, y = torch.randn(32, 16), torch.randint(0, 5, (32,))
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    trained = loaded.modules["module_list.5"]
    assert not torch.equal(trained.weight[~zero], layer.weight[~zero].detach())  # it learned
    assert torch.all(trained.weight[zero] == 0)  # pruned weights exactly zero after QAT
    assert torch.all(trained.w_quantizer(trained.weight)[zero] == 0)
