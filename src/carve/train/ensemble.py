"""Train several runs of one model together, as one vectorised ensemble.

Runs that differ only in seed, learning rate or weight decay take the same
number of steps with the same batch size, so a study can step them together:
one batched forward/backward (:mod:`carve.train.ensemble_layers`) and one
optimizer update (:mod:`carve.train.optimizers`, shared with the engine) for all members. Tiny
models leave the CPU idle between small kernels, so this is several times
faster than training the runs one after the other.

Each member reproduces :func:`carve.train.train` for its own config bit for
bit: the same seeded initialisation, its own shuffling generator (a batch of
member ``m`` gathers rows ``perm_m[start:stop]``, exactly the slice the
sequential loop takes), its own optimizer state and cosine schedule, the same
training loss/accuracy bookkeeping, the same validation (:func:`evaluate` on
the member's own model) and the same checkpoints, metrics.csv and TensorBoard
logs. tests/study/test_ensemble.py checks equality against sequential runs.

>>> from carve.config import CarveConfig
>>> from carve.data import get_dataset
>>> data = get_dataset("jsc-synth", size=600, cache=False)
>>> base = CarveConfig(model="jsc-tiny", dataset="jsc-synth", max_epochs=1, batch_size=64)
>>> configs = [base.replace(learning_rate=lr) for lr in (1e-3, 1e-2)]
>>> [len(r.history) for r in train_ensemble(configs, data, write_files=False)]
[1, 1]
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from carve.config import CarveConfig
from carve.errors import CarveError
from carve.train.engine import build_model, resolve_device, seed_everything
from carve.train.record import EpochRecord, RunRecord, TrainResult

# config keys members may differ in; all other options must be equal to share steps
MEMBER_KEYS = ("seed", "learning_rate", "weight_decay", "project", "project_dir", "progress")


def ensemble_key(config: CarveConfig) -> tuple:
    """Runs with equal keys can train as one ensemble (same steps, same batches sizes)."""
    return tuple(
        (name, value) for name, value in sorted(config.to_dict().items()) if name not in MEMBER_KEYS
    )


def ensemble_supported(config: CarveConfig) -> str | None:
    """Why ``config`` cannot train in an ensemble, or None when it can."""
    from carve.train.optimizers import OPTIMIZERS

    if config.training_optimizer not in OPTIMIZERS:
        return f"{config.training_optimizer} has no batched form (carve's adam, adamw, sgd do)"
    if config.accumulate_grad_batches != 1:
        return "accumulate_grad_batches != 1"
    if config.max_steps > 0:
        return "max_steps is set"
    if config.load_name is not None:
        return "a checkpoint is loaded"
    if resolve_device(config.accelerator).type != "cpu":
        return "the ensemble trainer runs on the CPU"
    return None


class _Member:
    """One run inside the ensemble: its model, cosine schedule, generator and files."""

    def __init__(self, config: CarveConfig, info, output_dir: Path | None) -> None:
        import torch

        from carve.train.optimizers import CosineSchedule

        self.config = config
        self.model = build_model(config, info)
        self.schedule = CosineSchedule(config.learning_rate, config.effective_t_max,
                                       config.eta_min)  # fmt: skip
        self.generator = torch.Generator().manual_seed(config.seed)
        self.output_dir = output_dir
        self.record = RunRecord()
        self.tensorboard = None
        self.tensorboard_version: int | None = None

    @property
    def lr(self) -> float:
        return self.schedule.lr

    def open_logs(self) -> None:
        from carve.train.loggers import TensorBoardLog, next_tensorboard_version

        if self.output_dir is None:
            return
        root = self.output_dir / "tensorboard"
        self.tensorboard_version = next_tensorboard_version(root)
        folder = root / f"version_{self.tensorboard_version}"
        self.tensorboard = TensorBoardLog(folder, self.config.to_dict())

    def save_epoch(self, epoch: int, global_step: int, improved: bool,
                   optimizer_state: Callable[[], dict[str, Any]]) -> None:  # fmt: skip
        from carve.train.checkpoint import build_checkpoint, commit_epoch

        if self.output_dir is None:
            return
        state = build_checkpoint(
            model=self.model,
            optimizer_state=optimizer_state(),
            scheduler_state=self.schedule.state_dict(),
            generator=self.generator,
            epoch=epoch,
            global_step=global_step,
            history=self.record.history,
            best_val_loss=self.record.best_val_loss,
            config=self.config.to_dict(),
            tensorboard_version=self.tensorboard_version,
        )
        commit_epoch(self.output_dir, state, self.record.history, improved)

    def result(self, interrupted: bool) -> TrainResult:
        return self.record.result(self.output_dir, interrupted, self.model)


def _finish_epoch(
    member: _Member,
    optimizer_state: Callable[[], dict[str, Any]],
    dataset,
    epoch: int,
    global_step: int,
    lr: float,
    train_loss: float,
    train_acc: float,
    train_seconds: float,
) -> dict[str, Any]:
    """Validation, schedule step, history row, logs and checkpoints: as the engine's epoch end.

    ``train_seconds`` is the member's share of the ensemble's training time; its
    ``seconds`` adds the member's own validation, as the engine's rows do.
    """
    from carve.train.evaluate import evaluate

    started = time.perf_counter()
    val = evaluate(member.model, dataset.val)
    member.schedule.step()
    record = EpochRecord(
        epoch=epoch,
        global_step=global_step,
        lr=lr,
        train_loss=train_loss,
        train_acc=train_acc,
        val_loss=val["loss"],
        val_acc=val["acc"],
        train_seconds=train_seconds,
        seconds=train_seconds + (time.perf_counter() - started),
    )
    improved = member.record.add(record)
    row = record.row()
    if member.tensorboard is not None:
        member.tensorboard.epoch(row)
    seed_everything(member.config.seed)  # the global RNG state a sequential run would save
    member.save_epoch(epoch, global_step, improved, optimizer_state)
    return row


def _train_epoch(
    stack,
    optimizer,
    members: list[_Member],
    split,
    batch_size: int,
    global_step: int,
    on_batch,
    replay: list[bool | None],
) -> tuple[list, list, int]:
    """One epoch of every member; returns (train losses, train accuracies, global step).

    ``replay[0]`` says whether batch losses are replayed at the epoch's end
    (:mod:`carve.train.ensemble_loss`); it is settled on the first batch by
    comparing the replay with torch, and stays False (one ``nll_loss`` per
    member and batch) if they ever differ.
    """
    import torch
    from torch.nn import functional

    from carve.data import num_batches
    from carve.train.ensemble_loss import matches_torch, mean_nll, row_nll, row_weights

    count, rows = len(members), len(split)
    features = split.x.shape[1]
    orders = torch.stack([torch.randperm(rows, generator=m.generator) for m in members])
    learning_rates = [member.lr for member in members]
    log_every = [m.config.log_every_n_steps if m.tensorboard else None for m in members]
    logging = any(every is not None for every in log_every)
    total = num_batches(rows, batch_size)
    row_losses, losses, sizes, hits = [], [], [], []
    weights: dict[int, torch.Tensor] = {}  # batch size -> backward seed
    stack.train()
    for index, start in enumerate(range(0, rows, batch_size)):
        # batch-major rows (member m's row b at b * M + m): BatchNorm's [B, M * F] is a view
        chosen = orders[:, start : start + batch_size].t().reshape(-1)
        size = chosen.numel() // count
        x = split.x.index_select(0, chosen).view(size, count, features).transpose(0, 1)
        y = split.y.index_select(0, chosen).view(size, count).t()
        out = stack(x)
        log_probs = out.log_softmax(-1)
        nll = row_nll(log_probs, y)
        if size not in weights:
            weights[size] = row_weights(nll)
        # each member's mean loss, differentiated as cross_entropy is
        optimizer.step(stack.gradient(nll, weights[size]), learning_rates)
        global_step += 1
        with torch.no_grad():
            if replay[0] is None:
                replay[0] = matches_torch(log_probs, y)
            if replay[0]:
                row_losses.append(nll.detach())
            else:
                pairs = zip(log_probs.detach().unbind(0), y.unbind(0))
                losses.append(torch.stack([functional.nll_loss(lp, t) for lp, t in pairs]))
            hits.append(out.argmax(dim=2) == y)
        sizes.append(size)
        if logging and any(e is not None and global_step % e == 0 for e in log_every):
            values = mean_nll(nll.detach()) if replay[0] else losses[-1]
            for member, every, loss in zip(members, log_every, values.tolist()):
                if every is not None and global_step % every == 0:
                    member.tensorboard.step(global_step, loss)
        if on_batch is not None:
            on_batch(index + 1, total)
    if replay[0]:
        full = [batch for batch in row_losses if batch.shape[1] == batch_size]
        table = mean_nll(torch.stack(full)) if full else torch.zeros(0, count)
        if len(full) < len(row_losses):
            table = torch.cat([table, mean_nll(row_losses[-1]).unsqueeze(0)])
    else:
        table = torch.stack(losses)
    correct = torch.cat(hits, dim=1).sum(dim=1)
    counts = torch.tensor(sizes, dtype=torch.float64)
    train_losses = [
        float((table[:, m].double().contiguous() * counts).sum() / counts.sum())
        for m in range(count)
    ]
    train_accs = [c / float(counts.sum()) for c in correct.tolist()]
    return train_losses, train_accs, global_step


def train_ensemble(
    configs: Sequence[CarveConfig],
    dataset,
    *,
    output_dirs: Sequence[str | Path | None] | None = None,
    write_files: bool = True,
    on_batch: Callable[[int, int], None] | None = None,
    on_epoch: Callable[[int, list[dict[str, Any]]], None] | None = None,
) -> list[TrainResult]:
    """Train ``configs`` (equal :func:`ensemble_key`) together; one result per config.

    ``output_dirs[m]`` receives member ``m``'s checkpoints and logs, laid out as
    :func:`carve.train.train` lays them out (``write_files=False`` or no
    ``output_dirs``: no files). ``on_batch(done, total)`` and ``on_epoch(epoch,
    rows)`` report progress. A row's ``train_seconds`` is the ensemble's training
    time divided by the number of members (the amortised cost of one run), and
    its ``seconds`` adds that member's validation (:mod:`carve.train.record`).
    """
    from carve.train.ensemble_layers import stack_models
    from carve.train.optimizers import build_update, row_state_dict
    from carve.train.threads import apply_num_threads

    configs = list(configs)
    if not configs:
        return []
    if len({ensemble_key(config) for config in configs}) != 1:
        raise CarveError("train_ensemble: the configs differ in more than seed, lr, weight decay")
    for config in configs:
        reason = ensemble_supported(config)
        if reason is not None:
            raise CarveError(f"cannot train this run in an ensemble: {reason}")
    if output_dirs is None or not write_files:
        output_dirs = [None] * len(configs)
    members = [
        _Member(config, dataset.info, Path(folder) if folder is not None else None)
        for config, folder in zip(configs, output_dirs)
    ]
    config = configs[0]
    apply_num_threads(config.num_threads, sum(p.numel() for p in members[0].model.parameters()))
    stack = stack_models([member.model for member in members])
    optimizer = build_update(
        config.training_optimizer, stack.flat, [c.weight_decay for c in configs]
    )
    slices = [
        (index, *stack.offsets[name], tuple(parameter.shape))
        for index, (name, parameter) in enumerate(members[0].model.named_parameters())
    ]

    def member_state(row: int) -> Callable[[], dict[str, Any]]:
        """Member ``row``'s optimizer state dict, built only when a checkpoint is written."""
        member = members[row]  # its lr is read after the epoch's schedule step, as torch's
        return lambda: row_state_dict(
            optimizer, row, slices, member.lr, member.config.learning_rate,
            member.config.weight_decay,
        )  # fmt: skip

    for member in members:
        member.open_logs()
    global_step, interrupted = 0, False
    replay: list[bool | None] = [None]  # settled on the first batch
    try:
        for epoch in range(1, config.max_epochs + 1):
            started = time.perf_counter()
            learning_rates = [member.lr for member in members]
            train_losses, train_accs, global_step = _train_epoch(
                stack, optimizer, members, dataset.train, config.batch_size, global_step, on_batch,
                replay,
            )  # fmt: skip
            stack.write_back([member.model for member in members])
            train_seconds = (time.perf_counter() - started) / len(members)
            rows = []
            for row, member in enumerate(members):
                rows.append(
                    _finish_epoch(member, member_state(row), dataset, epoch, global_step,
                                  learning_rates[row], train_losses[row], train_accs[row],
                                  train_seconds)
                )  # fmt: skip
            if on_epoch is not None:
                on_epoch(epoch, rows)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        for member in members:
            if member.tensorboard is not None:
                member.tensorboard.close()
    return [member.result(interrupted) for member in members]
