"""Run configuration: typed defaults, TOML files, precedence and the printed table.

Public API (also used by ``carve transform`` and ``carve study``):

* :class:`CarveConfig` - the effective config (MASE ``dest`` names as fields);
  ``CarveConfig(model=..., dataset=..., max_epochs=...)`` validates every value,
  ``.replace(**changes)``, ``.to_dict()``, ``CarveConfig.from_dict(values)``,
  ``.tables`` holds the TOML's non-flag tables (``[passes.*]``, ``[search]``...).
* :func:`add_common_flags` (parser) and :func:`resolve_config` (args -> config):
  default < TOML < command line; an explicit flag always wins.
* :func:`load_toml` / :func:`save_toml` (``"NA"`` <-> None), :func:`read_config_file`.
* :func:`config_table` / :func:`config_rows`, :func:`project_path`.
"""

from carve.config.options import OPTION_NAMES, OPTIONS, CarveConfig, Provenance, check_value
from carve.config.resolve import (
    add_common_flags,
    default_project,
    project_path,
    read_config_file,
    resolve_config,
    with_default_project,
)
from carve.config.table import config_rows, config_table
from carve.config.toml_io import dumps_toml, load_toml, na_to_none, none_to_na, save_toml

__all__ = [
    "OPTIONS",
    "OPTION_NAMES",
    "CarveConfig",
    "Provenance",
    "add_common_flags",
    "check_value",
    "config_rows",
    "config_table",
    "default_project",
    "dumps_toml",
    "load_toml",
    "na_to_none",
    "none_to_na",
    "project_path",
    "read_config_file",
    "resolve_config",
    "save_toml",
    "with_default_project",
]
