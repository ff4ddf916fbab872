"""What the exporters read from a quantized graph: ops, operands and their formats.

This is the ONE module of :mod:`carve.export` that knows how today's quantize
pass stores quantization (quantized layers holding ``OperandQuantizer``\\ s).
Every writer (ONNX, QONNX, hls4ml) reads an :class:`ExportGraph` instead, so
when the typed per-node quantization config lands, only this file changes.

A node's operands are named as in MASE's metadata: ``data_in_0`` (input),
``weight``, ``bias``, ``data_out_0`` (output). Fixed-point operands (carve's
``integer``/``fixed`` format) become :class:`FixedPoint`; any other format
keeps its name, so a writer can say exactly which node and format it cannot
express.

>>> from carve.export.graph_view import FixedPoint
>>> FixedPoint(width=4, frac_width=2, signed=True).int_range
(-8, 7)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from carve.errors import CarveError

# float module class name -> mase_op (unquantized layers an exporter understands)
FLOAT_OPS = {"Linear": "linear", "ReLU": "relu", "BatchNorm1d": "batch_norm1d"}
SUPPORTED_OPS = tuple(sorted(set(FLOAT_OPS.values())))


@dataclass(frozen=True)
class FixedPoint:
    """Two's-complement (or unsigned) fixed point: ``code * 2**-frac_width``, saturating."""

    width: int
    frac_width: int
    signed: bool = True
    rounding: str = "nearest_even"  # or "floor"

    @property
    def int_range(self) -> tuple[int, int]:
        if self.signed:
            return -(2 ** (self.width - 1)), 2 ** (self.width - 1) - 1
        return 0, 2**self.width - 1

    @property
    def integer_bits(self) -> int:
        """Bits before the binary point, sign included (hls4ml's ``I`` of ``ap_fixed<W, I>``)."""
        return self.width - self.frac_width

    def describe(self) -> str:
        kind = "s" if self.signed else "u"
        rounding = "" if self.rounding == "nearest_even" else ", floor"
        return f"fixed<{kind}{self.width}, frac {self.frac_width}{rounding}>"


@dataclass(frozen=True)
class OperandFormat:
    """The number format of one operand of one node."""

    operand: str
    format: str  # "float" when unquantized
    precision: tuple = ()
    fixed: FixedPoint | None = None
    bipolar: bool = False  # binary +1 (x >= 0) / -1, not scaled, not stochastic

    @property
    def quantized(self) -> bool:
        return self.format != "float"

    def describe(self) -> str:
        if self.fixed is not None:
            return self.fixed.describe()
        if not self.quantized:
            return "float32"
        if self.bipolar:
            return "bipolar binary"
        return f"{self.format}{list(self.precision)}"


@dataclass
class ExportNode:
    """One computing node: its op, input node names, operand formats and parameters."""

    name: str
    op: str
    inputs: list[str]
    operands: dict[str, OperandFormat]
    module: Any = field(repr=False, default=None)

    def operand(self, name: str) -> OperandFormat:
        return self.operands.get(name, OperandFormat(name, "float"))

    def parameter(self, name: str):
        """The float32 value the fake-quantized layer computes with (on its format's grid)."""
        import torch

        layer = self.module
        value = getattr(layer, name)
        if value is None:
            return None
        with torch.no_grad():
            if hasattr(layer, "quantized_parameter") and name in ("weight", "bias"):
                value = layer.quantized_parameter(name)
            return value.detach().to(torch.float32).clone()


@dataclass
class ExportGraph:
    """A quantized graph as the exporters see it (nodes in execution order)."""

    input_name: str
    input_shape: tuple[int, ...]  # without the batch dimension
    nodes: list[ExportNode]
    output_names: list[str]  # one output
    model: Any = field(repr=False, default=None)  # the fake-quantized GraphModule
    output_shape: tuple[int, ...] = ()  # without the batch dimension

    def quantized_nodes(self) -> list[ExportNode]:
        return [n for n in self.nodes if any(o.quantized for o in n.operands.values())]


