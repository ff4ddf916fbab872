"""Adam, AdamW, SGD and the cosine schedule: carve's one implementation of the update math.

The update rules work on a flat ``[M, P]`` tensor (``M`` models of ``P``
parameters each, every row with its own learning rate and weight decay): the
vectorised study ensemble steps ``M`` members at once, and the single-model
engine is the case ``M = 1`` (:class:`FlatOptimizer` makes a model's
parameters views into one ``[1, P]`` buffer, so one fused update runs per step).
The math is torch's, operation for operation (Adam/AdamW: the ``foreach`` form,
betas 0.9/0.999, eps 1e-8; SGD: momentum 0.9, Nesterov; all three honour the
weight decay, unlike MASE's SGD), so results equal ``torch.optim``'s bit for bit
(tests/train/test_optimizers.py). :class:`CosineSchedule` is torch's
``CosineAnnealingLR`` in its recursive form, stepped once per epoch.

Not using ``torch.optim`` itself keeps ``torch._dynamo`` (several seconds of
import time, pulled in by the first ``Optimizer.step``) out of ``carve train``.
State dicts keep torch's layout, so checkpoints written with ``torch.optim``
still resume. One difference: a trainable parameter that gets no gradient in a
step is stepped with a zero gradient (``torch.optim`` would skip it).

>>> import torch
>>> layer = torch.nn.Linear(2, 1)
>>> opt = build_optimizer("sgd", layer.parameters(), learning_rate=0.1, weight_decay=1e-3)
>>> group = opt.state_dict()["param_groups"][0]
>>> group["momentum"], group["nesterov"], group["weight_decay"]
(0.9, True, 0.001)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from carve.errors import CarveError
from carve.registry import Registry

OPTIMIZERS: Registry = Registry("optimizer")

# (torch parameter index, start, stop, shape) of each parameter inside a flat row
Slices = list[tuple[int, int, int, tuple[int, ...]]]


def _column(values: Sequence[float], like):
    """Per-row scalars as a ``[M, 1]`` column in ``like``'s dtype and device (the kernel's cast)."""
    import torch

    return torch.tensor(list(values), dtype=like.dtype, device=like.device).unsqueeze(1)


def _add_scaled(target, other, alphas: Sequence[float]):
    """``target[m] + alphas[m] * other[m]`` with torch's fused ``add(alpha=)`` (new tensor).

    Rows whose alpha is 0 are left untouched, as torch skips the step then.
    """
    if len(set(alphas)) == 1:
        return target.add(other, alpha=alphas[0]) if alphas[0] != 0 else target
    result = target.clone()
    for row, alpha in enumerate(alphas):
        if alpha != 0:
            result[row] = target[row].add(other[row], alpha=alpha)
    return result


class AdamUpdate:
    """torch's Adam/AdamW (``foreach`` form) on ``flat`` ``[M, P]``, one state row per model.

    Elementwise kernels give the same bits whatever the tensor's length, so a
    step with one scalar for all rows runs once on the whole tensor, and a step
    whose scalar differs between rows runs as an equivalent column product.
    """

    def __init__(self, flat, weight_decays: Sequence[float], decoupled: bool) -> None:
        import torch

        self.flat = flat
        self.weight_decays = list(weight_decays)
        self.decoupled = decoupled
        self.exp_avg = torch.zeros_like(flat)
        self.exp_avg_sq = torch.zeros_like(flat)
        self.steps = 0
        self.beta1, self.beta2, self.eps = 0.9, 0.999, 1e-8

    def step(self, grad, learning_rates: Sequence[float]) -> None:
        import torch

        with torch.no_grad():
            param = self.flat
            self.steps += 1
            step = float(self.steps)
            if any(self.weight_decays):
                if self.decoupled:
                    factors = [1 - lr * wd for lr, wd in zip(learning_rates, self.weight_decays)]
                    param.mul_(_column(factors, param))
                else:
                    grad = _add_scaled(grad, param, self.weight_decays)
            self.exp_avg.lerp_(grad, 1 - self.beta1)
            self.exp_avg_sq.mul_(self.beta2)
            self.exp_avg_sq.addcmul_(grad, grad, value=1 - self.beta2)
            bias_correction1 = 1 - self.beta1**step
            bias_correction2 = 1 - self.beta2**step
            step_sizes = [(lr / bias_correction1) * -1 for lr in learning_rates]
            denom = self.exp_avg_sq.sqrt()
            denom.div_(bias_correction2**0.5)
            denom.add_(self.eps)
            if len(set(step_sizes)) == 1:  # one model, or members sharing a learning rate
                param.addcdiv_(self.exp_avg, denom, value=step_sizes[0])
            else:  # on the CPU, addcdiv computes self + (value * t1) / t2 in the tensor's dtype
                param.addcdiv_(_column(step_sizes, param).mul(self.exp_avg), denom)

    def param_group(self, weight_decay: float) -> dict[str, Any]:
        """torch's Adam/AdamW hyper-parameters (without ``lr``/``params``)."""
        return {
            "betas": (self.beta1, self.beta2), "eps": self.eps, "weight_decay": weight_decay,
            "amsgrad": False, "maximize": False, "foreach": True, "capturable": False,
            "differentiable": False, "fused": None, "decoupled_weight_decay": self.decoupled,
        }  # fmt: skip

    def row_state(self, row: int, slices: Slices) -> dict[int, dict[str, Any]]:
        """Row ``row``'s moments in torch's per-parameter layout."""
        import torch

        if self.steps == 0:
            return {}
        step = torch.tensor(float(self.steps))
        return {
            index: {
                "step": step.clone(),
                "exp_avg": self.exp_avg[row, start:stop].view(shape).clone(),
                "exp_avg_sq": self.exp_avg_sq[row, start:stop].view(shape).clone(),
            }
            for index, start, stop, shape in slices
        }

    def load_row_state(self, row: int, slices: Slices, state: dict) -> None:
        import torch

        with torch.no_grad():
            for index, start, stop, _ in slices:
                if index in state:
                    self.steps = int(state[index]["step"])
                    self.exp_avg[row, start:stop] = state[index]["exp_avg"].reshape(-1)
                    self.exp_avg_sq[row, start:stop] = state[index]["exp_avg_sq"].reshape(-1)


