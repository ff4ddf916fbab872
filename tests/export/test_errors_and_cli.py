"""Bad input gives one clear line; ``carve export`` end to end; passes registered."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from carve.cli.main import main
from carve.errors import CarveError
from carve.export.api import export_graph
from carve.ir import MaseGraph

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def run(capsys, *argv) -> tuple[int, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_unsupported_activation_format_names_node_and_format(quantized, tmp_path):
    args = {
        "by": "type",
        "default": {"config": {"name": "NA"}},
        "linear": {
            "config": {
                "name": "minifloat_ieee",
                "data_in_width": 8,
                "data_in_exponent_width": 4,
                "data_in_exponent_bias": 7,
                "weight_width": 8,
                "weight_exponent_width": 4,
                "weight_exponent_bias": 7,
                "bias_width": 8,
                "bias_exponent_width": 4,
                "bias_exponent_bias": 7,
            }
        },
    }
    graph = quantized("jsc-tiny", args)
    for fmt, text in [("onnx", "ONNX QDQ cannot"), ("qonnx", "QONNX Quant cannot")]:
        with pytest.raises(CarveError) as error:
            export_graph(graph, fmt, tmp_path / fmt)
        message = str(error.value)
        assert message.startswith(
            f"export {fmt}: seq_blocks_2.data_in_0 uses format "
            f"'minifloat_ieee', which {text} express"
        )
        assert not (tmp_path / fmt).exists()  # nothing half-written is left behind
    with pytest.raises(
        CarveError,
        match=r"network input \(node 'seq_blocks_0' data_in_0\) "
        "must be fixed point, it is float32",
    ):
        export_graph(graph, "hls4ml", tmp_path / "hls4ml")


def test_graph_without_quantization_is_one_clear_line(tmp_path):
    graph = MaseGraph.from_registered("jsc-tiny")
    with pytest.raises(CarveError, match="no quantization metadata"):
        export_graph(graph, "onnx", tmp_path / "e")


def test_existing_and_unwritable_folders(quantized, configs, tmp_path):
    graph = quantized("jsc-tiny", configs["8-bit"])
    export_graph(graph, "onnx", tmp_path / "e")
    before = (tmp_path / "e" / "model.onnx").read_bytes()
    with pytest.raises(CarveError, match="already exists; exports are never overwritten"):
        export_graph(graph, "onnx", tmp_path / "e")
    assert (tmp_path / "e" / "model.onnx").read_bytes() == before
    (tmp_path / "empty").mkdir()  # an empty folder holds nothing to overwrite
    assert export_graph(graph, "onnx", tmp_path / "empty").folder == tmp_path / "empty"
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(CarveError, match="cannot create output folder"):
        export_graph(graph, "onnx", tmp_path / "file" / "e")


def test_unknown_format_and_pass_args(quantized, configs, tmp_path):
    from carve.passes import export_onnx_transform_pass

    graph = quantized("jsc-tiny", configs["8-bit"])
    with pytest.raises(CarveError, match="unknown export format 'onnxx'; did you mean 'onnx'"):
        export_graph(graph, "onnxx", tmp_path / "e")
    with pytest.raises(CarveError, match="unknown pass_args key 'save_path'"):
        export_onnx_transform_pass(graph, {"save_path": str(tmp_path)})
    with pytest.raises(CarveError, match=r"pass needs 'save_dir' \(a new folder path\)$"):
        export_onnx_transform_pass(graph, None)
    with pytest.raises(CarveError, match=r"\['input_shape'\] must be list\[int\] or tuple"):
        export_onnx_transform_pass(graph, {"save_dir": tmp_path / "e", "input_shape": "16"})
    assert not (tmp_path / "e").exists()


def test_pass_returns_graph_and_report(quantized, configs, tmp_path, test_split):
    from carve.passes import PASSES, export_qonnx_transform_pass

    graph = quantized("jsc-toy", configs["4-bit"])
    out, info = export_qonnx_transform_pass(
        graph, {"save_dir": str(tmp_path / "q"), "inputs": test_split.x[:2000]}
    )
    assert out is graph and info["parity"]["exact"] and info["parity"]["rows"] == 2000
    saved = json.loads((tmp_path / "q" / "report.json").read_text())
    assert saved["files"]["model_qonnx.onnx"] == os.path.getsize(
        tmp_path / "q" / "model_qonnx.onnx"
    )
    assert saved["nodes"][2] == {
        "node": "seq_blocks_2",
        "op": "linear",
        "bits": "4/4",
        "operands": {
            "data_in_0": "fixed<s4, frac 2>",
            "weight": "fixed<s4, frac 2>",
            "bias": "fixed<s4, frac 2>",
            "data_out_0": "float32",
        },
    }
    assert {"export_onnx", "export_qonnx", "export_hls4ml"} <= set(PASSES.names())


def test_cli_export_saved_graph_and_checkpoint(tmp_path, capsys):
    common = ["--project-dir", str(tmp_path), "--data-size", "1500", "--no-progress"]
    config = str(CONFIGS / "jsc_tiny_by_type.toml")
    code, out = run(capsys, "transform", "--config", config, "--project", "t", *common)
    assert code == 0, out
    saved = tmp_path / "t" / "software" / "transform" / "latest" / "transformed_ckpt"

    def export(*flags: str) -> tuple[int, str]:
        return run(capsys, "export", "jsc-tiny", "jsc-synth", "--load", *flags, *common)

    code, out = export(str(saved), "--format", "onnx", "--project", "t")
    assert code == 0, out
    parity = "parity onnxruntime (optimisations off) vs carve fake-quantized graph: 300 rows"
    assert f"{parity}, EXACT" in out
    exports = tmp_path / "t" / "export" / "onnx"
    assert (exports / "version_0" / "model.onnx").is_file()
    code, out = export(str(saved), "--format", "onnx", "--project", "t")  # a new version
    assert code == 0 and (exports / "version_1" / "report.md").is_file()
    assert (exports / "latest").resolve() == (exports / "version_1").resolve()
    code, out = export(str(saved), "--format", "qonnx", "--out", str(exports / "version_0"))
    assert code == 2 and out.strip().endswith("choose another output folder")
    assert out.count("\n") == 1
    # issue 22 item 5: an empty --out and a MODEL that is not the loaded graph's: one line
    code, out = export(str(saved), "--format", "onnx", "--out", "")
    assert code == 2 and out.count("\n") == 1 and "--out: empty folder name" in out, out
    code, out = run(capsys, "export", "jsc-toy", "jsc-synth", "--load", str(saved), "--format",
                    "onnx", "--out", str(tmp_path / "mismatch"), *common)  # fmt: skip
    assert code == 2 and out.count("\n") == 1, out
    assert "MODEL is 'jsc-toy' but --load" in out and "give MODEL 'jsc-tiny'" in out
    assert not (tmp_path / "mismatch").exists()
    # two exports to one folder at once: the second is refused while the first holds it
    import subprocess
    import sys

    busy = tmp_path / "busy"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from carve.locking import folder_lock; "
         "folder_lock(sys.argv[1], 'export folder').acquire(); print('held', flush=True); "
         "time.sleep(60)", str(busy)], stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        code, out = export(str(saved), "--format", "onnx", "--out", str(busy))
        assert code == 2 and out.count("\n") == 1 and "is in use by pid" in out, out
        assert [p.name for p in busy.iterdir()] == [".carve.lock"]
    finally:
        holder.kill()
        holder.wait()
    # weights of a float model (no quantization): one line, exit 2
    code, out = export(str(saved / "weights.safetensors"), "--format", "onnx")
    assert code == 2 and out.count("\n") == 1, out
    assert "no quantization metadata" in out


def test_help_and_export_help_import_no_heavy_library():
    """``carve --help`` and ``carve export --help`` load neither torch nor the export stack."""
    import subprocess
    import sys

    for argv in (["--help"], ["export", "--help"]):
        code = (
            "import contextlib, io, sys\n"
            "from carve.cli.main import main\n"
            "with contextlib.redirect_stdout(io.StringIO()) as out, "
            "contextlib.suppress(SystemExit):\n"
            f"    main({argv!r})\n"
            "assert 'usage: carve' in out.getvalue()\n"
            "heavy = ('torch', 'onnx', 'onnxruntime', 'qonnx', 'hls4ml')\n"
            "print(sorted(m for m in heavy if m in sys.modules))"
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "[]"


def test_export_into_a_folder_another_export_is_writing_is_refused(quantized, configs, tmp_path):
    """Issue 22 item 5: exports take the run lock; the second one to a folder is refused."""
    from carve.locking import folder_lock

    graph = quantized("jsc-tiny", configs["8-bit"])
    folder = tmp_path / "e"
    folder.mkdir()
    holder = folder_lock(folder, "export folder")  # another export holds it (flock: per open)
    with holder, pytest.raises(CarveError, match=r"export folder .* is in use by pid"):
        export_graph(graph, "onnx", folder)
    assert [p.name for p in folder.iterdir()] == [".carve.lock"]  # nothing written or removed
    assert export_graph(graph, "onnx", folder).parity is None  # free again: it proceeds
    assert (folder / "model.onnx").is_file()


def test_linear_only_graph_to_hls4ml_says_how_to_fix_and_the_fix_works(quantized, tmp_path):
    """Issue 22 item 4: a Linear-only graph (a search winner) has a float network input."""
    import re

    from carve.export.graph_view import export_view
    from carve.export.hls import plan_layers
    from carve.passes import quantize_transform_pass

    linear_only = {"by": "type", "default": {"config": {"name": "NA"}},
                   "linear": {"config": {"name": "integer", "data_in_width": 6,
                                         "data_in_frac_width": 3, "weight_width": 6,
                                         "weight_frac_width": 3, "bias_width": 6,
                                         "bias_frac_width": 3}}}  # fmt: skip
    graph = quantized("jsc-tiny", linear_only)
    with pytest.raises(CarveError) as error:
        export_graph(graph, "hls4ml", tmp_path / "h")
    message = str(error.value)
    assert "\n" not in message and "Fix: quantize that node's input" in message
    assert "[passes.quantize.seq_blocks_0.config]" in message
    keys = dict(re.findall(r"(\w+_width) = (\d+)", message))
    assert keys["data_in_width"] == "6" and keys["data_in_frac_width"] == "3"  # the Linear's
    config = {"name": "integer"} | {k: int(v) for k, v in keys.items()}
    fixed, _ = quantize_transform_pass(graph, {"by": "name", "seq_blocks_0": {"config": config}})
    plans, _ = plan_layers(export_view(fixed))  # the suggested fix makes it exportable
    assert plans[0].out.width == 6


def test_hls4ml_folder_with_a_quote_is_refused_before_writing(quantized, configs, tmp_path):
    """Issue 22 item 10: hls4ml passes the folder to g++ inside a C string literal."""
    graph = quantized("jsc-tiny", configs["8-bit"])
    bad = tmp_path / 'my"export'
    with pytest.raises(CarveError, match=r"export hls4ml: the output folder .* contains '\"'"):
        export_graph(graph, "hls4ml", bad / "h")
    assert not bad.exists()
