"""jsc-synth: deterministic, the real schema and split sizes, physics-shaped, cached."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from carve.data import get_dataset, get_dataset_info, jsc_synth
from carve.data.arrays import split_sizes
from carve.data.jsc_schema import FEATURE_NAMES
from carve.data.jsc_synth_generator import generate_jsc_synth
from carve.errors import CarveError


@pytest.fixture(scope="module")
def jets():
    return generate_jsc_synth(60_000, seed=3)


def test_same_seed_same_rows_other_seed_other_rows():
    x1, y1 = generate_jsc_synth(2000, seed=7)
    x2, y2 = generate_jsc_synth(2000, seed=7)
    x3, _ = generate_jsc_synth(2000, seed=8)
    assert np.array_equal(x1, x2) and np.array_equal(y1, y2)
    assert not np.array_equal(x1, x3)


def test_schema_balance_and_d2_duplicate(jets):
    x, y = jets
    assert x.shape == (60_000, 16) and x.dtype == np.float32 and np.isfinite(x).all()
    fractions = np.bincount(y, minlength=5) / len(y)
    np.testing.assert_allclose(fractions, 0.2, atol=0.01)
    d2_b1, d2_a1_b1 = FEATURE_NAMES.index("d2_b1_mmdt"), FEATURE_NAMES.index("d2_a1_b1_mmdt")
    assert np.array_equal(x[:, d2_b1], x[:, d2_a1_b1])
    info = get_dataset_info("jsc-synth")
    assert info.feature_names == FEATURE_NAMES and info.class_names == ("g", "q", "w", "z", "t")
    assert "SYNTHETIC" in info.description


def test_physics_shape(jets):
    x, y = jets
    mass = x[:, FEATURE_NAMES.index("mass_mmdt")]
    multiplicity = x[:, FEATURE_NAMES.index("multiplicity")]
    median = [np.median(mass[y == c]) for c in range(5)]
    g, q, w, z, t = median
    assert 70 < w < 88 and 82 < z < 98 and w < z and 150 < t < 190 and max(g, q) < 45
    assert np.median(multiplicity[y == 0]) > 1.4 * np.median(multiplicity[y == 1])
    assert (mass >= 0).all() and (multiplicity >= 1).all()
    assert np.array_equal(multiplicity, np.round(multiplicity))  # a count


def test_default_sizes_are_the_real_split_sizes():
    assert split_sizes(830_000, 0.2, 0.2) == (531_200, 132_800, 166_000)
    data = get_dataset("jsc-synth", size=1000, cache=False)
    assert (len(data.train), len(data.val), len(data.test)) == (640, 160, 200)


def test_standardized_with_training_statistics():
    data = get_dataset("jsc-synth", size=5000, cache=False)
    x = data.train.x.double()
    torch.testing.assert_close(x.mean(0), torch.zeros(16, dtype=torch.float64), atol=1e-4, rtol=0)
    torch.testing.assert_close(x.std(0, correction=0), torch.ones(16, dtype=torch.float64))
    assert torch.equal(data.train.x[:, 6], data.train.x[:, 8])


def test_cached_after_first_use(private_cache, monkeypatch):
    first = get_dataset("jsc-synth", size=3000, seed=2)
    files = list((private_cache / "jsc-synth").glob("*.npz"))
    assert len(files) == 1

    def no_generation(*_):
        raise AssertionError("the cache should have been used")

    monkeypatch.setattr(jsc_synth, "generate_jsc_synth", no_generation)
    again = get_dataset("jsc-synth", size=3000, seed=2)
    assert torch.equal(first.test.x, again.test.x)
    with pytest.raises(AssertionError, match="cache should"):
        get_dataset("jsc-synth", size=3000, seed=5)


def test_no_cache_writes_nothing(private_cache):
    get_dataset("jsc-synth", size=500, cache=False)
    assert not private_cache.exists()


def test_bad_options_are_named():
    with pytest.raises(CarveError, match=r"no option 'data_size'; accepted: .*size"):
        get_dataset("jsc-synth", data_size=10)
    with pytest.raises(CarveError, match="'size' must be an integer >= 10"):
        get_dataset("jsc-synth", size=0)
    with pytest.raises(CarveError, match="reads no file"):
        get_dataset("jsc-synth", data_path="x.arff")
    with pytest.raises(CarveError, match="leave no training rows"):
        get_dataset("jsc-synth", size=10, val_fraction=0.9, test_fraction=0.9, cache=False)


# Standardized per-feature min/max of the real OpenML 42468 training split (531,200 rows;
# shared/data/jsc, from nairods/fastml_bitnet_benchmark, Apache-2.0), rounded.
REAL_Z_MIN = [-3.26, -6.17, -1.29, -0.85, -1.18, -0.63, -2.81, -1.48,
              -2.81, -2.52, -2.46, -1.61, -3.31, -1.79, -1.34, -2.12]  # fmt: skip
REAL_Z_MAX = [4.18, 1.09, 4.37, 6.63, 4.49, 8.24, 5.84, 7.02,
              5.84, 2.34, 2.66, 3.28, 1.99, 2.41, 8.96, 6.93]  # fmt: skip


def test_standardized_ranges_resemble_the_real_ones(jets):
    x, _ = jets
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    # 60,000 rows reach less far into the tails than the real 531,200: compare loosely,
    # but the side of the skew (long left or right tail) must match where it is clear.
    assert np.all(np.abs(z.min(axis=0) - REAL_Z_MIN) < 1.5)
    assert np.all(np.abs(z.max(axis=0) - REAL_Z_MAX) < 3.0)
    real_skew = np.add(REAL_Z_MAX, REAL_Z_MIN)
    skewed = np.abs(real_skew) > 1.0  # clearly one-sided features
    assert np.all(np.sign(z.max(axis=0) + z.min(axis=0))[skewed] == np.sign(real_skew)[skewed])
    assert 2.5 < np.percentile(np.abs(z), 99) < 2.95  # real: 2.72
