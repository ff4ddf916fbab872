"""Whole searches: grid covers the space once, outputs, best config reproduces, bad input."""

from __future__ import annotations

import json

import optuna
import pytest

from carve.cli.main import main
from carve.config.toml_io import load_toml
from carve.errors import CarveError
from carve.search.session import run_search


def test_lab3_grid_runs_every_point_once_and_writes_outputs(lab3):
    outcome = lab3
    frame = outcome.frame
    assert outcome.grid_size == 16 and len(frame) == 16
    pairs = set(
        zip(
            frame["linear/data_in_width,data_in_frac_width"],
            frame["linear/weight_width,weight_frac_width"],
        )
    )
    assert len(pairs) == 16  # every (input, weight) pair exactly once
    folder = outcome.folder
    assert folder.name == "search_0"
    for name in (
        "results.csv",
        "results.md",
        "best.json",
        "pareto.csv",
        "pareto.md",
        "pareto.png",
        "history.png",
        "best_transform.toml",
        "study.journal",
    ):
        assert (folder / name).is_file(), name
    # best first: the Pareto front leads and no trial dominates a front member
    best = frame[frame["best"]]
    assert list(frame["best"][: len(best)]) == [True] * len(best)
    for _, row in best.iterrows():
        assert not (
            (frame["accuracy"] >= row["accuracy"])
            & (frame["average_bitwidth"] <= row["average_bitwidth"])
            & (
                (frame["accuracy"] > row["accuracy"])
                | (frame["average_bitwidth"] < row["average_bitwidth"])
            )
        ).any()
    # 16-bit inputs and weights: 16 bits on average; (4, 2) both: 4 bits
    assert sorted(set(frame["average_bitwidth"]))[0] == 4.0
    assert frame["average_bitwidth"].max() == 16.0
    stored = json.loads((folder / "best.json").read_text())
    assert set(stored["0"]) == {
        "number",
        "value",
        "software_metrics",
        "hardware_metrics",
        "scaled_metrics",
        "sampled_config",
    }
    assert len(stored) == len(best)


def test_best_transform_toml_reproduces_the_best_trial_exactly(lab3):
    from carve.data import get_dataset
    from carve.data.base import Split
    from carve.passes import quantize_transform_pass
    from carve.search.setup import build_graph
    from carve.train import evaluate

    outcome = lab3
    best = json.loads((outcome.folder / "best.json").read_text())["0"]
    written = load_toml(outcome.folder / "best_transform.toml")
    assert written["load_name"].endswith("best.ckpt") and written["data_size"] == 3000
    from carve.config import CarveConfig

    config = CarveConfig.from_dict(written)
    data = get_dataset("jsc-synth", size=config.data_size)
    graph = build_graph(config, data)
    quantized, _ = quantize_transform_pass(graph, written["passes"]["quantize"])
    rows = Split(data.val.x[:256], data.val.y[:256])
    metrics = evaluate(quantized.model, rows)
    assert metrics["acc"] == best["software_metrics"]["accuracy"]
    assert metrics["loss"] == best["software_metrics"]["loss"]
    # and carve transform accepts the file as written
    assert (
        main(
            [
                "transform",
                "--config",
                str(outcome.folder / "best_transform.toml"),
                "--project-dir",
                str(outcome.folder / "t"),
                "--no-progress",
            ]
        )
        == 0
    )


def test_a_search_never_reuses_a_folder(toy_config, by_type):
    by_type["strategy"]["setup"]["n_trials"] = 3
    first = run_search(toy_config, by_type, progress=False)
    second = run_search(toy_config, by_type, progress=False)
    assert (first.folder.name, second.folder.name) == ("search_0", "search_1")
    assert len(first.frame) == len(second.frame) == 3
    # same sampler seed, same choices, same results: trials do not depend on the process state
    columns = ["accuracy", "loss", "average_bitwidth"]
    assert first.frame.sort_values("number")[columns].equals(
        second.frame.sort_values("number")[columns]
    )


def test_grid_refuses_a_budget_it_cannot_finish(toy_config, lab3_grid, tmp_path):
    lab3_grid["strategy"]["setup"]["n_trials"] = 5
    with pytest.raises(CarveError, match="grid search: the space has 16 points but n_trials = 5"):
        run_search(toy_config, lab3_grid, progress=False)
    assert not (tmp_path / "p").exists()  # nothing written
    lab3_grid["strategy"]["setup"]["allow_partial_grid"] = True
    assert len(run_search(toy_config, lab3_grid, progress=False).frame) == 5


