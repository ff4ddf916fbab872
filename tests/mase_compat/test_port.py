"""``carve port``: table-driven chop import rewrite of scripts and notebooks; the doc table."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from carve.cli.main import main
from carve.compat.names import carve_import, name_table, render_mase_doc
from carve.compat.port import port_notebook, port_source
from carve.errors import CarveError
from carve.passes import PASSES

DOC = Path(__file__).resolve().parents[2] / "docs" / "mase.md"

SCRIPT = """\
# a MASE user's script  (comments and formatting survive)
import torch
from chop.passes.graph.analysis import (
    add_common_metadata_analysis_pass,
    init_metadata_analysis_pass,  # metadata
    report,
)
from chop.ir.graph.mase_graph import MaseGraph as MG
import chop.passes.graph as passes
from chop.passes.graph import emit_bram_transform_pass, get_synthesis_results
from chop.tools.logger import get_logger

def build():
    from chop.models.toys.toy import ToyNet
    return ToyNet(image_size=(1, 1, 16), num_classes=5)   # odd  spacing kept
"""

EXPECTED = """\
# a MASE user's script  (comments and formatting survive)
import torch
from carve.passes import (
    add_common_metadata_analysis_pass,
    init_metadata_analysis_pass,
)
from carve.passes.analysis import report_nodes as report
from carve.ir import MaseGraph as MG
import carve.passes as passes
from chop.passes.graph import emit_bram_transform_pass, get_synthesis_results  \
# carve port: not in carve
from carve import get_logger

def build():
    from carve.compat.toys import ToyNet
    return ToyNet(image_size=(1, 1, 16), num_classes=5)   # odd  spacing kept
"""


def test_script_imports_are_rewritten_and_everything_else_kept():
    result = port_source(SCRIPT)
    assert result.text == EXPECTED
    assert result.rewritten == 6
    assert result.unknown == [
        ("emit_bram_transform_pass", "chop.passes.graph"),
        ("get_synthesis_results", "chop.passes.graph"),
    ]
    report = result.report()
    assert report.splitlines()[0] == "rewrote 6 chop import statement(s)"
    assert "chop.passes.graph.emit_bram_transform_pass: MASE's hardware component flow" in report


def test_ported_script_runs():
    namespace: dict = {}
    code = port_source(SCRIPT.replace("from chop.passes.graph import emit", "# from x import e"))
    exec(compile(code.text, "<ported>", "exec"), namespace)
    model = namespace["build"]()
    assert [type(m).__name__ for m in model.seq_blocks] == ["Linear", "ReLU"] * 2 + ["Linear"]
    assert namespace["MG"].__module__.startswith("carve.ir")


def test_notebook_cells_are_rewritten_outputs_and_magics_kept():
    notebook = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["from chop import x\n"]},
            {"cell_type": "code", "metadata": {}, "execution_count": 3,
             "outputs": [{"output_type": "stream", "name": "stdout", "text": ["hi\n"]}],
             "source": ["%cd ./mase/machop/\n", "!pip install x\n",
                        "from chop.ir import MaseGraph\n", "mg = None"]},
        ],
        "metadata": {"kernelspec": {"name": "python3"}}, "nbformat": 4, "nbformat_minor": 5,
    }  # fmt: skip
    result = port_notebook(json.dumps(notebook))
    cells = json.loads(result.text)["cells"]
    assert cells[0] == notebook["cells"][0]  # markdown untouched
    assert cells[1]["source"] == ["%cd ./mase/machop/\n", "!pip install x\n",
                                  "from carve.ir import MaseGraph\n", "mg = None"]  # fmt: skip
    assert cells[1]["outputs"] == notebook["cells"][1]["outputs"]
    assert result.rewritten == 1 and result.unknown == []


def test_bad_inputs_are_clear_errors():
    with pytest.raises(CarveError, match=r"lab.py: not valid Python \(line 1"):
        port_source("def (:\n", "lab.py")
    with pytest.raises(CarveError, match=r"lab\.ipynb: not a Jupyter notebook"):
        port_notebook("{}", "lab.ipynb")


def test_malformed_notebooks_and_huge_files_are_one_line(tmp_path, capsys):
    """Issue 22 item 10: no traceback, no 10 GB parse, nothing written."""
    cells = {"cells": 5}
    with pytest.raises(CarveError, match=r'nb\.ipynb: not a Jupyter notebook \("cells" must'):
        port_notebook(json.dumps(cells), "nb.ipynb")
    code = {"cells": [{"cell_type": "code", "source": 42}]}
    with pytest.raises(CarveError, match=r'nb\.ipynb cell 1: "source" must be a string or a li'):
        port_notebook(json.dumps(code), "nb.ipynb")
    with pytest.raises(CarveError, match=r"nb\.ipynb cell 1: a cell must be an object, got int"):
        port_notebook(json.dumps({"cells": [3]}), "nb.ipynb")
    big = "from chop.ir import MaseGraph\n" + "x = [" + "1, " * 400_000 + "]\n"
    with pytest.raises(CarveError, match=r"big\.py: 1\.1 MB of code; carve port parses at most"):
        port_source(big, "big.py")
    plain = "y = 1\n" * 200_000  # no chop: nothing to parse, kept as it is
    assert port_source(plain).text == plain
    (tmp_path / "nb.ipynb").write_text(json.dumps(code))
    assert main(["port", str(tmp_path / "nb.ipynb")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "nb.carve.ipynb").exists()


def test_cli_never_overwrites_unless_asked(tmp_path, capsys):
    source = tmp_path / "lab.py"
    source.write_text("from chop.ir import MaseGraph\n")
    assert main(["port", str(source)]) == 0
    target = tmp_path / "lab.carve.py"
    assert target.read_text() == "from carve.ir import MaseGraph\n"
    assert source.read_text() == "from chop.ir import MaseGraph\n"
    assert "rewrote 1 chop import statement(s)" in capsys.readouterr().out
    target.write_text("my edits\n")
    assert main(["port", str(source)]) == 2
    assert "already exists; pass -o OUT" in capsys.readouterr().err
    assert target.read_text() == "my edits\n"
    assert main(["port", str(source), "-o", str(source)]) == 0  # in place, when asked
    assert source.read_text() == "from carve.ir import MaseGraph\n"
    assert main(["port", str(tmp_path / "notes.txt")]) == 2
    assert "reads .py and .ipynb files" in capsys.readouterr().err


def test_every_registered_pass_is_in_the_table():
    functions = {PASSES.meta(key)["function"] for key in PASSES}
    assert {"save_mase_graph_interface_pass", "export_onnx_transform_pass"} <= functions
    assert functions <= set(name_table())
    assert carve_import("get_parent_name") == ("carve.passes.utils", "get_parent_name")
    for name, (module, carve_name) in name_table().items():  # every target imports
        __import__(module)
        assert hasattr(sys.modules[module], carve_name), name


def test_docs_mase_md_tables_are_current():
    text = DOC.read_text()
    assert render_mase_doc(text) == text, "run: python -m carve.compat.names docs/mase.md"


def test_carve_help_lists_port_without_importing_torch():
    code = (
        "import sys\nfrom carve.cli.main import main\ntry:\n    main(['--help'])\n"
        "except SystemExit:\n    pass\nprint('torch' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "port" in done.stdout and done.stdout.strip().endswith("False")
