"""Many copies of one small network evaluated as one: stacked parameters, batched layers.

A :class:`StackedModel` holds ``M`` models of the same architecture (same
layers, different values) with all their parameters in one ``[M, P]`` tensor
and their buffers stacked ``[M, ...]``. Its forward takes ``[M, B, features]``
(one batch per member) and runs each layer once for all members.

Each batched layer is written so that member ``m``'s numbers are *bit-identical*
to running model ``m`` alone on torch's CPU kernels (checked by
tests/study/test_ensemble.py):

* ``BatchNorm1d`` calls torch's own batch-norm kernel on ``[B, M * features]``:
  every (member, feature) pair is one channel, so statistics, running-stat
  updates and gradients follow the same per-channel arithmetic. The kernel
  handles channels in SIMD chunks plus a scalar tail that rounds differently,
  so this is done only when ``features`` is a multiple of the SIMD width
  (then every member's channels fall in the chunks a single model uses);
  otherwise each member gets its own kernel call;
* ``Linear`` is a batched matmul whose backward forms the weight gradient as
  ``grad_out^T @ input`` (the order ``addmm`` uses); autograd's own ``baddbmm``
  backward transposes the other way and differs in the last bit.

Layers without a batched form make :func:`stack_models` raise
:class:`EnsembleUnsupported`; callers then train the members one by one.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable

import torch
import torch.fx
import torch.nn.functional as F
from torch import nn


class EnsembleUnsupported(Exception):
    """The model holds a layer or operation with no batched (ensemble) form."""


class _BatchedLinear(torch.autograd.Function):
    """``x @ W^T + b`` per member, with the weight gradient in ``addmm``'s order."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        x = x.contiguous()  # the row-major operands a single model's addmm sees
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        if bias is None:
            return torch.bmm(x, weight.transpose(1, 2))
        return torch.baddbmm(bias.unsqueeze(1), x, weight.transpose(1, 2))

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        grad = grad.contiguous()
        grad_x = torch.bmm(grad, weight) if ctx.needs_input_grad[0] else None
        grad_weight = torch.bmm(grad.transpose(1, 2), x)
        grad_bias = grad.sum(1) if ctx.has_bias else None
        return grad_x, grad_weight, grad_bias


def _linear(stack: StackedModel, name: str, module: nn.Linear, x: torch.Tensor) -> torch.Tensor:
    bias = stack.parameter(f"{name}.bias") if module.bias is not None else None
    return _BatchedLinear.apply(x, stack.parameter(f"{name}.weight"), bias)


def _vector_lanes() -> int:
    """float32 lanes of torch's CPU kernels (0 when unknown: never share a kernel call)."""
    return {"AVX2": 8, "AVX512": 16}.get(torch.backends.cpu.get_cpu_capability(), 0)


def _batch_norm(stack: StackedModel, name: str, module: nn.BatchNorm1d, x: torch.Tensor):
    if x.dim() != 3:
        raise EnsembleUnsupported("BatchNorm1d on inputs other than [batch, features]")
    members, batch, features = x.shape
    training = stack.training or not module.track_running_stats
    running_mean = running_var = None
    if module.track_running_stats:
        running_mean = stack.buffers[f"{name}.running_mean"]
        running_var = stack.buffers[f"{name}.running_var"]
        if stack.training:
            stack.buffers[f"{name}.num_batches_tracked"].add_(1)
    weight = bias = None
    if module.affine:
        weight = stack.parameter(f"{name}.weight")
        bias = stack.parameter(f"{name}.bias")
    lanes = _vector_lanes()
    if lanes and features % lanes == 0:
        # member-major channels stay aligned with the single model's vector chunks
        def flat(tensor):
            return None if tensor is None else tensor.reshape(-1)

        out = F.batch_norm(
            x.transpose(0, 1).reshape(batch, members * features),
            flat(running_mean), flat(running_var), flat(weight), flat(bias),
            training, module.momentum, module.eps,
        )  # fmt: skip
        return out.view(batch, members, features).transpose(0, 1)
    # a feature count that ends in a scalar tail: one kernel call per member
    x = x.contiguous()

    def row(tensor, m):
        return None if tensor is None else tensor[m]

    return torch.stack(
        [
            F.batch_norm(
                x[m],
                row(running_mean, m),
                row(running_var, m),
                row(weight, m),
                row(bias, m),
                training,
                module.momentum,
                module.eps,
            )
            for m in range(members)
        ]
    )


