"""Dataset info of ``jsc`` and ``jsc-synth`` (standard library only: used by listings)."""

from __future__ import annotations

from carve.data import jsc_schema
from carve.data.base import DatasetInfo


def _jsc_like_info(name: str, source: str, description: str) -> DatasetInfo:
    return DatasetInfo(
        name=name,
        num_classes=len(jsc_schema.CLASS_NAMES),
        num_features=len(jsc_schema.FEATURE_NAMES),
        class_names=jsc_schema.CLASS_NAMES,
        feature_names=jsc_schema.FEATURE_NAMES,
        dataset_source=source,
        description=description,
        extra={"class_descriptions": jsc_schema.CLASS_DESCRIPTIONS},
    )


def jsc_info() -> DatasetInfo:
    """``jsc``: the real hls4ml jet dataset (OpenML 42468 or the CERNBox HDF5 file)."""
    return _jsc_like_info(
        "jsc",
        "manual",
        "real LHC jets, 16 substructure features, classes g q w z t "
        "(OpenML 42468 or CERNBox HDF5; downloaded or --data-path)",
    )


def jsc_synth_info() -> DatasetInfo:
    """``jsc-synth``: the synthetic stand-in with the same schema."""
    return _jsc_like_info(
        "jsc-synth",
        "synthetic",
        "SYNTHETIC physics-inspired stand-in for jsc, same schema; works offline (not real data)",
    )
