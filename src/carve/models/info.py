"""Rows for ``carve --info models`` (metadata only: no torch import)."""

from __future__ import annotations


def info_table():
    from carve.models import MODELS, get_model_info

    rows = []
    for name in MODELS.names():
        info = get_model_info(name)
        params = "-" if info.params is None else f"{info.params:,}"
        rows.append((name, params, info.description))
    return "Models", ["Name", "Parameters (JSC: 16 in, 5 out)", "Description"], rows
