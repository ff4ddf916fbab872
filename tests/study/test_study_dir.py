"""The default study folder: named by what varies, never stopping on an older study."""

from __future__ import annotations

from carve.config import CarveConfig
from carve.study import default_study_dir
from carve.study.spec import StudySpec, parse_vary
from carve.study.store import StudyStore


def _spec(tmp_path, *vary: str, model: str = "jsc-tiny", **base) -> StudySpec:
    config = CarveConfig(model=model, dataset="jsc-synth", project_dir=str(tmp_path), **base)
    return StudySpec(config, [parse_vary(text) for text in vary])


def test_varied_models_name_the_folder_not_the_positional_one(tmp_path):
    spec = _spec(tmp_path, "model=jsc-tiny-logits,jsc-10x-logits")
    assert (
        default_study_dir(spec) == tmp_path / "jsc-tiny-logits+jsc-10x-logits_jsc-synth_study_model"
    )
    plain = _spec(tmp_path, "batch-size=64,128")
    assert default_study_dir(plain) == tmp_path / "jsc-tiny_jsc-synth_study_batch_size"


def test_a_second_study_of_the_same_flag_gets_the_next_free_folder(tmp_path):
    first = _spec(tmp_path, "learning-rate=1e-3,1e-2")
    StudyStore(default_study_dir(first), first).open()
    second = _spec(tmp_path, "learning-rate=1e-4,1e-3")
    root = tmp_path / "jsc-tiny_jsc-synth_study_learning_rate"
    assert default_study_dir(second) == root.with_name(root.name + "_2")
    StudyStore(default_study_dir(second), second).open()
    # rerunning either study resumes it in its own folder
    assert default_study_dir(first) == root
    assert default_study_dir(_spec(tmp_path, "learning-rate=1e-4,1e-3")) == root.with_name(
        root.name + "_2"
    )
    assert default_study_dir(_spec(tmp_path, "learning-rate=1e-4", max_epochs=3)).name.endswith(
        "_3"
    )
