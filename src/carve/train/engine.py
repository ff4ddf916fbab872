"""The training loop: whole-tensor batches, exact resume, checkpoints and logs.

No Lightning and no DataLoader: each epoch draws one permutation from a seeded
generator and slices it (:func:`carve.data.iterate_batches`). Per-batch work is
forward, loss, backward and (every ``accumulate_grad_batches``) an optimizer
step; training accuracy is computed once per epoch from the kept logits.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from carve.config import CarveConfig
from carve.errors import CarveError
from carve.train.checkpoint import (
    build_checkpoint,
    commit_epoch,
    read_checkpoint,
    restore_rng,
    save_checkpoint,
)
from carve.train.evaluate import evaluate
from carve.train.interrupts import deferred_interrupt
from carve.train.loggers import TensorBoardLog, next_tensorboard_version
from carve.train.optimizers import build_optimizer, build_scheduler
from carve.train.progress import CHECK_EVERY, EpochProgress
from carve.train.record import EpochRecord, RunRecord, TrainResult
from carve.train.run_folder import run_folder
from carve.train.threads import apply_num_threads

# config keys that must match for --resume to continue the same run
RESUME_KEYS = (
    "model", "dataset", "data_size", "data_path", "batch_size", "learning_rate", "weight_decay",
    "training_optimizer", "max_epochs", "t_max", "eta_min", "accumulate_grad_batches", "seed",
)  # fmt: skip


def resolve_device(accelerator: str):
    """The torch device for ``accelerator`` (auto: cuda when available, else cpu)."""
    import torch

    if accelerator == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if accelerator in ("gpu", "cuda"):
        if not torch.cuda.is_available():
            raise CarveError(f"accelerator {accelerator!r} asked for, but no CUDA GPU is visible")
        return torch.device("cuda")
    if accelerator == "mps":
        if not torch.backends.mps.is_available():
            raise CarveError("accelerator 'mps' asked for, but MPS is not available")
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int) -> None:
    """Seed torch, Python and NumPy (model init and any user randomness)."""
    import random

    import numpy as np
    import torch

    torch.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed)


class _Run:
    """State of one training run (kept together so checkpoints capture all of it)."""

    def __init__(self, config: CarveConfig, dataset, model, output_dir: Path | None, console,
                 progress: bool) -> None:  # fmt: skip
        import torch

        if config.num_devices != 1:
            raise CarveError("carve trains on one device; set --devices 1")
        self.config = config
        self.device = resolve_device(config.accelerator)
        self.dataset = dataset
        self.model = model.to(self.device)
        self.optimizer = build_optimizer(
            config.training_optimizer,
            self.model.parameters(),
            config.learning_rate,
            config.weight_decay,
        )
        self.scheduler = build_scheduler(self.optimizer, config.effective_t_max, config.eta_min)
        self.generator = torch.Generator().manual_seed(config.seed)
        self.epoch = 0
        self.global_step = 0
        self.record = RunRecord()
        self.output_dir = output_dir
        self.console = console
        self.progress = progress
        self.tensorboard_version: int | None = None
        self.tensorboard: TensorBoardLog | None = None
        self.saved_last = False
        self.epoch_hooks: Sequence[Callable[[int, Any], None]] = ()

    # -- files -----------------------------------------------------------------------------
    @property
    def ckpt_dir(self) -> Path | None:
        return None if self.output_dir is None else self.output_dir / "training_ckpts"

    def checkpoint(self) -> dict[str, Any]:
        return build_checkpoint(
            model=self.model,
            optimizer_state=self.optimizer.state_dict(),
            scheduler_state=self.scheduler.state_dict(),
            generator=self.generator,
            epoch=self.epoch,
            global_step=self.global_step,
            history=self.record.history,
            best_val_loss=self.record.best_val_loss,
            config=self.config.to_dict(),
            tensorboard_version=self.tensorboard_version,
        )

    def resume_from(self, path: Path) -> None:
        state = read_checkpoint(path)
        saved = state["config"]
        current = self.config.to_dict()
        differ = [k for k in RESUME_KEYS if saved.get(k) != current.get(k)]
        if differ:
            listing = ", ".join(f"{k} (checkpoint {saved.get(k)!r}, now {current.get(k)!r})"
                                for k in differ)  # fmt: skip
            raise CarveError(f"cannot resume from {str(path)!r}: settings differ: {listing}")
        from carve.models.load import load_state_dict_checked

        load_state_dict_checked(self.model, state["state_dict"], f"checkpoint {str(path)!r}")
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        restore_rng(state["rng"], self.generator)
        self.epoch = state["epoch"]
        self.global_step = state["global_step"]
        self.record.restore(state["history"], state["best_val_loss"], state["global_step"])
        self.tensorboard_version = state.get("tensorboard_version")

    def open_logs(self) -> None:
        if self.output_dir is None:
            return
        root = self.output_dir / "tensorboard"
        if self.tensorboard_version is None:
            self.tensorboard_version = next_tensorboard_version(root)
        folder = root / f"version_{self.tensorboard_version}"
        # a resumed run replays from global_step + 1: hide what a killed run logged from there
        purge = self.global_step + 1 if self.epoch or self.global_step else None
        self.tensorboard = TensorBoardLog(folder, self.config.to_dict(), purge_step=purge)

    def save_epoch(self, improved: bool) -> None:
        if self.ckpt_dir is None:
            return
        try:
            commit_epoch(self.output_dir, self.checkpoint(), self.record.history, improved)
        except KeyboardInterrupt:  # deferred: it arrives only once the files are complete
            self.saved_last = True
            raise
        self.saved_last = True

    # -- loop ------------------------------------------------------------------------------
    def train_epoch(self, progress: EpochProgress) -> tuple[EpochRecord, bool]:
        """One epoch; returns (its record, whether max_steps stopped it)."""
        import torch
        from torch.nn import functional

        from carve.data import iterate_batches, num_batches

        config, model, optimizer = self.config, self.model, self.optimizer
        split = self.dataset.train
        accumulate = config.accumulate_grad_batches
        max_steps = config.max_steps if config.max_steps > 0 else None
        log_every = config.log_every_n_steps if self.tensorboard is not None else None
        batches = num_batches(len(split), config.batch_size)
        lr = optimizer.lr
        started = time.perf_counter()
        progress.start_epoch(self.epoch, batches)
        model.train()
        losses, outputs, targets = [], [], []
        stopped = False
        step = self.global_step
        for index, (x, y) in enumerate(
            iterate_batches(split, config.batch_size, shuffle=True, generator=self.generator)
        ):
            out = model(x)
            loss = functional.cross_entropy(out, y)
            (loss / accumulate if accumulate > 1 else loss).backward()
            losses.append(loss.detach())
            outputs.append(out.detach())
            targets.append(y)
            if (index + 1) % accumulate == 0 or index + 1 == batches:
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
                step += 1
                if log_every is not None and step % log_every == 0:
                    self.tensorboard.step(step, loss.item())
                if max_steps is not None and step >= max_steps:
                    stopped = True
                    break
            if index % CHECK_EVERY == 0:
                progress.batch(index + 1)
        self.global_step = step
        done = len(losses)
        sizes = torch.tensor([len(t) for t in targets], dtype=torch.float64)
        train_loss = float((torch.stack(losses).double().cpu() * sizes).sum() / sizes.sum())
        correct = (torch.cat(outputs).argmax(dim=1) == torch.cat(targets)).sum().item()
        train_seconds = time.perf_counter() - started
        val = evaluate(model, self.dataset.val)
        self.scheduler.step()
        self.epoch += 1
        record = EpochRecord(
            epoch=self.epoch,
            global_step=self.global_step,
            lr=lr,
            train_loss=train_loss,
            train_acc=correct / float(sizes.sum()),
            val_loss=val["loss"],
            val_acc=val["acc"],
            train_seconds=train_seconds,
            seconds=time.perf_counter() - started,
        )
        progress.end_epoch(record.row(), done)
        return record, stopped

    def fit(self) -> bool:
        """Train until max_epochs (or max_steps); returns True if interrupted by Ctrl-C."""
        config = self.config
        max_steps = config.max_steps if config.max_steps > 0 else None
        if max_steps is not None and self.global_step >= max_steps:
            return False
        start_state = self.checkpoint() if self.ckpt_dir is not None else None
        self.open_logs()
        try:
            with EpochProgress(self.console, config.max_epochs, live=self.progress) as progress:
                while self.epoch < config.max_epochs:
                    for hook in self.epoch_hooks:  # e.g. gradual pruning's mask update
                        hook(self.epoch, self.model)
                    record, stopped = self.train_epoch(progress)
                    improved = self.record.add(record)
                    if self.tensorboard is not None:
                        self.tensorboard.epoch(record.row())
                    self.save_epoch(improved)
                    if stopped:
                        break
        except KeyboardInterrupt:
            if start_state is not None and not self.saved_last:
                with deferred_interrupt():  # a second Ctrl-C waits for the file
                    save_checkpoint(start_state, self.ckpt_dir / "last.ckpt")
            return True
        finally:
            if self.tensorboard is not None:
                self.tensorboard.close()
        return False


def load_dataset(config: CarveConfig):
    """The dataset named by ``config`` with its options (``data_path``, ``data_size``)."""
    from carve.data import get_dataset

    return get_dataset(config.dataset, **config.dataset_options())


def build_model(config: CarveConfig, dataset_info=None):
    """The model named by ``config``, initialised from ``config.seed``."""
    from carve.models import get_model

    seed_everything(config.seed)
    return get_model(config.model, task=config.task, dataset_info=dataset_info)


def train(
    config: CarveConfig,
    *,
    dataset=None,
    model=None,
    output_dir: str | Path | None = None,
    write_files: bool = True,
    resume: bool | str = False,
    console=None,
    progress: bool | None = None,
    epoch_hooks: Sequence[Callable[[int, Any], None]] = (),
) -> TrainResult:
    """Train ``config.model`` on ``config.dataset`` and return the per-epoch history.

    ``dataset``/``model`` default to the ones ``config`` names (the model seeded
    with ``config.seed``; a given model is used as is, e.g. after ``load_model``).
    Files go to a new run folder ``<project_dir>/<project>/software/version_N``
    (``software/latest`` points at it; an earlier run is never replaced), or
    to ``output_dir`` when given (which must not already hold a run):
    ``training_ckpts/{best,last}.ckpt``, ``metrics.csv`` and
    ``tensorboard/version_0``; ``write_files=False`` writes nothing. The run
    folder is locked while training (a second process gets a clear error).
    ``resume`` (True for the latest run, or a run name such as
    ``"version_2"``) continues from that run's ``training_ckpts/last.ckpt`` and
    ends with exactly the metrics of an uninterrupted run. ``console`` (a ``rich.console.Console``)
    receives the live progress (``progress=False``: one line per epoch).
    A Ctrl-C ends training cleanly with ``result.interrupted`` set and
    ``last.ckpt`` holding the last completed epoch. ``epoch_hooks`` are called
    as ``hook(epoch, model)`` before each epoch (0-based; also after a resume).
    """
    if dataset is None:
        dataset = load_dataset(config)
    if model is None:
        model = build_model(config, dataset.info)
    seed_everything(config.seed)  # same RNG start whether the model was given or built
    with run_folder(config, output_dir, resume, write_files) as output_dir:
        apply_num_threads(config.num_threads, sum(p.numel() for p in model.parameters()))
        run = _Run(config, _on_device(dataset, config), model, output_dir, console,
                   config.progress if progress is None else progress)  # fmt: skip
        run.epoch_hooks = tuple(epoch_hooks)
        if resume:
            run.resume_from(output_dir / "training_ckpts" / "last.ckpt")
        try:
            interrupted = run.fit()
        finally:
            run.optimizer.release()  # the returned model owns its parameters again
    return run.record.result(output_dir, interrupted, run.model)


def _on_device(dataset, config: CarveConfig):
    """``dataset`` with train/val splits on the run's device (unchanged on CPU)."""
    device = resolve_device(config.accelerator)
    if device.type == "cpu":
        return dataset
    import dataclasses

    from carve.data.base import Split

    def move(split):
        return Split(split.x.to(device), split.y.to(device))

    return dataclasses.replace(dataset, train=move(dataset.train), val=move(dataset.val))
