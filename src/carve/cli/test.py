"""``carve test MODEL DATASET --load CKPT [--load-type ours|pt|pl|auto]``: test-split metrics.

It says which rows it tests: the test split of DATASET at this command's
``--data-size`` (the full dataset without it), and, when the checkpoint is
carve's and was trained on another size, that size and the flag that tests
that run's own test split.
"""

from __future__ import annotations

import argparse

from carve.config import add_common_flags


def configure(parser: argparse.ArgumentParser) -> None:
    add_common_flags(parser)


def run(args: argparse.Namespace) -> int:
    from carve.cli.common import make_console, metrics_table, prepare_config, print_header
    from carve.errors import CarveError
    from carve.models import load_model
    from carve.train import apply_num_threads, build_model, evaluate, load_dataset, resolve_device

    config = prepare_config(args)
    if config.load_name is None:
        raise CarveError("carve test needs a checkpoint: pass --load PATH (e.g. .../best.ckpt)")
    console = make_console()
    print_header(config, console, project_line="")
    dataset = load_dataset(config)
    model = build_model(config, dataset.info)
    model = load_model(config.load_name, config.load_type, model)  # a saved graph: its module
    model.to(resolve_device(config.accelerator))
    # the thread policy carve train applies (1 thread for tiny models: 0.5 s -> 0.02 s cold)
    apply_num_threads(config.num_threads, sum(p.numel() for p in model.parameters()))
    metrics = evaluate(model, dataset.test)
    console.print(f"Checkpoint: {config.load_name}", soft_wrap=True)  # whole, to copy
    console.print(rows_line(config, len(dataset.test), trained_data_size(config)), soft_wrap=True)
    console.print(
        metrics_table(
            f"Test metrics ({len(dataset.test):,} rows)",
            {"test_acc": metrics["acc"], "test_loss": metrics["loss"]},
            column="Test metric",
        )
    )
    return 0


MISSING = object()


def trained_data_size(config) -> object:
    """``--data-size`` of the run that wrote a carve checkpoint file (None: the full
    dataset), or :data:`MISSING` when the checkpoint does not say (not carve's, a folder)."""
    from pathlib import Path

    from carve.models.load import is_carve_checkpoint, safe_torch_load

    path = Path(config.load_name)
    if not path.is_file():
        return MISSING
    checkpoint = safe_torch_load(path)
    if not is_carve_checkpoint(checkpoint):
        return MISSING
    trained = checkpoint.get("config") or {}
    if trained.get("dataset") not in (None, config.dataset):
        return MISSING
    return trained.get("data_size")


def rows_line(config, rows: int, trained: object) -> str:
    """Which rows ``carve test`` evaluates, and how they relate to the training run's."""
    size = config.data_size
    which = f"--data-size {size:,}" if size is not None else "the full dataset (no --data-size)"
    line = f"Test rows: {rows:,}, the test split of {config.dataset} at {which}"
    if trained is MISSING or trained == size:
        return line + ("" if trained is MISSING else ", as the checkpoint was trained")
    was = f"--data-size {trained}" if trained is not None else "the full dataset"
    flag = f"--data-size {trained}" if trained is not None else "no --data-size"
    return (f"{line}; the checkpoint was trained on {was}: pass {flag} to test that run's "
            "own test split")  # fmt: skip
