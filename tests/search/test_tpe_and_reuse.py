"""How a study's parameters are suggested (categories for tpe, indices otherwise, a stored
study's own kind when resumed), and a deterministic space measuring each point once."""

from __future__ import annotations

import optuna
import pytest

from carve.search.engine import CHOICES, Budget, optimize
from carve.search.session import SPACE_ATTRIBUTE, open_study, space_record
from carve.search.setup import prepare
from carve.search.spec import parse_search_table
from carve.search.storage import open_storage

STATE = optuna.trial.TrialState


def _with_sampler(table: dict, sampler: str) -> dict:
    return table | {"strategy": table["strategy"] | {"setup": {"sampler": sampler}}}


def _distributions(study) -> set[type]:
    return {type(d) for t in study.get_trials(deepcopy=False) for d in t.distributions.values()}


def test_a_new_study_records_the_kind_its_sampler_suggests(toy_config, by_type, tmp_path):
    opened = open_storage(None, tmp_path)
    for sampler, kind in (
        ("tpe", "categorical"),
        ("tpe_independent", "index"),
        ("random", "index"),
    ):
        setup = prepare(toy_config, parse_search_table(_with_sampler(by_type, sampler)))
        study, _ = open_study(opened, f"s-{sampler}", setup, create=True)
        optimize(study, setup, Budget(3), opened)
        assert study.user_attrs[CHOICES] == kind
        expected = (optuna.distributions.CategoricalDistribution if kind == "categorical"
                    else optuna.distributions.IntDistribution)  # fmt: skip
        assert _distributions(study) == {expected}
        # resumed with another sampler, the study keeps its kind (Optuna refuses a parameter
        # suggested with another distribution than its stored trials')
        other = "random" if sampler == "tpe" else "tpe"
        setup.spec = parse_search_table(_with_sampler(by_type, other))
        study, _ = open_study(opened, f"s-{sampler}", setup, create=False)
        optimize(study, setup, Budget(5), opened)
        assert len(study.get_trials(states=(STATE.COMPLETE,))) == 5
        assert _distributions(study) == {expected} and study.user_attrs[CHOICES] == kind
    opened.close()


def test_a_study_stored_before_choice_kinds_resumes_with_tpe(toy_config, by_type, tmp_path):
    """A study carve stored before it recorded the kind holds choice indices; tpe goes on."""
    setup = prepare(toy_config, parse_search_table(_with_sampler(by_type, "tpe")))
    opened = open_storage(None, tmp_path)
    old = optuna.create_study(storage=opened.storage, study_name="old",
                              directions=setup.spec.directions)  # fmt: skip
    old.set_user_attr(SPACE_ATTRIBUTE, space_record(setup))
    for _ in range(3):
        trial = old.ask()
        for param in setup.params:
            if not param.fixed:
                trial.suggest_int(param.name, 0, len(param.choices) - 1)
        old.tell(trial, [0.5, 4.0])
    study, notes = open_study(opened, "old", setup, create=False)
    assert notes == [] and study.user_attrs[CHOICES] == "index"
    optimize(study, setup, Budget(6), opened)
    assert len(study.get_trials(states=(STATE.COMPLETE,))) == 6
    assert _distributions(study) == {optuna.distributions.IntDistribution}
    opened.close()


@pytest.fixture
def counted(toy_config, by_type):
    """A prepared search whose runner counts the candidates it evaluates."""
    setup = prepare(toy_config, parse_search_table(by_type))
    runner, seen = setup.runner, []
    run, run_many = runner.run, runner.run_many
    runner.run = lambda candidate: seen.append(1) or run(candidate)
    runner.run_many = lambda candidates: seen.extend([1] * len(candidates)) or run_many(candidates)
    return setup, seen


def _values(setup, index: int) -> dict:
    return {p.name: p.choices[index % len(p.choices)] for p in setup.params}


def test_a_deterministic_space_measures_each_point_once(counted):
    setup, seen = counted
    a, b = _values(setup, 0), _values(setup, 1)
    first = setup.measure_many([a, b, a])
    assert len(seen) == 2  # a once, b once
    assert first[0] == first[2] and first[0] != first[1]
    first[0]["software_metrics"]["accuracy"] = -1.0  # a caller's copy: the next one is intact
    first[0]["constraints"].append(1.0)
    again = setup.measure(a)
    assert len(seen) == 2 and again == first[2]
    setup.measured.clear()
    assert setup.measure(a) == again and len(seen) == 3  # reused = measured afresh


def test_a_space_that_is_not_deterministic_measures_every_time(counted):
    setup, seen = counted
    setup.space.deterministic = False  # e.g. a space drawing random masks
    a = _values(setup, 0)
    setup.measure_many([a, a])
    setup.measure(a)
    assert len(seen) == 3 and setup.measured == {}
