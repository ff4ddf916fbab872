"""JSC (jet substructure) MLPs, with MASE's layer order and parameter counts.

Layer order and attribute names (``seq_blocks``, ``module_list``) match MASE's so
fx node names (``seq_blocks_2``...) and checkpoint keys line up. As in MASE,
every ReLU is in-place and each network ends in a ReLU, so its logits are
non-negative; the ``*-logits`` variants drop that last ReLU.
"""

from __future__ import annotations

from torch import nn


def _relu() -> nn.ReLU:
    return nn.ReLU(inplace=True)


def _head(layers: list[nn.Module], final_relu: bool) -> list[nn.Module]:
    return [*layers, _relu()] if final_relu else layers


class JSCSequential(nn.Module):
    """An MLP held in ``seq_blocks`` (jsc-tiny, jsc-toy, jsc-10x)."""

    def __init__(self, layers: list[nn.Module]) -> None:
        super().__init__()
        self.seq_blocks = nn.Sequential(*layers)

    def forward(self, x):
        return self.seq_blocks(x)


class JSCModuleList(nn.Module):
    """An MLP held in ``module_list`` (jsc-s), applied in order."""

    def __init__(self, layers: list[nn.Module]) -> None:
        super().__init__()
        self.module_list = nn.ModuleList(layers)

    def forward(self, x):
        for layer in self.module_list:
            x = layer(x)
        return x


def jsc_tiny_layers(f: int, c: int, final_relu: bool = True) -> list[nn.Module]:
    """BN(f) ReLU Linear(f, c) [ReLU]: 117 parameters for 16 features, 5 classes."""
    return _head([nn.BatchNorm1d(f), _relu(), nn.Linear(f, c)], final_relu)


def jsc_toy_layers(f: int, c: int, final_relu: bool = True) -> list[nn.Module]:
    """Three Linear+BN blocks 16-8-8-5: 327 parameters."""
    return _head(
        [
            nn.BatchNorm1d(f), _relu(),
            nn.Linear(f, 8), nn.BatchNorm1d(8), _relu(),
            nn.Linear(8, 8), nn.BatchNorm1d(8), _relu(),
            nn.Linear(8, c), nn.BatchNorm1d(c),
        ],
        final_relu,
    )  # fmt: skip


def jsc_10x_layers(f: int, c: int, final_relu: bool = True) -> list[nn.Module]:
    """Lab 1's "~10x the parameters of jsc-tiny": 16-32-16-5, 1,253 parameters (10.7x)."""
    return _head(
        [
            nn.BatchNorm1d(f), _relu(),
            nn.Linear(f, 32), nn.BatchNorm1d(32), _relu(),
            nn.Linear(32, 16), _relu(),
            nn.Linear(16, c),
        ],
        final_relu,
    )  # fmt: skip


def jsc_s_layers(f: int, c: int, final_relu: bool = True) -> list[nn.Module]:
    """16-64-32-32-32-5 with BN at both ends: 5,615 parameters."""
    return _head(
        [
            nn.BatchNorm1d(f), _relu(),
            nn.Linear(f, 64), nn.BatchNorm1d(64), _relu(),
            nn.Linear(64, 32), _relu(),
            nn.Linear(32, 32), _relu(),
            nn.Linear(32, 32), _relu(),
            nn.Linear(32, c), nn.BatchNorm1d(c),
        ],
        final_relu,
    )  # fmt: skip


def _builder(layers_fn, container, final_relu: bool):
    def build(info: dict) -> nn.Module:
        return container(layers_fn(info["num_features"], info["num_classes"], final_relu))

    return build


# builders referenced lazily by carve.models.catalog
build_jsc_tiny = _builder(jsc_tiny_layers, JSCSequential, final_relu=True)
build_jsc_tiny_logits = _builder(jsc_tiny_layers, JSCSequential, final_relu=False)
build_jsc_toy = _builder(jsc_toy_layers, JSCSequential, final_relu=True)
build_jsc_toy_logits = _builder(jsc_toy_layers, JSCSequential, final_relu=False)
build_jsc_10x = _builder(jsc_10x_layers, JSCSequential, final_relu=True)
build_jsc_10x_logits = _builder(jsc_10x_layers, JSCSequential, final_relu=False)
build_jsc_s = _builder(jsc_s_layers, JSCModuleList, final_relu=True)
build_jsc_s_logits = _builder(jsc_s_layers, JSCModuleList, final_relu=False)
