"""Run a study: every (configuration, seed), skipping finished runs, then tables and plots.

Runs that differ only in seed, learning rate or weight decay (same batch size,
epochs, model...) train together as one vectorised ensemble
(:func:`carve.train.ensemble.train_ensemble`), which reproduces the sequential
engine's numbers bit for bit; runs the ensemble cannot take (gradient
accumulation, ``max_steps``, a GPU, layers without a batched form), and a
configuration that would train alone (a group of one), use
:func:`carve.train.train` one by one (``mode`` "sequential" in the record).
Every run's test metrics are measured on its best checkpoint (minimum
validation loss), as lab 1 tests ``best.ckpt``; the last epoch's are kept as
``test_acc_last``/``test_loss_last``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from carve.config import CarveConfig
from carve.study.progress import StudyProgress
from carve.study.spec import Run, StudySpec
from carve.study.store import StudyStore

MAX_MEMBERS = 64  # runs per ensemble (bounds memory; far above lab studies' sizes)


@dataclass
class StudyOutcome:
    """What :func:`run_study` produced."""

    root: Path
    records: list[dict[str, Any]]  # one per finished run
    rows: list[dict[str, Any]]  # one per configuration (mean/std over seeds)
    files: list[Path] = field(default_factory=list)
    interrupted: bool = False
    trained: int = 0  # runs trained by this call (the rest were already done)
    busy: list[str] = field(default_factory=list)  # runs another process was training


def _dataset_for(config: CarveConfig, cache: dict) -> Any:
    from carve.train import load_dataset

    key = (config.dataset, tuple(sorted(config.dataset_options().items())))
    if key not in cache:
        cache[key] = load_dataset(config)
    return cache[key]


def _test_metrics(result, config: CarveConfig, dataset) -> dict[str, float]:
    """Test loss/accuracy of the best checkpoint and of the last epoch's model."""
    from carve.train import build_model, evaluate, read_checkpoint

    last = evaluate(result.model, dataset.test)
    metrics = {"test_acc_last": last["acc"], "test_loss_last": last["loss"]}
    best = last
    if result.best_checkpoint is not None:
        model = build_model(config, dataset.info)
        model.load_state_dict(read_checkpoint(result.best_checkpoint)["state_dict"])
        best = evaluate(model, dataset.test)
    metrics.update(test_acc=best["acc"], test_loss=best["loss"])
    return metrics


def _record(run: Run, config: CarveConfig, result, dataset, mode: str) -> dict[str, Any]:
    history = [dict(row) for row in result.history]
    return {
        "run": run.name,
        "values": dict(run.values),
        "seed": run.seed,
        "parameters": sum(p.numel() for p in result.model.parameters()),
        **_test_metrics(result, config, dataset),
        **result.final,
        "best_val_loss": result.best_val_loss,
        "epochs": len(history),
        "global_step": result.global_step,
        "train_seconds": result.train_seconds,  # training steps only (carve.train.record)
        "seconds": result.seconds,  # plus validation
        "mode": mode,
        "history": history,
    }


def _groups(spec: StudySpec, runs: list[Run], ensemble: bool) -> list[list[Run]]:
    """Pending runs grouped into ensembles (or singletons when not possible)."""
    from carve.train.ensemble import ensemble_key, ensemble_supported

    groups: dict[Any, list[Run]] = {}
    for index, run in enumerate(runs):
        config = spec.config_for(run)
        shared = ensemble and ensemble_supported(config) is None
        key = ensemble_key(config) if shared else ("alone", index)
        groups.setdefault(key, []).append(run)
    return [
        members[start : start + MAX_MEMBERS]
        for members in groups.values()
        for start in range(0, len(members), MAX_MEMBERS)
    ]


def _train_group(spec, store, group, dataset, progress, ensemble: bool):
    """Train one group; returns (results, mode)."""
    from carve.train import train
    from carve.train.ensemble import train_ensemble
    from carve.train.ensemble_layers import EnsembleUnsupported

    configs = [spec.config_for(run) for run in group]
    for run in group:
        store.prepare(run)
    epochs = configs[0].max_epochs
    state = {"epoch": 1}

    def on_batch(done: int, total: int) -> None:
        progress.batch(state["epoch"], epochs, done, total)

    def on_epoch(epoch: int, rows) -> None:
        state["epoch"] = epoch + 1

    if ensemble:
        try:
            results = train_ensemble(
                configs,
                dataset,
                output_dirs=[store.output_dir(run) for run in group],
                on_batch=on_batch,
                on_epoch=on_epoch,
            )
            return results, "ensemble"
        except EnsembleUnsupported:
            for run in group:
                store.prepare(run)
    results = []
    for run, config in zip(group, configs):
        result = train(config, dataset=dataset, output_dir=store.output_dir(run), progress=False)
        results.append(result)
        if result.interrupted:
            break
    return results, "sequential"


