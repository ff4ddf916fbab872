"""What every quantized layer shares: quantizers built from a config, and classes per format.

A layer *op class* (``QuantizedLinear``, ``QuantizedAdd``...) is written once
and works with every number format: it only calls its quantizers. For users
coming from MASE, :func:`quantized_class` derives a named class per format on
demand (``LinearInteger``, ``Conv2dMinifloatIEEE``...: names from the format
catalog, :data:`carve.quant.catalog.LAYER_STEMS`) with no code of its own, so
reports show which format a layer uses and ``isinstance(m, QuantizedLinear)``
still holds.

A quantized layer is one of two kinds: a *module* (``call_module`` node: the
quantized subclass of the float layer) or a *function* (``call_function``
node whose target is the quantized callable, as in MASE). Code that needs
"the quantized layer of a node" asks :func:`quantized_layer_of`, whatever the
kind.

Quantizer attributes (MASE's names where MASE has them): ``x_quantizer`` (first
input), ``y_quantizer`` (second input of add/sub/mul/matmul/bmm), ``w_quantizer``
and ``b_quantizer`` (weight and bias), ``out_quantizer`` (output; identity unless
the config has ``data_out_*`` keys).

Every quantized op class is entered in :data:`QUANTIZED_OPS`, the one dispatch
table of the quantize pass (mase_op -> module class, function class, fx
targets). Each class also declares ``mase_op`` and ``mase_type``, which is how
the graph IR classifies it and keeps it a leaf when tracing (the IR reads the
declaration; this package edits no IR table).
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from carve.errors import CarveError, unknown_name_message
from carve.quant.catalog import FORMATS, LAYER_STEMS, layer_class_name
from carve.quant.layers.quantizer import OperandQuantizer
from carve.quant.node_config import NodeQuantConfig, parse_node_config

# metadata argument name -> quantizer attribute
ATTRIBUTES = {"data_in_0": "x_quantizer", "data_in_1": "y_quantizer", "weight": "w_quantizer",
              "bias": "b_quantizer", "data_out_0": "out_quantizer"}  # fmt: skip
# parameter name -> (quantizer attribute, config operand)
PARAMETER_OPERANDS = {"weight": ("w_quantizer", "weight"), "bias": ("b_quantizer", "bias")}


class QuantizedLayer:
    """Mixin of every quantized module (see the module docstring).

    Subclasses set ``mase_op``, ``input_operands`` (config operand of each
    tensor input, in order), ``parameters_quantized`` (names of the float
    layer's parameters that get quantizers) and ``unsigned_input`` (ReLU: the
    input is quantized unsigned, as MASE does).
    """

    mase_op: ClassVar[str]
    mase_type: ClassVar[str] = "module_related_func"  # read by the IR (carve.ir.ops)
    replaces: ClassVar[str]  # "module" or "function": what kind of fx node it replaces
    input_operands: ClassVar[tuple[str, ...]] = ("data_in",)
    parameters_quantized: ClassVar[tuple[str, ...]] = ()
    unsigned_input: ClassVar[bool] = False
    format_name: ClassVar[str | None] = None
    node_config: NodeQuantConfig

    def setup_quantizers(self, config: NodeQuantConfig | Mapping[str, Any]) -> None:
        """Build the quantizers from a parsed config (or a MASE dict, parsed here)."""
        where = f"{self.mase_op} layer"
        node_config = parse_node_config(config, f"{where}: ")
        if node_config.format_name is None:
            raise CarveError(f"{where}: config name is None/'NA': nothing to quantize with")
        self.node_config = node_config
        if node_config.bypass:  # MASE's bypass: the float computation, no quantizer
            self._identity_quantizers()
            return
        unsigned = {"signed": False} if self.unsigned_input else {}
        inputs = [
            OperandQuantizer.from_spec(
                operand, node_config.operand(operand), **(unsigned if i == 0 else {})
            )
            for i, operand in enumerate(self.input_operands)
        ]
        self.x_quantizer = inputs[0]
        if len(inputs) > 1:
            self.y_quantizer = inputs[1]
        for parameter in self.parameters_quantized:
            attribute, operand = PARAMETER_OPERANDS[parameter]
            present = getattr(self, parameter, None) is not None
            quantizer = (
                OperandQuantizer.from_spec(operand, node_config.operand(operand))
                if present
                else OperandQuantizer(operand)
            )
            setattr(self, attribute, quantizer)
        self.out_quantizer = (
            OperandQuantizer.from_spec("data_out", node_config.operand("data_out"))
            if node_config.has("data_out")
            else OperandQuantizer("data_out")
        )

    def _identity_quantizers(self) -> None:
        self.x_quantizer = OperandQuantizer("data_in")
        if len(self.input_operands) > 1:
            self.y_quantizer = OperandQuantizer(self.input_operands[1])
        for parameter in self.parameters_quantized:
            attribute, operand = PARAMETER_OPERANDS[parameter]
            setattr(self, attribute, OperandQuantizer(operand))
        self.out_quantizer = OperandQuantizer("data_out")

    @property
    def bypass(self) -> bool:
        """MASE's attribute: the layer computes in float (config ``bypass: true``)."""
        return self.node_config.bypass

    @property
    def config(self) -> dict[str, Any]:
        """The layer's config as a MASE dict (``node_config.to_mase_dict()``)."""
        return self.node_config.to_mase_dict()

    def quantizers(self) -> dict[str, OperandQuantizer]:
        """Metadata argument name -> quantizer (``data_in_0``, ``weight``, ``data_out_0``...)."""
        found = {"data_in_0": self.x_quantizer}
        if hasattr(self, "y_quantizer"):
            found["data_in_1"] = self.y_quantizer
        for parameter in self.parameters_quantized:
            found[parameter] = getattr(self, PARAMETER_OPERANDS[parameter][0])
        found["data_out_0"] = self.out_quantizer
        return found

    def quantized_parameter(self, name: str):
        """The fake-quantized value of parameter ``name`` (what the forward pass uses)."""
        return getattr(self, PARAMETER_OPERANDS[name][0])(getattr(self, name))

    def extra_repr(self) -> str:
        base = getattr(super(), "extra_repr", str)()  # a module's own settings, if any
        parts = [f"{ATTRIBUTES[name]}={q!r}" for name, q in self.quantizers().items() if q.enabled]
        return ", ".join(p for p in [base, *parts] if p)


