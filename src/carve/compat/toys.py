"""MASE's toy models under MASE's names and constructor signatures (written for carve).

MASE's tests build ``ToyNet``, ``ToyTiny`` and ``ToyCustomFnNet`` directly
(``ToyNet(image_size=(1, 28, 28), num_classes=10)``) or by registry name
(``toy``, ``toy_tiny``, ``toy_custom_fn``). These classes keep the attribute
names and layer structure those tests and configs rely on (``seq_blocks_0`` in
``toy_integer_by_name.toml``, the nine quantizable ops in ``ToyCustomFnNet``),
so node names and op counts line up. Registered builders take carve's dataset
info; on JSC the "image" is ``(1, 1, 16)``.

>>> import torch
>>> ToyNet(image_size=(1, 28, 28), num_classes=10)(torch.randn(8, 28 * 28)).shape
torch.Size([8, 10])
>>> ToyCustomFnNet(image_size=(1, 28, 28), num_classes=10)(torch.randn(8, 28 * 28)).shape
torch.Size([1, 100, 100])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


def _pixels(image_size: Sequence[int]) -> int:
    return math.prod(int(side) for side in image_size)


class ToyNet(nn.Module):
    """``seq_blocks``: Linear(pixels, 8), ReLU, Linear(8, 8), ReLU, Linear(8, classes)."""

    def __init__(self, image_size: Sequence[int], num_classes: int) -> None:
        super().__init__()
        self.seq_blocks = nn.Sequential(
            nn.Linear(_pixels(image_size), 8),
            nn.ReLU(),
            nn.Linear(8, 8),
            nn.ReLU(),
            nn.Linear(8, num_classes),
        )

    def forward(self, x):
        return self.seq_blocks(x.view(x.size(0), -1))


class ToyTiny(nn.Module):
    """``l1`` (pixels -> 2) and ``relu_1`` on the path; ``l2``/``relu_2`` built but unused."""

    def __init__(self, image_size: Sequence[int], num_classes: int = 1) -> None:
        super().__init__()
        self.l1 = nn.Linear(_pixels(image_size), 2)
        self.relu_1 = nn.ReLU()
        self.l2 = nn.Linear(2, num_classes)
        self.relu_2 = nn.ReLU()

    def forward(self, x):
        return self.relu_1(self.l1(x.view(x.size(0), -1)))


class ToyCustomFnNet(nn.Module):
    """Every op MASE's quantize pass handles, as modules and as functions.

    linear + ReLU (``seq_blocks``), ``F.relu``, ``+``, ``*``, ``-`` (tensor and
    scalar operands), ``conv2d``, adaptive average pooling, ``conv1d``,
    ``torch.matmul`` and ``torch.bmm``. The output is ``[1, 100, 100]``
    whatever ``num_classes`` is, as MASE's. ``batch_size`` is accepted for
    MASE's signature; the matmul uses the batch it is given.
    """

    def __init__(self, image_size: Sequence[int], num_classes: int, batch_size: int = 1) -> None:
        super().__init__()
        self.seq_blocks = nn.Sequential(nn.Linear(_pixels(image_size), 100), nn.ReLU())
        self.conv2d = nn.Conv2d(1, 100, 3, padding="same")
        self.conv1d = nn.Conv1d(1, 100, 1)
        self.adaptive_pool = nn.AdaptiveAvgPool2d((1, 1))
        self.batch_size = batch_size
        self.num_classes = num_classes

    def forward(self, x):
        x = torch.flatten(x, start_dim=1)
        x = F.relu(self.seq_blocks(x))
        x = x + x
        x = x + 2
        x = x * x
        x = x * 2
        x = x - x
        x = x - 2
        x = x.view(x.size(0), 1, 10, 10)
        _ = self.conv2d(x)  # computed and unused, as in MASE's
        x = self.adaptive_pool(x)
        x = x.view(x.size(0), x.size(1), -1)
        x = self.conv1d(x)
        x = x.view(x.size(0), -1)
        x = torch.matmul(x.t(), x)
        x = x.view(1, x.size(0), x.size(1))
        return torch.bmm(x, x)


def _image_size(info: dict[str, Any]) -> tuple[int, ...]:
    return tuple(info.get("image_size") or (1, 1, info["num_features"]))


def build_toy(info: dict[str, Any]) -> nn.Module:
    return ToyNet(_image_size(info), info["num_classes"])


def build_toy_tiny(info: dict[str, Any]) -> nn.Module:
    return ToyTiny(_image_size(info), info["num_classes"])


def build_toy_custom_fn(info: dict[str, Any]) -> nn.Module:
    return ToyCustomFnNet(_image_size(info), info["num_classes"])
