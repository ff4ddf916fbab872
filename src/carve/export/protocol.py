"""The exporter protocol: what every export format implements (ONNX, QONNX, hls4ml, Verilog).

An exporter writes its artefact from an :class:`~carve.export.graph_view.ExportGraph`,
runs the written artefact in its own runtime, and checks parity with carve;
``export_graph`` (``export/api.py``) drives it. Adding a format = one class
deriving from :class:`Exporter` + one row in ``export/formats.py``.

- ``description``: one line for the report (what is written, how it is checked);
- ``check_folder(folder)``: refuse a folder the format cannot use (default: none);
- ``write(view, folder) -> files``: the artefact's files (paths inside ``folder``);
- ``run(folder, view, x) -> outputs``: the written artefact on rows ``x`` (float32 array);
- ``parity(folder, view, x) -> Parity``: ``run`` compared exactly with carve's reference;
- ``notes``: extra report lines the last ``write``/``parity`` produced;
- ``extra``: format-specific report entries (merged into ``report.json``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import numpy as np

    from carve.export.graph_view import ExportGraph
    from carve.export.parity import Parity


class Exporter(ABC):
    """Base of every export format (see the module doc for the contract)."""

    name: ClassVar[str]
    description: ClassVar[str]

    def __init__(self) -> None:
        self.notes: list[str] = []
        self.extra: dict[str, Any] = {}

    def check_folder(self, folder: Path) -> None:
        """Refuse (CarveError) an output folder this format cannot write to, before anything
        is created; any folder by default."""
        return None

    @abstractmethod
    def write(self, view: ExportGraph, folder: Path) -> list[Path]:
        """Write the artefact into ``folder``; return the files written."""

    @abstractmethod
    def run(self, folder: Path, view: ExportGraph, x: np.ndarray) -> np.ndarray:
        """The written artefact's outputs on ``x``, computed by its own runtime."""

    @abstractmethod
    def parity(self, folder: Path, view: ExportGraph, x: np.ndarray) -> Parity:
        """``run`` on ``x`` compared exactly with carve's reference computation."""
