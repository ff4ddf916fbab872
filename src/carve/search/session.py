"""Run a search end to end: check everything, open the study, run the workers, write outputs.

All user input is checked before anything is written or any trial runs: the
``[search]`` table, the seeds against the model's nodes and the formats, the
grid size against the trial budget, the storage. Then a new search folder is
created (or the resumed one reopened), ``--workers N`` processes share the
study, and the outputs are written from whatever the storage holds.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from carve.errors import CarveError
from carve.search.engine import Budget, optimize
from carve.search.hardware_verify import check_count, verify_rows
from carve.search.setup import SearchSetup, prepare
from carve.search.spaces.base import grid_size
from carve.search.spec import SearchSpec, parse_search_table

DEFAULT_TRIALS = 20


@dataclass
class SearchOutcome:
    interrupted: bool
    folder: Path
    study_name: str
    rows: list[dict[str, Any]]  # one per complete trial, best first
    files: list[Path] = field(default_factory=list)
    grid_size: int | None = None
    sampler_name: str = ""

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


def _retry_interrupted(study) -> int:
    """Trials that never finished (killed: RUNNING; Ctrl-C or error: FAIL) run once more.

    A killed trial is marked failed first; each unfinished trial's choices are
    enqueued once (``retry_of`` records which), so none is lost and none of
    the complete ones runs again.
    """
    import optuna

    state = optuna.trial.TrialState
    trials = study.get_trials(deepcopy=False)
    retried = {t.user_attrs.get("retry_of") for t in trials}
    unfinished = [t for t in trials if t.state in (state.RUNNING, state.FAIL)]
    count = 0
    for trial in unfinished:
        if trial.state == state.RUNNING:
            study._storage.set_trial_state_values(trial._trial_id, state.FAIL)
        if trial.number not in retried:
            study.enqueue_trial(trial.params, user_attrs={"retry_of": trial.number})
            count += 1
    return count


def open_study(
    storage: Any, name: str, spec: SearchSpec, *, load_if_exists: bool, resume: bool, shared: bool
) -> tuple[Any, Any, int]:
    """The study to optimize, its :class:`TrialMirror` (or None) and how many trials are retried.

    The only process on an RDB study (not ``shared``) runs in memory and mirrors
    each trial into the storage (:mod:`carve.search.mirror`); otherwise the
    study works on the storage itself.
    """
    import optuna

    from carve.search.mirror import TrialMirror
    from carve.search.mirror import supports as supports_mirror

    study = optuna.create_study(
        storage=storage, study_name=name, directions=spec.directions, load_if_exists=load_if_exists
    )
    if [d.name.lower() for d in study.directions] != spec.directions:
        raise CarveError(f"study {name!r} in the storage has other directions")
    retried = _retry_interrupted(study) if resume else 0
    if shared or not supports_mirror(storage):
        return study, None, retried
    mirror = TrialMirror.of_storage(storage, study._study_id)
    return mirror.in_memory(study), mirror, retried


def new_mirrored_study(
    folder: Path, name: str, spec: SearchSpec, process: Any = None
) -> tuple[Any, Any]:
    """A new in-memory study and the process storing it in a new ``study.db`` in ``folder``.

    ``process``: a :class:`~carve.search.mirror_process.MirrorProcess` forked
    earlier (its imports done meanwhile), or None for a new one.
    """
    import optuna

    from carve.search.mirror_process import MirrorProcess
    from carve.search.storage import default_url

    process = process if process is not None else MirrorProcess()
    process.create(default_url(folder), name, spec.directions)
    return optuna.create_study(study_name=name, directions=spec.directions), process


def _worker(
    setup: SearchSetup,
    parent_storage: Any,
    url: str | None,
    folder: Path,
    study_name: str,
    budget: Budget,
) -> None:
    """A forked worker: the parent's setup (model, graph, rows) as is, its own storage."""
    import optuna

    engine = getattr(parent_storage, "engine", None)
    if engine is not None:  # the parent's connections are the parent's: never close them here
        engine.dispose(close=False)
    from carve.search.storage import open_storage

    study = optuna.load_study(study_name=study_name, storage=open_storage(url, folder))
    # Ctrl-C reaches every worker: stop quietly, the trial is retried by --resume
    with contextlib.suppress(KeyboardInterrupt):
        optimize(study, setup, budget, shared=True)


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
    writer: Any = None,
    verify_hardware: int = 0,
) -> SearchOutcome:
    """Run (or resume) the search ``table`` (a ``[search]`` dict) for ``config``.

    ``plotter`` (a :class:`~carve.search.background.Background` with
    :func:`~carve.search.plots.warm_up`) and ``writer`` (a
    :class:`~carve.search.mirror_process.MirrorProcess`): processes the
    caller forked earlier (``carve search`` forks them before importing
    torch); made here when not given, and always closed here.
    ``verify_hardware``: run yosys on that many best trials
    (:mod:`carve.search.hardware_verify`).
    """
    import optuna

    from carve.search.background import Background
    from carve.search.folders import (
        check_identity,
        existing_folder,
        folder_lock,
        new_folder,
        search_root,
        write_identity,
    )
    from carve.search.mirror_process import MirrorProcess, owns_new_study
    from carve.search.outputs import trial_rows, write_outputs
    from carve.search.plots import warm_up
    from carve.search.progress import SearchProgress
    from carve.search.storage import open_storage

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise CarveError(f"--workers must be a positive integer, got {workers!r}")
    if search_file:
        load_search_file(search_file)
    spec: SearchSpec = parse_search_table(table)
    verify_hardware = check_count(verify_hardware)
    # matplotlib, and SQLAlchemy/Alembic for a new study.db: imported on the other core
    plotter = plotter if plotter is not None else Background("drawing the search plots", warm_up)
    fresh = owns_new_study(storage, workers, resume)
    if writer is not None and not fresh:
        writer.close()
    writer = (writer or MirrorProcess()) if fresh else None
    try:
        setup = prepare(config, spec, dataset=dataset)
        budget = budget_for(setup)
        root = search_root(config)
        identity = _identity(config, table)
        remote = storage if storage and not storage.startswith("journal") else None
        opened = open_storage(remote, root) if remote else None  # unreachable: fail before writing
        if resume:
            folder = existing_folder(root, search_name)
            check_identity(folder, identity)
        else:
            folder = new_folder(root, search_name)
            write_identity(folder, identity)
        lock = folder_lock(folder)
        try:
            name = study_name or folder.name
            # several processes, or a storage other machines may share: count trials in the storage
            shared = workers > 1 or remote is not None
            if fresh:  # a new study.db, written by the forked writer
                study, mirror = new_mirrored_study(folder, name, spec, writer)
                retried = 0
            else:
                opened = opened if opened is not None else open_storage(storage, folder)
                study, mirror, retried = open_study(
                    opened, name, spec, load_if_exists=resume or study_name is not None,
                    resume=resume, shared=shared,
                )  # fmt: skip
            if console is not None:
                sampled = [p for p in setup.params if not p.fixed]
                size = grid_size(sampled)
                console.print(
                    f"Search folder: {folder}\nSpace {spec.space}: {len(sampled)} sampled "
                    f"parameter(s), "
                    f"{size:,} point(s); sampler {spec.sampler}; {budget.n_trials} trial(s)"
                    + (f"; {retried} interrupted trial(s) rerun" if retried else "")
                    + (f"; {workers} worker processes" if workers > 1 else ""),
                    soft_wrap=True,
                )
            # fork: workers start at once with the built setup (Linux; torch on one thread)
            context = multiprocessing.get_context("fork")
            processes = [
                context.Process(target=_worker, args=(setup, opened, storage, folder, name, budget))
                for _ in range(workers - 1)
            ]
            for process in processes:
                process.start()
            interrupted = False
            try:
                with SearchProgress(console if progress else None, study, budget.n_trials) as bar:
                    optimize(
                        study, setup, budget, on_trial=bar.update, shared=shared, mirror=mirror
                    )
            except KeyboardInterrupt:
                interrupted = True  # finished trials are stored; write what there is
            finally:
                for process in processes:
                    process.join()
            failed = [p.exitcode for p in processes if p.exitcode != 0]
            if failed and not interrupted:
                raise CarveError(f"{len(failed)} worker process(es) failed (exit codes {failed})")
            rows = trial_rows(study, spec)
            checked = verify_rows(setup, study, rows, verify_hardware, folder)
            store = (lambda: mirror.sync(study)) if mirror is not None else None
            try:  # the trials are stored while the plots are drawn
                files = checked + write_outputs(
                    folder, study, setup, rows, plotter, meanwhile=store
                )
            finally:
                if store is not None:
                    store()
            return SearchOutcome(
                interrupted,
                folder,
                name,
                rows,
                files,
                grid_size([p for p in setup.params if not p.fixed]),
                type(study.sampler).__name__,
            )
        finally:
            lock.release()
    finally:
        plotter.close()
        if writer is not None:
            writer.close()
