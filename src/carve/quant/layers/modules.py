"""Quantized modules: Linear, Conv1d/2d, ReLU, BatchNorm1d/2d and pooling, for any format.

Each class subclasses the float layer it replaces (so ``isinstance(m,
nn.Linear)`` holds and every attribute keeps its meaning) and only adds
quantizers around the float computation. Build one from a float layer with
``from_float``; it keeps the same weight and bias (conv bias included, which
MASE forgets). Or construct one as MASE users do: the float layer's arguments
plus ``config`` (``LinearInteger(16, 5, config={...})``, fresh weights).

>>> import torch
>>> from torch import nn
>>> float_layer = nn.Linear(3, 2)
>>> config = {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4,
...           "weight_width": 4, "weight_frac_width": 2,
...           "bias_width": 8, "bias_frac_width": 4}
>>> layer = quantized_module(float_layer, "linear", config)
>>> type(layer).__name__, layer.w_quantizer
('LinearInteger', integer(width=4, frac_width=2))
>>> bool((layer.w_quantizer(layer.weight) * 4).frac().eq(0).all())
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch.nn.functional as F
from torch import Tensor, nn

from carve.config.toml_io import na_to_none
from carve.errors import CarveError
from carve.quant.catalog import FORMAT_INFO
from carve.quant.layers.base import (
    QuantizedLayer,
    class_for,
    classes_of,
    copy_float_module,
    register_quantized_op,
    relu_of_quantized,
)
from carve.quant.node_config import NodeQuantConfig, parse_node_config


class QuantizedModule(QuantizedLayer):
    """A quantized module built from a float one (``from_float``)."""

    float_class: type[nn.Module]
    replaces = "module"

    def __init__(
        self, *args: Any, config: NodeQuantConfig | Mapping[str, Any] | None = None, **kwargs: Any
    ) -> None:
        """MASE's constructor: the float layer's arguments, then ``config`` (a MASE dict).

        A per-format class (``LinearInteger``) fills in a missing ``name``; a
        ``name`` naming another format is an error naming the key.
        """
        self.float_class.__init__(self, *args, **kwargs)
        where = f"{type(self).__name__}: config"
        try:
            self.setup_quantizers(self._own_format(config, where))
        except CarveError as error:
            prefix = "" if str(error).startswith(where) else f"{where}: "
            raise CarveError(f"{prefix}{error}") from None

    @classmethod
    def _own_format(cls, config: Any, where: str) -> NodeQuantConfig:
        """``config`` parsed, in this class's format (its ``name`` filled in or checked)."""
        if config is None:
            raise CarveError(f"{where} is required (config={{'name': ..., ...}}, as in MASE)")
        if cls.format_name is None or not isinstance(config, Mapping):
            return parse_node_config(config, f"{where}: ")
        name = na_to_none(config.get("name", cls.format_name))
        info = FORMAT_INFO.get(name) if isinstance(name, str) else None
        if name is None or (info is not None and info.name != cls.format_name):
            raise CarveError(
                f"{where} key 'name' is {name!r} but {cls.__name__} quantizes with "
                f"{cls.format_name!r}; use {cls.format_name!r} or leave 'name' out"
            )
        return parse_node_config({"name": cls.format_name, **config}, f"{where}: ")

    @classmethod
    def from_float(
        cls, module: nn.Module, config: NodeQuantConfig | Mapping[str, Any]
    ) -> QuantizedModule:
        if not isinstance(module, cls.float_class):
            raise CarveError(
                f"{cls.__name__} replaces {cls.float_class.__name__}, got {type(module).__name__}"
            )
        new = copy_float_module(cls, module)
        new.setup_quantizers(config)
        return new


class QuantizedLinear(QuantizedModule, nn.Linear):
    mase_op, float_class = "linear", nn.Linear
    parameters_quantized = ("weight", "bias")

    def forward(self, x: Tensor) -> Tensor:
        weight, bias = self.w_quantizer(self.weight), self.b_quantizer(self.bias)
        return self.out_quantizer(F.linear(self.x_quantizer(x), weight, bias))


class _QuantizedConv(QuantizedModule):
    parameters_quantized = ("weight", "bias")

    def forward(self, x: Tensor) -> Tensor:
        weight, bias = self.w_quantizer(self.weight), self.b_quantizer(self.bias)
        return self.out_quantizer(self._conv_forward(self.x_quantizer(x), weight, bias))


