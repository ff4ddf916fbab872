"""``carve search``: quantization and architecture search over Optuna studies.

In Python::

    import carve.search

    frame = carve.search.run("jsc-toy", "jsc-synth", "configs/search/jsc_toy_by_type.toml",
                             load_name="best.ckpt", data_size=20_000)

returns the complete trials as a pandas DataFrame, best first, and writes the
search folder (tables, ``best.json``, plots, ``best_transform.toml``). The
registries (:data:`SPACES`, :data:`STRATEGIES`, :data:`RUNNERS`,
:data:`METRICS`) are listed by ``carve --info search``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from carve.search.registry import METRICS, RUNNERS, SPACES, STRATEGIES


def run(
    model: str,
    dataset: str,
    search: str | Path | dict[str, Any],
    *,
    storage: str | None = None,
    study_name: str | None = None,
    workers: int = 1,
    resume: bool = False,
    search_name: str | None = None,
    **options: Any,
):
    """Run a search and return its trials (a pandas DataFrame, best first).

    ``search`` is a TOML file holding a ``[search]`` table or the table itself
    (a dict, MASE's schema); ``options`` are carve config options
    (``load_name``, ``data_size``, ``project_dir``, ``project``...).
    """
    from carve.config import CarveConfig
    from carve.config.resolve import with_default_project
    from carve.config.toml_io import load_toml
    from carve.errors import CarveError
    from carve.models import load_model_file
    from carve.search.run import run_search

    table = search
    if isinstance(search, str | Path):
        data = load_toml(search)
        if "search" not in data:
            raise CarveError(f"{search}: no [search] table")
        table = data["search"]
    config = with_default_project(CarveConfig(model=model, dataset=dataset, **options))
    if config.model_file:
        load_model_file(config.model_file)
    outcome = run_search(
        config,
        table,
        storage=storage,
        study_name=study_name,
        search_name=search_name,
        workers=workers,
        resume=resume,
        progress=False,
    )
    return outcome.frame


__all__ = ["METRICS", "RUNNERS", "SPACES", "STRATEGIES", "run"]
