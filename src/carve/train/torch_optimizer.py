"""Any ``torch.optim`` optimizer class, named by path, behind the engine's optimizer interface.

carve's own Adam, AdamW and SGD (:mod:`carve.train.optimizers`) stay the
default: they are fused, batched for study ensembles and keep ``torch._dynamo``
out of the import. Every other optimizer comes from ``torch.optim`` (or any
module) by path, e.g. ``--optimizer torch.optim.RMSprop`` or
``training_optimizer = "torch.optim.Adagrad"`` in a TOML file, and trains
through :class:`TorchOptimizer` with the same learning rate, weight decay,
cosine schedule and checkpoints.

Trust: a path is imported (``importlib.import_module`` runs the module's
top-level code) and its class called, so ``training_optimizer =
"pkg.mod.Class"`` in a config has the trust level of ``--model-file``: it runs
whatever code that module holds (README, "Trust").

>>> import torch
>>> layer = torch.nn.Linear(2, 1)
>>> opt = TorchOptimizer("torch.optim.RMSprop", layer.parameters(), 0.01, 0.0)
>>> type(opt.optimizer).__name__, opt.lr
('RMSprop', 0.01)
>>> optimizer_class("torch.optim.RMSProp")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
carve.errors.CarveError: ...: torch.optim has no RMSProp; did you mean 'RMSprop'?
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterable
from typing import Any

from carve.errors import CarveError


def optimizer_class(path: str) -> type:
    """The ``torch.optim.Optimizer`` subclass at ``path`` (``module.Class`` or ``module:Class``)."""
    import torch

    module_name, _, attribute = path.rpartition(":" if ":" in path else ".")
    where = f"training_optimizer {path!r}"
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise CarveError(f"{where}: cannot import {module_name!r} ({error})") from None
    found = getattr(module, attribute, None)
    if found is None:
        known = [n for n, v in vars(module).items() if _is_optimizer(v, torch)]
        close = difflib.get_close_matches(attribute, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; it has: {', '.join(sorted(known))}"
        raise CarveError(f"{where}: {module_name} has no {attribute}{hint}")
    if not _is_optimizer(found, torch):
        raise CarveError(f"{where} is not a torch.optim.Optimizer class")
    return found


def _is_optimizer(value: Any, torch) -> bool:
    return isinstance(value, type) and issubclass(value, torch.optim.Optimizer)


class TorchOptimizer:
    """A ``torch.optim`` optimizer with the interface the engine and the schedule use.

    ``lr`` reads and sets every parameter group's learning rate (the cosine
    schedule writes it once per epoch); ``state_dict`` is torch's own.
    """

    def __init__(self, path: str, parameters: Iterable, learning_rate: float,
                 weight_decay: float) -> None:  # fmt: skip
        cls = optimizer_class(path)
        trainable = [p for p in parameters if p.requires_grad]
        options: dict[str, Any] = {"lr": learning_rate}
        if weight_decay:
            options["weight_decay"] = weight_decay
        try:
            self.optimizer = cls(trainable, **options)
        except (TypeError, ValueError) as error:
            raise CarveError(
                f"training_optimizer {path!r} cannot be built with {options} ({error})"
            ) from None
        if _needs_closure(cls):
            raise CarveError(
                f"training_optimizer {path!r} needs a closure that re-evaluates the loss "
                "each step; carve's loop takes one step per batch (use another optimizer)"
            )
        for group in self.optimizer.param_groups:
            group.setdefault("initial_lr", learning_rate)
        self.name = path

    @property
    def lr(self) -> float:
        return self.optimizer.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = value

    def step(self) -> None:
        self.optimizer.step()

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.optimizer.zero_grad(set_to_none=set_to_none)

    def state_dict(self) -> dict[str, Any]:
        return self.optimizer.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(state)

    def release(self) -> None:
        """Nothing to do: torch's optimizers leave the parameters' storage alone."""


def _needs_closure(cls: type) -> bool:
    """True for optimizers whose ``step`` has a required ``closure`` (LBFGS)."""
    import inspect

    parameter = inspect.signature(cls.step).parameters.get("closure")
    return parameter is not None and parameter.default is inspect.Parameter.empty
