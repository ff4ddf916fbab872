"""Rewrite a MASE script's or notebook's ``chop`` imports to carve's, keeping everything else.

Only import statements change: :mod:`ast` finds each ``import chop...`` and
``from chop... import ...`` statement, and its exact source span is replaced
by carve imports from :mod:`carve.compat.names`; every other byte (comments,
blank lines, formatting) stays as it was. Names carve has no equivalent for
stay in a ``from chop... import`` line (so the failure points at them) and are
reported with what to use instead.

Notebooks are rewritten cell by cell (JSON, outputs untouched); IPython lines
(``%cd``, ``!pip``) are masked while parsing.

>>> result = port_source("from chop.passes.graph import (\\n    report_graph_analysis_pass,\\n"
...                      "    emit_bram_transform_pass,\\n)\\nx = 1  # kept\\n")
>>> print(result.text, end="")
from carve.passes import report_graph_analysis_pass
from chop.passes.graph import emit_bram_transform_pass  # carve port: not in carve
x = 1  # kept
>>> result.unknown
[('emit_bram_transform_pass', 'chop.passes.graph')]
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from typing import Any

from carve.compat.names import carve_import, carve_module_of_module, instead_of
from carve.errors import CarveError

_MAGIC = re.compile(r"^(\s*)([%!?].*)$")
_CHOP_WORD = re.compile(r"\bchop\b")


@dataclass
class PortResult:
    """The rewritten text, how many import statements changed, and the names left over."""

    text: str
    rewritten: int = 0
    unknown: list[tuple[str, str]] = field(default_factory=list)  # (name, MASE module)

    def report(self) -> str:
        """Lines for the user: what changed, then each unknown name with what to use instead."""
        lines = [f"rewrote {self.rewritten} chop import statement(s)"]
        if self.unknown:
            lines.append(f"{len(self.unknown)} chop name(s) carve does not provide:")
            lines += [f"  {module}.{name}: {instead_of(name)}" for name, module in self.unknown]
        return "\n".join(lines)


def _is_chop(module: str | None) -> bool:
    return module is not None and (module == "chop" or module.startswith("chop."))


def _alias(name: str, asname: str | None) -> str:
    return f"{name} as {asname}" if asname and asname != name else name


def _from_lines(module: str, names: list[str], indent: str, multiline: bool) -> str:
    if multiline and len(names) > 1:
        body = "".join(f"{indent}    {name},\n" for name in names)
        return f"from {module} import (\n{body}{indent})"
    return f"from {module} import {', '.join(names)}"


def _rewrite_from(node: ast.ImportFrom, indent: str, multiline: bool, result: PortResult) -> str:
    groups: dict[str, list[str]] = {}
    left: list[str] = []
    for alias in node.names:
        found = carve_import(alias.name)
        module_path = carve_module_of_module(f"{node.module}.{alias.name}")
        if found is not None:
            module, carve_name = found
            shown = _alias(
                carve_name, alias.asname or (alias.name if carve_name != alias.name else None)
            )
            groups.setdefault(module, []).append(shown)
        elif module_path is not None:  # a whole module: from chop.passes import graph
            groups.setdefault("", []).append(
                f"import {module_path} as {alias.asname or alias.name}"
            )
        else:
            left.append(_alias(alias.name, alias.asname))
            result.unknown.append((alias.name, str(node.module)))
    statements = [
        "\n".join(names) if module == "" else _from_lines(module, names, indent, multiline)
        for module, names in groups.items()
    ]
    if left:
        statements.append(
            f"from {node.module} import {', '.join(left)}  # carve port: not in carve"
        )
    return f"\n{indent}".join(statements)


def _rewrite_import(node: ast.Import, indent: str, result: PortResult) -> str:
    statements = []
    for alias in node.names:
        if not _is_chop(alias.name):
            statements.append(f"import {_alias(alias.name, alias.asname)}")
            continue
        module = carve_module_of_module(alias.name)
        if module is None:
            statements.append(
                f"import {_alias(alias.name, alias.asname)}  # carve port: not in carve"
            )
            result.unknown.append((alias.name.rpartition(".")[2], alias.name.rpartition(".")[0]))
        elif alias.asname:
            statements.append(f"import {module} as {alias.asname}")
        else:  # `import chop.x` binds `chop`; keep that name bound
            statements.append(f"import {module} as {alias.name.split('.')[0]}")
    return f"\n{indent}".join(statements)


def _line_starts(raw: bytes) -> list[int]:
    """Byte offset of each line (ast counts lines at \\n, \\r\\n, \\r, as bytes.splitlines)."""
    starts, total = [], 0
    for line in raw.splitlines(keepends=True):
        starts.append(total)
        total += len(line)
    starts.append(total)
    return starts


MAX_CODE_BYTES = 1 << 20  # Python parsed at most per script or notebook cell


def port_source(text: str, where: str = "<source>") -> PortResult:
    """Rewrite the ``chop`` imports of Python source ``text``.

    Parsing takes about 200 times the source's size in memory, so code over
    :data:`MAX_CODE_BYTES` is not parsed: returned as it is when it does not
    contain the word ``chop``, refused when it does (a MASE script or cell is a
    few kB).
    """
    if len(text) > MAX_CODE_BYTES and not _CHOP_WORD.search(text):
        return PortResult(text)
    if len(text) > MAX_CODE_BYTES:
        raise CarveError(
            f"{where}: {len(text) / 2**20:.1f} MB of code; carve port parses at most "
            f"{MAX_CODE_BYTES // 2**20} MB per script or cell (parsing needs ~200x that in "
            "memory): split the file, or port the part with the chop imports"
        )
    masked = "\n".join(
        _MAGIC.sub(lambda m: m.group(1) + "#" + m.group(2)[1:], line) for line in text.split("\n")
    )
    try:
        tree = ast.parse(masked)
    except SyntaxError as error:
        raise CarveError(f"{where}: not valid Python (line {error.lineno}: {error.msg})") from None
    result = PortResult(text)
    raw = text.encode()  # ast columns are UTF-8 byte offsets: splice on bytes
    starts = _line_starts(raw)
    edits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom | ast.Import):
            line_start = starts[node.lineno - 1]
            indent = raw[line_start : line_start + node.col_offset].decode()
        if isinstance(node, ast.ImportFrom) and _is_chop(node.module) and node.level == 0:
            multiline = node.end_lineno != node.lineno
            edits.append((node, _rewrite_from(node, indent, multiline, result)))
        elif isinstance(node, ast.Import) and any(_is_chop(a.name) for a in node.names):
            edits.append((node, _rewrite_import(node, indent, result)))
    if not edits:
        return result
    for node, replacement in sorted(
        edits, key=lambda e: (e[0].lineno, e[0].col_offset), reverse=True
    ):
        begin = starts[node.lineno - 1] + node.col_offset
        end = starts[node.end_lineno - 1] + node.end_col_offset
        raw = raw[:begin] + replacement.encode() + raw[end:]
    result.text = raw.decode()
    result.rewritten = len(edits)
    result.unknown.sort(key=lambda item: (item[1], item[0]))
    return result


def _cell_source(cell: Any, where: str) -> str:
    """A code cell's source as one string (nbformat: a string or a list of strings)."""
    source = cell.get("source", "")
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        return "".join(source)
    if isinstance(source, str):
        return source
    raise CarveError(
        f'{where}: "source" must be a string or a list of strings, got '
        f"{type(source).__name__} {str(source)[:40]}"
    )


def port_notebook(text: str, where: str = "<notebook>") -> PortResult:
    """Rewrite the ``chop`` imports of every code cell of a notebook (``.ipynb`` JSON text)."""
    try:
        notebook = json.loads(text)
        cells = notebook["cells"]
    except (ValueError, KeyError, TypeError) as error:
        raise CarveError(f"{where}: not a Jupyter notebook ({error})") from None
    if not isinstance(cells, list):
        raise CarveError(
            f'{where}: not a Jupyter notebook ("cells" must be a list of cells, got '
            f"{type(cells).__name__})"
        )
    total = PortResult(text)
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict):
            raise CarveError(
                f"{where} cell {number}: a cell must be an object, got {type(cell).__name__}"
            )
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        joined = _cell_source(cell, f"{where} cell {number}")
        ported = port_source(joined, f"{where} cell {number}")
        if ported.rewritten:
            new = ported.text
            cell["source"] = new.splitlines(keepends=True) if isinstance(source, list) else new
        total.rewritten += ported.rewritten
        total.unknown += ported.unknown
    total.text = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
    return total
