"""Figures written to files: matplotlib without a display, atomic saves, chosen formats.

Shared by every layer that draws (pruning reports, studies, searches), so it sits
at the bottom layer and imports matplotlib only inside the functions.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carve.fileio import atomic_write

DPI = 150
FORMATS = ("png", "svg", "pdf")


@dataclass(frozen=True)
class PlotStyle:
    """What every figure of one study shares: its caption and the file formats to write."""

    caption: str = ""
    formats: tuple[str, ...] = ("png",)


def pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def new_figure(rows: int = 1, columns: int = 1, **options: Any) -> tuple[Any, Any]:
    """``(figure, axes)`` like ``pyplot.subplots`` but without pyplot's global figure list.

    Such a figure needs no ``close`` and draws on the Agg canvas whatever the
    backend, so commands that only write files skip pyplot altogether.
    """
    from matplotlib.figure import Figure

    squeeze = options.pop("squeeze", True)
    figure = Figure(figsize=options.pop("figsize", None))
    return figure, figure.subplots(rows, columns, squeeze=squeeze, **options)


def check_formats(formats: Any) -> tuple[str, ...]:
    """``"png,svg"`` or a list -> validated tuple, PNG always first."""
    from carve.errors import CarveError

    items = formats.split(",") if isinstance(formats, str) else list(formats)
    items = [str(item).strip().lower().lstrip(".") for item in items if str(item).strip()]
    unknown = [item for item in items if item not in FORMATS]
    if unknown:
        raise CarveError(f"plot format(s) {', '.join(unknown)}: accepted {', '.join(FORMATS)}")
    return tuple(dict.fromkeys(["png", *items]))


def save_figure(figure, base: Path, style: PlotStyle = PlotStyle()) -> list[Path]:
    """``base.<fmt>`` for each format, written atomically (a kill leaves the old file).

    A ``base`` ending in ``.png``/``.svg``/``.pdf`` is written in that format first.
    """
    base = Path(base)
    formats = style.formats
    if base.suffix.lstrip(".").lower() in FORMATS:
        first = base.suffix.lstrip(".").lower()
        base = base.with_suffix("")
        formats = tuple(dict.fromkeys([first, *(f for f in formats if f != "png")]))
    if style.caption:
        figure.text(0.01, 0.01, style.caption, fontsize=7, color="#444444", ha="left", va="bottom")
    figure.tight_layout(rect=(0, 0.05 if style.caption else 0, 1, 1))
    paths = []
    for fmt in formats:
        path = base.with_name(f"{base.name}.{fmt}")
        atomic_write(path, lambda file, fmt=fmt: figure.savefig(file, dpi=DPI, format=fmt,
                                                                bbox_inches="tight"))  # fmt: skip
        paths.append(path)
    if "matplotlib.pyplot" in sys.modules:  # figures made by new_figure are not pyplot's
        sys.modules["matplotlib.pyplot"].close(figure)
    return paths
