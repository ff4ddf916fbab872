"""Rows for ``carve --info formats`` (registry metadata only: no torch import)."""

from __future__ import annotations


def info_table():
    from carve.quant import FORMATS

    rows = []
    for name in FORMATS.names():
        meta = FORMATS.meta(name)
        rows.append((name, ", ".join(meta["keys"]), meta["ste"], meta["summary"]))
    columns = ["Format (name)", "Config keys (<operand>_<key>)", "STE", "Semantics"]
    return "Number formats", columns, rows
