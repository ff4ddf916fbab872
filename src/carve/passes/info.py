"""Rows for ``carve --info passes`` (catalog only: no torch import)."""

from __future__ import annotations


def info_table():
    from carve.passes.registry import PASSES

    rows = [
        (name, PASSES.meta(name)["function"], PASSES.meta(name)["kind"],
         PASSES.meta(name)["description"])
        for name in PASSES.names()
    ]  # fmt: skip
    return "Passes", ["Key", "Function (import from carve.passes)", "Kind", "Description"], rows