class SGDUpdate:
    """torch's SGD with momentum 0.9 and Nesterov (single-tensor form) on ``flat`` ``[M, P]``."""

    def __init__(self, flat, weight_decays: Sequence[float]) -> None:
        self.flat = flat
        self.weight_decays = list(weight_decays)
        self.momentum = 0.9
        self.buffer = None

    def step(self, grad, learning_rates: Sequence[float]) -> None:
        import torch

        with torch.no_grad():
            param = self.flat
            grad = _add_scaled(grad, param, self.weight_decays)
            if self.buffer is None:
                self.buffer = grad.detach().clone()
            else:
                self.buffer.mul_(self.momentum).add_(grad, alpha=1)
            grad = grad.add(self.buffer, alpha=self.momentum)
            negative = [-lr for lr in learning_rates]
            if len(set(negative)) == 1:
                param.add_(grad, alpha=negative[0])
            else:
                for row, alpha in enumerate(negative):
                    param[row].add_(grad[row], alpha=alpha)

    def param_group(self, weight_decay: float) -> dict[str, Any]:
        """torch's SGD hyper-parameters (without ``lr``/``params``)."""
        return {
            "momentum": self.momentum, "dampening": 0, "weight_decay": weight_decay,
            "nesterov": True, "maximize": False, "foreach": None, "differentiable": False,
            "fused": None,
        }  # fmt: skip

    def row_state(self, row: int, slices: Slices) -> dict[int, dict[str, Any]]:
        """Row ``row``'s momentum buffer in torch's per-parameter layout."""
        if self.buffer is None:
            return {}
        return {
            index: {"momentum_buffer": self.buffer[row, start:stop].view(shape).clone()}
            for index, start, stop, shape in slices
        }

    def load_row_state(self, row: int, slices: Slices, state: dict) -> None:
        import torch

        with torch.no_grad():
            for index, start, stop, _ in slices:
                saved = state.get(index, {}).get("momentum_buffer")
                if saved is not None:
                    if self.buffer is None:
                        self.buffer = torch.zeros_like(self.flat)
                    self.buffer[row, start:stop] = saved.reshape(-1)


@OPTIMIZERS.register("adam")
def _adam(flat, weight_decays: Sequence[float]) -> AdamUpdate:
    return AdamUpdate(flat, weight_decays, decoupled=False)


@OPTIMIZERS.register("adamw")
def _adamw(flat, weight_decays: Sequence[float]) -> AdamUpdate:
    return AdamUpdate(flat, weight_decays, decoupled=True)


@OPTIMIZERS.register("sgd")
def _sgd(flat, weight_decays: Sequence[float]) -> SGDUpdate:
    return SGDUpdate(flat, weight_decays)


def build_update(name: str, flat, weight_decays: Sequence[float]):
    """The update rule ``name`` (adam, adamw, sgd) over ``flat`` ``[M, P]``, one decay per row."""
    return OPTIMIZERS[name](flat, weight_decays)


def row_state_dict(
    update, row: int, slices: Slices, lr: float, initial_lr: float, weight_decay: float
) -> dict[str, Any]:
    """Row ``row`` of ``update`` as a ``torch.optim`` state dict (one parameter group)."""
    group = {"lr": lr, **update.param_group(weight_decay), "initial_lr": initial_lr}
    group["params"] = sorted(index for index, *_ in slices)
    return {"state": update.row_state(row, slices), "param_groups": [group]}


