"""The printed config table: Name | Default | Config file | Manual override | Effective.

As in MASE, the "Config file" column appears only when a TOML file was given,
and values that differ from the default are highlighted.
"""

from __future__ import annotations

from typing import Any

from carve.config.options import OPTIONS, CarveConfig


def _cell(value: Any) -> str:
    return "None" if value is None else str(value)


def _given(values: dict[str, Any], name: str) -> str:
    return _cell(values[name]) if name in values else ""


def config_rows(
    config: CarveConfig, effective: dict[str, str] | None = None, omit: tuple[str, ...] = ()
) -> tuple[list[str], list[list[str]]]:
    """(column names, rows) of the table, as plain strings (what tests read).

    ``effective`` replaces Effective cells with what a value resolves to
    (``auto`` -> ``auto (cpu)``); ``omit`` drops options the action does not use.
    """
    effective = effective or {}
    provenance = config.provenance
    with_file = provenance.config_file is not None
    columns = ["Name", "Default", *(["Config file"] if with_file else []), "Manual override"]
    columns.append("Effective")
    rows = []
    for name, option in OPTIONS.items():
        if name in omit:
            continue
        row = [name, _cell(option.default)]
        if with_file:
            row.append(_given(provenance.file_values, name))
        row.append(_given(provenance.cli_values, name))
        row.append(effective.get(name, _cell(getattr(config, name))))
        rows.append(row)
    return columns, rows


def config_table(
    config: CarveConfig, effective: dict[str, str] | None = None, omit: tuple[str, ...] = ()
):
    """A ``rich.table.Table`` of the config (changed values in bold); see :func:`config_rows`."""
    from rich.table import Table

    columns, rows = config_rows(config, effective, omit)
    table = Table(title="Configuration", title_justify="left")
    for column in columns:
        table.add_column(column, no_wrap=True)  # paths and names stay whole
    for row, name in zip(rows, [name for name in OPTIONS if name not in omit]):
        changed = getattr(config, name) != OPTIONS[name].default
        table.add_row(*row, style="bold" if changed else "dim")
    return table
