"""Run a search end to end: check everything, open the study, run the workers, write outputs.

All user input is checked before anything is written or any trial runs: the
``[search]`` table, the seeds against the model's nodes and the formats, the
grid size against the trial budget, names, worker count and the storage.
Then a new search folder is created (or the resumed one reopened),
``--workers N`` processes share the study, and the outputs are written from
whatever the storage holds.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from carve.errors import CarveError
from carve.search.engine import CHOICES, Budget, choice_kind, fail_stale_trials, optimize
from carve.search.hardware_verify import check_count, verify_rows
from carve.search.setup import SearchSetup, prepare
from carve.search.spaces.base import grid_size
from carve.search.spec import SearchSpec, parse_search_table
from carve.search.storage import HEARTBEAT_SECONDS, OpenedStorage, open_storage

DEFAULT_TRIALS = 20
SPACE_ATTRIBUTE = "carve_space"  # study user attribute: {param: choices} of the search space
RETRY_OF = "retry_of"  # user attribute of a trial rerunning an interrupted one
logger = logging.getLogger("carve.search")


@dataclass
class SearchOutcome:
    interrupted: bool
    folder: Path
    study_name: str
    rows: list[dict[str, Any]]  # one per complete trial, best first
    files: list[Path] = field(default_factory=list)
    grid_size: int | None = None
    sampler_name: str = ""
    notes: list[str] = field(default_factory=list)  # warnings and findings shown to the user

    @property
    def frame(self):
        """The rows as a pandas DataFrame (pandas is imported only when asked for)."""
        from carve.search.outputs import trials_frame

        return trials_frame(self.rows)


def budget_for(setup: SearchSetup) -> Budget:
    """The trial budget; a grid it cannot finish is refused unless allowed."""
    spec = setup.spec
    sampled = [p for p in setup.params if not p.fixed]
    if spec.sampler != "grid":
        return Budget(spec.n_trials or DEFAULT_TRIALS, spec.timeout)
    size = grid_size(sampled)
    if spec.n_trials is not None and spec.n_trials < size and not spec.allow_partial_grid:
        raise CarveError(
            f"grid search: the space has {size:,} points but n_trials = {spec.n_trials}; raise "
            "[search.strategy.setup] n_trials or set allow_partial_grid = true"
        )
    return Budget(min(spec.n_trials or size, size), spec.timeout)


def _identity(config, spec_table: dict) -> dict[str, Any]:
    """What must match to resume a search: all but the budget (more trials may be asked for)."""
    import copy

    spec_table = copy.deepcopy(spec_table)
    setup = spec_table.get("strategy", {}).get("setup", {})
    for key in ("n_trials", "timeout"):
        setup.pop(key, None)
    return {
        "model": config.model,
        "dataset": config.dataset,
        "load_name": config.load_name,
        "dataset_options": config.dataset_options(),
        "search": spec_table,
    }


def check_workers(workers: Any) -> int:
    """``--workers``: 1 up to this machine's CPU cores (more only share the same cores)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise CarveError(f"--workers must be a positive integer, got {workers!r}")
    if workers > (cores or 1):
        raise CarveError(
            f"--workers {workers}: at most {cores} on this machine (one process per CPU core; "
            "on several machines, start the command on each with a shared --storage)"
        )
    return workers


def check_study_name(name: Any) -> str | None:
    if name is None:
        return None
    if not isinstance(name, str) or not name.strip():
        raise CarveError(
            f"--study-name {name!r} is empty: give the study's name (the same on every "
            "machine), or leave it out to name it after the search folder"
        )
    return name


def retried_numbers(trials: list) -> set[int]:
    """Numbers of the trials already queued once more (by ``--resume`` or Optuna's retry of a
    stale trial, whose system attribute ``retry_history`` lists them)."""
    out: set[int] = set()
    for trial in trials:
        if RETRY_OF in trial.user_attrs:
            out.add(trial.user_attrs[RETRY_OF])
        out.update(trial.system_attrs.get("retry_history", ()))
    return out


def retry_interrupted(study, opened: OpenedStorage) -> int:
    """Interrupted trials run once more: stale ones (their worker gone, Optuna's heartbeat
    expired) are failed and queued again; failed ones (Ctrl-C, an error) are queued once.

    Trials still running in a live process (another machine's) are left alone,
    as are ``surplus`` trials (never counted) and complete ones. Returns how
    many trials are queued.
    """
    import optuna

    from carve.search.engine import SURPLUS

    state = optuna.trial.TrialState
    with opened.budget_lock(study.study_name):
        fail_stale_trials(study, opened)
        trials = study.get_trials(deepcopy=False)
        retried = retried_numbers(trials)
        for trial in trials:
            if trial.state != state.FAIL or trial.number in retried:
                continue
            if trial.user_attrs.get(SURPLUS):
                continue
            study.enqueue_trial(trial.params, user_attrs={RETRY_OF: trial.number})
    return len(study.get_trials(deepcopy=False, states=(state.WAITING,)))