def _operand_format(name: str, quantizer: Any) -> OperandFormat:
    if not quantizer.enabled:
        return OperandFormat(name, "float")
    spec = quantizer.spec
    fixed = None
    if quantizer.format.name == "integer":
        fixed = FixedPoint(spec.width, spec.frac_width, spec.signed, spec.rounding)
    bipolar = quantizer.format.name == "binary" and (
        spec.bipolar and not spec.stochastic and not spec.scaled
    )
    return OperandFormat(name, quantizer.format.name, tuple(quantizer.precision), fixed, bipolar)


def _node_of(node: Any, module: Any) -> ExportNode:
    from carve.quant.layers import QuantizedLayer

    inputs = [a.name for a in node.args if hasattr(a, "name")]
    if isinstance(module, QuantizedLayer):
        op = module.mase_op
        operands = {k: _operand_format(k, q) for k, q in module.quantizers().items()}
    else:
        op = FLOAT_OPS.get(type(module).__name__)
        operands = {}
    if op not in SUPPORTED_OPS:
        raise CarveError(
            f"export: node {node.name!r} ({type(module).__name__}) is not supported; "
            f"supported ops: {', '.join(SUPPORTED_OPS)}"
        )
    tensor_kwargs = [k for k, v in node.kwargs.items() if hasattr(v, "name")]  # F.relu: inplace
    if len(inputs) != 1 or tensor_kwargs:
        raise CarveError(f"export: node {node.name!r} must take exactly one tensor input")
    return ExportNode(node.name, op, inputs, operands, module)


def export_view(graph: Any, input_shape: tuple[int, ...] | None = None) -> ExportGraph:
    """Read ``graph`` (a MaseGraph or fx.GraphModule) into an :class:`ExportGraph`.

    Fails with one clear line when a node is not supported, when the graph has
    no quantized node (nothing to deploy bit-exactly: run the quantize pass
    first), or when the input shape is unknown.
    """
    from carve.quant.layers import quantized_layer_of

    model = getattr(graph, "model", graph)
    placeholders = [n for n in model.graph.nodes if n.op == "placeholder"]
    if len(placeholders) != 1:
        raise CarveError(f"export: the graph needs exactly one input, has {len(placeholders)}")
    nodes: list[ExportNode] = []
    outputs: list[str] = []
    for node in model.graph.nodes:
        if node.op == "call_module":
            nodes.append(_node_of(node, model.get_submodule(node.target)))
        elif quantized_layer_of(node) is not None:  # a quantized function (F.relu)
            nodes.append(_node_of(node, node.target))
        elif node.op == "output":
            result = node.args[0]
            outputs = [r.name for r in (result if isinstance(result, list | tuple) else [result])]
        elif node.op != "placeholder":
            raise CarveError(
                f"export: node {node.name!r} ({node.op} {node.target}) is not supported; "
                f"supported ops: {', '.join(SUPPORTED_OPS)}"
            )
    if len(outputs) != 1:
        raise CarveError(f"export: the graph needs exactly one output, has {len(outputs)}")
    view = ExportGraph(placeholders[0].name, (), nodes, outputs, model)
    if not view.quantized_nodes():
        raise CarveError(
            "export: the graph has no quantization metadata (no quantized node); "
            "quantize it first (carve transform, or carve export --config with [passes.quantize])"
        )
    view.input_shape = tuple(input_shape) if input_shape else _input_shape(view)
    view.output_shape = _output_shape(view)
    return view


def _output_shape(view: ExportGraph) -> tuple[int, ...]:
    """Run the model once on zeros (eval mode) to learn the output's feature shape."""
    import torch

    from carve.export.parity import fake_quant_outputs

    out = fake_quant_outputs(view.model, torch.zeros(2, *view.input_shape))
    return tuple(out.shape[1:])


def _input_shape(view: ExportGraph) -> tuple[int, ...]:
    first = view.nodes[0].module
    for attribute in ("in_features", "num_features"):
        if hasattr(first, attribute):
            return (int(getattr(first, attribute)),)
    raise CarveError("export: cannot tell the input shape; pass input_shape")