def _relu(stack: StackedModel, name: str, module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return F.relu(x)


def _identity(stack: StackedModel, name: str, module: nn.Module, x: torch.Tensor):
    return x


# module type -> batched implementation (stack, qualified name, module, x) -> y
BATCHED_MODULES: dict[type, Callable] = {
    nn.Linear: _linear,
    nn.BatchNorm1d: _batch_norm,
    nn.ReLU: _relu,
    nn.Identity: _identity,
}

# functions the traced graph may call directly (elementwise, member-agnostic)
BATCHED_FUNCTIONS: dict[Callable, Callable] = {
    F.relu: lambda x, inplace=False: F.relu(x),
    torch.relu: torch.relu,
    operator.add: operator.add,
    operator.mul: operator.mul,
}


def _reader(node: torch.fx.Node) -> Callable[[dict], tuple[list, dict]]:
    """``values -> (args, kwargs)`` of ``node``, each input node replaced by its value."""
    nested = (tuple, list, dict, slice)
    if node.kwargs or any(isinstance(arg, nested) for arg in node.args):
        return lambda values: (
            torch.fx.node.map_arg(node.args, lambda n: values[n.name]),
            torch.fx.node.map_arg(node.kwargs, lambda n: values[n.name]),
        )
    plan = [(a.name, None) if isinstance(a, torch.fx.Node) else (None, a) for a in node.args]
    return lambda values: ([arg if name is None else values[name] for name, arg in plan], {})


def _check_momentum(module: nn.Module) -> None:
    if isinstance(module, nn.BatchNorm1d) and module.momentum is None:
        raise EnsembleUnsupported("BatchNorm1d with momentum=None (cumulative average)")


class StackedModel:
    """``M`` same-architecture models as one ``[M, P]`` parameter tensor (see module doc)."""

    def __init__(self, models: list[nn.Module]) -> None:
        if not models:
            raise ValueError("an ensemble needs at least one model")
        self.size = len(models)
        self.template = models[0]
        try:
            self.graph = torch.fx.symbolic_trace(self.template).graph
        except Exception as error:  # any tracing failure means "not stackable"
            raise EnsembleUnsupported(f"the model is not fx-traceable: {error}") from error
        self.modules = dict(self.template.named_modules())
        self._check_graph()
        self._compile()
        names = [name for name, _ in self.template.named_parameters()]
        self.shapes = {name: p.shape for name, p in self.template.named_parameters()}
        self.offsets: dict[str, tuple[int, int]] = {}
        offset = 0
        for name in names:
            size = self.shapes[name].numel()
            self.offsets[name] = (offset, offset + size)
            offset += size
        rows = [
            torch.cat([p.detach().reshape(-1) for p in model.parameters()])
            if names
            else torch.zeros(0)
            for model in models
        ]
        self.flat = torch.stack(rows).contiguous()
        # each parameter is a leaf view into ``flat``: the backward pass ends at the
        # parameters (no slice/view nodes), and updates of ``flat`` show through
        self.leaves = {
            name: self.flat[:, start:stop].view(self.size, *self.shapes[name]).requires_grad_()
            for name, (start, stop) in self.offsets.items()
        }
        self.buffers = {
            name: torch.stack([dict(model.named_buffers())[name] for model in models]).clone()
            for name, _ in self.template.named_buffers()
        }
        self.training = True

    def _check_graph(self) -> None:
        for node in self.graph.nodes:
            if node.op == "call_module":
                module = self.modules[node.target]
                if type(module) not in BATCHED_MODULES:
                    raise EnsembleUnsupported(f"layer {node.target} ({type(module).__name__})")
                _check_momentum(module)
            elif node.op == "call_function" and node.target not in BATCHED_FUNCTIONS:
                raise EnsembleUnsupported(f"function {getattr(node.target, '__name__', node)}")
            elif node.op in ("call_method", "get_attr"):
                raise EnsembleUnsupported(f"{node.op} {node.target}")

    def _compile(self) -> None:
        """The graph as (name, batched function, argument reader) steps: no per-call lookups."""
        self._inputs = [node.name for node in self.graph.nodes if node.op == "placeholder"]
        outputs = [node.args[0] for node in self.graph.nodes if node.op == "output"]
        if not outputs:
            raise EnsembleUnsupported("the traced graph has no output")
        self._output = outputs[0]
        self._program = []
        for node in self.graph.nodes:
            if node.op == "call_module":
                module = self.modules[node.target]
                layer = BATCHED_MODULES[type(module)]
                batched = functools.partial(layer, self, node.target, module)
            elif node.op == "call_function":
                batched = BATCHED_FUNCTIONS[node.target]
            else:
                continue
            self._program.append((node.name, batched, _reader(node)))

    def parameter(self, name: str) -> torch.Tensor:
        """Member-stacked view ``[M, *shape]`` of parameter ``name`` (an autograd leaf)."""
        return self.leaves[name]

    def gradient(self, output: torch.Tensor, grad_output: torch.Tensor) -> torch.Tensor:
        """The ``[M, P]`` gradient of ``output`` (seeded with ``grad_output``) wrt ``flat``."""
        leaves = list(self.leaves.values())
        grads = torch.autograd.grad(output, leaves, grad_output, allow_unused=True)
        rows = [
            torch.zeros_like(leaf) if grad is None else grad for leaf, grad in zip(leaves, grads)
        ]
        if not rows:
            return torch.zeros_like(self.flat)
        return torch.cat([row.reshape(self.size, -1) for row in rows], dim=1)

    def train(self, mode: bool = True) -> StackedModel:
        self.training = mode
        return self

    def eval(self) -> StackedModel:
        return self.train(False)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """Forward ``x`` ``[M, B, features]`` through every member; returns ``[M, B, out]``."""
        values: dict[str, object] = dict.fromkeys(self._inputs, x)
        for name, batched, read in self._program:
            args, kwargs = read(values)
            values[name] = batched(*args, **kwargs)
        return torch.fx.node.map_arg(self._output, lambda n: values[n.name])

    def write_back(self, models: list[nn.Module]) -> None:
        """Copy each member's parameters and buffers into ``models[m]``."""
        with torch.no_grad():
            for index, model in enumerate(models):
                for name, parameter in model.named_parameters():
                    start, stop = self.offsets[name]
                    parameter.copy_(self.flat[index, start:stop].view_as(parameter))
                for name, buffer in model.named_buffers():
                    buffer.copy_(self.buffers[name][index])


def stack_models(models: list[nn.Module]) -> StackedModel:
    """A :class:`StackedModel` of ``models``; raises :class:`EnsembleUnsupported`."""
    return StackedModel(models)
