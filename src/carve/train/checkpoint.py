"""carve's training checkpoint: everything needed to continue a run exactly.

A checkpoint is a plain dict of tensors, numbers, strings and lists, so it loads
with ``torch.load(weights_only=True)``:

``format``/``version``, ``model_name``, ``state_dict`` (model), ``optimizer``,
``scheduler``, ``epoch`` (epochs completed), ``global_step`` (optimizer steps),
``rng`` (torch, shuffling generator, Python and NumPy states), ``history``
(per-epoch metrics), ``best_val_loss``, ``config`` (the effective config) and
``tensorboard_version``, and ``digest``: a content hash of all the rest,
checked on every load (a flipped bit is an error naming the file, not a
silently wrong model). Files are written atomically.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from carve.errors import CarveError
from carve.fileio import atomic_torch_save
from carve.models.load import (
    CARVE_FORMAT,
    DIGEST_KEY,
    check_carve_checkpoint,
    checkpoint_digest,
    is_carve_checkpoint,
    safe_torch_load,
)

VERSION = 1


def capture_rng(generator) -> dict[str, Any]:
    """Random states of torch, the shuffling ``generator``, Python and NumPy."""
    import numpy as np
    import torch

    kind, keys, pos, has_gauss, cached = np.random.get_state(legacy=True)
    version, internal, gauss = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "shuffle": generator.get_state(),
        "python": [version, list(internal), gauss],
        "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, cached],
    }


def restore_rng(states: dict[str, Any], generator) -> None:
    """Inverse of :func:`capture_rng`."""
    import numpy as np
    import torch

    torch.set_rng_state(states["torch"])
    generator.set_state(states["shuffle"])
    version, internal, gauss = states["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, pos, has_gauss, cached = states["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))


def build_checkpoint(
    *,
    model,
    optimizer_state: dict[str, Any],
    scheduler_state: dict[str, Any],
    generator,
    epoch: int,
    global_step: int,
    history: list[dict[str, Any]],
    best_val_loss: float,
    config: dict[str, Any],
    tensorboard_version: int | None,
) -> dict[str, Any]:
    """The checkpoint dict of a run at an epoch boundary.

    Model tensors are copied: a training model's parameters may be views into
    the optimizer's flat buffer, which ``torch.save`` would store whole. A model
    loaded from a saved (quantized) graph embeds that graph's files, so the
    checkpoint loads back as the quantized model.
    """
    from carve.train.graph_checkpoint import CHECKPOINT_KEY, graph_files_of

    graph_files = graph_files_of(model)
    extra = {} if graph_files is None else {CHECKPOINT_KEY: graph_files}
    return {
        "format": CARVE_FORMAT,
        "version": VERSION,
        "model_name": config.get("model"),
        "state_dict": _owned_state_dict(model),
        "optimizer": optimizer_state,
        "scheduler": scheduler_state,
        "epoch": epoch,
        "global_step": global_step,
        "rng": capture_rng(generator),
        "history": [dict(row) for row in history],
        "best_val_loss": best_val_loss,
        "config": dict(config),
        "tensorboard_version": tensorboard_version,
        **extra,
    }


def _owned_state_dict(model) -> dict[str, Any]:
    """``model.state_dict()`` with every tensor in its own storage (metadata kept)."""
    state = model.state_dict()
    for name, tensor in state.items():
        state[name] = tensor.detach().clone()
    return state


def save_checkpoint(checkpoint: dict[str, Any], path: str | Path) -> Path:
    """Write ``checkpoint`` atomically, with its content hash (checked when it is read back).

    A kill mid-save leaves the previous file.
    """
    stamped = {k: v for k, v in checkpoint.items() if k != DIGEST_KEY}
    stamped[DIGEST_KEY] = checkpoint_digest(stamped)
    return atomic_torch_save(stamped, path)


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load a carve checkpoint safely; other files are a CarveError."""
    checkpoint = safe_torch_load(path)
    if not is_carve_checkpoint(checkpoint):
        raise CarveError(f"{str(path)!r} is not a carve training checkpoint")
    if checkpoint.get("version") != VERSION:
        raise CarveError(
            f"{str(path)!r} has checkpoint version {checkpoint.get('version')}, "
            f"this carve reads version {VERSION}"
        )
    return check_carve_checkpoint(checkpoint, path)


def commit_epoch(
    output_dir: Path, checkpoint: dict[str, Any], history: list[dict[str, Any]], improved: bool
) -> None:
    """Write one epoch's files as one commit: ``metrics.csv``, ``best.ckpt``, then ``last.ckpt``.

    ``last.ckpt`` is the commit marker: a kill before it leaves the previous
    epoch's ``last.ckpt``, and ``--resume`` replays the epoch, rewriting the
    other two files with the same (deterministic) content. A Ctrl-C during the
    writes waits until they are done.
    """
    from carve.train.interrupts import deferred_interrupt
    from carve.train.loggers import write_csv

    folder = output_dir / "training_ckpts"
    with deferred_interrupt():
        write_csv(history, output_dir / "metrics.csv")
        if improved:
            save_checkpoint(checkpoint, folder / "best.ckpt")
        save_checkpoint(checkpoint, folder / "last.ckpt")
