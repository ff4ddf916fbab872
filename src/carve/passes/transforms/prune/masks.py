"""How masks live on modules: weight parametrizations and activation pre-hooks.

Weights: :class:`WeightMask` is a ``torch.nn.utils.parametrize``
parametrization, ``weight = original * mask``. The mask is a bool *buffer*,
so it is part of the state dict (``<layer>.parametrizations.weight.0.mask``)
and survives checkpoints and saved graphs; gradients of pruned entries are
zero and a pruned weight stays exactly zero while training.
:func:`bake_masks` removes the parametrization and leaves the masked values.

Activations (as MASE): a forward pre-hook masks the layer's input on every
call and leaves the mask in ``module.activation_mask``.

>>> import torch
>>> from torch import nn
>>> layer = nn.Linear(2, 2)
>>> set_weight_mask(layer, "weight", torch.tensor([[True, False], [False, True]]))
>>> bool(layer.weight[0, 1] == 0), sorted(layer.state_dict())[-1]
(True, 'parametrizations.weight.original')
>>> bake_masks(layer)
['weight']
>>> type(layer).__name__, bool(layer.weight[0, 1] == 0)
('Linear', True)
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils import parametrize

from carve.errors import CarveError


class WeightMask(nn.Module):
    """Parametrization ``tensor * mask`` with a fixed bool mask (True = kept)."""

    def __init__(self, mask: Tensor) -> None:
        super().__init__()
        self.register_buffer("mask", mask.detach().to(torch.bool).clone())

    def forward(self, tensor: Tensor) -> Tensor:
        return tensor * self.mask


def weight_mask(module: nn.Module, name: str = "weight") -> WeightMask | None:
    """The :class:`WeightMask` on ``module.<name>``, or None."""
    if not parametrize.is_parametrized(module, name):
        return None
    masks = [p for p in module.parametrizations[name] if isinstance(p, WeightMask)]
    return masks[0] if masks else None


def set_weight_mask(module: nn.Module, name: str, mask: Tensor) -> None:
    """Mask ``module.<name>`` with ``mask``: a new parametrization, or an update of ours."""
    existing = weight_mask(module, name)
    if existing is not None:
        existing.mask.copy_(mask.to(existing.mask.device))
        return
    masks = {}
    if parametrize.is_parametrized(module):
        # torch adds the new property to the module's class, which deep copies of the
        # module share: rebuild this module's parametrizations on a fresh class instead
        masks = {n: weight_mask(module, n).mask for n in module.parametrizations}
        bake_masks(module)
    masks[name] = mask
    for tensor_name, tensor_mask in masks.items():
        device = getattr(module, tensor_name).device
        parametrize.register_parametrization(module, tensor_name,
                                             WeightMask(tensor_mask.to(device)))  # fmt: skip


def bake_masks(module: nn.Module) -> list[str]:
    """Remove the mask parametrizations of ``module``, keeping the masked values; names baked.

    Done here rather than with ``parametrize.remove_parametrizations``, which
    deletes the property from the module's class - a class that deep copies of
    the module (other graphs) share.
    """
    if not parametrize.is_parametrized(module):
        return []
    names = list(module.parametrizations)
    for name in names:
        stack = module.parametrizations[name]
        if len(stack) != 1 or not isinstance(stack[0], WeightMask):
            raise CarveError(
                f"{type(module).__name__}.{name} has other parametrizations besides the pruning "
                "mask; remove them first"
            )
    values = {}
    with torch.no_grad():
        for name in names:
            original = module.parametrizations[name].original
            original.copy_(getattr(module, name))
            values[name] = original
    del module._modules["parametrizations"]
    module.__class__ = type(module).__bases__[0]  # the class before parametrization
    for name, original in values.items():
        if isinstance(original, nn.Parameter):
            module.register_parameter(name, original)
        else:
            module.register_buffer(name, original)
    return names


class ActivationMask:
    """Forward pre-hook masking a layer's first input (MASE's activation pruning).

    Local scope (``threshold`` None): in each sample, the ``round(sparsity *
    features)`` entries of lowest magnitude (or random ones) are zeroed, so a
    sample's result does not depend on the rest of its batch. Global scope: a
    fixed magnitude threshold shared by all layers (|x| <= threshold -> 0).
    """

    def __init__(self, sparsity: float, method: str, threshold: float | None, seed: int) -> None:
        self.sparsity, self.method, self.threshold = sparsity, method, threshold
        self.generator = torch.Generator().manual_seed(seed)

    def mask(self, x: Tensor) -> Tensor:
        if self.threshold is not None and self.method != "random":
            return x.abs() > self.threshold
        flat = x.reshape(x.shape[0], -1) if x.dim() > 1 else x.reshape(1, -1)
        if self.method == "random":
            scores = torch.rand(flat.shape, generator=self.generator).to(x.device)
        else:
            scores = flat.abs()
        count = round(self.sparsity * flat.shape[1])
        keep = torch.ones_like(flat, dtype=torch.bool)
        if count:
            lowest = torch.argsort(scores, dim=1, stable=True)[:, :count]
            keep.scatter_(1, lowest, False)
        return keep.reshape(x.shape)

    def __call__(self, module: nn.Module, args: tuple) -> tuple:
        x = args[0]
        mask = self.mask(x)
        module.activation_mask = mask
        return (x * mask, *args[1:])

    def __repr__(self) -> str:
        return (
            f"ActivationMask(sparsity={self.sparsity}, method={self.method!r}, "
            f"threshold={self.threshold})"
        )


def activation_hooks(module: nn.Module) -> dict[int, ActivationMask]:
    """The activation-mask pre-hooks on ``module`` by hook id."""
    return {k: h for k, h in module._forward_pre_hooks.items() if isinstance(h, ActivationMask)}


def set_activation_mask(module: nn.Module, hook: ActivationMask) -> None:
    """Install ``hook`` (replacing an earlier activation mask on this module)."""
    remove_activation_masks(module)
    module.register_forward_pre_hook(hook)


def remove_activation_masks(module: nn.Module) -> int:
    """Remove the activation-mask hooks of ``module``; how many were removed."""
    hooks = activation_hooks(module)
    for key in hooks:
        del module._forward_pre_hooks[key]
    if hooks and hasattr(module, "activation_mask"):
        del module.activation_mask
    return len(hooks)


def plain_state_key(key: str) -> str | None:
    """The state-dict key a tensor has without pruning masks (None for a mask itself).

    >>> plain_state_key("fc.parametrizations.weight.original"), plain_state_key("fc.bias")
    ('fc.weight', 'fc.bias')
    >>> plain_state_key("fc.parametrizations.weight.0.mask") is None
    True
    """
    head, found, tail = key.partition("parametrizations.")
    if not found:
        return key
    name, _, rest = tail.partition(".")
    return f"{head}{name}" if rest == "original" else None
