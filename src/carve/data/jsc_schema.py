"""The JSC schema shared by the real loaders and the synthetic stand-in.

Column order and label order follow hls4ml / LogicNets / MASE: 16 jet
substructure features, then the classes gluon, quark, W, Z, top (``g, q, w, z,
t``). OpenML 42468 encodes the same classes as strings; sorting them
alphabetically (``LabelEncoder``) would give ``g, q, t, w, z``, so readers map
the strings through :data:`CLASS_NAMES` instead.

>>> len(FEATURE_NAMES), H5_FEATURE_NAMES[0], CLASS_NAMES.index("t")
(16, 'j_zlogz', 4)
"""

from __future__ import annotations

FEATURE_NAMES: tuple[str, ...] = (
    "zlogz",
    "c1_b0_mmdt",
    "c1_b1_mmdt",
    "c1_b2_mmdt",
    "c2_b1_mmdt",
    "c2_b2_mmdt",
    "d2_b1_mmdt",
    "d2_b2_mmdt",
    "d2_a1_b1_mmdt",
    "d2_a1_b2_mmdt",
    "m2_b1_mmdt",
    "m2_b2_mmdt",
    "n2_b1_mmdt",
    "n2_b2_mmdt",
    "mass_mmdt",
    "multiplicity",
)
H5_FEATURE_NAMES: tuple[str, ...] = tuple(f"j_{name}" for name in FEATURE_NAMES)

CLASS_NAMES: tuple[str, ...] = ("g", "q", "w", "z", "t")
CLASS_DESCRIPTIONS: tuple[str, ...] = ("gluon", "quark", "W boson", "Z boson", "top quark")
H5_LABEL_FIELDS: tuple[str, ...] = tuple(f"j_{name}" for name in CLASS_NAMES)

# OpenML 42468 (hls4ml_lhc_jets_hlf): rows, the usual 80/20 split, and our
# validation carve (20 % of the training part, giving the 64/16/20 sizes).
NUM_ROWS = 830_000
TEST_FRACTION = 0.2
VAL_FRACTION = 0.2
SPLIT_SEED = 42

H5_DATASET_KEY = "t_allpar_new"
