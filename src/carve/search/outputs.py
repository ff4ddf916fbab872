"""What a finished (or interrupted) search leaves in its folder.

* ``results.csv`` / ``results.md``: one row per complete trial, best first
  (Pareto-optimal trials first for several objectives, then by the first
  objective), with choices and every metric;
* ``best.json``: the best trial, or the Pareto front, as MASE writes it
  (``{"0": {number, value(s), software_metrics, hardware_metrics,
  scaled_metrics, sampled_config}, ...}``) and ``pareto.md``/``pareto.csv``;
* ``pareto.png`` and ``history.png`` (see :mod:`carve.search.plots`);
* ``best_transform.toml``: a ``carve transform`` config reproducing the best trial.

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


def trials_frame(study, spec: SearchSpec):
    """A pandas DataFrame, one row per complete trial, best first."""
    import pandas as pd

    best = {t.number for t in best_trials(study, spec)}
    varied = set().union(*(t.params for t in complete_trials(study)))  # sampled, not fixed
    rows = []
    for trial in complete_trials(study):
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
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    first = spec.metrics[0]
    column = f"value_{first.name}" if spec.multi_objective else "value"
    ascending = (first.direction if spec.multi_objective else spec.directions[0]) == "minimize"
    return frame.sort_values(
        ["best", "feasible", column, "number"], ascending=[False, False, ascending, True]
    ).reset_index(drop=True)


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
    """A ``carve transform`` TOML (as a dict) rebuilding ``trial``'s candidate."""
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
    return data


def _as_choice(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def write_outputs(folder: Path, study, setup) -> list[Path]:
    """Write every output file of the search into ``folder``; returns their paths."""
    from carve.config.toml_io import save_toml
    from carve.search.plots import plot_history, plot_pareto

    spec = setup.spec
    frame = trials_frame(study, spec)
    if frame.empty:
        return []
    best = best_trials(study, spec)
    written = [
        atomic_write_text(folder / "results.csv", frame.to_csv(index=False)),
        atomic_write_text(folder / "results.md", frame.to_markdown(index=False) + "\n"),
    ]
    written.append(
        atomic_write_text(folder / "best.json", json.dumps(best_json(best, spec), indent=4) + "\n")
    )
    pareto = frame[frame["best"]]
    written.append(atomic_write_text(folder / "pareto.csv", pareto.to_csv(index=False)))
    written.append(atomic_write_text(folder / "pareto.md", pareto.to_markdown(index=False) + "\n"))
    if best:
        written.append(save_toml(transform_config(setup, best[0]), folder / "best_transform.toml"))
    written.append(plot_pareto(folder / "pareto.png", frame, spec))
    written.append(plot_history(folder / "history.png", frame, spec))
    return written