def metric_names(spec: SearchSpec) -> list[str]:
    """What optuna-dashboard calls the objectives."""
    if spec.multi_objective:
        return [m.name for m in spec.metrics]
    if spec.sum_scaled_metrics:
        return ["+".join(f"{m.scale:g}*{m.name}" for m in spec.metrics)]
    return [spec.metrics[0].name]


def space_record(setup: SearchSetup) -> dict[str, Any]:
    """The search space as stored on the study (to spot a study reused for another space)."""
    from carve.search.engine import jsonable

    return {p.name: jsonable(list(p.choices)) for p in setup.params if not p.fixed}


def open_study(opened: OpenedStorage, name: str, setup: SearchSetup, *, create: bool):
    """The study ``name`` (created, or loaded when it exists and not ``create``); notes about it.

    A new study gets its metric names and search space; a stored one with other
    directions is refused, one with another search space gives a warning.
    """
    import optuna

    spec = setup.spec
    try:
        study = optuna.create_study(
            storage=opened.storage,
            study_name=name,
            directions=spec.directions,
            load_if_exists=not create,
        )
    except optuna.exceptions.DuplicatedStudyError:
        raise CarveError(
            f"study {name!r} exists in {opened.where}; pass --resume or another --study-name"
        ) from None
    if [d.name.lower() for d in study.directions] != spec.directions:
        raise CarveError(
            f"study {name!r} in {opened.where} has directions "
            f"{[d.name.lower() for d in study.directions]}, this search {spec.directions}"
        )
    notes = []
    space = space_record(setup)
    stored = study.user_attrs.get(SPACE_ATTRIBUTE)
    if stored is None:
        study.set_user_attr(SPACE_ATTRIBUTE, space)
        study.set_user_attr(CHOICES, choice_kind(study, spec.sampler))
        with warnings.catch_warnings():  # "experimental" since Optuna 3.2
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            study.set_metric_names(metric_names(spec))
    if CHOICES not in study.user_attrs:  # made before carve recorded it: choice indices
        study.set_user_attr(CHOICES, "index")
    if stored is not None and stored != space:
        changed = sorted(set(stored) ^ set(space) | {k for k in space if stored.get(k) != space[k]})
        notes.append(
            f"warning: study {name!r} in {opened.where} was made for another search space "
            f"(differs in {', '.join(changed[:5])}{'...' if len(changed) > 5 else ''}); "
            "its trials are mixed with this search's"
        )
    return study, notes


def _worker(
    setup: SearchSetup, url: str | None, folder: Path, study_name: str, budget: Budget, beat: int
) -> None:
    """A forked worker: the parent's setup (model, graph, rows) as is, its own storage."""
    import optuna

    opened = open_storage(url, folder, heartbeat=beat)
    study = optuna.load_study(study_name=study_name, storage=opened.storage)
    # Ctrl-C reaches every worker: stop quietly, the trial is retried by --resume
    with contextlib.suppress(KeyboardInterrupt):
        optimize(study, setup, budget, opened, shared=True)


def load_search_file(path: str) -> None:
    """Import a user file registering spaces (``--search-file``), as ``--model-file`` does."""
    from carve.models.user import load_model_file

    load_model_file(path)


