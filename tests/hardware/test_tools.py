"""Missing hardware tools: one line naming the Debian package."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from carve.errors import CarveError
from carve.hardware.tools import require, run_tool

TOOLS = [("verilator", "verilator"), ("iverilog", "iverilog"), ("vvp", "iverilog"),
         ("yosys", "yosys"),
         ("make", "make"), ("g++", "g++")]  # fmt: skip


@pytest.mark.parametrize(("tool", "package"), TOOLS)
def test_missing_tool_names_its_debian_package(tool, package, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(CarveError) as error:
        require(tool, "Verilog simulation")
    message = str(error.value)
    assert message == (
        f"Verilog simulation needs {tool!r}, which is not installed: apt-get install {package} "
        f"(Debian/Ubuntu package {package!r})"
    )


def test_failing_tool_is_one_line_with_its_error(tmp_path: Path):
    with pytest.raises(CarveError) as error:
        run_tool(["sh", "-c", "echo first >&2; echo 'bad thing' >&2; exit 3"], tmp_path, "test")
    assert str(error.value) == "test: sh failed (exit 3): first | bad thing"
