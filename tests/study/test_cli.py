"""``carve study`` on the command line and from a TOML [study] table."""

from __future__ import annotations

import pytest

from carve.cli.main import main

SMALL = ["--data-size", "600", "--max-epochs", "1", "--no-progress"]


def test_cli_study_writes_tables_and_plots(tmp_path, capsys):
    root = tmp_path / "bs"
    code = main(["study", "jsc-tiny", "jsc-synth", "--vary", "batch-size=64,128",
                 "--study-dir", str(root), *SMALL])  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "2 configuration(s) x 1 seed(s) = 2 run(s)" in out
    assert "Study results" in out
    assert (
        (root / "results.md").read_text().startswith("| Batch Size | Test Accuracy | Test Loss |")
    )
    assert (root / "metrics_vs_batch_size.png").is_file()
    assert not (root / "heatmap.png").exists()  # one varied flag: no heat map


def test_toml_study_table_and_cli_override(tmp_path, capsys):
    config = tmp_path / "study.toml"
    config.write_text(
        'model = "jsc-tiny"\ndataset = "jsc-synth"\nmax_epochs = 1\ndata_size = 600\n'
        f'progress = false\n\n[study]\nseeds = 2\nstudy_dir = "{tmp_path / "t"}"\n'
        'vary = { max_epochs = "1..2" }\n'
    )
    assert main(["study", "--config", str(config)]) == 0
    lines = (tmp_path / "t" / "results.md").read_text().splitlines()
    assert lines[0].startswith("| Max Epochs | Test Accuracy |")
    assert [line.split(" | ")[0] for line in lines[2:]] == ["| 1", "| 2"]
    assert lines[2].endswith("| 2 |")  # two seeds
    capsys.readouterr()
    # --vary on the command line replaces the file's vary; a new directory is needed
    code = main(["study", "--config", str(config), "--vary", "learning-rate=1e-2",
                 "--study-dir", str(tmp_path / "u")])  # fmt: skip
    assert code == 0
    assert (tmp_path / "u" / "results.md").read_text().startswith("| Learning Rate |")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--vary", "batch-size=0"], "batch_size must be an integer >= 1, got 0"),
        (["--vary", "batch-sise=64"], "unknown flag 'batch-sise'"),
        (["--vary", "batch-size="], "no values given"),
        ([], "nothing to vary"),
        (["--vary", "batch-size=64", "--seeds", "0"], "seeds must be an integer >= 1"),
        (["--vary", "load-name=a.ckpt,b.ckpt"], "load cannot be varied by a study"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, extra, message):
    code = main(["study", "jsc-tiny", "jsc-synth", "--study-dir", str(tmp_path / "s"),
                 *SMALL, *extra])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "s").exists()


def test_other_study_in_directory_is_refused_before_output(tmp_path, capsys):
    root = tmp_path / "s"
    args = ["study", "jsc-tiny", "jsc-synth", "--study-dir", str(root), *SMALL]
    assert main([*args, "--vary", "batch-size=64"]) == 0
    before = (root / "results.md").read_bytes()
    capsys.readouterr()
    assert main([*args, "--vary", "batch-size=32"]) == 2
    captured = capsys.readouterr()
    assert "holds a different study" in captured.err and "Configuration" not in captured.out
    assert (root / "results.md").read_bytes() == before


def test_unknown_study_key_in_toml(tmp_path, capsys):
    config = tmp_path / "bad.toml"
    config.write_text('model = "jsc-tiny"\ndataset = "jsc-synth"\n[study]\nvary_me = 1\n')
    assert main(["study", "--config", str(config)]) == 2
    assert "unknown key(s) in [study]: vary_me" in capsys.readouterr().err


def test_study_dir_in_toml_must_be_a_string(tmp_path, capsys):
    config = tmp_path / "bad.toml"
    config.write_text(
        'model = "jsc-tiny"\ndataset = "jsc-synth"\n[study]\nstudy_dir = 3\n'
        "vary = { batch_size = [64] }\n"
    )
    assert main(["study", "--config", str(config)]) == 2
    assert "study_dir must be a folder path string, got 3" in capsys.readouterr().err