def test_unreachable_storage_is_one_line_before_any_output(toy_config, by_type, tmp_path):
    with pytest.raises(CarveError) as error:
        run_search(
            toy_config,
            by_type,
            storage="postgresql://carve:secret@127.0.0.1:1/none",
            progress=False,
        )
    text = str(error.value)
    assert text.startswith("--storage postgresql://carve:***@127.0.0.1:1/none: cannot reach")
    assert "secret" not in text and "\n" not in text
    with pytest.raises(CarveError, match="--storage 'redis://x' is not accepted; accepted: "):
        run_search(toy_config, by_type, storage="redis://x", progress=False)
    assert not (tmp_path / "p").exists()


def test_every_sampler_runs_through_optuna(toy_config, by_type):
    from carve.search.engine import Budget, optimize
    from carve.search.setup import prepare
    from carve.search.spec import parse_search_table

    kinds = {
        "random": "RandomSampler",
        "tpe": "TPESampler",
        "tpe_independent": "TPESampler",
        "nsgaii": "NSGAIISampler",
        "nsgaiii": "NSGAIIISampler",
        "qmc": "QMCSampler",
    }
    setup = prepare(toy_config, parse_search_table(by_type))
    for sampler, kind in kinds.items():
        setup.spec = parse_search_table(by_type | {"strategy": {"setup": {"sampler": sampler}}})
        study = optuna.create_study(directions=setup.spec.directions)
        optimize(study, setup, Budget(4))
        assert type(study.sampler).__name__ == kind
        trials = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
        assert len(trials) == 4 and all(len(t.values) == 2 for t in trials)
        # tpe: choices as categories, one joint model of the sampled parameters; the others
        # (tpe_independent: Optuna's default TPE, MASE's) suggest choice indices
        categorical = sampler == "tpe"
        kind_of = optuna.distributions.CategoricalDistribution
        kind_of = kind_of if categorical else optuna.distributions.IntDistribution
        assert all(isinstance(d, kind_of) for t in trials for d in t.distributions.values())
        if sampler.startswith("tpe"):
            joint = study.sampler.infer_relative_search_space(study, trials[-1])
            assert sorted(joint) == (sorted(trials[-1].params) if categorical else [])


def test_trials_measured_in_batches_equal_each_measured_alone(toy_config, by_type):
    from carve.search.engine import BATCH, Budget, batch_size, optimize
    from carve.search.setup import prepare
    from carve.search.spec import parse_search_table

    setup = prepare(toy_config, parse_search_table(by_type))
    assert batch_size(setup, shared=False) == BATCH > 1  # random sampler, PTQ runner
    assert batch_size(setup, shared=True) == 1
    study = optuna.create_study(directions=setup.spec.directions)
    optimize(study, setup, Budget(BATCH + 3))  # one full batch and a short one
    trials = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    assert [t.number for t in trials] == list(range(BATCH + 3))
    for trial in trials:
        record = trial.user_attrs["carve"]
        values = {k: tuple(v) if isinstance(v, list) else v
                  for k, v in record["sampled_config"].items()}  # fmt: skip
        setup.measured.clear()  # measured again, not the search's reused record
        alone = setup.measure(values)
        assert record["software_metrics"] == alone["software_metrics"]
        assert record["hardware_metrics"] == alone["hardware_metrics"]


def test_single_objective_with_constraint(toy_config, by_type):
    by_type["strategy"] |= {
        "setup": {
            "sampler": "tpe",
            "n_trials": 6,
            "sum_scaled_metrics": True,
            "direction": "maximize",
        },
        "metrics": {"accuracy": {"scale": 1.0}, "average_bitwidth": {"scale": -0.01}},
        "constraints": ["average_bitwidth <= 6"],
    }
    frame = run_search(toy_config, by_type, progress=False).frame
    expected = frame["accuracy"] - 0.01 * frame["average_bitwidth"]
    assert (frame["value"] - expected).abs().max() < 1e-12
    best = frame[frame["best"]].iloc[0]
    assert best["average_bitwidth"] <= 6 and best["feasible"]
    feasible = frame[frame["feasible"]]
    assert best["value"] == feasible["value"].max()
    assert (frame["feasible"] == (frame["average_bitwidth"] <= 6)).all()


