"""Toy models that exercise call_function / call_method paths of the graph IR.

All take JSC-shaped input ``[batch, num_features]`` and return
``[batch, num_classes]`` logits, so they run on every dataset carve has:

* ``toy-mlp``: Linear + ``F.relu`` + a residual ``+``;
* ``toy-cnn``: the features viewed as a square 1-channel image (16 -> 4x4),
  conv2d, batch norm, max pooling, adaptive average pooling, ``torch.flatten``;
* ``toy-transformer``: the features split into tokens, one attention block
  (linear q/k/v, ``bmm``, ``softmax``, ``matmul``, ``transpose``, ``view``),
  layer norm and residual adds.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class ToyMLP(nn.Module):
    """Linear - relu - (Linear - relu) + residual - Linear."""

    def __init__(self, features: int, classes: int, hidden: int = 32) -> None:
        super().__init__()
        self.fc_in = nn.Linear(features, hidden)
        self.fc_mid = nn.Linear(hidden, hidden)
        self.fc_out = nn.Linear(hidden, classes)

    def forward(self, x):
        h = F.relu(self.fc_in(x))
        h = h + F.relu(self.fc_mid(h))
        return self.fc_out(h)


class ToyCNN(nn.Module):
    """Two conv blocks over the features viewed as a ``side x side`` image."""

    def __init__(self, features: int, classes: int, channels: int = 8) -> None:
        super().__init__()
        self.side = math.isqrt(features)
        if self.side * self.side != features:
            from carve.errors import CarveError

            raise CarveError(f"toy-cnn needs a square number of features, got {features}")
        self.conv1 = nn.Conv2d(1, channels, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(channels)
        self.relu1 = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(channels, 2 * channels, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(2 * channels)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(2 * channels, classes)

    def forward(self, x):
        x = x.view(x.shape[0], 1, self.side, self.side)
        x = self.pool(self.relu1(self.bn1(self.conv1(x))))
        x = F.relu(self.bn2(self.conv2(x)))
        x = torch.flatten(self.gap(x), 1)
        return self.fc(x)


class ToyTransformer(nn.Module):
    """One pre-norm attention block + MLP over ``tokens`` tokens of the features."""

    def __init__(self, features: int, classes: int, tokens: int = 4, dim: int = 16) -> None:
        super().__init__()
        if features % tokens:
            from carve.errors import CarveError

            raise CarveError(
                f"toy-transformer needs features divisible by {tokens}, got {features}"
            )
        self.tokens, self.dim = tokens, dim
        self.embed = nn.Linear(features // tokens, dim)
        self.norm1 = nn.LayerNorm(dim)
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(dim, dim)
        self.v = nn.Linear(dim, dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Linear(dim, dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        h = self.embed(x.view(x.shape[0], self.tokens, -1))
        n = self.norm1(h)
        scores = torch.bmm(self.q(n), self.k(n).transpose(1, 2)) / math.sqrt(self.dim)
        attention = torch.matmul(F.softmax(scores, dim=-1), self.v(n))
        h = h + self.proj(attention)
        h = h + F.gelu(self.mlp(self.norm2(h)))
        return self.head(h.mean(dim=1))


def build_toy_mlp(info: dict) -> nn.Module:
    return ToyMLP(info["num_features"], info["num_classes"])


def build_toy_cnn(info: dict) -> nn.Module:
    return ToyCNN(info["num_features"], info["num_classes"])


def build_toy_transformer(info: dict) -> nn.Module:
    return ToyTransformer(info["num_features"], info["num_classes"])
