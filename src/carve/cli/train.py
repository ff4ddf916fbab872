"""``carve train MODEL DATASET [flags]``: train, checkpoint, log; ``--resume`` continues.

Each run writes its own ``<project>/software/version_N`` (``software/latest``
points at the newest), so no run replaces another; ``--resume [RUN]`` picks
the run to continue (the latest by default).
"""

from __future__ import annotations

import argparse

from carve.config import add_common_flags


def configure(parser: argparse.ArgumentParser) -> None:
    add_common_flags(parser)
    parser.add_argument(
        "--resume",
        nargs="?",
        const=True,
        default=False,
        metavar="RUN",
        help="continue a run of the project from its training_ckpts/last.ckpt: the latest "
        "(software/latest) or the one named, e.g. --resume version_0",
    )


def run(args: argparse.Namespace) -> int:
    from carve.cli.common import (
        make_console,
        metrics_table,
        model_summary_table,
        prepare_config,
        print_header,
    )
    from carve.pipeline.training import run_training, setup_training

    _check_run_name(args.resume)
    config = prepare_config(args)
    if args.resume and config.load_name is not None:
        from carve.errors import CarveError

        raise CarveError(
            "--resume continues the project's own training_ckpts/last.ckpt and would ignore "
            f"--load {config.load_name}; pass one of them (--load starts a new run from a "
            "checkpoint's weights)"
        )
    console = make_console()
    print_header(config, console)
    setup = setup_training(config)
    if setup.loaded_from is not None:
        console.print(f"Loaded weights from {setup.loaded_from}")
    console.print(model_summary_table(setup.model))
    outcome = run_training(config, setup, console=console, resume=args.resume)
    result = outcome.result
    if result.interrupted:
        console.print(
            f"Interrupted. {result.last_checkpoint} holds the last completed epoch; "
            "continue with the same command plus --resume",
            soft_wrap=True,
        )
        return 130
    console.print(metrics_table("Final metrics", result.final))
    if setup.pruning is not None:
        steps = ", ".join(f"epoch {e + 1}: {s:.1%}" for e, s in outcome.pruning_targets
                          if isinstance(s, float))  # fmt: skip
        console.print(f"Gradual pruning, weight sparsity targets: {steps or 'per node'}")
    if outcome.graph_dir is not None:
        console.print(f"Trained graph (reload with --load): {outcome.graph_dir}", soft_wrap=True)
    console.print(f"Run folder: {result.output_dir}", soft_wrap=True)
    console.print(f"Best checkpoint (min val_loss): {result.best_checkpoint}", soft_wrap=True)
    console.print(f"Last checkpoint: {result.last_checkpoint}", soft_wrap=True)
    console.print(f"TensorBoard: tensorboard --logdir {result.output_dir}", soft_wrap=True)
    return 0


def _check_run_name(resume: bool | str) -> None:
    """``--resume`` takes ``latest``, ``version_N`` or ``N``; catch a swallowed MODEL."""
    import re

    from carve.errors import CarveError

    if isinstance(resume, str) and not re.fullmatch(r"latest|version_\d+|\d+", resume):
        raise CarveError(
            f"--resume {resume!r}: a run is named latest or version_N (the folders under "
            "<project>/software/); to continue the latest run put --resume after MODEL DATASET"
        )
