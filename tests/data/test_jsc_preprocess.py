"""JSC preprocessing: de-duplication, the field's split, train-only scaling, distinct val."""

from __future__ import annotations

import math

import numpy as np

from carve.data.jsc_preprocess import deduplicate, preprocess


def _row_ids(x_scaled, mean, scale):
    """Recover column 0 (the row number written by ``known_rows``) from scaled features."""
    return np.rint(x_scaled[:, 0].astype(np.float64) * scale[0] + mean[0]).astype(int)


def test_deduplicate_keeps_first_occurrences(jsc_files):
    features, labels = jsc_files.known_rows(10)
    x = np.concatenate([features, features[[2, 5]], features[[7]]])
    y = np.concatenate([labels, labels[[2, 5]], (labels[[7]] + 1) % 5])  # last: new label
    kept_x, kept_y = deduplicate(x, y)
    assert len(kept_y) == 11
    np.testing.assert_array_equal(kept_x[:10], features)
    assert kept_y[-1] == (labels[7] + 1) % 5


def test_split_matches_the_seed_42_permutation_and_sizes(jsc_files):
    n = 203
    features, labels = jsc_files.known_rows(n)
    arrays = preprocess(features, labels, False, 0.2, 0.2, 42)
    n_test = math.ceil(0.2 * n)
    n_val = math.ceil(0.2 * (n - n_test))
    assert arrays.sizes() == (n - n_test - n_val, n_val, n_test)
    # train_test_split(random_state=42): test = first n_test of RandomState(42).permutation(n)
    expected_test = np.random.RandomState(42).permutation(n)[:n_test]
    test_ids = _row_ids(arrays.x_test, arrays.scaler_mean, arrays.scaler_scale)
    np.testing.assert_array_equal(test_ids, expected_test)
    np.testing.assert_array_equal(arrays.y_test, labels[expected_test])


def test_scaler_is_fit_on_the_training_part_only(jsc_files):
    features, labels = jsc_files.known_rows(300)
    features[:, 3] += 100.0 * (features[:, 0] % 7 == 0)  # make test statistics differ
    arrays = preprocess(features, labels, False, 0.2, 0.2, 42)
    test_ids = _row_ids(arrays.x_test, arrays.scaler_mean, arrays.scaler_scale)
    part = np.setdiff1d(np.arange(300), test_ids)
    reference = features[part].astype(np.float64)
    np.testing.assert_allclose(arrays.scaler_mean, reference.mean(axis=0), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(arrays.scaler_scale, reference.std(axis=0), rtol=1e-6)
    fitted = np.concatenate([arrays.x_train, arrays.x_val]).astype(np.float64)
    np.testing.assert_allclose(fitted.mean(axis=0), 0.0, atol=1e-5)
    assert abs(arrays.x_test[:, 3].mean()) > 1e-3  # test rows were not used to fit


def test_validation_rows_are_distinct_from_training_rows(jsc_files):
    features, labels = jsc_files.known_rows(500)
    arrays = preprocess(features, labels, False, 0.2, 0.25, 42)
    ids = [
        set(_row_ids(x, arrays.scaler_mean, arrays.scaler_scale))
        for x in (arrays.x_train, arrays.x_val, arrays.x_test)
    ]
    assert not ids[0] & ids[1] and not ids[0] & ids[2] and not ids[1] & ids[2]
    assert set().union(*ids) == set(range(500))
    assert len(ids[1]) == math.ceil(0.25 * 400)


def test_dedup_happens_before_the_split(jsc_files):
    features, labels = jsc_files.known_rows(100)
    x = np.concatenate([features, features[:20]])
    y = np.concatenate([labels, labels[:20]])
    assert sum(preprocess(x, y, True, 0.2, 0.2, 42).sizes()) == 100
    assert sum(preprocess(x, y, False, 0.2, 0.2, 42).sizes()) == 120
