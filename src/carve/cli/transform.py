"""``carve transform --config cfg.toml [--load ckpt]``: run the config's ``[passes.*]`` in order.

As MASE's ``ch transform``: the model (with the ``--load`` weights, or a graph
saved by carve) becomes a MaseGraph with common and software metadata, every
``[passes.<name>]`` table runs in file order (quantize, profile_statistics,
report_graph, verify_quantization, save_mase_graph...), the test-split
accuracy is printed before and after, and the transformed graph is saved to
``<project_dir>/<project>/software/transform/transformed_ckpt/`` (reload it
with ``carve test/train --load <that folder>``). Quantization summaries go to
``software/transform/quantize/``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from carve.config import add_common_flags


def configure(parser: argparse.ArgumentParser) -> None:
    add_common_flags(parser)
    parser.add_argument(
        "--verify-warn-only", action="store_true",
        help="when [passes.verify_quantization] fails, warn and save the graph anyway "
        "(default: exit 1 without saving it)",
    )  # fmt: skip


def is_saved_graph(path: str | Path | None) -> bool:
    """A folder written by ``save_mase_graph_interface_pass`` (``recipe.json`` inside)."""
    return path is not None and (Path(path) / "recipe.json").is_file()


def build_graph(config, dataset):
    """The MaseGraph to transform: a saved graph, or the model with ``--load`` weights."""
    from carve.ir import GraphRecipe, MaseGraph
    from carve.models import load_model
    from carve.models.registry import _info_dict
    from carve.passes import (
        add_common_metadata_analysis_pass,
        add_software_metadata_analysis_pass,
        init_metadata_analysis_pass,
        load_mase_graph_interface_pass,
    )
    from carve.train import build_model

    info = _info_dict(dataset.info)
    if is_saved_graph(config.load_name):
        graph, _ = load_mase_graph_interface_pass(None, {"load_dir": str(config.load_name)})
    else:
        model = build_model(config, dataset.info)
        if config.load_name is not None:
            load_model(config.load_name, config.load_type, model)
        graph = MaseGraph(model, recipe=GraphRecipe(model_name=config.model, dataset_info=info))
    graph, _ = init_metadata_analysis_pass(graph)
    dummy = {"x": dataset.train.x[: config.batch_size]}
    graph, _ = add_common_metadata_analysis_pass(graph, {"dummy_in": dummy, "add_value": False})
    graph, _ = add_software_metadata_analysis_pass(graph)
    return graph


def run(args: argparse.Namespace) -> int:
    from carve.cli.common import make_console, metrics_table, prepare_config, print_header
    from carve.config import project_path
    from carve.errors import CarveError
    from carve.passes import save_mase_graph_interface_pass
    from carve.passes.transforms.runner import RunContext, run_pass_tables
    from carve.train import evaluate, load_dataset

    config = prepare_config(args)
    passes = config.tables.get("passes")
    if not passes:
        raise CarveError(
            "carve transform needs [passes.<name>] tables in the --config TOML "
            "(e.g. configs/jsc_tiny_by_type.toml)"
        )
    console = make_console()
    print_header(config, console)
    dataset = load_dataset(config)
    graph = build_graph(config, dataset)
    out_dir = project_path(config) / "software" / "transform"
    before = evaluate(graph.model, dataset.test)
    ctx = RunContext(out_dir=out_dir, train_x=dataset.train.x, test_x=dataset.test.x,
                     test_y=dataset.test.y, batch_size=config.batch_size)  # fmt: skip
    graph = run_pass_tables(graph, passes, ctx)
    after = evaluate(graph.model, dataset.test)
    for name, info in ctx.results:
        _print_result(console, name, info)
    console.print(metrics_table(
        f"Test split ({len(dataset.test):,} rows)",
        {"accuracy before": before["acc"], "accuracy after": after["acc"],
         "loss before": before["loss"], "loss after": after["loss"]},
    ))  # fmt: skip
    failed = [name for name, info in ctx.results if name.startswith("verify") and not info["ok"]]
    if failed and not args.verify_warn_only:
        import sys

        print(f"carve: verification failed ({', '.join(failed)}); the transformed graph was "
              "not saved (--verify-warn-only saves it anyway)", file=sys.stderr)  # fmt: skip
        return 1
    saved = out_dir / "transformed_ckpt"
    save_mase_graph_interface_pass(graph, {"save_dir": str(saved)})
    console.print(f"Transformed graph saved to {saved}", soft_wrap=True)
    return 0


def _print_result(console, name: str, info: dict) -> None:
    summary = info.get("summary")
    if summary is not None:
        console.print("Quantized graph histogram:")
        console.print(summary["histogram_text"], soft_wrap=True, markup=False)
    if "table_text" in info and name.startswith("verify"):
        console.print(info["table_text"], soft_wrap=True, markup=False)
        reference = info.get("integer_reference", {})
        if "logits_equal" in reference:
            console.print(
                f"Integer-only reference: logits equal the fake-quantized graph's: "
                f"{reference['logits_equal']} (max diff {reference['max_logit_diff']:.3g}); "
                f"every layer exact: {reference['all_layers_exact']}",
                soft_wrap=True,
            )
        console.print(f"Verification {'passed' if info['ok'] else 'FAILED'}")
