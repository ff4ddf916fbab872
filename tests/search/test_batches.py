"""The batched ask/measure/tell loop leaves no trial RUNNING, wherever a Ctrl-C lands."""

from __future__ import annotations

from types import SimpleNamespace

import optuna
import pytest

from carve.search.engine import _optimize_in_batches

STATE = optuna.trial.TrialState


class _Objective:
    """Samples one int per trial; its 'measurement' is the value itself."""

    setup = SimpleNamespace(measure_many=lambda values: [float(v) for v in values])

    def sample(self, trial):
        return trial.suggest_int("w", 0, 9)

    def record(self, trial, value, result):
        return result


def _interrupt_at(call: int, seen: list):
    def after_trial(study, trial):
        seen.append((trial.number, trial.state))
        if len(seen) == call:
            raise KeyboardInterrupt

    return after_trial


@pytest.mark.parametrize("call", [1, 3, 6])
def test_ctrl_c_while_telling_a_batch_keeps_every_measured_result(call):
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    seen: list = []
    with pytest.raises(KeyboardInterrupt):
        _optimize_in_batches(study, _Objective(), 12, SimpleNamespace(timeout=None), 6,
                             _interrupt_at(call, seen))  # fmt: skip
    assert [t.state for t in study.trials] == [STATE.COMPLETE] * 6  # none left RUNNING
    assert [t.value for t in study.trials] == [float(t.params["w"]) for t in study.trials]
    assert seen == [(n, STATE.COMPLETE) for n in range(6)]  # each end reported once


def test_ctrl_c_before_measuring_fails_the_trials_already_asked(monkeypatch):
    study = optuna.create_study()
    ask = study.ask
    calls = []

    def interrupted_ask(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return ask(*args, **kwargs)

    monkeypatch.setattr(study, "ask", interrupted_ask)
    seen: list = []
    with pytest.raises(KeyboardInterrupt):
        _optimize_in_batches(study, _Objective(), 12, SimpleNamespace(timeout=None), 6,
                             _interrupt_at(0, seen))  # fmt: skip
    assert [t.state for t in study.trials] == [STATE.FAIL, STATE.FAIL]
    assert seen == [(0, STATE.FAIL), (1, STATE.FAIL)]


def test_ctrl_c_while_measuring_fails_the_whole_batch(monkeypatch):
    objective = _Objective()

    def interrupted(values):
        raise KeyboardInterrupt

    monkeypatch.setattr(objective, "setup", SimpleNamespace(measure_many=interrupted))
    study = optuna.create_study()
    seen: list = []
    with pytest.raises(KeyboardInterrupt):
        _optimize_in_batches(study, objective, 12, SimpleNamespace(timeout=None), 6,
                             _interrupt_at(0, seen))  # fmt: skip
    assert [t.state for t in study.trials] == [STATE.FAIL] * 6
    assert len(seen) == 6
