"""The export report: per-node formats and bit widths, parity, file sizes (Markdown + JSON).

Written next to the exported files (``report.md`` for people, ``report.json``
for tools) and printed by ``carve export``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from carve.export.graph_view import ExportGraph
from carve.export.parity import Parity

OPERAND_COLUMNS = ("data_in_0", "weight", "bias", "data_out_0")


@dataclass
class ExportReport:
    """What one export wrote and how well it agrees with carve."""

    format: str
    folder: Path
    files: dict[str, int]  # relative path -> bytes
    nodes: list[dict[str, Any]]
    parity: Parity | None
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # format-specific (hls4ml estimates...)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "folder": str(self.folder),
            "files": self.files,
            "nodes": self.nodes,
            "parity": None if self.parity is None else self.parity.to_dict(),
            "notes": self.notes,
            **self.extra,
        }

    def text(self) -> str:
        """The report as Markdown (also what ``carve export`` prints)."""
        from tabulate import tabulate

        header = ["node", "op", *OPERAND_COLUMNS, "bits (w/x)"]
        rows = [
            [n["node"], n["op"], *(n["operands"].get(k, "-") for k in OPERAND_COLUMNS), n["bits"]]
            for n in self.nodes
        ]
        lines = [f"# carve export: {self.format}", "", tabulate(rows, header, tablefmt="github")]
        lines += ["", "| file | bytes |", "|---|---:|"]
        lines += [f"| {name} | {size:,} |" for name, size in self.files.items()]
        lines += [""]
        lines.append(self.parity.line() if self.parity is not None else "parity: not checked")
        lines += [f"- {note}" for note in self.notes]
        return "\n".join(lines) + "\n"

    def write(self) -> None:
        from carve.fileio import atomic_write_text

        atomic_write_text(self.folder / "report.md", self.text())
        atomic_write_text(self.folder / "report.json", json.dumps(self.to_dict(), indent=2) + "\n")


def node_rows(view: ExportGraph) -> list[dict[str, Any]]:
    """Per node: op, each operand's format, and the weight/input bit widths."""
    rows = []
    for node in view.nodes:
        operands = {k: node.operand(k).describe() for k in OPERAND_COLUMNS if _has(node, k)}

        def bits(key: str, node=node) -> str:
            fixed = node.operand(key).fixed
            return (
                str(fixed.width)
                if fixed is not None
                else ("32" if not node.operand(key).quantized else "?")
            )

        width = (
            f"{bits('weight')}/{bits('data_in_0')}"
            if _has(node, "weight")
            else (f"-/{bits('data_in_0')}")
        )
        rows.append({"node": node.name, "op": node.op, "operands": operands, "bits": width})
    return rows


def _has(node, key: str) -> bool:
    if key in ("weight", "bias"):
        return getattr(node.module, key, None) is not None
    return True


def file_sizes(folder: Path, paths: list[Path]) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in paths}
