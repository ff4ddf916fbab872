"""The pipeline layer: build graph -> run passes -> evaluate -> save.

One orchestration shared by ``carve transform``, quantization-aware training
(``carve train/test --load <saved graph>``), and search/export code:

* :func:`build_graph(config, dataset) <carve.pipeline.transform.build_graph>`:
  an analysed MaseGraph of the config's model (or of a saved graph folder);
* :func:`run_passes(graph, tables, ctx) <carve.pipeline.runner.run_passes>`:
  ``[passes.*]`` tables in order, each pass given what its catalog row
  declares it needs (:class:`~carve.passes.needs.PassNeeds`);
* :func:`run_transform(config, passes=None, ...) <carve.pipeline.transform.run_transform>`:
  all of it, with test-split metrics before/after and the saved graph;
* :mod:`carve.pipeline.saved_graph` / :mod:`carve.pipeline.graph_files`: the
  one owner of the saved-graph folder format (``save_graph``, ``load_graph``,
  ``is_saved_graph``);
* :mod:`carve.pipeline.qat`: a saved graph as a trainable model and back.

Importing this package imports no torch; names load on first use.

>>> import carve.pipeline
>>> carve.pipeline.is_saved_graph("/nonexistent")
False
"""

from __future__ import annotations

from carve.registry import lazy_attributes

_EXPORTS = {
    "build_graph": "carve.pipeline.transform",
    "run_transform": "carve.pipeline.transform",
    "TransformResult": "carve.pipeline.transform",
    "run_passes": "carve.pipeline.runner",
    "run_pass": "carve.pipeline.runner",
    "PipelineContext": "carve.pipeline.runner",
    "PassResult": "carve.pipeline.runner",
    "save_graph": "carve.pipeline.saved_graph",
    "load_graph": "carve.pipeline.saved_graph",
    "is_saved_graph": "carve.pipeline.graph_files",
    "load_graph_module": "carve.pipeline.qat",
    "save_trained_graph": "carve.pipeline.qat",
}


__getattr__, __dir__ = lazy_attributes("carve.pipeline", _EXPORTS)


__all__ = sorted(_EXPORTS)