class FlatOptimizer:
    """One model's optimizer: its trainable parameters become views into one ``[1, P]`` buffer.

    ``step()`` gathers the gradients into one tensor and runs the shared update
    once; ``lr`` is set by :class:`CosineSchedule`. :meth:`release` gives the
    parameters their own storage again (call it when training ends).
    """

    def __init__(self, name: str, parameters: Iterable, learning_rate: float,
                 weight_decay: float) -> None:  # fmt: skip
        import torch

        self.parameters = []
        self.slices: Slices = []
        offset = 0
        for index, parameter in enumerate(parameters):
            if parameter.requires_grad:
                self.parameters.append(parameter)
                size = parameter.numel()
                self.slices.append((index, offset, offset + size, tuple(parameter.shape)))
                offset += size
        kinds = {(p.dtype, p.device) for p in self.parameters}
        if len(kinds) > 1:
            raise CarveError(
                "carve's optimizer needs all trainable parameters in one dtype and on one "
                f"device; this model has {sorted(str(k) for k in kinds)}"
            )
        with torch.no_grad():
            rows = [p.detach().reshape(-1) for p in self.parameters]
            self.flat = (torch.cat(rows) if rows else torch.zeros(0)).unsqueeze(0)
            for parameter, (_, start, stop, _) in zip(self.parameters, self.slices):
                parameter.data = self.flat[0, start:stop].view_as(parameter)
        self.name = name
        self.lr = self.initial_lr = learning_rate
        self.weight_decay = weight_decay
        self.update = build_update(name, self.flat, [weight_decay])

    def step(self) -> None:
        import torch

        grads = [
            p.grad.reshape(-1) if p.grad is not None else torch.zeros_like(p).reshape(-1)
            for p in self.parameters
        ]
        if grads:
            self.update.step(torch.cat(grads).unsqueeze(0), [self.lr])

    def zero_grad(self, set_to_none: bool = True) -> None:
        for parameter in self.parameters:
            parameter.grad = None

    def state_dict(self) -> dict[str, Any]:
        """torch's optimizer state dict layout."""
        return row_state_dict(
            self.update, 0, self.slices, self.lr, self.initial_lr, self.weight_decay
        )

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.lr = state["param_groups"][0]["lr"]
        self.initial_lr = state["param_groups"][0].get("initial_lr", self.initial_lr)
        self.update.load_row_state(0, self.slices, state["state"])

    def release(self) -> None:
        """Give every parameter its own storage (the model no longer aliases the buffer)."""
        for parameter in self.parameters:
            parameter.data = parameter.data.clone()


def build_optimizer(name: str, parameters, learning_rate: float, weight_decay: float):
    """The optimizer ``name`` over ``parameters``.

    carve's built-ins (adam, adamw, sgd) give a :class:`FlatOptimizer`; any other
    name is a ``torch.optim`` class path (``torch.optim.RMSprop``) and gives a
    :class:`carve.train.torch_optimizer.TorchOptimizer`.
    """
    if name in OPTIMIZERS:
        return FlatOptimizer(name, parameters, learning_rate, weight_decay)
    from carve.train.torch_optimizer import TorchOptimizer

    return TorchOptimizer(name, parameters, learning_rate, weight_decay)


class CosineSchedule:
    """torch's ``CosineAnnealingLR`` (recursive form) from ``base_lr`` to ``eta_min``.

    ``step()`` once per epoch; ``lr`` is the current value and is written to
    ``optimizer.lr`` when an optimizer is given.

    >>> schedule = CosineSchedule(0.1, t_max=2, eta_min=0.0)
    >>> for _ in range(2):
    ...     schedule.step()
    >>> round(schedule.lr, 12)
    0.0
    """

    def __init__(self, base_lr: float, t_max: int, eta_min: float, optimizer=None) -> None:
        self.base_lr = base_lr
        self.t_max = t_max
        self.eta_min = eta_min
        self.lr = base_lr
        self.last_epoch = 0
        self.optimizer = optimizer

    def step(self) -> None:
        self.last_epoch += 1
        epoch, t_max, eta_min = self.last_epoch, self.t_max, self.eta_min
        if (epoch - 1 - t_max) % (2 * t_max) == 0:
            self.lr = self.lr + (self.base_lr - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
        else:
            self.lr = (1 + math.cos(math.pi * epoch / t_max)) / (
                1 + math.cos(math.pi * (epoch - 1) / t_max)
            ) * (self.lr - eta_min) + eta_min
        if self.optimizer is not None:
            self.optimizer.lr = self.lr

    def state_dict(self) -> dict[str, Any]:
        """torch's ``CosineAnnealingLR`` state dict layout."""
        return {
            "T_max": self.t_max, "eta_min": self.eta_min, "base_lrs": [self.base_lr],
            "last_epoch": self.last_epoch, "_step_count": self.last_epoch + 1,
            "_is_initial": False, "_get_lr_called_within_step": False, "_last_lr": [self.lr],
        }  # fmt: skip

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.t_max, self.eta_min = state["T_max"], state["eta_min"]
        self.base_lr = state["base_lrs"][0]
        self.last_epoch = state["last_epoch"]
        self.lr = state["_last_lr"][0]
        if self.optimizer is not None:
            self.optimizer.lr = self.lr


def build_scheduler(optimizer, t_max: int, eta_min: float) -> CosineSchedule:
    """Cosine annealing of ``optimizer.lr`` to ``eta_min`` over ``t_max`` epochs."""
    return CosineSchedule(optimizer.lr, t_max, eta_min, optimizer)