def _describe(group: list[Run]) -> str:
    """``(6 runs: batch_size=64; learning_rate=0.001,0.01; seed=0,1,2)``."""
    from carve.study.report import format_value

    values: dict[str, list] = {}
    for run in group:
        for key, value in (*run.values, ("seed", run.seed)):
            values.setdefault(key, [])
            if value not in values[key]:
                values[key].append(value)
    text = "; ".join(f"{k}={','.join(format_value(v) for v in vs)}" for k, vs in values.items())
    return f"({len(group)} run{'s' if len(group) > 1 else ''}: {text})"


def run_study(
    spec: StudySpec,
    root: str | Path,
    *,
    ensemble: bool = True,
    console=None,
    progress: bool = True,
    datasets: dict | None = None,
    plot_formats: tuple[str, ...] = ("png",),
) -> StudyOutcome:
    """Run the pending runs of ``spec`` in ``root`` and (re)write its tables and plots.

    Every run's config is validated before anything is written; a directory
    that holds another study is refused. A Ctrl-C stops after saving the runs
    already finished (``outcome.interrupted``); rerunning continues.
    """
    from carve.figures import PlotStyle, check_formats
    from carve.study.plots import study_caption, write_plots
    from carve.study.report import summarize, write_tables
    from carve.study.validate import validate_runs

    style = PlotStyle(study_caption(spec), check_formats(plot_formats))
    runs = spec.runs()
    configs = validate_runs(spec)  # every run checked before any trains or anything is written
    store = StudyStore(root, spec)
    store.open()
    pending = [run for run in runs if not store.is_done(run)]
    cache = {} if datasets is None else datasets
    interrupted, trained, busy = False, 0, []
    with StudyProgress(console, len(runs), len(runs) - len(pending), live=progress) as bars:
        for listed in _groups(spec, pending, ensemble):
            claims = {run: store.claim(run) for run in listed}
            group = [run for run in listed if claims[run] is not None]
            busy += [run.name for run in listed if claims[run] is None and not store.is_done(run)]
            if not group:
                continue
            try:
                stop, count = _run_group(spec, store, group, configs, cache, bars, ensemble)
            finally:
                for lock in claims.values():
                    if lock is not None:
                        lock.release()
            trained += count
            if stop:
                interrupted = True
                break
    with store.study_lock():  # the last process to finish writes every finished run
        records = store.records()
        rows = summarize(records, spec.keys)
        files: list[Path] = []
        if records:
            files = write_tables(store.root, rows, spec.keys)
            files += write_plots(store.root, records, rows, spec.keys, style)
    return StudyOutcome(store.root, records, rows, files, interrupted, trained, busy)


def _run_group(spec, store, group, configs, cache, bars, ensemble: bool) -> tuple[bool, int]:
    """Train the claimed runs of one group and save their results; (interrupted?, trained)."""
    from carve.train.ensemble import ensemble_supported

    dataset = _dataset_for(configs[group[0]], cache)
    bars.start_group(_describe(group))
    # a configuration that trains alone gains nothing from the ensemble's batched
    # layers and pays their overhead: the plain engine trains it (as carve train)
    use_ensemble = ensemble and len(group) > 1 and ensemble_supported(configs[group[0]]) is None
    try:
        results, mode = _train_group(spec, store, group, dataset, bars, use_ensemble)
    except KeyboardInterrupt:
        return True, 0
    finished = [(run, r) for run, r in zip(group, results) if not r.interrupted]
    for run, result in finished:
        store.save(run, _record(run, configs[run], result, dataset, mode))
    if finished:
        accuracy = ", ".join(f"{store.load(run)['test_acc']:.4f}" for run, _ in finished)
        bars.runs_done(len(finished), f"{_describe(group)} {mode}: test acc {accuracy}")
    return len(finished) < len(group), len(finished)
