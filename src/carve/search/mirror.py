"""One process, one study: trials run in memory and are mirrored into the stored study.

Optuna's RDB storage writes each field of a trial in its own transaction (a
new trial, each parameter, each attribute, the values, the state: ~27 SQL
statements per trial through the ORM, 20-70 ms), which caps a search at
15-45 trials/s whatever the model costs. A search that is the only process on
its study (the default: SQLite in the search folder, one worker) does not
need the storage to arbitrate between workers, so here the study runs on
Optuna's in-memory storage and each trial is copied into the stored study
twice, each time in ONE transaction on Optuna's own tables (its SQLAlchemy
models, the schema the installed Optuna created and checked when the storage
was opened):

* when its choices are sampled (state RUNNING, with its parameters), so a
  ``kill -9`` leaves it RUNNING there and ``--resume`` runs its choices again;
* when it ends (COMPLETE or FAIL: values, attributes, end time).

The stored study is an ordinary Optuna study: ``optuna.load_study``,
optuna-dashboard and ``--resume`` read it, and tests compare what they read
with the in-memory trials field by field. Several processes on one study
(``--workers N``, a shared ``--storage``) skip all this and use Optuna's
storage directly.
"""

from __future__ import annotations

import json
from typing import Any

# Optuna's tables holding a trial: the trial row, then the rows that point at it
TABLES = (
    "trials",
    "trial_params",
    "trial_values",
    "trial_user_attributes",
    "trial_system_attributes",
    "trial_intermediate_values",
)


def supports(storage: Any) -> bool:
    """Whether ``storage`` is Optuna's RDB storage (the only kind mirrored)."""
    import optuna

    return isinstance(storage, optuna.storages.RDBStorage)


class TrialMirror:
    """Copies the trials of an in-memory study into the stored study ``study_id``.

    Used in this process for a study that exists (``--resume``), and by
    :class:`carve.search.mirror_process.MirrorProcess` for a new ``study.db``.
    """

    def __init__(self, engine: Any, study_id: int) -> None:
        from optuna.storages._rdb import models
        from sqlalchemy import select

        self.engine = engine
        self.study_id = study_id
        self.models = models
        self.tables = {name: models.BaseModel.metadata.tables[name] for name in TABLES}
        trials = self.tables["trials"]
        with engine.connect() as connection:
            rows = connection.execute(
                select(trials.c.number, trials.c.trial_id).where(trials.c.study_id == study_id)
            ).all()
        self.ids: dict[int, int] = dict(rows)  # trial number -> stored trial_id
        self.written: dict[int, Any] = {}  # trial number -> last state written

    @classmethod
    def of_storage(cls, storage: Any, study_id: int) -> TrialMirror:
        """A mirror into ``study_id`` of Optuna's RDB ``storage``."""
        return cls(storage.engine, study_id)

    def in_memory(self, stored) -> Any:
        """An in-memory study holding ``stored``'s trials (same numbers, states, records)."""
        import optuna

        memory = optuna.create_study(study_name=stored.study_name, directions=stored.directions)
        trials = stored.get_trials(deepcopy=False)
        memory.add_trials(trials)
        self.written = {t.number: t.state for t in trials}
        return memory

    def write(self, trial) -> None:
        """Store ``trial`` (a FrozenTrial of the in-memory study) as it is now: one transaction."""
        from sqlalchemy import delete, insert, update

        t = self.tables
        row = {
            "number": trial.number,
            "study_id": self.study_id,
            "state": trial.state,
            "datetime_start": trial.datetime_start,
            "datetime_complete": trial.datetime_complete,
        }
        with self.engine.begin() as connection:
            trial_id = self.ids.get(trial.number)
            if trial_id is None:
                trial_id = connection.execute(
                    insert(t["trials"]).returning(t["trials"].c.trial_id), row
                ).scalar_one()
            else:
                connection.execute(
                    update(t["trials"]).where(t["trials"].c.trial_id == trial_id).values(**row)
                )
                for name in TABLES[1:]:
                    connection.execute(delete(t[name]).where(t[name].c.trial_id == trial_id))
            for name, rows in self._children(trial, trial_id).items():
                if rows:
                    connection.execute(insert(t[name]), rows)
        self.ids[trial.number] = trial_id
        self.written[trial.number] = trial.state

    def sync(self, study) -> None:
        """Store every trial of ``study`` whose state changed since it was last written."""
        for trial in changed(study, self.written):
            self.write(trial)

    def _children(self, trial, trial_id: int) -> dict[str, list[dict[str, Any]]]:
        from optuna.distributions import distribution_to_json

        models = self.models
        params = []
        for name, value in trial.params.items():
            distribution = trial.distributions[name]
            params.append(
                {
                    "trial_id": trial_id,
                    "param_name": name,
                    "param_value": distribution.to_internal_repr(value),
                    "distribution_json": distribution_to_json(distribution),
                }
            )
        values = []
        for objective, value in enumerate(trial.values or ()):
            stored, kind = models.TrialValueModel.value_to_stored_repr(value)
            values.append(
                {"trial_id": trial_id, "objective": objective, "value": stored, "value_type": kind}
            )
        steps = []
        for step, value in trial.intermediate_values.items():
            intermediate = models.TrialIntermediateValueModel
            stored, kind = intermediate.intermediate_value_to_stored_repr(value)
            steps.append(
                {
                    "trial_id": trial_id,
                    "step": step,
                    "intermediate_value": stored,
                    "intermediate_value_type": kind,
                }
            )
        return {
            "trial_params": params,
            "trial_values": values,
            "trial_user_attributes": _attributes(trial.user_attrs, trial_id),
            "trial_system_attributes": _attributes(trial.system_attrs, trial_id),
            "trial_intermediate_values": steps,
        }


def changed(study, written: dict[int, Any]) -> list:
    """The trials of ``study`` whose state is not the one last ``written``."""
    return [t for t in study.get_trials(deepcopy=False) if written.get(t.number) != t.state]


def _attributes(attributes: dict[str, Any], trial_id: int) -> list[dict[str, Any]]:
    return [
        {"trial_id": trial_id, "key": key, "value_json": json.dumps(value)}
        for key, value in attributes.items()
    ]
