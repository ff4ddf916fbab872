"""Exact integer circuits for code tables: affine when one exists, else exceptions/thresholds."""

from __future__ import annotations

import numpy as np
import pytest

from carve.hardware.step import Step, fit_step


def table(x, alpha: float, beta: float, lo: int, hi: int, floor: bool = False) -> np.ndarray:
    values = np.float32(x) * np.float32(alpha) + np.float32(beta)  # float32, as torch
    scaled = values.astype(np.float64) * 4
    return np.clip(np.floor(scaled) if floor else np.rint(scaled), lo, hi).astype(np.int64)


@pytest.mark.parametrize("alpha", [0.75, -1.25, 1 / 3, 0.0, 123.0, 1e-3])
@pytest.mark.parametrize("floor", [False, True])
def test_batch_norm_like_tables_are_reproduced_exactly(alpha, floor):
    x = np.arange(-128, 128)
    y = table(x * 0.0625, alpha, 0.3, -32, 31, floor)
    step = fit_step(x, y, -32, 31, slope=alpha * 4 * 0.0625)
    np.testing.assert_array_equal(step.evaluate(x), y)
    assert step.kind == "affine" and not step.exceptions  # a line reproduces these exactly


def test_any_table_falls_back_to_thresholds_exactly():
    rng = np.random.default_rng(1)
    x = np.arange(-8, 8)
    y = rng.integers(-4, 4, size=x.size)  # not monotone, not affine
    step = fit_step(x, y, -4, 3)
    np.testing.assert_array_equal(step.evaluate(x), y)
    assert step.kind == "steps" or step.exceptions


def test_a_few_off_line_codes_become_exceptions():
    x = np.arange(-2048, 2048)
    y = np.clip(x // 8, -200, 200)
    y[[100, 2000, 3000]] += 1  # float32 rounding pushed three codes over a tie
    step = fit_step(x, y, -200, 200)
    np.testing.assert_array_equal(step.evaluate(x), y)
    assert step.kind == "affine" and len(step.exceptions) == 3


def test_evaluate_semantics():
    step = Step("affine", -4, 3, a=3, b=1, s=1, exceptions=[(0, 2)])
    np.testing.assert_array_equal(step.evaluate([-5, -1, 0, 1, 9]), [-4, -1, 2, 2, 3])
    steps = Step("steps", 0, 9, base=1, thresholds=[(0, 2), (5, -1)])
    np.testing.assert_array_equal(steps.evaluate([-1, 0, 4, 5]), [1, 3, 3, 2])
