"""Which weights to prune: group scores (method x granularity) and exact selection (scope).

A *group* is the unit pruned together: one element (``elementwise``), one
output channel (``channel``: a row of a Linear weight, a filter of a conv) or
one kernel (``kernel``: the ``[k...]`` slice for one output/input channel pair
of a conv). A method scores each group (``l1-norm``: mean |w|, ``l2-norm``:
root-mean-square, ``random``: uniform noise from a seeded generator; means, so
groups of layers with different fan-in compare under global scope). A scope
turns scores into masks that hit the target *exactly*: local prunes
``round(s * groups)`` lowest-scoring groups of each layer; global ranks the
groups of all layers together and prunes the lowest ones until
``round(s * elements)`` elements are pruned (to within one group). Ties are
broken by position (stable sort), so masks are deterministic.

>>> import torch
>>> w = torch.tensor([[0.1, -3.0], [2.0, 0.01]])
>>> masks = select_masks({"fc": w}, sparsity=0.5, scope="local", granularity="elementwise",
...                      method="l1-norm")
>>> masks["fc"].tolist()
[[False, True], [True, False]]
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from carve.errors import CarveError
from carve.registry import Registry

GRANULARITIES: Registry[Callable[[Tensor], Tensor]] = Registry("granularity")
METHODS: Registry[Callable[[Tensor, torch.Generator], Tensor]] = Registry("method")
SCOPES: Registry[Callable[..., dict[str, Tensor]]] = Registry("scope")


@GRANULARITIES.register("elementwise", description="each element on its own")
def _elements(weight: Tensor) -> Tensor:
    return weight.reshape(-1, 1)


@GRANULARITIES.register("channel", description="whole output channels (rows / filters)")
def _channels(weight: Tensor) -> Tensor:
    return weight.reshape(weight.shape[0], -1)


@GRANULARITIES.register("kernel", description="one kernel per (output, input) channel (conv)")
def _kernels(weight: Tensor) -> Tensor:
    if weight.dim() < 3:
        raise CarveError(
            "granularity 'kernel' applies to conv weights [out, in, k...]; this layer's weight "
            f"has shape {list(weight.shape)} (use elementwise or channel)"
        )
    return weight.reshape(weight.shape[0] * weight.shape[1], -1)


@METHODS.register("l1-norm", description="mean |w| of the group")
def _l1(groups: Tensor, generator: torch.Generator) -> Tensor:
    return groups.abs().mean(dim=1)


@METHODS.register("l2-norm", description="root-mean-square of the group")
def _l2(groups: Tensor, generator: torch.Generator) -> Tensor:
    return groups.square().mean(dim=1).sqrt()


@METHODS.register("random", description="uniform random scores (seeded)")
def _random(groups: Tensor, generator: torch.Generator) -> Tensor:
    return torch.rand(groups.shape[0], generator=generator).to(groups.device)


def _prune_lowest(scores: Tensor, count: int) -> Tensor:
    """Group mask keeping all but the ``count`` lowest scores (ties: earlier position first)."""
    keep = torch.ones(scores.numel(), dtype=torch.bool, device=scores.device)
    keep[torch.argsort(scores, stable=True)[:count]] = False
    return keep


@SCOPES.register("local", description="each layer pruned to its own target")
def _local(scores: dict[str, Tensor], sizes: dict[str, int], sparsity) -> dict[str, Tensor]:
    targets = sparsity if isinstance(sparsity, dict) else dict.fromkeys(scores, sparsity)
    return {name: _prune_lowest(s, round(targets[name] * s.numel())) for name, s in scores.items()}


@SCOPES.register("global", description="all layers ranked together against one target")
def _global(scores: dict[str, Tensor], sizes: dict[str, int], sparsity) -> dict[str, Tensor]:
    names = list(scores)
    flat = torch.cat([scores[n].float() for n in names])
    group_size = torch.cat([torch.full((scores[n].numel(),), sizes[n], dtype=torch.long,
                                       device=flat.device) for n in names])  # fmt: skip
    total = int(group_size.sum())
    target = round(sparsity * total)
    order = torch.argsort(flat, stable=True)
    pruned = torch.cumsum(group_size[order], 0)
    # prune the prefix whose element count is closest to the target (exact for elementwise)
    count = int(torch.searchsorted(pruned, torch.tensor(target, device=flat.device), right=True))
    if count < len(order) and abs(int(pruned[count]) - target) < abs(
        (int(pruned[count - 1]) if count else 0) - target
    ):
        count += 1
    keep = torch.ones(flat.numel(), dtype=torch.bool, device=flat.device)
    keep[order[:count]] = False
    out, start = {}, 0
    for name in names:
        out[name] = keep[start : start + scores[name].numel()]
        start += scores[name].numel()
    return out


def select_masks(
    weights: dict[str, Tensor],
    sparsity: float | dict[str, float],
    scope: str,
    granularity: str,
    method: str,
    seed: int = 0,
) -> dict[str, Tensor]:
    """Boolean keep-masks (True = kept), one per weight, shaped like it; see the module doc."""
    grouping, scoring, selecting = GRANULARITIES[granularity], METHODS[method], SCOPES[scope]
    generator = torch.Generator().manual_seed(seed)
    scores, sizes = {}, {}
    with torch.no_grad():
        for name, weight in weights.items():
            try:
                groups = grouping(weight.detach())
            except CarveError as error:
                raise CarveError(f"node {name!r}: {error}") from None
            scores[name], sizes[name] = scoring(groups, generator), groups.shape[1]
    kept = selecting(scores, sizes, sparsity)
    return {
        name: kept[name][:, None].expand(-1, sizes[name]).reshape(weights[name].shape).clone()
        for name in weights
    }


def magnitude_threshold(values: list[Tensor], sparsity: float) -> float:
    """The |x| threshold below (or at) which ``round(sparsity * N)`` of ``values`` lie.

    >>> magnitude_threshold([torch.tensor([1.0, -4.0]), torch.tensor([2.0, 3.0])], 0.5)
    2.0
    """
    flat = torch.cat([v.detach().abs().flatten().float() for v in values])
    count = round(sparsity * flat.numel())
    if count == 0:
        return -1.0  # |x| > -1 keeps everything
    return float(torch.kthvalue(flat.cpu(), count).values)
