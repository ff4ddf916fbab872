"""The folder a training run writes to: versioned, locked, cleaned of stray temp files.

:func:`run_folder` picks the folder for :func:`carve.train.train`: a new
``<project>/software/version_N`` (``latest`` pointed at it), the run named by
``resume``, or an explicit ``output_dir``; holds its lock while training; and
removes a new folder again when the run fails before its first checkpoint.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from carve.config import CarveConfig, project_path
from carve.errors import CarveError
from carve.fileio import remove_stray_temps
from carve.locking import folder_lock
from carve.runs import LATEST, find_version, list_versions, new_version, set_latest


@contextlib.contextmanager
def run_folder(
    config: CarveConfig, output_dir: str | Path | None, resume: bool | str, write_files: bool
) -> Iterator[Path | None]:
    """The locked folder a run writes to (None: no files); see :func:`train`.

    Stray temp files of a killed earlier attempt are removed once the lock is held.
    """
    if not write_files:
        if resume:
            raise CarveError("resume needs the run's output folder (write_files=True)")
        yield None
        return
    software = project_path(config) / "software" if output_dir is None else None
    if output_dir is not None:
        folder = Path(output_dir)
    elif resume:
        try:
            folder = find_version(software, LATEST if resume is True else str(resume))
        except CarveError as error:
            raise CarveError(f"nothing to resume: {error} (the default project name holds the "
                             "start date: pass --project NAME to resume a run from another day)"
                             ) from None  # fmt: skip
    else:
        folder = new_version(software, point_latest=False)
    with folder_lock(folder):
        for place in (folder, folder / "training_ckpts"):
            remove_stray_temps(place)
        last = folder / "training_ckpts" / "last.ckpt"
        if resume and not last.is_file():
            raise CarveError(f"nothing to resume: {str(last)!r} does not exist")
        if not resume and last.exists():
            raise CarveError(
                f"{folder} already holds a run ({last.name}); resume it or train into another "
                "folder (a new run never replaces an earlier one)"
            )
        fresh = software is not None and not resume
        if fresh:
            set_latest(software, folder)
        try:
            yield folder
        except BaseException:
            if fresh and not last.exists():  # failed before saving anything: leave no empty run
                _drop_empty_run(software, folder)
            raise


def _drop_empty_run(software: Path, folder: Path) -> None:
    """Remove a new run folder that never got a checkpoint; ``latest`` -> the newest left."""
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
    left = list_versions(software)
    if left:
        set_latest(software, software / left[-1])
    else:
        (software / LATEST).unlink(missing_ok=True)
