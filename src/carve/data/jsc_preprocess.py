"""The field's JSC preprocessing, made explicit and with a real validation split.

1. HDF5 rows are de-duplicated (``DataFrame.drop_duplicates`` over the 16
   features and the label, keeping first occurrences, as LogicNets/MASE do);
   OpenML tables are not (as hls4ml/QKeras/HGQ do).
2. ``train_test_split(test_size=0.2, random_state=42)``: the literature's test set.
3. ``StandardScaler`` fit on the 80 % training part only (never on test), applied
   to all rows: test tensors equal the literature's.
4. A *distinct* validation split: ``val_fraction`` of the training part (again
   ``train_test_split``, ``random_state=42``). MASE validates on training rows.
"""

from __future__ import annotations

import numpy as np

from carve.data.arrays import SplitArrays
from carve.data.optional import require


def deduplicate(features: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop exact duplicate rows (features and label), keeping the first of each."""
    pandas = require("pandas", "de-duplicating the JSC HDF5 rows")
    frame = pandas.DataFrame(features)
    frame["label"] = labels
    keep = ~frame.duplicated(keep="first").to_numpy()
    return features[keep], labels[keep]


def preprocess(
    features: np.ndarray,
    labels: np.ndarray,
    dedup: bool,
    test_fraction: float,
    val_fraction: float,
    split_seed: int,
) -> SplitArrays:
    """Raw rows -> standardized train/val/test :class:`SplitArrays` (steps above)."""
    model_selection = require("sklearn.model_selection", "splitting the JSC data")
    preprocessing = require("sklearn.preprocessing", "standardizing the JSC data")
    if dedup:
        features, labels = deduplicate(features, labels)
    x_part, x_test, y_part, y_test = model_selection.train_test_split(
        features, labels, test_size=test_fraction, random_state=split_seed
    )
    scaler = preprocessing.StandardScaler().fit(x_part)
    x_part = scaler.transform(x_part).astype(np.float32)
    x_test = scaler.transform(x_test).astype(np.float32)
    x_train, x_val, y_train, y_val = model_selection.train_test_split(
        x_part, y_part, test_size=val_fraction, random_state=split_seed
    )
    return SplitArrays(
        x_train, y_train.astype(np.int64), x_val, y_val.astype(np.int64),
        x_test, y_test.astype(np.int64), scaler.mean_, scaler.scale_,
    )  # fmt: skip
