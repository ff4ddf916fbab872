"""``export_graph``: one export = a new folder, the model files, a parity check, a report."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from carve.errors import CarveError
from carve.export.formats import EXPORT_FORMATS
from carve.export.protocol import Exporter
from carve.export.report import ExportReport, file_sizes, node_rows


def new_folder(out_dir: str | os.PathLike) -> Path:
    """Create ``out_dir``, or accept it empty: an export never overwrites another's files."""
    from carve.locking import LOCK_NAME

    folder = Path(out_dir)
    if folder.is_dir() and not any(p.name != LOCK_NAME for p in folder.iterdir()):
        return folder  # empty (a lock file is left by an export that failed or is running)
    if folder.exists():
        raise CarveError(
            f"export folder {folder} already exists; exports are never overwritten: "
            "choose another output folder"
        )
    try:
        if not folder.parent.is_dir():
            folder.parent.mkdir(parents=True)
        folder.mkdir()
    except FileExistsError:
        if folder.is_dir():
            raise CarveError(f"export folder {folder} already exists (created meanwhile)") from None
        raise CarveError(
            f"export: cannot create output folder {folder}: a file is in the way"
        ) from None
    except OSError as error:
        raise CarveError(
            f"export: cannot create output folder {folder}: {error.strerror or error}"
        ) from None
    return folder


def export_graph(
    graph: Any,
    format: str,
    out_dir: str | os.PathLike,
    inputs: Any = None,
    input_shape: tuple[int, ...] | None = None,
) -> ExportReport:
    """Export ``graph`` as ``format`` into the new folder ``out_dir``; check it on ``inputs``.

    ``inputs`` (rows of input features, e.g. the test split) are run through
    the exported model in its own runtime and through carve; without them no
    parity is claimed. ``out_dir`` must not exist or be empty; it is locked
    while written (a second export to it is refused) and removed again if
    anything fails.
    """
    from carve.export.graph_view import export_view
    from carve.locking import LOCK_NAME, folder_lock

    exporter: Exporter = EXPORT_FORMATS[format]()
    view = export_view(graph, input_shape)
    exporter.check_folder(Path(out_dir))  # a format's limits on the path, before any write
    folder = new_folder(out_dir)
    lock = folder_lock(folder, "export folder").acquire()  # a concurrent export is refused
    if any(p.name != LOCK_NAME for p in folder.iterdir()):  # filled before we locked it
        lock.release()
        raise CarveError(
            f"export folder {folder} already exists; exports are never overwritten: "
            "choose another output folder"
        )
    try:
        files = exporter.write(view, folder)
        parity = None
        if inputs is not None:
            parity = exporter.parity(folder, view, _as_numpy(inputs))
        report = ExportReport(
            format=format,
            folder=folder,
            files=file_sizes(folder, files),
            nodes=node_rows(view),
            parity=parity,
            notes=exporter_notes(exporter, view),
            extra=exporter.extra,
        )
        report.write()
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        lock.release()
    return report


def exporter_notes(exporter: Exporter, view: Any) -> list[str]:
    from carve.export.onnx_builder import exactness

    notes = [exporter.description]
    exact = exactness(view)
    if exact:
        proven = [name for name, ok in exact.items() if ok]
        notes.append(
            "float32 accumulation provably exact (worst-case sum < 2**24) in: "
            + (", ".join(proven) if proven else "no linear node")
        )
    notes += exporter.notes
    return notes


def _as_numpy(inputs: Any):
    import numpy as np

    if hasattr(inputs, "detach"):
        inputs = inputs.detach().cpu().numpy()
    return np.ascontiguousarray(inputs, dtype=np.float32)
