"""``carve test MODEL DATASET --load CKPT [--load-type ours|pt|pl|auto]``: test-split metrics."""

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
    console.print(
        metrics_table(
            f"Test metrics ({len(dataset.test):,} rows)",
            {"test_acc": metrics["acc"], "test_loss": metrics["loss"]},
            column="Test metric",
        )
    )
    return 0
