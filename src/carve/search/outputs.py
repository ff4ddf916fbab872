"""What a finished (or interrupted) search leaves in its folder.

* ``results.csv`` / ``results.md``: one row per complete trial, best first
  (Pareto-optimal trials first for several objectives, then by the first
  objective), with choices and every metric;
* ``best.json``: the best trial, or the Pareto front, as MASE writes it
  (``{"0": {number, value(s), software_metrics, hardware_metrics,
  scaled_metrics, sampled_config}, ...}``) and ``pareto.md``/``pareto.csv``;
* ``pareto.png`` and ``history.png`` (see :mod:`carve.search.plots`);
* ``best_transform.toml``: a ``carve transform`` config reproducing the best trial
  (the first of the Pareto front) and verifying it, headed by the study, trial
  number and metrics (``carve search --pick N`` writes one for any trial).

Every file is written atomically; a rerun of the same search replaces its own
files only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from carve.fileio import atomic_write_text
from carve.search.engine import ATTRIBUTE
from carve.search.spec import SearchSpec
from carve.study.report import columns_of, csv_text, format_value, markdown_grid


def complete_trials(study) -> list:
    import optuna

    return study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))


def feasible(trial) -> bool:
    return all(v <= 0 for v in trial.user_attrs.get(ATTRIBUTE, {}).get("constraints", []))


def best_trials(study, spec: SearchSpec) -> list:
    """The Pareto front (several objectives) or the best trial, feasible trials only."""
    import optuna

    trials = [t for t in complete_trials(study) if feasible(t)]
    if not trials:
        return []
    directions = [optuna.study.StudyDirection[d.upper()] for d in spec.directions]
    if spec.multi_objective:
        front = []
        for trial in trials:
            if not any(_dominates(o.values, trial.values, directions) for o in trials):
                front.append(trial)
        return sorted(front, key=lambda t: _sort_key(t, directions))
    return [min(trials, key=lambda t: _sort_key(t, directions))]


def _dominates(a, b, directions) -> bool:
    import optuna

    sign = [1 if d == optuna.study.StudyDirection.MINIMIZE else -1 for d in directions]
    pairs = [(s * x, s * y) for s, x, y in zip(sign, a, b)]
    return all(x <= y for x, y in pairs) and any(x < y for x, y in pairs)


def _sort_key(trial, directions) -> tuple:
    import optuna

    sign = [1 if d == optuna.study.StudyDirection.MINIMIZE else -1 for d in directions]
    return (*(s * v for s, v in zip(sign, trial.values)), trial.number)


def trial_rows(study, spec: SearchSpec) -> list[dict[str, Any]]:
    """One row per complete trial, best first: what the tables, plots and DataFrame show.

    Order: best (Pareto front) trials, then feasible ones, each by the first
    objective (its direction) and then by trial number.
    """
    best = {t.number for t in best_trials(study, spec)}
    trials = complete_trials(study)
    varied = set().union(*(t.params for t in trials))  # sampled, not fixed
    rows = []
    for trial in trials:
        record = trial.user_attrs.get(ATTRIBUTE, {})
        row: dict[str, Any] = {
            "number": trial.number,
            "best": trial.number in best,
            "feasible": feasible(trial),
        }
        row.update(record.get("software_metrics", {}))
        row.update(record.get("hardware_metrics", {}))
        if spec.multi_objective:
            row.update({f"value_{m.name}": v for m, v in zip(spec.metrics, trial.values)})
        else:
            row["value"] = trial.value
        for name, value in record.get("sampled_config", {}).items():
            if name in varied:
                row[name] = json.dumps(value) if isinstance(value, list) else value
        row["seconds"] = (trial.datetime_complete - trial.datetime_start).total_seconds()
        rows.append(row)
    first = spec.metrics[0] if spec.multi_objective else None
    column = f"value_{first.name}" if first else "value"
    direction = first.direction if first else spec.directions[0]
    sign = 1 if direction == "minimize" else -1
    return sorted(
        rows, key=lambda r: (not r["best"], not r["feasible"], sign * r[column], r["number"])
    )


def trials_frame(rows: list[dict[str, Any]]):
    """The rows as a pandas DataFrame (what ``carve.search.run`` returns)."""
    import pandas as pd

    return pd.DataFrame(rows)


def markdown(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """The rows as a Markdown table of ``columns``, numbers right-aligned."""
    return markdown_grid(columns, [[_cell(row.get(c)) for c in columns] for row in rows])


def _cell(value: Any) -> str:
    return "" if value is None else format_value(value)


def best_json(trials: list, spec: SearchSpec) -> dict[str, Any]:
    """MASE's ``best.json`` layout (orient=index rows)."""
    out = {}
    for index, trial in enumerate(trials):
        record = trial.user_attrs.get(ATTRIBUTE, {})
        out[str(index)] = {
            "number": trial.number,
            "value": trial.values if spec.multi_objective else trial.value,
            "software_metrics": record.get("software_metrics", {}),
            "hardware_metrics": record.get("hardware_metrics", {}),
            "scaled_metrics": record.get("scaled_metrics", {}),
            "sampled_config": record.get("sampled_config", {}),
        }
    return out


