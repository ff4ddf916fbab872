"""--vary parsing and study grids: values validated by the training flags' own rules."""

from __future__ import annotations

import pytest

from carve.config import CarveConfig
from carve.errors import CarveError
from carve.study import vary_specs
from carve.study.spec import StudySpec, VarySpec, parse_vary


@pytest.mark.parametrize(
    ("text", "key", "values"),
    [
        ("batch-size=64,128,256,512", "batch_size", (64, 128, 256, 512)),
        ("--batch-size=64", "batch_size", (64,)),
        ("batch_size=64", "batch_size", (64,)),
        ("max-epochs=1..4", "max_epochs", (1, 2, 3, 4)),
        ("max-epochs=1..2,5", "max_epochs", (1, 2, 5)),
        ("learning-rate=1e-6,1e-5,0.1", "learning_rate", (1e-6, 1e-5, 0.1)),
        ("learning-rate=1", "learning_rate", (1.0,)),
        ("training-optimizer=adam,sgd", "training_optimizer", ("adam", "sgd")),
        ("weight-decay=0,1e-4", "weight_decay", (0.0, 1e-4)),
        ("model=jsc-tiny,jsc-10x", "model", ("jsc-tiny", "jsc-10x")),
    ],
)
def test_parse_vary_accepts_lists_ranges_and_flag_spellings(text, key, values):
    spec = parse_vary(text)
    assert spec == VarySpec(key, values)
    assert [type(v) for v in spec.values] == [type(v) for v in values]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("batch-size=0", "batch_size must be an integer >= 1, got 0"),
        ("batch-size=12.5", "batch_size must be an integer"),
        ("learning-rate=0", "learning_rate must be a finite number > 0"),
        ("learning-rate=fast", "learning_rate must be a finite number"),
        ("training-optimizer=rmsprop", "one of adam, adamw, sgd"),
        ("batch-sze=64", "unknown flag 'batch-sze'; did you mean 'batch-size'?"),
        ("batch-size=", "no values given"),
        ("batch-size=64,,128", "empty value"),
        ("batch-size", "write it as FLAG=VALUE"),
        ("max-epochs=5..1", "is empty"),
        ("max-epochs=a..b", "bad range"),
        ("learning-rate=1..3", "ranges (a..b) are for integer flags"),
        ("batch-size=64,64", "given twice (or two spellings of one setting): 64"),
        ("seed=1,2", "--seeds"),
        ("project-dir=a,b", "cannot be varied"),
    ],
)
def test_parse_vary_rejects_bad_input_with_one_clear_message(text, message):
    with pytest.raises(CarveError) as error:
        parse_vary(text)
    assert message in str(error.value)


def test_vary_specs_from_python_and_toml_values():
    specs = vary_specs({"batch_size": [64, 128], "max-epochs": "1..3", "learning_rate": 0.01})
    assert specs == [
        VarySpec("batch_size", (64, 128)),
        VarySpec("max_epochs", (1, 2, 3)),
        VarySpec("learning_rate", (0.01,)),
    ]
    with pytest.raises(CarveError, match="no values given"):
        vary_specs({"batch_size": []})
    with pytest.raises(CarveError, match="batch_size must be an integer"):
        vary_specs({"batch_size": [64, "big"]})


def test_grid_is_the_product_in_order_with_seeds_innermost():
    base = CarveConfig(model="jsc-tiny", dataset="jsc-synth", seed=5)
    spec = StudySpec(
        base, [parse_vary("batch-size=64,128"), parse_vary("learning-rate=1e-3,1e-2")], 2
    )
    runs = spec.runs()
    assert len(runs) == 8
    assert [dict(r.values) | {"seed": r.seed} for r in runs[:3]] == [
        {"batch_size": 64, "learning_rate": 1e-3, "seed": 5},
        {"batch_size": 64, "learning_rate": 1e-3, "seed": 6},
        {"batch_size": 64, "learning_rate": 1e-2, "seed": 5},
    ]
    assert runs[0].name == "batch_size=64,learning_rate=0.001,seed=5"
    config = spec.config_for(runs[-1])
    assert (config.batch_size, config.learning_rate, config.seed) == (128, 1e-2, 6)
    assert config.model == "jsc-tiny"


def test_study_spec_rejects_empty_repeated_and_bad_seeds():
    base = CarveConfig(model="jsc-tiny", dataset="jsc-synth")
    with pytest.raises(CarveError, match="at least one --vary"):
        StudySpec(base, [], 1)
    with pytest.raises(CarveError, match="given twice for: batch_size"):
        StudySpec(base, [parse_vary("batch-size=1"), parse_vary("batch-size=2")], 1)
    with pytest.raises(CarveError, match="seeds must be an integer >= 1"):
        StudySpec(base, [parse_vary("batch-size=1")], 0)


def test_identity_ignores_presentation_and_varied_base_values():
    one = CarveConfig(model="jsc-tiny", dataset="jsc-synth", batch_size=32, progress=False)
    two = CarveConfig(model="jsc-tiny", dataset="jsc-synth", batch_size=64, project="x")
    vary = [parse_vary("batch-size=64,128")]
    assert StudySpec(one, vary).identity() == StudySpec(two, vary).identity()
    three = CarveConfig(model="jsc-tiny", dataset="jsc-synth", max_epochs=3)
    assert StudySpec(three, vary).identity() != StudySpec(one, vary).identity()
