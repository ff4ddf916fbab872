"""``carve transform --config cfg.toml [--load ckpt]``: run the config's ``[passes.*]`` in order.

As MASE's ``ch transform``: the model (with the ``--load`` weights, or a graph
saved by carve) becomes a MaseGraph with common and software metadata, every
``[passes.<name>]`` table runs in file order (quantize, profile_statistics,
report_graph, verify_quantization, save_mase_graph...), the test-split
accuracy is printed before and after, and the transformed graph is saved to
``<project_dir>/<project>/software/transform/version_N/transformed_ckpt/``
(reload it with ``carve test/train --load <that folder>``; ``transform/latest``
points at the newest, and no transform replaces another). Quantization
summaries go to ``transform/version_N/quantize/``. Without ``--load`` the
model is untrained: a loud warning says so. The work is :func:`carve.pipeline.run_transform`;
this module only prints.
"""

from __future__ import annotations

import argparse

from carve.config import add_common_flags


def configure(parser: argparse.ArgumentParser) -> None:
    add_common_flags(parser)
    parser.add_argument(
        "--verify-warn-only", action="store_true",
        help="when [passes.verify_quantization] fails, warn and save the graph anyway "
        "(default: exit 1 without saving it)",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from carve.cli.common import make_console, metrics_table, prepare_config, print_header
    from carve.logs import shown
    from carve.pipeline.transform import run_transform, transform_passes
    from carve.vocabulary import accept_transform_table

    config = prepare_config(args)
    transform_passes(config)  # no [passes.*] tables: one-line error before any output
    accept_transform_table(config.tables.get("transform"), config.config or "the config")
    console = make_console()
    print_header(config, console)
    if config.load_name is None:
        console.print(
            f"[bold red]WARNING: no --load given: transforming an UNTRAINED {config.model} "
            "(random initial weights).[/] Pass --load .../best.ckpt to transform a trained model.",
            soft_wrap=True,
        )

    def verified(results) -> bool:  # a graph whose verification failed is not saved
        return args.verify_warn_only or all(r.info.verdict is not False for r in results)

    result = run_transform(config, save_if=verified, mase_files=True)
    logged = shown("carve.passes")  # the passes log their tables at info: print them once
    for pass_result in result.results:
        for text in pass_result.info.terminal_text(logged):
            console.print(text, soft_wrap=True, markup=False)
    before, after = result.before, result.after
    console.print(metrics_table(
        f"Test split ({result.test_rows:,} rows)",
        {"accuracy before": before["acc"], "accuracy after": after["acc"],
         "loss before": before["loss"], "loss after": after["loss"]},
    ))  # fmt: skip
    failed = [r.name for r in result.results if r.info.verdict is False]
    if failed and not args.verify_warn_only:
        import sys

        print(f"carve: verification failed ({', '.join(failed)}); the transformed graph was "
              "not saved (--verify-warn-only saves it anyway)", file=sys.stderr)  # fmt: skip
        return 1
    console.print(f"Transformed graph saved to {result.saved_dir}", soft_wrap=True)
    return 0
