"""The built-in datasets, registered lazily: listing them imports no torch or numpy."""

from __future__ import annotations

from carve.data import jsc_schema
from carve.data.jsc_info import jsc_info, jsc_synth_info
from carve.data.registry import DATASETS

_SIZES = "531,200 / 132,800 / 166,000"  # of the 830,000 OpenML rows (64/16/20 %)

DATASETS.add_lazy(
    "jsc",
    "carve.data.jsc:build_jsc",
    info=jsc_info(),
    sizes=f"{_SIZES} (OpenML rows)",
    source="real: OpenML 42468 or CERNBox HDF5 (download or --data-path)",
)
DATASETS.add_lazy(
    "jsc-synth",
    "carve.data.jsc_synth:build_jsc_synth",
    info=jsc_synth_info(),
    sizes=f"{_SIZES} (size={jsc_schema.NUM_ROWS})",
    source="SYNTHETIC, generated offline (not real data)",
)