def transform_config(setup, trial) -> dict[str, Any]:
    """A ``carve transform`` TOML (as a dict) rebuilding ``trial``'s candidate, followed by the
    verification pass where the candidate is quantized."""
    from carve.search.engine import jsonable

    config = setup.config
    record = trial.user_attrs[ATTRIBUTE]["sampled_config"]
    values = {p.name: _as_choice(record[p.name]) for p in setup.params}
    candidate = setup.space.candidate(values)
    data: dict[str, Any] = {"model": config.model, "dataset": config.dataset}
    for key in ("load_name", "load_type", "data_size", "data_path", "model_file", "seed"):
        value = getattr(config, key)
        if value is not None:
            data[key] = str(Path(value).resolve()) if key in ("load_name", "model_file") else value
    data.update(jsonable(candidate.config_tables()))
    passes = data.get("passes", {})
    if "quantize" in passes:  # proof that the rebuilt graph is quantized as it claims
        passes["verify_quantization"] = {}
    return data


def transform_text(setup, trial, study_name: str) -> str:
    """:func:`transform_config` as TOML, headed by the study, trial and metrics it comes from."""
    from carve.config.toml_io import dumps_toml

    record = trial.user_attrs[ATTRIBUTE]
    metrics = {**record.get("software_metrics", {}), **record.get("hardware_metrics", {})}
    shown = ", ".join(f"{k} = {format_value(v)}" for k, v in sorted(metrics.items()))
    values = trial.values if len(trial.values) > 1 else trial.value
    header = (
        f"# carve search: study {study_name!r}, trial {trial.number} (objective {values})\n"
        f"# metrics: {shown}\n"
        "# rebuild and verify it: carve transform --config THIS_FILE\n"
    )
    return header + dumps_toml(transform_config(setup, trial))


def write_transform(folder: Path, setup, trial, study_name: str, file_name: str) -> Path | None:
    """Write trial's transform TOML as ``folder/file_name``; None for spaces carve transform
    cannot rebuild (architecture search)."""
    if "passes" not in transform_config(setup, trial):
        return None
    return atomic_write_text(folder / file_name, transform_text(setup, trial, study_name))


def no_feasible_note(rows: list[dict[str, Any]], spec: SearchSpec) -> str | None:
    """The message for a search whose complete trials all break a constraint."""
    if not spec.constraints or not rows or any(row["feasible"] for row in rows):
        return None
    said = ", ".join(str(c) for c in spec.constraints)
    return (
        f"no feasible trial: none of the {len(rows)} complete trial(s) meets {said}; "
        "best.json is empty and no best_transform.toml is written (relax the constraint "
        "or widen the space)"
    )


def _as_choice(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def write_outputs(
    folder: Path,
    study,
    setup,
    rows: list[dict[str, Any]] | None = None,
    plotter=None,
) -> list[Path]:
    """Write every output file of the search into ``folder``; returns their paths.

    ``rows``: :func:`trial_rows` of ``study``, when the caller has them already;
    ``plotter``: a :class:`carve.search.background.Background` to draw the plots in.
    """
    from carve.search.plots import draw_plots

    spec = setup.spec
    rows = trial_rows(study, spec) if rows is None else rows
    if not rows:
        return []
    if plotter is not None:
        plotter.start(draw_plots, folder, rows, spec)
    best = best_trials(study, spec)
    front = [row for row in rows if row["best"]]
    columns = columns_of(rows)
    written = [
        atomic_write_text(folder / "results.csv", csv_text(rows, columns)),
        atomic_write_text(folder / "results.md", markdown(rows, columns) + "\n"),
        atomic_write_text(folder / "best.json", json.dumps(best_json(best, spec), indent=4) + "\n"),
        atomic_write_text(folder / "pareto.csv", csv_text(front, columns)),
        atomic_write_text(folder / "pareto.md", markdown(front, columns) + "\n"),
    ]
    if best:
        made = write_transform(folder, setup, best[0], study.study_name, "best_transform.toml")
        written += [made] if made is not None else []
    return written + (plotter.result() if plotter is not None else draw_plots(folder, rows, spec))
