"""``carve export [MODEL] DATASET --load <graph dir | ckpt> --format onnx|qonnx|hls4ml [--out DIR]``.

Loads a quantized graph saved by ``carve transform`` (or a checkpoint, then
quantized by the ``[passes.*]`` tables of ``--config``), writes the export to
a new folder (``--out``, which must not exist; by default
``<project_dir>/<project>/export/<format>``, then ``<format>-2``...), runs it
on the dataset's test split in the format's own runtime, compares with carve
exactly and prints the report (also saved as ``report.md``/``report.json``).
Exit status 1 when the exported model does not reproduce carve exactly.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from carve.config import add_common_flags


def configure(parser: argparse.ArgumentParser) -> None:
    from carve.export.formats import EXPORT_FORMATS

    add_common_flags(parser)
    parser.add_argument("--format", required=True, choices=EXPORT_FORMATS.names(),
                        help="what to write: ONNX QDQ, QONNX, or an hls4ml project")  # fmt: skip
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="new folder for the export (must not exist)")  # fmt: skip


def _project_folder(config, graph) -> Path:
    """``<project_dir>/<project>``; a saved graph without MODEL names the project by its recipe."""
    from carve.config import project_path
    from carve.config.resolve import default_project

    if config.project is None:
        model = config.model or graph.recipe.model_name or "model"
        config.project = default_project(model, config.task, config.dataset)
    return project_path(config)


def run(args: argparse.Namespace) -> int:
    from carve.cli.common import make_console, prepare_config
    from carve.cli.transform import build_graph, is_saved_graph
    from carve.errors import CarveError
    from carve.export.api import export_graph, next_version
    from carve.passes.transforms.runner import RunContext, run_pass_tables
    from carve.train import load_dataset

    config = prepare_config(args, require=("dataset",))
    if config.load_name is None:
        raise CarveError("carve export needs --load <graph folder saved by carve transform | ckpt>")
    if config.model is None and not is_saved_graph(config.load_name):
        raise CarveError(f"{config.load_name} is not a saved graph folder: give the MODEL name "
                         "to load a checkpoint (carve export MODEL DATASET --load ...)")  # fmt: skip
    console = make_console()
    dataset = load_dataset(config)
    graph = build_graph(config, dataset)
    project = _project_folder(config, graph)
    passes = config.tables.get("passes")
    if passes:  # quantize (and check) a checkpoint on the way, as carve transform would
        ctx = RunContext(out_dir=project / "software" / "export", train_x=dataset.train.x,
                         test_x=dataset.test.x, test_y=dataset.test.y,
                         batch_size=config.batch_size)  # fmt: skip
        graph = run_pass_tables(graph, passes, ctx)
    out = Path(args.out) if args.out else next_version(project / "export" / args.format)
    report = export_graph(graph, args.format, out, inputs=dataset.test.x)
    console.print(report.text(), soft_wrap=True, markup=False, highlight=False)
    console.print(f"Export written to {report.folder}", soft_wrap=True, markup=False)
    return 0 if report.parity is None or report.parity.exact else 1
