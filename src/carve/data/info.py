"""Rows for ``carve --info datasets`` (registry metadata only: no torch, no numpy)."""

from __future__ import annotations


def info_table():
    from carve.data.registry import DATASETS

    rows = []
    for name in DATASETS.names():
        meta = DATASETS.meta(name)
        info = meta["info"]
        rows.append(
            (
                name,
                f"{info.num_features} / {info.num_classes} ({' '.join(info.class_names)})",
                meta.get("sizes", "-"),
                meta.get("source", info.dataset_source),
            )
        )
    columns = ["Name", "Features / classes", "Train / val / test rows", "Source"]
    return "Datasets", columns, rows