def test_cli_bad_sampler_is_one_line_exit_2(toy_checkpoint, tmp_path, capsys):
    config = tmp_path / "s.toml"
    config.write_text(
        'model = "jsc-toy"\ndataset = "jsc-synth"\ndata_size = 3000\n'
        '[search.strategy.setup]\nsampler = "grid"\n'
    )
    code = main(
        [
            "search",
            "--config",
            str(config),
            "--load",
            toy_checkpoint,
            "--sampler",
            "bayes",
            "--project-dir",
            str(tmp_path / "o"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err == (
        "carve: error: [search.strategy.setup] sampler: unknown search strategy "
        "'bayes'; Known search strategies: grid, nsgaii, nsgaiii, qmc, random, tpe, "
        "tpe_independent\n"
    )
    assert not (tmp_path / "o").exists()


def test_python_api_returns_the_trials_best_first(toy_checkpoint, by_type, tmp_path):
    import carve.search

    by_type["strategy"]["setup"]["n_trials"] = 2
    frame = carve.search.run("jsc-toy", "jsc-synth", by_type, load_name=toy_checkpoint,
                             data_size=3000, project_dir=str(tmp_path), project="api")  # fmt: skip
    assert list(frame["number"].sort_values()) == [0, 1]
    assert bool(frame["best"].iloc[0])
    assert (tmp_path / "api" / "software" / "search" / "search_0" / "best.json").is_file()


def test_info_lists_the_search_registries(capsys):
    assert main(["--info", "search"]) == 0
    out = capsys.readouterr().out
    for name in ("graph/quantize/mixed_precision", "graph/architecture/jsc_mlp", "nsgaiii",
                 "basic_train", "memory_density"):  # fmt: skip
        assert name in out


def test_a_space_from_a_user_file(toy_config, by_type, tmp_path):
    from carve.search import SPACES

    path = tmp_path / "my_space.py"
    path.write_text(
        "from carve.search import SPACES\n"
        "from carve.search.spaces.quantize import MixedPrecisionSpace\n\n\n"
        "@SPACES.register('my/linear_only', description='test', runner='basic_evaluation')\n"
        "class LinearOnly(MixedPrecisionSpace):\n"
        "    pass\n"
    )
    by_type["search_space"]["name"] = "my/linear_only"
    by_type["strategy"]["setup"]["n_trials"] = 2
    try:
        outcome = run_search(toy_config, by_type, search_file=str(path), progress=False)
        assert len(outcome.frame) == 2
    finally:
        SPACES._entries.pop("my/linear_only", None)


def test_the_stored_study_names_its_metrics_for_the_dashboard(lab3):
    journal = optuna.storages.journal.JournalFileBackend(str(lab3.folder / "study.journal"))
    storage = optuna.storages.JournalStorage(journal)
    study = optuna.load_study(study_name="search_0", storage=storage)
    assert study.metric_names == ["accuracy", "average_bitwidth"]
    assert len(study.trials) == 16


def test_best_transform_toml_names_its_trial_and_verifies_it(lab3):
    text = (lab3.folder / "best_transform.toml").read_text()
    best = json.loads((lab3.folder / "best.json").read_text())["0"]
    first, second = text.splitlines()[:2]
    assert first.startswith(f"# carve search: study 'search_0', trial {best['number']} ")
    accuracy = best["software_metrics"]["accuracy"]
    assert f"accuracy = {accuracy:.6g}"[:16] in second and "average_bitwidth = " in second
    written = load_toml(lab3.folder / "best_transform.toml")
    assert list(written["passes"]) == ["quantize", "verify_quantization"]


def test_pick_writes_the_transform_of_any_trial(toy_checkpoint, lab3_grid, tmp_path, capsys):
    import tomllib

    config = tmp_path / "grid.toml"
    config.write_text(
        'model = "jsc-toy"\ndataset = "jsc-synth"\ndata_size = 3000\n' + _toml_search(lab3_grid)
    )
    common = ["search", "--config", str(config), "--load", toy_checkpoint,
              "--project-dir", str(tmp_path / "o"), "--project", "p", "--no-progress"]  # fmt: skip
    assert main(common) == 0
    folder = tmp_path / "o/p/software/search/search_0"
    best = json.loads((folder / "best.json").read_text())["0"]["number"]
    other = next(n for n in range(16) if n != best)
    capsys.readouterr()
    assert main([*common, "--pick", str(other)]) == 0
    picked = folder / f"transform_trial_{other}.toml"
    assert f"Wrote {picked}" in capsys.readouterr().out.replace("\n", "")
    assert picked.read_text().startswith(f"# carve search: study 'search_0', trial {other} ")
    trial = tomllib.loads((folder / "best_transform.toml").read_text())
    assert tomllib.loads(picked.read_text())["passes"] != trial["passes"]  # another point
    assert main([*common, "--pick", "99"]) == 2
    err = capsys.readouterr().err
    assert err == ("carve: error: --pick 99: study 'search_0' has no trial 99; complete trials: "
                   "0-15\n")  # fmt: skip


def _toml_search(table: dict) -> str:
    from carve.config.toml_io import dumps_toml

    return dumps_toml({"search": table})


def test_the_shipped_by_name_config_runs(toy_checkpoint, tmp_path):
    code = main(["search", "--config", "configs/search/jsc_toy_by_name.toml", "--load",
                 toy_checkpoint, "--data-size", "3000", "--n-trials", "4", "--project-dir",
                 str(tmp_path), "--project", "p", "--no-progress"])  # fmt: skip
    assert code == 0
    results = (tmp_path / "p/software/search/search_0/results.csv").read_text()
    assert results.count("\n") == 5  # header and the 4 trials