def run_search(
    config,
    table: dict[str, Any],
    *,
    storage: str | None = None,
    study_name: str | None = None,
    search_name: str | None = None,
    workers: int = 1,
    resume: bool = False,
    search_file: str | None = None,
    console=None,
    progress: bool = True,
    dataset=None,
    plotter: Any = None,
    heartbeat: int = HEARTBEAT_SECONDS,
    verify_hardware: int = 0,
) -> SearchOutcome:
    """Run (or resume) the search ``table`` (a ``[search]`` dict) for ``config``.

    ``plotter``: a :class:`~carve.search.background.Background` with
    :func:`~carve.search.plots.warm_up` the caller forked earlier (``carve
    search`` forks it before importing torch); made here when not given, and
    always closed here. ``heartbeat``: seconds between the heartbeats of a
    running trial in an RDB storage (three missed: the trial is failed and retried).
    ``verify_hardware``: run yosys on that many best trials
    (:mod:`carve.search.hardware_verify`).
    """
    import optuna

    from carve.search.background import Background
    from carve.search.folders import (
        check_identity,
        check_search_name,
        existing_folder,
        folder_lock,
        new_folder,
        search_root,
        write_identity,
    )
    from carve.search.plots import warm_up

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    check_workers(workers)
    check_study_name(study_name)
    check_search_name(search_name)
    if not isinstance(heartbeat, int) or isinstance(heartbeat, bool) or heartbeat < 1:
        said = f"{heartbeat!r}"
        raise CarveError(f"--heartbeat must be a whole number of seconds, 1 or more; got {said}")
    if search_file:
        load_search_file(search_file)
    spec: SearchSpec = parse_search_table(table)
    verify_hardware = check_count(verify_hardware)
    # matplotlib: imported on the other core meanwhile
    plotter = plotter if plotter is not None else Background("drawing the search plots", warm_up)
    try:
        setup = prepare(config, spec, dataset=dataset)
        budget = budget_for(setup)
        root = search_root(config)
        identity = _identity(config, table)
        exclusive = storage is None and workers == 1  # this process alone writes the journal
        remote = None
        if storage is not None and not storage.startswith("journal"):
            remote = open_storage(storage, root, heartbeat=heartbeat)  # unreachable: fail now
        if resume:
            folder = existing_folder(root, search_name)
            check_identity(folder, identity)
        else:
            folder = new_folder(root, search_name)
            write_identity(folder, identity)
        lock = folder_lock(folder)
        try:
            opened = remote or open_storage(storage, folder, exclusive=exclusive)
            try:
                return _run(
                    config, setup, budget, opened, folder, storage,
                    name=study_name or folder.name, create=not resume and study_name is None,
                    workers=workers, resume=resume, console=console, progress=progress,
                    plotter=plotter, heartbeat=heartbeat, verify_hardware=verify_hardware,
                )  # fmt: skip
            finally:
                opened.close()
        finally:
            lock.release()
    finally:
        plotter.close()


def _run(config, setup, budget, opened, folder, url, *, name, create, workers, resume, console,
         progress, plotter, heartbeat, verify_hardware=0) -> SearchOutcome:  # fmt: skip
    from carve.search.outputs import no_feasible_note, trial_rows, write_outputs
    from carve.search.progress import SearchProgress

    spec = setup.spec
    study, notes = open_study(opened, name, setup, create=create)
    retried = retry_interrupted(study, opened) if resume else 0
    shared = opened.backend is None  # other processes may join: count trials in the storage
    if console is not None:
        sampled = [p for p in setup.params if not p.fixed]
        console.print(
            f"Search folder: {folder}\nSpace {spec.space}: {len(sampled)} sampled "
            f"parameter(s), {grid_size(sampled):,} point(s); sampler {spec.sampler}; "
            f"{budget.n_trials} trial(s)"
            + (f"; {retried} interrupted trial(s) rerun" if retried else "")
            + (f"; {workers} worker processes" if workers > 1 else ""),
            soft_wrap=True,
        )
        for note in notes:
            console.print(note, soft_wrap=True)
    else:
        for note in notes:
            logger.warning(note)
    # fork: workers start at once with the built setup (Linux; torch on one thread)
    context = multiprocessing.get_context("fork")
    processes = [
        context.Process(target=_worker, args=(setup, url, folder, name, budget, heartbeat))
        for _ in range(workers - 1)
    ]
    for process in processes:
        process.start()
    interrupted = False
    try:
        with SearchProgress(console if progress else None, study, budget.n_trials) as bar:
            optimize(study, setup, budget, opened, on_trial=bar.update, shared=shared)
    except KeyboardInterrupt:
        interrupted = True  # finished trials are stored; write what there is
    finally:
        for process in processes:
            process.join()
        opened.flush()
    failed = [p.exitcode for p in processes if p.exitcode != 0]
    if failed and not interrupted:
        raise CarveError(f"{len(failed)} worker process(es) failed (exit codes {failed})")
    rows = trial_rows(study, spec)
    infeasible = no_feasible_note(rows, spec)
    if infeasible:
        notes.append(infeasible)
        if console is not None:
            console.print(infeasible, soft_wrap=True)
    checked = verify_rows(setup, study, rows, verify_hardware, folder)
    files = checked + write_outputs(folder, study, setup, rows, plotter)
    return SearchOutcome(
        interrupted,
        folder,
        name,
        rows,
        files,
        grid_size([p for p in setup.params if not p.fixed]),
        type(study.sampler).__name__,
        notes,
    )
