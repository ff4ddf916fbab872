"""Paths stay where the user put them; wrong kinds of path get one clear line (exit 2)."""

from __future__ import annotations

import pytest

from carve.cli.main import main
from carve.config import CarveConfig, project_path
from carve.errors import CarveError

SMALL = ["--data-size", "2000", "--max-epochs", "1", "--no-progress"]


@pytest.fixture(autouse=True)
def workdir(tmp_path, monkeypatch):
    monkeypatch.setenv("CARVE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("project", "fragment"),
    [
        ("../../../x", "project name '../../../x' must be one folder name inside --project-dir"),
        ("/tmp/elsewhere", "project name '/tmp/elsewhere' must be one folder name inside"),
        ("a/b", "project name 'a/b' must be one folder name"),
        ("..", "project name '..' must be one folder name"),
        ("", "project name is empty: pass --project NAME"),
    ],
)
def test_project_is_one_folder_name_inside_project_dir(workdir, capsys, project, fragment):
    before = sorted(p.name for p in workdir.parent.iterdir())
    assert main(["train", "jsc-tiny", "jsc-synth", "--project", project, *SMALL]) == 2
    err = capsys.readouterr().err
    assert err.startswith("carve: error: ") and fragment in err and err.count("\n") == 1
    assert not (workdir / "carve_output").exists()
    assert sorted(p.name for p in workdir.parent.iterdir()) == before
    with pytest.raises(CarveError, match="project name"):
        project_path(CarveConfig(model="jsc-tiny", dataset="jsc-synth", project=project))


def test_a_directory_given_as_config(workdir, capsys):
    (workdir / "configs").mkdir()
    assert main(["train", "jsc-tiny", "jsc-synth", "--config", "configs", *SMALL]) == 2
    assert capsys.readouterr().err == (
        "carve: error: config file 'configs' is a directory; expected a .toml file\n"
    )


def test_resume_before_the_positionals_does_not_swallow_the_model(workdir, capsys):
    assert main(["train", "--resume", "jsc-tiny", "jsc-synth", *SMALL]) == 2
    assert capsys.readouterr().err == (
        "carve: error: --resume 'jsc-tiny': a run is named latest or version_N (the folders "
        "under <project>/software/); to continue the latest run put --resume after MODEL "
        "DATASET\n"
    )
