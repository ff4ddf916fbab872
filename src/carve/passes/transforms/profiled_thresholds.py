"""Fill a config's ``"NA"`` statistics fields from the node's profiled statistics (as MASE).

Some formats take spec fields from statistics of the data: a ternary threshold
comes from ``mean`` (0.75 x), ``max`` (0.05 x) or ``median`` (0.75 x) of ``|x|``.
MASE's configs write ``"NA"`` for them and let the quantize pass read what
``profile_statistics_analysis_pass`` recorded in the node's software metadata.
Which fields, and from which statistic, is format metadata
(:attr:`carve.quant.catalog.FormatInfo.profiled_fields`; for ternary ``mean`` <-
``abs_mean.abs_mean``, ``median`` <- ``range_quantile.max``, ``max`` <-
``range_min_max.max``). A statistic that was not profiled, or a negative one
(profiled without ``abs``, as MASE's own ``test_complex_quantize`` does), stays
None (the format then takes the threshold from the data; a negative one is
noted in the log).

>>> software = {"args": {"weight": {"stat": {"abs_mean": {"abs_mean": 0.2, "count": 9}}}}}
>>> fill_profiled_statistics({"name": "ternary", "weight_mean": None, "weight_max": None},
...                          software)
{'name': 'ternary', 'weight_mean': 0.2, 'weight_max': None}
"""

from __future__ import annotations

import logging
from typing import Any

from carve.config.toml_io import na_to_none
from carve.quant.catalog import FORMAT_INFO
from carve.quant.node_config import NodeQuantConfig, parse_node_config

logger = logging.getLogger("carve.passes")

# config operand -> metadata argument name
ARGUMENTS = {"data_in": "data_in_0", "weight": "weight", "bias": "bias"}


def _scalar(value: Any) -> float | None:
    try:
        import torch

        if isinstance(value, torch.Tensor):
            return float(value) if value.numel() == 1 else None
        return float(value) if isinstance(value, int | float) else None
    except (TypeError, ValueError):
        return None


def fill_profiled_statistics(config: dict[str, Any], software: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``config`` whose None statistics fields are read from ``software``."""
    info = FORMAT_INFO.get(na_to_none(config.get("name")))
    if info is None or not info.profiled_fields:
        return config
    filled = dict(config)
    args = software.get("args", {}) if isinstance(software, dict) else {}
    for operand, argument in ARGUMENTS.items():
        stats = args.get(argument, {}).get("stat", {})
        for field, (stat, entry) in info.profiled_fields.items():
            key = f"{operand}_{field}"
            missing = key in filled and na_to_none(filled[key]) is None
            if missing and isinstance(stats.get(stat), dict):
                value = _scalar(stats[stat].get(entry))
                if value is not None and value < 0:  # profiled without abs: not a |x| statistic
                    logger.info(
                        "%s: profiled %s.%s = %g is negative, not a statistic of |x|; "
                        "the threshold comes from the data",
                        key,
                        stat,
                        entry,
                        value,
                    )
                    value = None
                filled[key] = value
    return filled


def fill_profiled_config(config: NodeQuantConfig, software: dict[str, Any]) -> NodeQuantConfig:
    """:func:`fill_profiled_statistics` on a parsed config (the same object when nothing fills)."""
    if config.format_name is None or not FORMAT_INFO[config.format_name].profiled_fields:
        return config
    plain = config.to_mase_dict()
    filled = fill_profiled_statistics(plain, software)
    return config if filled == plain else parse_node_config(filled)
