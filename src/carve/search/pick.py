"""``carve search --pick N``: the ``carve transform`` config of any complete trial.

``best_transform.toml`` rebuilds the best trial (the first of a Pareto
front); a user choosing another point of the front picks it by number. The
search folder (latest, or ``--search-name``) and its settings are checked as
for ``--resume``; the file ``transform_trial_N.toml`` is written beside the
other outputs, headed by the study, trial and metrics it comes from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from carve.errors import CarveError


def pick_trial(
    config,
    table: dict[str, Any],
    number: Any,
    *,
    storage: str | None = None,
    study_name: str | None = None,
    search_name: str | None = None,
) -> Path:
    """Write the transform TOML of trial ``number``; its path."""
    import optuna

    from carve.search.engine import ATTRIBUTE
    from carve.search.folders import check_identity, check_search_name, existing_folder, search_root
    from carve.search.outputs import write_transform
    from carve.search.session import _identity, check_study_name
    from carve.search.setup import prepare
    from carve.search.spec import parse_search_table
    from carve.search.storage import JOURNAL, open_storage

    if not isinstance(number, int) or isinstance(number, bool) or number < 0:
        raise CarveError(f"--pick must be a trial number (0 or more), got {number!r}")
    check_search_name(search_name)
    check_study_name(study_name)
    spec = parse_search_table(table)
    root = search_root(config)
    folder = existing_folder(root, search_name)
    check_identity(folder, _identity(config, table))
    name = study_name or folder.name
    if storage is None and not (folder / JOURNAL).is_file():
        raise CarveError(
            f"--pick: {str(folder)!r} holds no {JOURNAL}; pass the --storage (and --study-name) "
            "the search used"
        )
    opened = open_storage(storage, folder)
    try:
        study = optuna.load_study(study_name=name, storage=opened.storage)
    except KeyError:
        raise CarveError(f"--pick: no study {name!r} in {opened.where}") from None
    trials = {t.number: t for t in study.get_trials(deepcopy=False)}
    trial = trials.get(number)
    complete = optuna.trial.TrialState.COMPLETE
    if trial is None or trial.state != complete or ATTRIBUTE not in trial.user_attrs:
        done = sorted(n for n, t in trials.items() if t.state == complete)
        what = (
            f"study {name!r} has no trial {number}"
            if trial is None
            else f"trial {number} of study {name!r} is {trial.state.name}, not COMPLETE"
        )
        raise CarveError(f"--pick {number}: {what}; complete trials: {_ranges(done) or 'none'}")
    setup = prepare(config, spec)
    path = write_transform(folder, setup, trial, name, f"transform_trial_{number}.toml")
    if path is None:
        raise CarveError(f"--pick: {spec.space} candidates cannot be rebuilt by carve transform")
    return path


def _ranges(numbers: list[int]) -> str:
    """``0-3, 5, 7-9``."""
    parts: list[str] = []
    for n in numbers:
        if parts and n == int(parts[-1].split("-")[-1]) + 1:
            parts[-1] = f"{parts[-1].split('-')[0]}-{n}"
        else:
            parts.append(str(n))
    return ", ".join(parts)