def copy_float_module(cls: type, module: nn.Module) -> nn.Module:
    """An instance of ``cls`` holding ``module``'s parameters, buffers and settings.

    Every attribute is carried over (weight, bias - conv bias included -,
    running statistics, stride, padding...), so no per-layer list of
    constructor arguments can forget one. Parameters are shared, not cloned:
    the quantize pass works on its own copy of the graph. Parametrizations
    (pruning masks) move to the new layer.
    """
    new = cls.__new__(cls)
    for key, value in vars(module).items():
        new.__dict__[key] = copy.copy(value) if isinstance(value, dict) else value
    return carry_parametrizations(module, new)  # a pruned layer stays pruned


def carry_parametrizations(source: nn.Module, new: nn.Module) -> nn.Module:
    """Re-register ``source``'s parametrizations on ``new``, a copy of its ``__dict__``.

    Layers that replace a module by copying its attributes (the quantized
    layers) call this so a pruned layer stays pruned after quantization: the
    same ``original`` parameter and the same mask modules are reused.
    """
    from torch.nn.utils import parametrize

    if not parametrize.is_parametrized(source):
        return new
    lists = new._modules.pop("parametrizations")
    for name, stack in lists.items():
        original = stack.original
        if isinstance(original, nn.Parameter):
            new._parameters[name] = original
        else:
            new._buffers[name] = original
        for parametrization in stack:
            parametrize.register_parametrization(new, name, parametrization, unsafe=True)
    return new


_CLASSES: dict[tuple[type, str], type] = {}


def quantized_class(op_class: type, format_name: str) -> type:
    """The per-format subclass of ``op_class`` (``LinearInteger`` for QuantizedLinear + integer).

    Generated once per (op, format) and published in the op class's module, so
    instances pickle and deep-copy like ordinary classes.

    >>> from carve.quant.layers.modules import QuantizedLinear
    >>> cls = quantized_class(QuantizedLinear, "fixed")
    >>> cls.__name__, cls.format_name, issubclass(cls, QuantizedLinear)
    ('LinearInteger', 'integer', True)
    """
    fmt_name = FORMATS[format_name].name
    key = (op_class, fmt_name)
    if key not in _CLASSES:
        name = layer_class_name(op_class.replaces, op_class.mase_op, fmt_name)
        cls = type(
            name,
            (op_class,),
            {
                "format_name": fmt_name,
                "__module__": op_class.__module__,
                "__qualname__": name,
                "__doc__": f"{op_class.__name__} with the {fmt_name!r} format (generated).",
            },
        )
        setattr(sys.modules[op_class.__module__], name, cls)
        _CLASSES[key] = cls
    return _CLASSES[key]


