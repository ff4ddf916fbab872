"""Loss and accuracy of a model on a whole split, vectorised (no per-sample work)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

    from carve.data.base import Split

EVAL_BATCH_SIZE = 8192  # rows per forward pass: large batches, bounded memory


def evaluate(model: torch.nn.Module, split: Split, batch_size: int = EVAL_BATCH_SIZE) -> dict:
    """``{"loss": mean cross-entropy, "acc": accuracy}`` of ``model`` on ``split``.

    Runs in eval mode (BatchNorm uses running statistics) without gradients and
    restores the model's previous mode. ``batch_size`` only bounds memory: the
    result is the mean over all rows whatever it is.

    >>> import torch
    >>> from carve.data.base import Split
    >>> model = torch.nn.Linear(2, 2, bias=False)
    >>> _ = model.weight.data.copy_(torch.eye(2))
    >>> split = Split(torch.tensor([[2.0, 0.0], [0.0, 2.0], [2.0, 0.0]]), torch.tensor([0, 1, 1]))
    >>> metrics = evaluate(model, split)  # loss: (2 log(1 + e^-2) + log(1 + e^2)) / 3
    >>> round(metrics["acc"], 4), round(metrics["loss"], 4)
    (0.6667, 0.7936)
    """
    import torch

    was_training = model.training
    model.eval()
    device = next(iter(model.parameters()), torch.empty(0)).device
    totals = Totals(device)
    try:
        with torch.inference_mode():
            for start in range(0, len(split), batch_size):
                x = split.x[start : start + batch_size].to(device, non_blocking=True)
                y = split.y[start : start + batch_size].to(device, non_blocking=True)
                totals.add(model(x), y)
    finally:
        model.train(was_training)
    return totals.metrics(len(split))


class Totals:
    """Summed cross-entropy and correct predictions over batches of one split."""

    def __init__(self, device=None) -> None:
        import torch

        self.loss_sum = torch.zeros((), dtype=torch.float64, device=device)
        self.correct = torch.zeros((), dtype=torch.int64, device=device)

    def add(self, logits, y) -> None:
        from torch.nn import functional

        self.loss_sum += functional.cross_entropy(logits, y, reduction="sum").double()
        self.correct += (logits.argmax(dim=1) == y).sum()

    def metrics(self, rows: int) -> dict:
        """``{"loss": mean cross-entropy, "acc": accuracy}`` over ``rows`` rows."""
        n = max(rows, 1)
        return {"loss": self.loss_sum.item() / n, "acc": self.correct.item() / n}
