"""Exact integer circuits for a table of codes ``y = f(x)`` over every input code ``x``.

A batch norm followed by a quantizer maps each input code of a channel to an
output code: torch computes ``x * alpha + beta`` in float32 and the next
quantizer rounds it. The input codes are few, so the whole table is known.
:func:`fit_step` finds the cheapest exact circuit for it:

- an integer affine ``y = clamp((a * x + b) >>> s)`` (floor shift) with the
  smallest ``s``; for a given ``a`` and ``s`` the exact ``b`` is an interval
  (each table row bounds it from both sides), so the search is exact, not a fit;
- otherwise the affine that misses the fewest rows (the ``b`` in most rows'
  intervals), with the missed rows as exceptions ``x == x_k ? y_k : ...``
  (float32 rounding makes a few codes land off the line), when that is
  cheaper than
- thresholds ``y = y(lo) + sum_k d_k [x >= t_k]`` (one comparator per step of
  the table, exact for any table).

Either is checked against the whole table before it is returned.

>>> import numpy as np
>>> x = np.arange(-8, 8)
>>> step = fit_step(x, np.clip(np.round(x * 0.75 + 0.3), -4, 3).astype(np.int64), -4, 3)
>>> step.kind, bool((step.evaluate(x) == np.clip(np.round(x * 0.75 + 0.3), -4, 3)).all())
('affine', True)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MAX_SHIFT = 40  # a * x stays well inside int64 for 16-bit codes


@dataclass
class Step:
    """``affine``: ``clamp((a*x + b) >> s, lo, hi)``; ``steps``: ``base + sum d [x >= t]``."""

    kind: str
    lo: int  # output range of the quantizer (clamp bounds)
    hi: int
    a: int = 0
    b: int = 0
    s: int = 0
    base: int = 0
    thresholds: list[tuple[int, int]] = field(default_factory=list)  # (t, d)
    exceptions: list[tuple[int, int]] = field(default_factory=list)  # affine: (x, y)

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.int64)
        if self.kind == "affine":
            y = np.clip((self.a * x + self.b) >> self.s, self.lo, self.hi)
            for code, value in self.exceptions:
                y = np.where(x == code, value, y)
            return y
        y = np.full(x.shape, self.base, dtype=np.int64)
        for t, d in self.thresholds:
            y += d * (x >= t)
        return y


def fit_step(x: np.ndarray, y: np.ndarray, lo: int, hi: int, slope: float | None = None) -> Step:
    """The cheapest exact :class:`Step` for the table ``x -> y`` (``y`` within ``[lo, hi]``).

    ``slope`` (output codes per input code, e.g. a batch norm's scale) guides the
    affine search; without it the table's own slope is estimated.
    """
    x, y = np.asarray(x, dtype=np.int64), np.asarray(y, dtype=np.int64)
    if slope is None:
        slope = _slope(x, y, lo, hi)
    step = _affine(x, y, lo, hi, slope)
    if step is None:
        steps, near = _thresholds(x, y, lo, hi), _nearly_affine(x, y, lo, hi, slope)
        step = near if near is not None and len(near.exceptions) < len(steps.thresholds) else steps
    assert np.array_equal(step.evaluate(x), y), "exact step circuit"
    return step


def _slope(x: np.ndarray, y: np.ndarray, lo: int, hi: int) -> float:
    inner = (y > lo) & (y < hi)
    if inner.sum() >= 2 and len(np.unique(x[inner])) > 1:
        return float(np.polyfit(x[inner], y[inner], 1)[0])
    return float(y[-1] - y[0]) / float(max(x[-1] - x[0], 1))


def _affine(x: np.ndarray, y: np.ndarray, lo: int, hi: int, slope: float) -> Step | None:
    for s in range(MAX_SHIFT):
        guess = round(slope * 2**s)
        for a in (guess, guess - 1, guess + 1, guess - 2, guess + 2):
            b = _offset(x, y, lo, hi, a, s)
            if b is not None:
                step = Step("affine", lo, hi, a=a, b=b, s=s)
                if np.array_equal(step.evaluate(x), y):
                    return step
    return None


def _intervals(x, y, lo: int, hi: int, a: int, s: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the ``b`` range with ``clamp((a*x + b) >> s) == y``."""
    ax = a * x
    unit = 1 << s
    # floor((ax + b) / unit) >= y (unless y is the lower clamp) and <= y (unless the upper)
    low = np.where(y > lo, y * unit - ax, np.iinfo(np.int64).min // 4)
    high = np.where(y < hi, (y + 1) * unit - 1 - ax, np.iinfo(np.int64).max // 4)
    return low, high


def _offset(x, y, lo: int, hi: int, a: int, s: int) -> int | None:
    """The ``b`` nearest 0 with ``clamp((a*x + b) >> s) == y`` for every row, or None."""
    low, high = _intervals(x, y, lo, hi, a, s)
    b_lo, b_hi = int(low.max()), int(high.min())
    return min(max(0, b_lo), b_hi) if b_lo <= b_hi else None


def _nearly_affine(x, y, lo: int, hi: int, slope: float) -> Step | None:
    """The affine (over a range of shifts) missing the fewest rows, with those as exceptions."""
    best = None
    for s in range(8, MAX_SHIFT, 2):
        a = round(slope * 2**s)
        low, high = _intervals(x, y, lo, hi, a, s)
        lows, highs = np.sort(low), np.sort(high)
        # rows whose interval holds b = each candidate low end
        held = np.searchsorted(lows, lows, "right") - np.searchsorted(highs, lows, "left")
        b = int(lows[int(np.argmax(held))])
        step = Step("affine", lo, hi, a=a, b=b, s=s)
        missed = np.nonzero(step.evaluate(x) != y)[0]
        if best is None or len(missed) < len(best.exceptions):
            step.exceptions = [(int(x[k]), int(y[k])) for k in missed]
            best = step
        if len(best.exceptions) <= 2:
            break
    return best


def _thresholds(x: np.ndarray, y: np.ndarray, lo: int, hi: int) -> Step:
    order = np.argsort(x)
    x, y = x[order], y[order]
    jumps = np.nonzero(np.diff(y))[0] + 1
    pairs = [(int(x[k]), int(y[k] - y[k - 1])) for k in jumps]
    return Step("steps", lo, hi, base=int(y[0]), thresholds=pairs)
