"""Independent numpy references of carve's number formats, for the tests.

They avoid carve's own arithmetic: each format's representable values are
*enumerated* (from the format's definition, or from the bit patterns for the
OCP elements) and every input is mapped to the nearest table entry by a search,
with ties broken towards the entry that is an even multiple of the tie's gap
(round half to even on the significand). Block formats loop over blocks in
Python. Only small widths are used, so the tables stay small.
"""

from __future__ import annotations

import math

import numpy as np


# -- nearest value in a table ---------------------------------------------------
def nearest(values: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Nearest entry of the sorted ``table`` for each finite value, ties to the even
    multiple of the gap; beyond the ends: the end (saturation); NaN kept."""
    x = np.asarray(values, dtype=np.float64)
    out = np.full(x.shape, np.nan)
    flat_x, flat_out = x.reshape(-1), out.reshape(-1)
    for i, v in enumerate(flat_x):
        if np.isnan(v):
            continue
        if v <= table[0]:
            flat_out[i] = table[0]
            continue
        if v >= table[-1]:
            flat_out[i] = table[-1]
            continue
        hi = int(np.searchsorted(table, v, side="left"))
        a, b = table[hi - 1], table[hi]
        if v == b:
            flat_out[i] = b
        elif v - a < b - v:
            flat_out[i] = a
        elif b - v < v - a:
            flat_out[i] = b
        else:  # tie
            gap = b - a
            flat_out[i] = a if (a / gap) % 2 == 0 else b
    return out


def symmetric_table(positive: set[float]) -> np.ndarray:
    values = set(positive) | {-p for p in positive} | {0.0}
    return np.array(sorted(values))


# -- tables ---------------------------------------------------------------------
def minifloat_table(width: int, exponent_width: int, bias: int, implicit: bool) -> np.ndarray:
    mantissa_bits = width - exponent_width - 1
    values = set()
    for field in range(2**exponent_width):
        for m in range(2**mantissa_bits):
            if implicit:
                if field == 0:
                    values.add(m / 2**mantissa_bits * 2.0 ** (1 - bias))
                else:
                    values.add((1 + m / 2**mantissa_bits) * 2.0 ** (field - bias))
            else:
                values.add(m / 2**mantissa_bits * 2.0 ** (field - bias))
    return symmetric_table(values)


def ocp_element_table(width: int, exponent_width: int) -> np.ndarray:
    """Decode every bit pattern of an OCP MX element (FP8 E4M3/E5M2, FP6, FP4)."""
    mantissa_bits = width - exponent_width - 1
    bias = 2 ** (exponent_width - 1) - 1
    values = set()
    for code in range(2 ** (width - 1)):
        field, m = code >> mantissa_bits, code & (2**mantissa_bits - 1)
        if (exponent_width, mantissa_bits) == (4, 3) and field == 15 and m == 7:
            continue  # NaN
        if (exponent_width, mantissa_bits) == (5, 2) and field == 31:
            continue  # inf / NaN
        if field == 0:
            values.add(m / 2**mantissa_bits * 2.0 ** (1 - bias))
        else:
            values.add((1 + m / 2**mantissa_bits) * 2.0 ** (field - bias))
    return symmetric_table(values)


# -- formats --------------------------------------------------------------------
def integer(x, width, frac_width, signed=True):
    lo, hi = (-(2 ** (width - 1)), 2 ** (width - 1) - 1) if signed else (0, 2**width - 1)
    codes = np.clip(np.round(np.asarray(x, np.float64) * 2.0**frac_width), lo, hi)
    return codes / 2.0**frac_width


def minifloat(x, width, exponent_width, bias, implicit):
    return nearest(x, minifloat_table(width, exponent_width, bias, implicit))


def log(x, width, bias):
    """Nearest power of two in the log domain; 0 -> +2**-bias; sign kept."""
    x = np.asarray(x, np.float64)
    lo, hi = -bias, 2 ** (width - 1) - 1 - bias
    out = np.full(x.shape, np.nan)
    for idx, v in np.ndenumerate(x):
        if np.isnan(v):
            continue
        if v == 0:
            out[idx] = 2.0**lo
            continue
        mag = abs(v)
        e = hi if math.isinf(mag) else min(max(round(math.log2(mag)), lo), hi)
        out[idx] = math.copysign(2.0**e, v)
    return out


def blocks_2d(shape, block):
    """Yield index slices of the tiles of a 2-D shape (ragged edges included)."""
    for r in range(0, shape[0], block[0]):
        for c in range(0, shape[1], block[1]):
            yield (slice(r, r + block[0]), slice(c, c + block[1]))


def block_fp_2d(x, width, exponent_width, bias, block):
    x = np.asarray(x, np.float64)
    out = np.empty_like(x)
    m_bits = width - 1
    for tile in blocks_2d(x.shape, block):
        amax = np.abs(x[tile]).max()
        e = math.frexp(amax)[1] if amax > 0 else -bias  # floor(log2)+1
        e = min(max(e, -bias), 2**exponent_width - 1 - bias)
        step = 2.0 ** (e - m_bits)
        table = symmetric_table({m * step for m in range(2**m_bits)})
        out[tile] = nearest(x[tile], table)
    return out


def block_minifloat_2d(x, width, exponent_width, bias_width, block):
    x = np.asarray(x, np.float64)
    out = np.empty_like(x)
    top = 2**exponent_width - 1
    for tile in blocks_2d(x.shape, block):
        amax = np.abs(x[tile]).max()
        floor_log2 = math.frexp(amax)[1] - 1 if amax > 0 else -(10**6)
        bias = min(max(top - floor_log2, 0), 2**bias_width - 1)
        out[tile] = minifloat(x[tile], width, exponent_width, bias, implicit=True)
    return out


def block_log_2d(x, width, bias_width, block):
    x = np.asarray(x, np.float64)
    out = np.empty_like(x)
    top = 2 ** (width - 1) - 1
    for tile in blocks_2d(x.shape, block):
        amax = np.abs(x[tile]).max()
        if amax > 0:
            bias = min(max(top - math.ceil(math.log2(amax)), 0), 2**bias_width - 1)
        else:  # an all-zero block takes the largest bias: zeros -> smallest magnitude
            bias = 2**bias_width - 1
        out[tile] = log(x[tile], width, bias)
    return out


def mx_rows(x, block_size, element_table, emax_elem):
    """MX along the last axis of a 2-D array: scale 2**(floor(log2 amax) - emax_elem)."""
    x = np.asarray(x, np.float64)
    out = np.empty_like(x)
    for r in range(x.shape[0]):
        for c in range(0, x.shape[1], block_size):
            seg = x[r, c : c + block_size]
            amax = np.abs(seg).max()
            shared = math.frexp(amax)[1] - 1 - emax_elem if amax > 0 else -127
            shared = min(max(shared, -127), 127)
            out[r, c : c + block_size] = nearest(seg / 2.0**shared, element_table) * 2.0**shared
    return out


def mxint_table(width):
    step = 2.0 ** -(width - 2)
    return symmetric_table({m * step for m in range(2 ** (width - 1))})


def binary(x, bipolar, scaled):
    x = np.asarray(x, np.float64)
    alpha = (
        np.abs(x).mean(axis=tuple(range(1, x.ndim)), keepdims=True)
        if x.ndim >= 2
        else (np.abs(x).mean())
    )
    if bipolar:
        out = np.where(x >= 0, 1.0, -1.0)
        return out * alpha if scaled else out
    return np.where(x > 0, 1.0, 0.0) * alpha


def ternary(x, threshold, scaled):
    x = np.asarray(x, np.float64)
    out = np.zeros_like(x)
    for i in range(x.shape[0]):
        row = x[i]
        delta = 0.75 * np.abs(row).mean() if threshold is None else threshold
        keep = np.abs(row) > delta
        t = np.sign(row) * keep
        if scaled:
            t = t * (np.abs(row[keep]).mean() if keep.any() else 0.0)
        out[i] = t
    return out


def scaled_integer_symmetric(x, width, axis=None):
    x = np.asarray(x, np.float64)
    top = 2 ** (width - 1) - 1
    if axis is None:
        amax = np.abs(x).max()
    else:
        other = tuple(d for d in range(x.ndim) if d != axis)
        amax = np.abs(x).max(axis=other, keepdims=True)
    scale = np.where(amax > 0, amax / top, 1.0)
    return np.clip(np.round(x / scale), -top, top) * scale
