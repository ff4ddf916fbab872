"""evaluate() against a numpy reference; optimizers honour weight decay; atomic writes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from carve.data.base import Split
from carve.fileio import atomic_write
from carve.train import build_optimizer, choose_num_threads, evaluate


def numpy_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_softmax[np.arange(len(labels)), labels].mean())


@pytest.mark.parametrize("batch_size", [7, 1000, 8192])
def test_evaluate_matches_numpy_and_restores_mode(batch_size):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.BatchNorm1d(16), torch.nn.Linear(16, 5))
    model(torch.randn(100, 16) * 3)  # move BN running statistics away from the defaults
    split = Split(torch.randn(1001, 16), torch.randint(0, 5, (1001,)))
    model.train()
    result = evaluate(model, split, batch_size=batch_size)
    assert model.training
    weight, bias = model[1].weight.detach().numpy(), model[1].bias.detach().numpy()
    bn = model[0]
    x = split.x.numpy()
    normed = (x - bn.running_mean.numpy()) / np.sqrt(bn.running_var.numpy() + bn.eps)
    logits = (normed * bn.weight.detach().numpy() + bn.bias.detach().numpy()) @ weight.T + bias
    labels = split.y.numpy()
    assert result["loss"] == pytest.approx(numpy_cross_entropy(logits, labels), rel=1e-5)
    assert result["acc"] == pytest.approx(float((logits.argmax(1) == labels).mean()))


@pytest.mark.parametrize("name", ["adam", "adamw", "sgd"])
def test_every_optimizer_honours_weight_decay(name):
    """With a zero gradient, only the decay moves the weights (and only when it is set)."""
    moved = {}
    for decay in (0.0, 0.1):
        weight = torch.nn.Parameter(torch.ones(3))
        optimizer = build_optimizer(name, [weight], learning_rate=0.01, weight_decay=decay)
        weight.grad = torch.zeros(3)
        optimizer.step()
        moved[decay] = not torch.equal(weight.detach(), torch.ones(3))
    assert moved == {0.0: False, 0.1: True}


def test_sgd_is_nesterov_momentum_09_by_hand():
    weight = torch.nn.Parameter(torch.tensor([2.0]))
    optimizer = build_optimizer("sgd", [weight], learning_rate=0.1, weight_decay=0.5)
    weight.grad = torch.tensor([1.0])
    optimizer.step()
    gradient = 1.0 + 0.5 * 2.0  # decayed gradient; first momentum buffer equals it
    assert weight.item() == pytest.approx(2.0 - 0.1 * (gradient + 0.9 * gradient))


def test_small_models_use_one_thread():
    assert choose_num_threads(None, 117) == 1
    assert choose_num_threads(None, 50_000_000) is None
    assert choose_num_threads(3, 117) == 3


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "last.ckpt"
    path.write_bytes(b"old")

    def fail(file):
        file.write(b"partial")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(path, fail)
    assert path.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["last.ckpt"]
