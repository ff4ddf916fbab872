"""``carve transform``: passes in file order, accuracy before/after, saved graph; then QAT."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from carve.cli.main import main

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def run(capsys, *argv) -> tuple[int, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def accuracy(text: str, label: str) -> float:
    return float(re.search(rf"{label}\s*│\s*([\d.]+)", text).group(1))


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return tmp_path_factory.mktemp("transform")


def test_transform_quantizes_verifies_saves_then_test_and_qat(project, capsys):
    common = ["--project-dir", str(project), "--data-size", "1500", "--no-progress"]
    code, out = run(capsys, "transform", "--config", str(CONFIGS / "jsc_tiny_by_type.toml"),
                    "--project", "t", *common)  # fmt: skip
    assert code == 0, out
    transform = project / "t" / "software" / "transform" / "latest"
    assert (transform / "quantize" / "quantize_histogram.csv").read_text().splitlines()[2] == (
        "Linear,linear,1,1,0")  # fmt: skip
    assert (transform / "transformed_ckpt" / "recipe.json").is_file()
    # MASE's file names in MASE's place (the pickled graph_module.mz excepted: docs/mase.md)
    assert {"state_dict.pt", "node_meta_param.toml"} <= {
        p.name for p in (transform / "transformed_ckpt").iterdir()}  # fmt: skip
    assert (transform / "verify" / "quantize_verify.json").is_file()
    assert "Integer-only reference: logits equal the fake-quantized graph's: True" in out
    assert "Verification passed" in out
    after = accuracy(out, "accuracy after")
    # the saved graph evaluates to the same accuracy
    code, out = run(capsys, "test", "jsc-tiny", "jsc-synth", "--load",
                    str(transform / "transformed_ckpt"), *common)  # fmt: skip
    assert code == 0, out
    assert accuracy(out, "test_acc") == pytest.approx(after, abs=1e-6)
    code, out = run(capsys, "test", "jsc-toy", "jsc-synth", "--load",
                    str(transform / "transformed_ckpt"), *common)  # fmt: skip
    assert code == 2 and "is not the model named on the command line" in out
    # QAT: train the quantized graph, saved again in the same form
    code, out = run(capsys, "train", "jsc-tiny", "jsc-synth", "--load",
                    str(transform / "transformed_ckpt"), "--max-epochs", "1", "--project", "qat",
                    *common)  # fmt: skip
    assert code == 0, out
    trained = project / "qat" / "software" / "latest" / "training_ckpts" / "transformed_ckpt"
    assert (trained / "recipe.json").is_file()
    code, out = run(capsys, "test", "jsc-tiny", "jsc-synth", "--load", str(trained), *common)
    assert code == 0 and "test_acc" in out
    quantized = (accuracy(out, "test_acc"), accuracy(out, "test_loss"))
    # QAT wrote its own run, and its best.ckpt (1 epoch: the trained graph) loads quantized
    assert (project / "qat" / "software" / "latest").resolve().name == "version_0"
    best = trained.parent / "best.ckpt"
    code, out = run(capsys, "test", "jsc-tiny", "jsc-synth", "--load", str(best), *common)
    assert code == 0, out
    assert (accuracy(out, "test_acc"), accuracy(out, "test_loss")) == quantized


def test_each_transform_keeps_its_own_version_and_warns_without_load(project, capsys):
    common = ["--project-dir", str(project), "--data-size", "1500", "--no-progress",
              "--config", str(CONFIGS / "jsc_tiny_by_type.toml"), "--project", "twice"]  # fmt: skip
    code, out = run(capsys, "transform", *common)
    assert code == 0 and "WARNING: no --load given: transforming an UNTRAINED jsc-tiny" in out
    root = project / "twice" / "software" / "transform"
    first = (root / "version_0" / "transformed_ckpt" / "weights.safetensors").read_bytes()
    code, out = run(capsys, "transform", *common)
    assert code == 0, out
    assert (root / "latest").resolve().name == "version_1"
    assert (root / "version_0" / "transformed_ckpt" / "weights.safetensors").read_bytes() == first
    assert f"Transformed graph saved to {root / 'version_1' / 'transformed_ckpt'}" in out


def test_passes_run_in_file_order(project, capsys, tmp_path):
    config = tmp_path / "order.toml"
    text = (CONFIGS / "jsc_tiny_by_type.toml").read_text()
    config.write_text(text + "\n[passes.summarize_quantization]\n\n[passes.save_mase_graph]\n")
    code, out = run(capsys, "transform", "--config", str(config), "--project-dir", str(project),
                    "--project", "order", "--data-size", "1500", "--no-progress")  # fmt: skip
    assert code == 0, out
    assert out.index("Quantized graph histogram") < out.index("Quantization proof")
    assert (
        project / "order" / "software" / "transform" / "latest" / "saved_mase_graph" / "recipe.json"
    ).is_file()


@pytest.mark.parametrize("extra,message", [
    ("", "needs \\[passes.<name>\\] tables"),
    ("[passes.quantise]\n", "unknown pass 'quantise'; did you mean 'quantize'"),
    ("[passes]\nreport_graph = 3\n", "pass_args must be a dict, got int"),
])  # fmt: skip
def test_config_mistakes_are_one_line_errors(tmp_path, capsys, extra, message):
    config = tmp_path / "bad.toml"
    config.write_text('model = "jsc-tiny"\ndataset = "jsc-synth"\n' + extra)
    code, out = run(capsys, "transform", "--config", str(config), "--project-dir", str(tmp_path),
                    "--data-size", "1500")  # fmt: skip
    assert code == 2 and re.search(message, out)
    shutil.rmtree(tmp_path, ignore_errors=True)
