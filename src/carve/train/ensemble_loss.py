"""Batch losses exactly as ``cross_entropy`` reports them, for many batches in a few ops.

The training loss a run reports is the mean over batches of
``cross_entropy(out, y)``, whose value torch's CPU kernel sums with a fixed
cascade: a running sum flushed into the next of eight levels at every 16th
row (row 0 flushes through all levels), the levels added in order at the
end, then one division by the row count. Replaying that order on a
``[rows, batch]`` table of per-row losses (:func:`row_nll`) gives, for every row, the
same float32 value as one ``nll_loss`` call, with a few dozen vectorised ops
per epoch instead of one call per member per batch. :func:`matches_torch`
checks the replay against torch on real data, so the ensemble trainer can fall
back to per-batch calls if a torch version ever sums differently.

>>> import torch
>>> log_probs = torch.randn(3, 40, 5).log_softmax(-1)
>>> target = torch.randint(0, 5, (3, 40))
>>> pairs = zip(log_probs, target)
>>> reference = torch.stack([torch.nn.functional.nll_loss(lp, t) for lp, t in pairs])
>>> torch.equal(mean_nll(row_nll(log_probs, target)), reference)
True
"""

from __future__ import annotations

import torch

LEVELS = 8  # the kernel's cascade depth
STEP = 16  # rows between flushes (2**4 for every batch below 2**32 rows)


def _sequential_sum(values: torch.Tensor) -> torch.Tensor:
    """``((0 + v0) + v1) + ...`` along the last dimension (zeros when it is empty)."""
    total = torch.zeros(values.shape[:-1], dtype=values.dtype)
    for index in range(values.shape[-1]):
        total = total + values[..., index]
    return total


def _level(values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """One cascade level: (sums flushed upward, one per 16th index; sum left at this level)."""
    count = values.shape[-1]
    flushes = (count - 1) // STEP + 1
    first = values[..., :1]  # index 0 flushes on its own
    full = values[..., 1 : STEP * (flushes - 1) + 1]
    blocks = full.reshape(*values.shape[:-1], flushes - 1, STEP)
    flushed = torch.cat([first, _sequential_sum(blocks)], dim=-1)
    left = _sequential_sum(values[..., STEP * (flushes - 1) + 1 :])
    return flushed, left


def row_nll(log_probs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Each row's ``-log_probs[..., target]`` (``[..., batch]``), by one differentiable call.

    Backpropagating ``1 / batch`` (:func:`row_weights`) through it hands
    ``log_softmax`` the gradient a mean ``nll_loss`` would: ``-(1 / batch)`` at
    the target, zero elsewhere.
    """
    from torch.nn import functional

    flat = functional.nll_loss(
        log_probs.reshape(-1, log_probs.shape[-1]), target.reshape(-1), reduction="none"
    )
    return flat.view(target.shape)


def row_weights(like: torch.Tensor) -> torch.Tensor:
    """``1 / batch`` (divided in float32, as ``nll_loss`` does) shaped like ``like``."""
    return torch.ones_like(like) / like.shape[-1]


def mean_nll(losses: torch.Tensor) -> torch.Tensor:
    """``nll_loss`` (mean) of each row of ``losses`` (``[..., batch]``, from :func:`row_nll`)."""
    values = losses
    partials = []
    for _ in range(LEVELS - 1):
        values, left = _level(values)
        partials.append(left)
    partials.append(_sequential_sum(values))  # the top level keeps everything
    total = torch.zeros(losses.shape[:-1], dtype=losses.dtype)
    for partial in partials:
        total = total + partial
    return total / losses.shape[-1]


def matches_torch(log_probs: torch.Tensor, target: torch.Tensor) -> bool:
    """Whether :func:`mean_nll` equals torch's ``nll_loss`` on ``[M, batch, classes]`` data."""
    from torch.nn import functional

    reference = torch.stack([functional.nll_loss(lp, t) for lp, t in zip(log_probs, target)])
    return torch.equal(mean_nll(row_nll(log_probs, target)), reference)
