"""Integer-only reference execution of an integer-format quantized graph.

Every quantized layer whose quantizers all use the ``integer`` (fixed-point)
format is recomputed from integer codes alone: inputs, weights and biases are
turned into int64 codes with the format's integer view, products are
accumulated in numpy int64, and the bias is added after aligning binary
points (a left shift). The result is decoded once, exactly, as ``code *
2**exponent``. Ops that are not integer arithmetic (BatchNorm with its float
running statistics, average pooling's division) and float (unquantized) nodes
run their torch code unchanged.

**When must the fake-quantized graph agree exactly?** A fake-quantized layer
computes the same sum in float32. Every product of codes and every partial
sum is an integer multiple of ``2**exponent``; float32 holds such a number
exactly while its magnitude is below ``2**24 * 2**exponent``. So if
``S = sum_i |x_i * w_i| + |b|`` (in codes) is below ``2**24`` for every output,
every partial sum in any summation order is exact and both computations give
the same float32 value, bit for bit. Otherwise the standard bound for float
summation of ``n`` terms applies: ``|fake - exact| <= gamma_n * S * 2**exponent``
with ``gamma_n = n u / (1 - n u)``, ``u = 2**-24`` (``n`` = terms per output,
bias included). Each layer's observed difference is checked against that
bound; the logits are compared exactly when every layer met the ``2**24``
condition. A layer whose int64 sums could overflow (input width + weight
width + log2(terms) > 62) runs as float and is reported as such.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import fx

from carve.quant.layers import OperandQuantizer, QuantizedLayer, quantized_layers
from carve.quant.layers.modules import (
    QuantizedConv1d,
    QuantizedConv2d,
    QuantizedLinear,
    QuantizedMaxPool1d,
    QuantizedMaxPool2d,
    QuantizedReLU,
)

EXACT_LIMIT = 2**24  # float32 integers are exact below this magnitude
UNIT_ROUNDOFF = 2.0**-24


@dataclass
class Fixed:
    """Integer codes with one binary point: value = codes * 2**exponent."""

    codes: np.ndarray  # int64
    exponent: int

    def to_tensor(self, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """Exact decode in float64 (codes < 2**53), rounded once to ``dtype``."""
        return torch.from_numpy(np.ldexp(self.codes.astype(np.float64), self.exponent)).to(dtype)

    def align(self, exponent: int) -> np.ndarray:
        """Codes at a finer (smaller) ``exponent``: a left shift, exact."""
        shift = self.exponent - exponent
        assert shift >= 0
        return self.codes << shift


@dataclass
class LayerCheck:
    """Per-layer evidence: integer result vs the fake-quantized layer on the same input."""

    node: str
    op: str
    terms: int
    max_sum: int  # max over outputs of S (sum of |products| + |bias|, in codes)
    exact: bool  # max_sum < 2**24: float32 accumulation cannot round
    bound: float  # derived max |fake - exact| (0 when exact)
    max_diff: float  # observed max |fake - integer reference|
    ok: bool = field(init=False)

    def __post_init__(self) -> None:
        self.ok = self.max_diff <= self.bound

    def merged(self, other: LayerCheck) -> LayerCheck:
        """The evidence of both runs (batches): max of sums, bounds and differences, AND of flags.

        Order-free (max and AND commute), so reordering the batches cannot
        change a verdict; ``ok`` stays each batch's own check, ANDed.
        """
        merged = LayerCheck(
            node=self.node, op=self.op, terms=max(self.terms, other.terms),
            max_sum=max(self.max_sum, other.max_sum), exact=self.exact and other.exact,
            bound=max(self.bound, other.bound), max_diff=max(self.max_diff, other.max_diff),
        )  # fmt: skip
        merged.ok = self.ok and other.ok
        return merged


def is_integer_quantizer(quantizer: OperandQuantizer) -> bool:
    return quantizer.enabled and quantizer.format.name == "integer"


def uses_integer_only(layer: QuantizedLayer) -> bool:
    """All enabled quantizers of ``layer`` are fixed point (and its inputs are quantized)."""
    quantizers = layer.quantizers()
    enabled = [q for q in quantizers.values() if q.enabled]
    return (
        bool(enabled)
        and all(is_integer_quantizer(q) for q in enabled)
        and (quantizers["data_in_0"].enabled)
    )


def fixed(quantizer: OperandQuantizer, x: torch.Tensor) -> Fixed:
    """The integer view of ``quantizer(x)`` as int64 codes with one exponent."""
    view = quantizer.format.to_int(x, quantizer.spec)
    return Fixed(view.ints.numpy(), int(view.exponent))


def requantize(value: Fixed, quantizer: OperandQuantizer) -> Fixed:
    """Round ``value`` onto the output quantizer's grid with integer ops only.

    Right shift with round half to even (or floor), then saturation: what the
    fixed-point format does to the decoded value.
    """
    spec = quantizer.spec
    target = -spec.frac_width
    if target <= value.exponent:
        codes = value.align(target)
    else:
        shift = target - value.exponent
        floor = value.codes >> shift  # arithmetic shift: floor division by 2**shift
        rest = value.codes - (floor << shift)
        half = 1 << (shift - 1)
        if spec.rounding == "floor":
            codes = floor
        else:
            up = (rest > half) | ((rest == half) & (floor % 2 == 1))
            codes = floor + up
    return Fixed(np.clip(codes, spec.int_min, spec.int_max), target)


def fits_int64(x: OperandQuantizer, w: OperandQuantizer, terms: int) -> bool:
    """Whether a sum of ``terms`` products of x and w codes (and a bias) cannot overflow int64."""
    return x.spec.width + w.spec.width + max(terms, 1).bit_length() + 1 <= 63


def _affine(x: Fixed, w: Fixed, b: Fixed | None, product: Any) -> tuple[Fixed, np.ndarray]:
    """``product(x, w) + b`` in int64, and S (sum of absolute terms) per output."""
    exponent = x.exponent + w.exponent
    acc = product(x.codes, w.codes)
    size = product(np.abs(x.codes), np.abs(w.codes))
    if b is not None:
        common = min(exponent, b.exponent)
        acc = Fixed(acc, exponent).align(common) + b.align(common)
        size = Fixed(size, exponent).align(common) + np.abs(b.align(common))
        exponent = common
    return Fixed(acc, exponent), size


def _linear(layer: QuantizedLinear, x: torch.Tensor):
    if not fits_int64(layer.x_quantizer, layer.w_quantizer, layer.in_features):
        return None
    xi, wi = fixed(layer.x_quantizer, x), fixed(layer.w_quantizer, layer.weight)
    bi = fixed(layer.b_quantizer, layer.bias) if layer.bias is not None else None
    out, size = _affine(xi, wi, _bias_shape(bi), lambda a, w: a @ w.T)
    return out, size, layer.in_features + (bi is not None)


def _bias_shape(b: Fixed | None, trailing: int = 0) -> Fixed | None:
    if b is None or not trailing:
        return b
    return Fixed(b.codes.reshape(-1, *([1] * trailing)), b.exponent)


def _conv(layer, x: torch.Tensor):
    """im2col on exact integer codes, then an int64 product per group (shape fixed later)."""
    if layer.padding_mode != "zeros" or isinstance(layer.padding, str):
        return None  # the float path runs instead (reported as such)
    two_d = isinstance(layer, QuantizedConv2d)
    terms = layer.weight[0].numel()
    if not fits_int64(layer.x_quantizer, layer.w_quantizer, terms):
        return None
    xi = fixed(layer.x_quantizer, x)
    codes = torch.from_numpy(xi.codes.astype(np.float64))  # exact: |codes| < 2**53
    if not two_d:
        codes = codes.unsqueeze(2)

    def pair(value):
        return tuple(value) if two_d else (1, value[0])

    cols = F.unfold(codes, pair(layer.kernel_size), dilation=pair(layer.dilation),
                    padding=pair(layer.padding), stride=pair(layer.stride))  # fmt: skip
    cols = cols.numpy().astype(np.int64)  # [N, C*k, L]
    wi = fixed(layer.w_quantizer, layer.weight)
    bi = fixed(layer.b_quantizer, layer.bias) if layer.bias is not None else None
    groups, out_channels = layer.groups, layer.out_channels
    w = wi.codes.reshape(groups, out_channels // groups, -1)
    cols = cols.reshape(cols.shape[0], groups, -1, cols.shape[-1])

    def product(a_cols, weights):
        out = np.einsum("goc,ngcl->ngol", weights, a_cols)
        return out.reshape(a_cols.shape[0], out_channels, -1)

    out, size = _affine(Fixed(cols, xi.exponent), Fixed(w, wi.exponent), _bias_shape(bi, 1),
                        product)  # fmt: skip
    return out, size, w.shape[-1] + (bi is not None)


def _relu(layer, x: torch.Tensor):
    xi = fixed(layer.x_quantizer, x)
    return Fixed(np.maximum(xi.codes, 0), xi.exponent), None, 0


def _max_pool(layer, x: torch.Tensor):
    xi = fixed(layer.x_quantizer, x)
    codes = torch.from_numpy(xi.codes.astype(np.float64))
    pooled = type(layer).float_class.forward(layer, codes)  # max of exact integers is exact
    return Fixed(pooled.numpy().astype(np.int64), xi.exponent), None, 0


def _binary_function(layer, x: torch.Tensor, y: Any):
    op = layer.mase_op
    xi, yi = fixed(layer.x_quantizer, x), fixed(layer.y_quantizer, y)
    if op in ("add", "sub"):
        common = min(xi.exponent, yi.exponent)
        a, b = xi.align(common), yi.align(common)
        return Fixed(a + b if op == "add" else a - b, common), None, 0
    if op == "mul":
        return Fixed(xi.codes * yi.codes, xi.exponent + yi.exponent), None, 0
    if not fits_int64(layer.x_quantizer, layer.y_quantizer, xi.codes.shape[-1]):
        return None
    out, size = _affine(xi, yi, None, np.matmul)
    return out, size, xi.codes.shape[-1]


INTEGER_KERNELS: list[tuple[type, Any]] = [
    (QuantizedLinear, _linear),
    (QuantizedConv1d, _conv),
    (QuantizedConv2d, _conv),
    (QuantizedReLU, _relu),
    (QuantizedMaxPool1d, _max_pool),
    (QuantizedMaxPool2d, _max_pool),
]


def integer_kernel(layer: Any):
    """The integer computation of ``layer``, or None when it has none (runs as float)."""
    from carve.quant.layers.functions import QuantizedFunction, QuantizedReLUFunction

    if not isinstance(layer, QuantizedLayer) or not uses_integer_only(layer):
        return None
    if isinstance(layer, QuantizedReLUFunction):
        return lambda m, x, *rest, **kw: _relu(m, x)
    if isinstance(layer, QuantizedFunction):
        if not isinstance(layer.y_quantizer, OperandQuantizer) or not layer.y_quantizer.enabled:
            return None
        return lambda m, x, y, *rest, **kw: _binary_function(m, x, y) if not rest and not kw \
            and isinstance(y, torch.Tensor) else None  # fmt: skip
    for cls, kernel in INTEGER_KERNELS:
        if isinstance(layer, cls):
            return kernel
    return None


def _integer_result(layer: Any, args: tuple, kwargs: dict) -> Any:
    kernel = integer_kernel(layer)
    return kernel(layer, *args, **kwargs) if kernel is not None else None


class IntegerReference(fx.Interpreter):
    """Runs a quantized GraphModule with integer kernels where a layer has one."""

    def __init__(self, model: fx.GraphModule) -> None:
        super().__init__(model, garbage_collect_values=True)
        self.checks: dict[str, LayerCheck] = {}
        self.float_nodes: list[str] = []

    def call_module(self, target: str, args: tuple, kwargs: dict) -> Any:
        layer = self.submodules[target]
        result = _integer_result(layer, args, kwargs)
        return self._checked(layer, result, super().call_module(target, args, kwargs))

    def call_function(self, target: Any, args: tuple, kwargs: dict) -> Any:
        result = _integer_result(target, args, kwargs)  # a quantized function's, else None
        return self._checked(target, result, super().call_function(target, args, kwargs))

    def _checked(self, layer: Any, result: Any, fake: Any) -> Any:
        """The integer ``result`` of ``layer`` (checked against its fake-quantized output), or
        ``fake`` when it has none."""
        if result is None:
            if isinstance(layer, QuantizedLayer):
                self.float_nodes.append(self.current_node.name)
            return fake
        value, size, terms = result
        value = Fixed(value.codes.reshape(fake.shape), value.exponent)
        if layer.out_quantizer.enabled:
            value = requantize(value, layer.out_quantizer)
        exact_value = value.to_tensor(torch.float64)
        reference = exact_value.to(fake.dtype)
        diff = float((fake.double() - reference.double()).abs().max()) if fake.numel() else 0.0
        max_sum = int(size.max()) if size is not None and size.size else 0
        exact = max_sum < EXACT_LIMIT
        if exact or size is None:
            bound = 0.0
        else:
            nu = terms * UNIT_ROUNDOFF
            # float32 summation error, plus the final rounding of the exact value to float32
            bound = nu / (1 - nu) * max_sum * 2.0**value.exponent + float(
                (exact_value - reference.double()).abs().max()
            )
        check = LayerCheck(
            node=self.current_node.name, op=layer.mase_op, terms=terms, max_sum=max_sum,
            exact=exact, bound=bound, max_diff=diff,
        )  # fmt: skip
        seen = self.checks.get(check.node)  # one check per layer across every batch run
        self.checks[check.node] = check if seen is None else seen.merged(check)
        return reference

    def run_node(self, node: fx.Node) -> Any:
        self.current_node = node
        return super().run_node(node)


def integer_layers(model: fx.GraphModule) -> tuple[list[str], list[str]]:
    """(nodes with an integer kernel, quantized nodes without one) of ``model``."""
    with_kernel, without = [], []
    for node, layer in quantized_layers(model):
        (with_kernel if integer_kernel(layer) is not None else without).append(node.name)
    return with_kernel, without