def relu_of_quantized(layer: QuantizedLayer, x: Tensor, inplace: bool) -> Tensor:
    """ReLU of ``layer``'s quantized input (module and function ReLU alike).

    When the quantizer only gives values >= 0 (unsigned fixed point) and no
    gradient is taped, the ReLU is skipped: its value is the identity there,
    only its gradient (zero at 0) would differ.
    """
    q = layer.x_quantizer(x)
    if layer.x_quantizer.nonnegative and not (torch.is_grad_enabled() and q.requires_grad):
        return layer.out_quantizer(q)
    return layer.out_quantizer(F.relu(q, inplace=inplace))


@dataclass
class QuantizedOp:
    """One row of :data:`QUANTIZED_OPS`: how the quantize pass handles one ``mase_op``.

    ``module_class`` replaces a ``call_module`` of the float layer;
    ``function_class`` replaces a ``call_function`` whose target is in
    ``fx_targets`` or a ``call_method`` named ``mase_op``.
    """

    mase_op: str
    module_class: type | None = None
    function_class: type | None = None
    fx_targets: tuple[Callable, ...] = ()

    def class_for(self, replaces: str) -> type | None:
        return self.module_class if replaces == "module" else self.function_class


# the one op dispatch table: mase_op -> QuantizedOp
QUANTIZED_OPS: dict[str, QuantizedOp] = {}


def register_quantized_op(cls: type) -> type:
    """Enter op class ``cls`` in :data:`QUANTIZED_OPS` (by its ``mase_op`` and ``replaces``).

    Its op must have a class-name stem in :data:`carve.quant.catalog.LAYER_STEMS`.
    """
    if cls.mase_op not in LAYER_STEMS[cls.replaces]:
        raise RuntimeError(f"{cls.__name__}: add {cls.mase_op!r} to LAYER_STEMS[{cls.replaces!r}]")
    entry = QUANTIZED_OPS.setdefault(cls.mase_op, QuantizedOp(cls.mase_op))
    if cls.replaces == "module":
        entry.module_class = cls
    else:
        entry.function_class = cls
        entry.fx_targets = tuple(getattr(cls, "fx_targets", ()))
    return cls


def classes_of(replaces: str) -> dict[str, type]:
    """mase_op -> op class of one kind (``module`` or ``function``): a view of the table."""
    return {
        op: entry.class_for(replaces)
        for op, entry in QUANTIZED_OPS.items()
        if entry.class_for(replaces) is not None
    }


def class_for(replaces: str, mase_op: str, config: Any) -> type:
    """The per-format class of ``mase_op`` under ``config`` (bad op or no format -> CarveError).

    ``replaces`` is ``module`` or ``function`` (which column of the table).
    """
    entry = QUANTIZED_OPS.get(mase_op)
    if entry is None or entry.class_for(replaces) is None:
        raise CarveError(
            unknown_name_message(f"quantizable {replaces} op", mase_op, classes_of(replaces))
        )
    if isinstance(config, NodeQuantConfig):
        name = config.format_name
    else:
        name = parse_node_config(config).format_name if isinstance(config, Mapping) else None
    if name is None:
        raise CarveError(f"{mase_op}: config needs a format 'name' to quantize with")
    return quantized_class(entry.class_for(replaces), name)


def quantized_layer_of(node: Any, modules: Mapping[str, nn.Module] | None = None) -> Any:
    """The quantized layer behind graph node ``node``, or None when it computes in float.

    The one way to ask, whatever the layer's kind: a ``call_module`` node's
    module, or a ``call_function`` node's target (the quantized callable).
    ``modules`` (``dict(model.named_modules())``) saves a lookup per node.
    """
    if node.op == "call_module":
        if modules is not None:
            layer = modules.get(node.target)
        else:
            layer = node.graph.owning_module.get_submodule(node.target)
    elif node.op == "call_function":
        layer = node.target
    else:
        return None
    return layer if isinstance(layer, QuantizedLayer) else None


def quantized_layers(graph: Any) -> list[tuple[Any, QuantizedLayer]]:
    """``[(node, quantized layer), ...]`` of a MaseGraph or GraphModule, in graph order."""
    model = getattr(graph, "model", graph)
    modules = dict(model.named_modules())
    found = []
    for node in model.graph.nodes:
        layer = quantized_layer_of(node, modules)
        if layer is not None:
            found.append((node, layer))
    return found
