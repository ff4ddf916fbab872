"""CLI conventions: one-line flag typos with a hint, warnings for ignored input, the
config table's resolved values, --print-config round trip, shell completion, wording."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from carve.cli.main import main
from carve.config import CarveConfig
from carve.config.table import config_rows
from carve.errors import CarveError


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        (["train", "jsc-tiny", "--batchsize", "64"], "--batchsize; did you mean --batch-size?"),
        (["train", "jsc-tiny", "jsc-synth", "--lr", "1e-3"], "--lr; did you mean --learning-rate?"),
        (["train", "--max", "3"], "--max; did you mean --max-epochs or --max-steps"),
        (["--infoo"], "--infoo; did you mean --info?"),
    ],
)  # fmt: skip
def test_mistyped_flags_are_one_line_with_the_flag_meant(capsys, argv, hint):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and hint in err and "usage:" not in err


def test_abbreviated_flags_are_not_silently_accepted(capsys):
    code, _, err = run(capsys, "train", "jsc-tiny", "jsc-synth", "--max-ep", "1")
    assert code == 2 and "unknown flag --max-ep" in err


def test_train_warns_about_tables_it_ignores(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "run.toml").write_text(
        'model = "jsc-tiny"\ndataset = "jsc-synth"\n[passes.quantize]\nby = "type"\n'
        '[search]\nstrategy = "grid"\n'
    )
    code, _out, err = run(capsys, "train", "--config", "run.toml", "--print-config")
    assert code == 0
    assert "carve: warning: carve train ignores the [passes] table of run.toml" in err
    assert "carve: warning: carve train ignores the [search] table of run.toml" in err


def test_transform_and_test_warn_about_training_flags(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "test", "jsc-tiny", "jsc-synth", "--max-epochs", "3",
                       "--learning-rate", "1e-3", "--print-config")  # fmt: skip
    assert code == 0
    assert "carve test does not train: --learning-rate, --max-epochs ignored" in err


def test_print_config_is_the_effective_toml_and_loads_back(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "train", "jsc-tiny", "jsc-synth", "--max-epochs", "3",
                       "--learning-rate", "1e-3", "--print-config")  # fmt: skip
    assert code == 0
    assert 'model = "jsc-tiny"' in out and "max_epochs = 3" in out and "project =" not in out
    (tmp_path / "effective.toml").write_text(out)
    code, again, _ = run(capsys, "train", "--config", "effective.toml", "--print-config")
    assert code == 0 and again == out


def test_effective_column_shows_resolved_values_and_study_omits_unused_rows(capsys):
    config = CarveConfig(model="jsc-tiny", dataset="jsc-synth", accelerator="auto")
    from carve.cli.common import resolved_values

    resolved = resolved_values(config)
    assert resolved["accelerator"] in ("auto (cpu)", "auto (cuda)")
    assert resolved["num_threads"] == "1 (117 parameters < 1,000,000)"
    _, rows = config_rows(config, resolved, omit=("load_name",))
    table = {row[0]: row[-1] for row in rows}
    assert table["num_threads"].startswith("1 (") and "load_name" not in table


def test_study_table_marks_varied_values(tmp_path, capsys):
    code, out, _ = run(capsys, "study", "jsc-tiny", "jsc-synth", "--vary", "batch-size=64,128",
                       "--seeds", "2", "--data-size", "400", "--max-epochs", "1", "--no-progress",
                       "--study-dir", str(tmp_path / "s"))  # fmt: skip
    assert code == 0
    header = out.split("Study directory")[0]
    assert "varied: 64, 128" in header and "0..1 (--seeds 2)" in header
    assert "load_name" not in header and "load_type" not in header


def test_completion_script_lists_actions_and_flags(capsys):
    code, script, _ = run(capsys, "completion", "bash")
    assert code == 0 and "complete -o default -F _carve carve" in script
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    probe = script + (
        'COMP_WORDS=(carve ""); COMP_CWORD=1; _carve; echo "${COMPREPLY[@]}"\n'
        'COMP_WORDS=(carve train --batch); COMP_CWORD=2; _carve; echo "${COMPREPLY[@]}"\n'
        'COMP_WORDS=(carve --info f); COMP_CWORD=2; _carve; echo "${COMPREPLY[@]}"\n'
    )
    lines = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, check=True)
    actions, batch, info = lines.stdout.splitlines()
    assert {"train", "test", "transform", "study", "completion", "--info"} <= set(actions.split())
    assert batch == "--batch-size"
    assert info == "formats"


def test_wording_plural_doubled_message_and_minifloat_width():
    from carve.errors import unknown_name_message
    from carve.quant.formats.minifloat import MinifloatSpec

    assert "Known passes: a, b" in unknown_name_message("pass", "c", ["a", "b"])
    with pytest.raises(CarveError) as error:
        MinifloatSpec(width=4, exponent_width=4)
    assert str(error.value) == (
        "minifloat: width=4 is too narrow for exponent_width=4: width counts 1 sign bit, the "
        "exponent bits and at least 1 mantissa bit, so it must be >= 6 (or exponent_width <= 2)"
    )


def test_info_never_cuts_names_on_a_narrow_terminal(capsys, monkeypatch):
    from carve.passes.registry import PASSES

    monkeypatch.setenv("COLUMNS", "60")
    code, out, _ = run(capsys, "--info", "passes")
    assert code == 0
    words = set(out.replace("│", " ").split())
    assert all(name in words for name in PASSES.names())
    assert "…" not in "".join(line.split("│")[1] for line in out.splitlines() if "│" in line)


def test_paths_are_printed_whole(tmp_path, capsys, monkeypatch):
    from rich.console import Console
    from rich.table import Table

    from carve.cli.common import print_unwrapped

    monkeypatch.setenv("COLUMNS", "80")
    path = str(tmp_path / ("a-rather-long-folder-name-" * 4) / "best.ckpt")
    table = Table()
    table.add_column("Name", no_wrap=True)
    table.add_column("Effective", no_wrap=True)
    table.add_row("load_name", path)
    print_unwrapped(Console(), table)
    assert path in capsys.readouterr().out
