"""The open-source hardware tools carve runs, and the Debian package that installs each.

>>> sorted(DEBIAN_PACKAGES)
['iverilog', 'verilator', 'yosys']
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from carve.errors import CarveError

# executable -> Debian package
DEBIAN_PACKAGES = {"verilator": "verilator", "iverilog": "iverilog", "yosys": "yosys"}
# other executables the flow runs -> the package that installs them
EXTRA_EXECUTABLES = {"vvp": "iverilog", "make": "make", "g++": "g++"}


def require(tool: str, purpose: str) -> str:
    """The path of ``tool``, or one line saying which Debian package installs it."""
    path = shutil.which(tool)
    if path is None:
        package = DEBIAN_PACKAGES.get(tool) or EXTRA_EXECUTABLES[tool]
        raise CarveError(
            f"{purpose} needs {tool!r}, which is not installed: "
            f"apt-get install {package} (Debian/Ubuntu package {package!r})"
        )
    return path


def run_tool(
    args: list[str], cwd: Path, purpose: str, timeout: float = 600, env: dict | None = None
) -> str:
    """Run a tool in ``cwd``; its output, or one line with the tail of its error output."""
    try:
        done = subprocess.run(
            args, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False, env=env
        )
    except subprocess.TimeoutExpired:
        raise CarveError(f"{purpose}: {Path(args[0]).name} ran over {timeout:.0f} s") from None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise CarveError(
            f"{purpose}: {Path(args[0]).name} failed (exit {done.returncode}): " + " | ".join(tail)
        )
    return done.stdout
