"""Fill a ternary config's ``"NA"`` statistics from the node's profiled statistics (as MASE).

A ternary threshold comes from statistics of ``|x|``: ``mean`` (0.75 x), ``max``
(0.05 x) or ``median`` (0.75 x). MASE's configs write ``"NA"`` for them and let
the quantize pass read what ``profile_statistics_analysis_pass`` recorded in the
node's software metadata: ``mean`` <- ``abs_mean.abs_mean``, ``median`` <-
``range_quantile.max``, ``max`` <- ``range_min_max.max``. A statistic that was
not profiled, or a negative one (profiled without ``abs``: MASE's own
``test_complex_quantize`` does this), stays None (the format then takes the
threshold from the data) and is noted in the log.

>>> software = {"args": {"weight": {"stat": {"abs_mean": {"abs_mean": 0.2, "count": 9}}}}}
>>> fill_profiled_statistics({"name": "ternary", "weight_mean": None, "weight_max": None},
...                          software)
{'name': 'ternary', 'weight_mean': 0.2, 'weight_max': None}
"""

from __future__ import annotations

import logging
from typing import Any

from carve.quant.spec import na_to_none

logger = logging.getLogger("carve.passes")

# config field -> (statistic, entry) in software metadata
SOURCES = {"mean": ("abs_mean", "abs_mean"), "median": ("range_quantile", "max"),
           "max": ("range_min_max", "max")}  # fmt: skip
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
    """A copy of ``config`` whose None ternary statistics are read from ``software``."""
    if config.get("name") != "ternary":
        return config
    filled = dict(config)
    args = software.get("args", {}) if isinstance(software, dict) else {}
    for operand, argument in ARGUMENTS.items():
        stats = args.get(argument, {}).get("stat", {})
        for field, (stat, entry) in SOURCES.items():
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
