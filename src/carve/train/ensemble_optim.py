"""Adam, AdamW and SGD over an ensemble's ``[M, P]`` parameter tensor, one state per member.

Each member has its own learning rate and weight decay and its own moment
buffers (rows of ``[M, P]`` state tensors), and its update is the one torch's
optimizer (as built by :func:`carve.train.optimizers.build_optimizer`) applies
to that member alone, operation for operation: elementwise kernels give the
same bits whatever the tensor's length, so a shared-scalar step runs once on
the whole ``[M, P]`` tensor, and a step whose scalar differs between members
(learning rate, weight decay) runs either as an equivalent per-member column
product or, where torch fuses multiply-add (``add(alpha=...)``), once per row.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from carve.registry import Registry

ENSEMBLE_OPTIMIZERS: Registry = Registry("optimizer")


def _column(values: Sequence[float], like: torch.Tensor) -> torch.Tensor:
    """Per-member scalars as a ``[M, 1]`` column in ``like``'s dtype (the kernel's cast)."""
    return torch.tensor(list(values), dtype=torch.float64).to(like.dtype).unsqueeze(1)


def _add_scaled(target: torch.Tensor, other: torch.Tensor, alphas: Sequence[float]) -> torch.Tensor:
    """``target[m] + alphas[m] * other[m]`` with torch's fused ``add(alpha=)`` (new tensor).

    Members whose alpha is 0 are left untouched, as torch skips the step then.
    """
    if len(set(alphas)) == 1:
        return target.add(other, alpha=alphas[0]) if alphas[0] != 0 else target
    result = target.clone()
    for row, alpha in enumerate(alphas):
        if alpha != 0:
            result[row] = target[row].add(other[row], alpha=alpha)
    return result


class EnsembleAdam:
    """torch's Adam/AdamW (``foreach`` form, betas 0.9/0.999, eps 1e-8) per member."""

    def __init__(self, flat: torch.Tensor, weight_decays: Sequence[float], decoupled: bool):
        self.flat = flat
        self.weight_decays = list(weight_decays)
        self.decoupled = decoupled
        self.exp_avg = torch.zeros_like(flat)
        self.exp_avg_sq = torch.zeros_like(flat)
        self.steps = 0
        self.beta1, self.beta2, self.eps = 0.9, 0.999, 1e-8

    @torch.no_grad()
    def step(self, grad: torch.Tensor, learning_rates: Sequence[float]) -> None:
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
        # addcdiv computes self + (value * t1) / t2 in the tensor's dtype
        param.add_(_column(step_sizes, param).mul(self.exp_avg).div_(denom))

    def export_state(self, row: int, offsets: dict, model, optimizer) -> None:
        """Put member ``row``'s moments into its own torch ``optimizer`` (for checkpoints)."""
        step = torch.tensor(float(self.steps))
        for name, parameter in model.named_parameters():
            start, stop = offsets[name]
            optimizer.state[parameter] = {
                "step": step.clone(),
                "exp_avg": self.exp_avg[row, start:stop].view_as(parameter).clone(),
                "exp_avg_sq": self.exp_avg_sq[row, start:stop].view_as(parameter).clone(),
            }


class EnsembleSGD:
    """torch's SGD with momentum 0.9 and Nesterov (single-tensor form) per member."""

    def __init__(self, flat: torch.Tensor, weight_decays: Sequence[float]):
        self.flat = flat
        self.weight_decays = list(weight_decays)
        self.momentum = 0.9
        self.buffer: torch.Tensor | None = None

    @torch.no_grad()
    def step(self, grad: torch.Tensor, learning_rates: Sequence[float]) -> None:
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

    def export_state(self, row: int, offsets: dict, model, optimizer) -> None:
        """Put member ``row``'s momentum buffer into its own torch ``optimizer``."""
        if self.buffer is None:
            return
        for name, parameter in model.named_parameters():
            start, stop = offsets[name]
            buffer = self.buffer[row, start:stop].view_as(parameter).clone()
            optimizer.state[parameter] = {"momentum_buffer": buffer}


@ENSEMBLE_OPTIMIZERS.register("adam")
def _adam(flat: torch.Tensor, weight_decays: Sequence[float]) -> EnsembleAdam:
    return EnsembleAdam(flat, weight_decays, decoupled=False)


@ENSEMBLE_OPTIMIZERS.register("adamw")
def _adamw(flat: torch.Tensor, weight_decays: Sequence[float]) -> EnsembleAdam:
    return EnsembleAdam(flat, weight_decays, decoupled=True)


@ENSEMBLE_OPTIMIZERS.register("sgd")
def _sgd(flat: torch.Tensor, weight_decays: Sequence[float]) -> EnsembleSGD:
    return EnsembleSGD(flat, weight_decays)


def build_ensemble_optimizer(name: str, flat: torch.Tensor, weight_decays: Sequence[float]):
    """The per-member optimizer ``name`` (adam, adamw, sgd) over ``flat`` ``[M, P]``."""
    return ENSEMBLE_OPTIMIZERS[name](flat, weight_decays)
