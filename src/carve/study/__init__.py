"""Hyper-parameter studies: one run per configuration, tables and plots, resumable.

Python entry point::

    import carve.study
    table = carve.study.run("jsc-tiny", "jsc-synth", vary={"batch_size": [64, 128, 256]},
                            seeds=3, max_epochs=10)

returns a pandas DataFrame with one row per configuration (the varied values,
``test_acc_mean``/``_std``, ``test_loss_mean``/``_std``, ...); ``records=True``
returns the per-run records instead. The command line does the same:
``carve study jsc-tiny jsc-synth --vary batch-size=64,128,256 --seeds 3 --max-epochs 10``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from carve.study.spec import Run, StudySpec, VarySpec, parse_vary

__all__ = ["Run", "StudySpec", "VarySpec", "default_study_dir", "parse_vary", "run", "vary_specs"]


def vary_specs(vary: dict[str, Any], source: str = "vary") -> list[VarySpec]:
    """``{"batch_size": [64, 128], "max-epochs": "1..10"}`` -> validated :class:`VarySpec` list."""
    from carve.errors import CarveError

    if not isinstance(vary, dict):
        raise CarveError(f"{source} must map flags to values, e.g. {{'batch_size': [64, 128]}}")
    return [VarySpec.from_values(key, values, source) for key, values in vary.items()]


def default_study_dir(spec: StudySpec) -> Path:
    """``<project_dir>/<models>_<datasets>_study_<keys>[_N]``: this study's folder.

    No date, so rerunning a study resumes it. A varied model or dataset names the
    folder by all its values (``jsc-tiny+jsc-10x``), not by the positional one.
    When that folder holds a *different* study (same flags, other values or
    settings), the first ``_2``, ``_3``... folder that is free or holds this
    study is used: a new study never stops on, or touches, an older one.
    """
    from carve.errors import CarveError
    from carve.study.store import StudyStore

    base, varied = spec.base, {vary.key: vary.values for vary in spec.vary}
    model = "+".join(map(str, varied.get("model", [base.model])))
    dataset = "+".join(map(str, varied.get("dataset", [base.dataset])))
    name = f"{model}_{dataset}_study_{'+'.join(spec.keys)}".replace("/", "-")
    for number in range(1, 1000):
        root = Path(base.project_dir) / (name if number == 1 else f"{name}_{number}")
        try:
            StudyStore(root, spec).check()
        except CarveError:
            continue
        return root
    raise CarveError(f"{Path(base.project_dir) / name}_2 ... _999 all hold other studies")


def run(
    model: str,
    dataset: str,
    vary: dict[str, Any],
    *,
    seeds: int = 1,
    study_dir: str | Path | None = None,
    ensemble: bool = True,
    progress: bool | None = None,
    records: bool = False,
    plot_formats: tuple[str, ...] | str = ("png",),
    **overrides: Any,
):
    """Run (or resume) a study and return its table (pandas DataFrame) or per-run records.

    ``vary`` maps flags (``batch_size`` or ``batch-size``) to a list of values or a
    string (``"64,128"``, ``"1..10"``); ``overrides`` are config options for every
    run (``max_epochs=10``, ``data_size=20000``...). Files go to ``study_dir``
    (default :func:`default_study_dir`). ``progress`` (bars per run and epoch)
    defaults to on in a terminal or notebook and off when output is captured;
    ``plot_formats`` adds ``"svg"``/``"pdf"`` copies of the PNG plots.
    """
    from carve.config import CarveConfig
    from carve.study.runner import run_study

    base = CarveConfig(model=model, dataset=dataset, **overrides)
    spec = StudySpec(base, vary_specs(vary), seeds)
    root = study_dir or default_study_dir(spec)
    from rich.console import Console

    console = Console()
    if progress is None:
        progress = console.is_terminal or console.is_jupyter
    outcome = run_study(spec, root, ensemble=ensemble, console=console, progress=progress,
                        plot_formats=plot_formats)  # fmt: skip
    if records:
        return outcome.records
    import pandas as pd

    frame = pd.DataFrame(outcome.rows)
    frame.attrs["study_dir"] = str(outcome.root)
    return frame
