"""``carve export MODEL DATASET --load <graph dir | ckpt> --format FORMAT [--out DIR]``.

FORMAT: onnx, qonnx, hls4ml or verilog. Loads a quantized graph saved by
``carve transform`` (or a checkpoint, then quantized by the ``[passes.*]``
tables of ``--config``), writes the export to
a new folder (``--out``, which must not exist or be empty; by default the
next ``<project_dir>/<project>/export/<format>/version_N``, with ``latest``
pointing at it), runs it
on the dataset's test split in the format's own runtime, compares with carve
exactly and prints the report (also saved as ``report.md``/``report.json``).
The output folder is locked while written (a second export to it is refused).
MODEL must be the model of the loaded graph. Exit status 1 when the exported
model does not reproduce carve exactly.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from carve.config import add_common_flags


def configure(parser: argparse.ArgumentParser) -> None:
    from carve.export.formats import EXPORT_FORMATS

    add_common_flags(parser)
    parser.add_argument(
        "--format",
        required=True,
        choices=EXPORT_FORMATS.names(),
        help="what to write: ONNX QDQ, QONNX, an hls4ml project or Verilog RTL",
    )
    parser.add_argument(
        "--out", default=None, metavar="DIR", help="new (or empty) folder for the export"
    )


def run(args: argparse.Namespace) -> int:
    from carve.cli.common import make_console, prepare_config
    from carve.config import project_path
    from carve.errors import CarveError
    from carve.export.api import export_graph
    from carve.pipeline import PipelineContext, build_graph, run_passes
    from carve.runs import new_version, set_latest
    from carve.train import load_dataset

    config = prepare_config(args)
    if config.load_name is None:
        raise CarveError("carve export needs --load <graph folder saved by carve transform | ckpt>")
    if args.out is not None and not args.out.strip():
        raise CarveError(
            "--out: empty folder name; give a new folder, or leave --out out for the next "
            "<project>/export/<format>/version_N"
        )
    console = make_console()
    dataset = load_dataset(config)
    graph = build_graph(config, dataset)
    saved_model = getattr(getattr(graph, "recipe", None), "model_name", None)
    if saved_model and config.model and saved_model != config.model:
        raise CarveError(
            f"carve export: MODEL is {config.model!r} but --load {config.load_name} holds a "
            f"{saved_model!r} graph; give MODEL {saved_model!r}"
        )
    project = project_path(config)
    passes = config.tables.get("passes")
    if passes:  # quantize (and check) a checkpoint on the way, as carve transform would
        ctx = PipelineContext(
            out_dir=project / "software" / "export",
            train_x=dataset.train.x,
            test_x=dataset.test.x,
            test_y=dataset.test.y,
            batch_size=config.batch_size,
        )
        graph, _ = run_passes(graph, passes, ctx)
    root = project / "export" / args.format
    out = Path(args.out) if args.out is not None else new_version(root, point_latest=False)
    report = export_graph(graph, args.format, out, inputs=dataset.test.x)
    if args.out is None:
        set_latest(root, out)
    console.print(report.text(), soft_wrap=True, markup=False, highlight=False)
    console.print(f"Export written to {report.folder}", soft_wrap=True, markup=False)
    return 0 if report.parity is None or report.parity.exact else 1
