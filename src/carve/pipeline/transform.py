"""Build graph -> run passes -> evaluate -> save: what ``carve transform`` (and search) run.

:func:`build_graph` turns a config into an analysed :class:`~carve.ir.MaseGraph`
(a saved graph folder, or the model with ``--load`` weights); :func:`run_transform`
runs the config's ``[passes.*]`` tables on it (:mod:`carve.pipeline.runner`),
evaluates the test split before and after, and saves the result to
``<project_dir>/<project>/software/transform/version_N/transformed_ckpt/``.

>>> from carve.config import CarveConfig
>>> int8 = {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4,
...         "weight_width": 8, "weight_frac_width": 4, "bias_width": 8, "bias_frac_width": 4}
>>> passes = {"quantize": {"by": "type", "linear": {"config": int8}}, "calculate_avg_bits": {}}
>>> config = CarveConfig(model="jsc-tiny", dataset="jsc-synth", data_size=256)
>>> result = run_transform(config, passes, save=False)
>>> [r.name for r in result.results], result.results[1].info, result.saved_dir is None
(['quantize', 'calculate_avg_bits'], {'data_avg_bit': 8.0, 'w_avg_bit': 8.0}, True)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from carve.errors import CarveError
from carve.pipeline.runner import PassResult, PipelineContext, run_passes

TRANSFORM_FOLDER = Path("software") / "transform"
SAVED_FOLDER = "transformed_ckpt"


@dataclass
class TransformResult:
    """What :func:`run_transform` did: the graph, each pass's info, test metrics, the save."""

    graph: Any
    results: list[PassResult] = field(default_factory=list)
    before: dict[str, float] = field(default_factory=dict)  # {"acc", "loss"} before the passes
    after: dict[str, float] = field(default_factory=dict)
    out_dir: Path | None = None
    saved_dir: Path | None = None
    test_rows: int = 0


def build_graph(config: Any, dataset: Any) -> Any:
    """The MaseGraph to transform: a saved graph, or the model with ``--load`` weights.

    Common metadata comes from a batch of the training split; software
    metadata slots are added, so statistics and quantization can follow.
    """
    from carve.models import load_model
    from carve.passes.graph_build import graph_with_metadata
    from carve.pipeline.graph_files import is_saved_graph
    from carve.pipeline.saved_graph import load_graph
    from carve.train import build_model

    if is_saved_graph(config.load_name):
        model, _ = load_graph(config.load_name)
    else:
        model = build_model(config, dataset.info)
        if config.load_name is not None:
            load_model(config.load_name, config.load_type, model)
    inputs = dataset.train.x[: config.batch_size]
    return graph_with_metadata(model, dataset.info, inputs=inputs, model_name=config.model,
                               software=True)  # fmt: skip


def transform_passes(config: Any, passes: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    """``passes``, else the config's ``[passes.*]`` tables; none at all is a CarveError."""
    passes = passes if passes is not None else config.tables.get("passes")
    if not passes:
        raise CarveError(
            "carve transform needs [passes.<name>] tables in the --config TOML "
            "(e.g. configs/jsc_tiny_by_type.toml)"
        )
    return passes


def run_transform(
    config: Any,
    passes: Mapping[str, Any] | None = None,
    *,
    dataset: Any = None,
    graph: Any = None,
    out_dir: str | Path | None = None,
    save: bool = True,
    save_if: Callable[[list[PassResult]], bool] | None = None,
    mase_files: bool = False,
) -> TransformResult:
    """Run ``passes`` (default: the config's ``[passes.*]`` tables) on the config's model.

    ``dataset`` and ``graph`` default to the config's (loaded / built here);
    ``out_dir`` to a new ``<project_dir>/<project>/software/transform/version_N``
    (``transform/latest`` points at it once done; no transform replaces
    another; the folder is locked while written). With ``save``
    the transformed graph is written to ``out_dir/transformed_ckpt`` (only when
    ``save_if(results)`` holds, if given: ``carve transform`` keeps a graph whose
    verification failed off disk); ``mase_files`` adds MASE's copies beside it
    (``state_dict.pt``, ``node_meta_param.toml``), as ``carve transform`` does.
    """
    from contextlib import nullcontext

    from carve.config import project_path, with_default_project
    from carve.locking import folder_lock
    from carve.pipeline.saved_graph import save_graph, write_mase_files
    from carve.runs import new_version, set_latest
    from carve.train import evaluate, load_dataset

    passes = transform_passes(config, passes)
    dataset = dataset if dataset is not None else load_dataset(config)
    graph = graph if graph is not None else build_graph(config, dataset)
    root = None
    if out_dir is None and (save or config.project is not None):
        # each transform gets its own version_N; transform/latest points at the newest
        root = project_path(with_default_project(config)) / TRANSFORM_FOLDER
        out_dir = new_version(root, point_latest=False)
    out_dir = None if out_dir is None else Path(out_dir)
    with folder_lock(out_dir, "transform folder") if out_dir is not None else nullcontext():
        before = evaluate(graph.model, dataset.test)
        ctx = PipelineContext(out_dir=out_dir, train_x=dataset.train.x, test_x=dataset.test.x,
                              test_y=dataset.test.y, batch_size=config.batch_size)  # fmt: skip
        graph, results = run_passes(graph, passes, ctx)
        after = evaluate(graph.model, dataset.test)
        save = save and out_dir is not None and (save_if is None or save_if(results))
        saved = save_graph(graph, out_dir / SAVED_FOLDER) if save else None
        if saved is not None and mase_files:  # state_dict.pt, node_meta_param.toml beside it
            write_mase_files(graph, saved)
    if root is not None:
        set_latest(root, out_dir)
    return TransformResult(graph, results, before, after, out_dir, saved, len(dataset.test))