class QuantizedConv1d(_QuantizedConv, nn.Conv1d):
    mase_op, float_class = "conv1d", nn.Conv1d


class QuantizedConv2d(_QuantizedConv, nn.Conv2d):
    mase_op, float_class = "conv2d", nn.Conv2d


class _QuantizedBatchNorm(QuantizedModule):
    """BatchNorm with quantized input and affine parameters; running statistics stay float."""

    mase_type = "module"
    parameters_quantized = ("weight", "bias")

    def forward(self, x: Tensor) -> Tensor:
        x = self.x_quantizer(x)
        self._check_input_dim(x)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked)
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        keep_stats = not self.training or self.track_running_stats
        out = F.batch_norm(
            x,
            self.running_mean if keep_stats else None,
            self.running_var if keep_stats else None,
            self.w_quantizer(self.weight),
            self.b_quantizer(self.bias),
            use_batch,
            factor,
            self.eps,
        )
        return self.out_quantizer(out)


class QuantizedBatchNorm1d(_QuantizedBatchNorm, nn.BatchNorm1d):
    mase_op, float_class = "batch_norm1d", nn.BatchNorm1d


class QuantizedBatchNorm2d(_QuantizedBatchNorm, nn.BatchNorm2d):
    mase_op, float_class = "batch_norm2d", nn.BatchNorm2d


class _InputQuantized(QuantizedModule):
    """A parameter-free layer applied to its quantized input (activations, pooling)."""

    def forward(self, x: Tensor) -> Tensor:
        return self.out_quantizer(self.float_class.forward(self, self.x_quantizer(x)))


def _input_quantized(float_class: type[nn.Module], mase_op: str, unsigned: bool = False) -> type:
    name = float_class.__name__
    return type(
        f"Quantized{name}",
        (_InputQuantized, float_class),
        {
            "mase_op": mase_op,
            "float_class": float_class,
            "unsigned_input": unsigned,
            "__module__": __name__,
            "__doc__": f"{name} applied to its quantized input.",
        },
    )


class QuantizedReLU(_InputQuantized, nn.ReLU):
    """ReLU of its input quantized unsigned (MASE); in place when the float ReLU is."""

    mase_op, float_class, unsigned_input = "relu", nn.ReLU, True

    def forward(self, x: Tensor) -> Tensor:
        return relu_of_quantized(self, x, self.inplace)


QuantizedMaxPool1d = _input_quantized(nn.MaxPool1d, "max_pool1d")
QuantizedMaxPool2d = _input_quantized(nn.MaxPool2d, "max_pool2d")
QuantizedAvgPool1d = _input_quantized(nn.AvgPool1d, "avg_pool1d")
QuantizedAvgPool2d = _input_quantized(nn.AvgPool2d, "avg_pool2d")
QuantizedAdaptiveAvgPool1d = _input_quantized(nn.AdaptiveAvgPool1d, "adaptive_avg_pool1d")
QuantizedAdaptiveAvgPool2d = _input_quantized(nn.AdaptiveAvgPool2d, "adaptive_avg_pool2d")
QuantizedAdaptiveMaxPool1d = _input_quantized(nn.AdaptiveMaxPool1d, "adaptive_max_pool1d")
QuantizedAdaptiveMaxPool2d = _input_quantized(nn.AdaptiveMaxPool2d, "adaptive_max_pool2d")

for _cls in (
    QuantizedLinear,
    QuantizedConv1d,
    QuantizedConv2d,
    QuantizedBatchNorm1d,
    QuantizedBatchNorm2d,
    QuantizedReLU,
    QuantizedMaxPool1d,
    QuantizedMaxPool2d,
    QuantizedAvgPool1d,
    QuantizedAvgPool2d,
    QuantizedAdaptiveAvgPool1d,
    QuantizedAdaptiveAvgPool2d,
    QuantizedAdaptiveMaxPool1d,
    QuantizedAdaptiveMaxPool2d,
):
    register_quantized_op(_cls)

# mase_op -> module class: a view of the one table (carve.quant.layers.base.QUANTIZED_OPS)
MODULE_CLASSES: dict[str, type[QuantizedModule]] = classes_of("module")


def quantized_module(
    module: nn.Module, mase_op: str, config: NodeQuantConfig | Mapping[str, Any]
) -> nn.Module:
    """The quantized replacement of float ``module`` (op ``mase_op``) under ``config``."""
    config = parse_node_config(config, f"{mase_op} layer: ")
    return class_for("module", mase_op, config).from_float(module, config)
