"""Every input code of every batch-norm channel: does an export's arithmetic round as carve's?

A batch norm's input is fixed point, so it takes few values per channel (2**w
codes). carve (torch's CPU kernel) computes ``x * alpha + beta`` with one
float32 rounding (fused multiply-add). Each export computes it its own way
(:data:`ARITHMETIC`):

- ``exact`` (hls4ml, directly or through hls4ml's QONNX frontend): exactly, in a
  wide ``ap_fixed``, then rounded once to the next quantizer's grid;
- ``float64`` (ONNX QDQ): product exact in float64, sum rounded to float64, then
  to float32 (a double rounding);
- ``float32`` (QONNX in qonnx/onnxruntime): product rounded to float32, then the
  sum rounded to float32.

The results matter as the next quantizer sees them: when the batch norm's
output (or its consumer's input) is quantized, values are compared after that
rounding (they can only differ near a rounding tie of that grid); otherwise
they are compared exactly. :func:`disagreements` counts the (code, channel)
pairs that differ, so an export states for *every possible input*, not only
for the test rows, whether its batch norms equal carve's.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import numpy as np

from carve.export.graph_view import ExportGraph, ExportNode, FixedPoint
from carve.export.onnx_builder import batch_norm_affine

CHECK_LIMIT = 1 << 23  # (codes x channels) enumerated at most


def grid_codes(values: np.ndarray, fixed: FixedPoint) -> np.ndarray:
    """float ``values`` rounded onto ``fixed``'s grid and saturated, as integer codes."""
    scaled = np.asarray(values, dtype=np.float64) * 2.0**fixed.frac_width  # exact
    rounded = np.floor(scaled) if fixed.rounding == "floor" else np.rint(scaled)  # half even
    lo, hi = fixed.int_range
    return np.clip(rounded, lo, hi)


def to_grid(value: Fraction, fixed: FixedPoint) -> Fraction:
    """``value`` rounded onto ``fixed``'s grid and saturated (ap_fixed RND_CONV|TRN, SAT)."""
    scaled = value * 2**fixed.frac_width
    floor = scaled.numerator // scaled.denominator
    rest = scaled - floor
    up = fixed.rounding != "floor" and (
        rest > Fraction(1, 2) or (rest == Fraction(1, 2) and floor % 2 == 1)
    )
    lo, hi = fixed.int_range
    return Fraction(min(max(floor + up, lo), hi), 2**fixed.frac_width)


def _near_edge(values: np.ndarray, fixed: FixedPoint) -> np.ndarray:
    """Where float64 ``values`` lie within float32 rounding (with margin) of a rounding edge
    of ``fixed``'s grid (a half step for round-to-nearest, a step for floor)."""
    scaled = values * 2.0**fixed.frac_width
    edge = 0.0 if fixed.rounding == "floor" else 0.5
    rest = scaled - np.floor(scaled)
    distance = np.minimum(np.abs(rest - edge), np.abs(rest - edge - 1.0))
    return distance <= np.abs(scaled) * 2.0**-20 + 2.0**-40


def _edge_distance(values: np.ndarray, fixed: FixedPoint) -> np.ndarray:
    """Distance (in value units) from each value to the nearest rounding edge of ``fixed``."""
    scaled = values * 2.0**fixed.frac_width
    rest = scaled - np.floor(scaled)
    steps = np.minimum(rest, 1.0 - rest) if fixed.rounding == "floor" else np.abs(rest - 0.5)
    return steps * 2.0**-fixed.frac_width


def _exact(codes, alpha, beta, carve, out: FixedPoint | None) -> int:
    """Exact ``code * alpha + beta``: float64 picks the candidates (the product is exact,
    the sum off by 2**-53 at most), exact fractions settle each one."""
    approx = codes[:, None] * alpha[None, :].astype(np.float64) + beta[None, :]
    if out is None:
        candidates = np.argwhere(np.ones_like(approx, dtype=bool))
    else:
        candidates = np.argwhere(_near_edge(approx, out) | _near_edge(carve, out))
    bad = 0
    for row, c in candidates.tolist():
        exact = Fraction(float(codes[row])) * Fraction(float(alpha[c])) + Fraction(float(beta[c]))
        ours = Fraction(float(carve[row, c]))
        bad += exact != ours if out is None else to_grid(exact, out) != to_grid(ours, out)
    return bad


def _float(compute: Callable) -> Callable:
    def count(codes, alpha, beta, carve, out: FixedPoint | None) -> int:
        values = compute(codes, alpha, beta).astype(np.float64)
        if out is None:
            return int((values != carve).sum())
        return int((grid_codes(values, out) != grid_codes(carve, out)).sum())

    return count


def _float64(codes, alpha, beta):
    return (codes[:, None] * alpha.astype(np.float64) + beta.astype(np.float64)).astype(np.float32)


def _float32(codes, alpha, beta):
    product = codes[:, None].astype(np.float32) * alpha.astype(np.float32)
    return product + beta.astype(np.float32)


ARITHMETIC = {"exact": _exact, "float64": _float(_float64), "float32": _float(_float32)}


def output_rounding(view: ExportGraph, node: ExportNode) -> FixedPoint | None:
    """The fixed-point format the batch norm's result is next rounded to (its own
    ``data_out_0``, else its only consumer's ``data_in_0``), or None."""
    own = node.operand("data_out_0")
    if own.quantized:
        return own.fixed
    consumers = [n for n in view.nodes if node.name in n.inputs]
    if len(consumers) == 1 and view.output_names[0] != node.name:
        return consumers[0].operand("data_in_0").fixed
    return None


def disagreements(node: ExportNode, x: FixedPoint, out: FixedPoint | None, how: str) -> int:
    """(input code, channel) pairs where ``how`` (see :data:`ARITHMETIC`) and carve's
    float32 batch norm differ, after rounding both to ``out`` (exactly when None)."""
    codes, carve = carve_on_codes(node, x)
    alpha, beta = batch_norm_affine(node)
    return ARITHMETIC[how](codes, alpha, beta.astype(np.float64), carve, out)


def carve_on_codes(node: ExportNode, x: FixedPoint) -> tuple[np.ndarray, np.ndarray]:
    """Every input value of format ``x`` (float64, one per code) and carve's batch norm of
    it in every channel (float32 values as float64, one row per code)."""
    import torch

    lo, hi = x.int_range
    channels = node.module.num_features
    codes = np.arange(lo, hi + 1, dtype=np.float64) * 2.0**-x.frac_width
    grid = torch.from_numpy(codes).float().unsqueeze(1).expand(-1, channels).contiguous()
    with torch.inference_mode():
        was = node.module.training
        carve = node.module.eval()(grid).double().numpy()
        node.module.train(was)
    return codes, carve


def check_lines(view: ExportGraph, how: str, only: str | None = None) -> list[str]:
    """One report line per batch norm (or only the one named ``only``): do all codes agree?"""
    lines = []
    for node in view.nodes:
        if node.op != "batch_norm1d" or only not in (None, node.name):
            continue
        x = node.operand("data_in_0").fixed
        if x is None:
            lines.append(f"batch norm {node.name}: input not fixed point: not checked")
            continue
        lo, hi = x.int_range
        total = (hi - lo + 1) * node.module.num_features
        out = output_rounding(view, node)
        limit = CHECK_LIMIT if out is not None or how != "exact" else CHECK_LIMIT >> 5
        if total > limit:
            lines.append(f"batch norm {node.name}: {total:,} (input code, channel) pairs, "
                         "too many to enumerate: not checked")  # fmt: skip
            continue
        bad = disagreements(node, x, out, how)
        verdict = "all agree" if not bad else f"{bad:,} DIFFER (parity may fail on such inputs)"
        lines.append(
            f"batch norm {node.name}: {total:,} (input code, channel) pairs checked "
            f"against carve ({how} arithmetic): {verdict}"
        )
    return lines


def _cell(target: int, fixed: FixedPoint) -> tuple[Fraction | None, bool, Fraction | None, bool]:
    """The values that round to code ``target`` of ``fixed``: ``(low, low included, high,
    high included)``, None for an unbounded end (saturation)."""
    step = Fraction(1, 2**fixed.frac_width)
    lo_code, hi_code = fixed.int_range
    if fixed.rounding == "floor":
        low, low_in, high, high_in = target * step, True, (target + 1) * step, False
    else:  # round half to even: a tie goes to the even code
        even = target % 2 == 0
        low, low_in = (target - Fraction(1, 2)) * step, even
        high, high_in = (target + Fraction(1, 2)) * step, even
    return (None if target == lo_code else low, low_in, None if target == hi_code else high,
            high_in)  # fmt: skip


def _simplest_between(low, low_in, high, high_in) -> Fraction | None:
    """The dyadic number with fewest fractional bits in the interval (0 when inside)."""

    def inside(v: Fraction) -> bool:
        above = low is None or v > low or (low_in and v == low)
        below = high is None or v < high or (high_in and v == high)
        return above and below

    if inside(Fraction(0)):
        return Fraction(0)
    for bits in range(0, 160):
        scale = 2**bits
        start = Fraction(low * scale).__ceil__() if low is not None else (high * scale).__floor__()
        for m in (start, start + 1):
            if inside(Fraction(m, scale)):
                return Fraction(m, scale)
    return None


def fitted_shift(node: ExportNode, x: FixedPoint, out: FixedPoint) -> tuple[np.ndarray, int]:
    """A per-channel ``beta`` for an *exact* batch norm (hls4ml) that rounds every input code
    to ``out`` as carve's float32 batch norm does, and the pairs that still differ.

    Exact ``code * alpha + beta`` and torch's float32 value round differently only
    near a rounding tie of ``out``. Adding a small dyadic ``delta`` to ``beta``
    moves those exact values to the side torch rounded them to; ``delta`` is the
    simplest number inside the intersection of what every near-tie code allows
    and below half the distance of every other code to its nearest edge (so
    none of those crosses one); the result is checked again exactly.
    A channel where no such ``delta`` exists keeps ``beta``.
    """
    codes, carve = carve_on_codes(node, x)
    channels = node.module.num_features
    alpha, beta = batch_norm_affine(node)
    beta = beta.astype(np.float64)
    fitted = beta.copy()
    targets = grid_codes(carve, out)
    for c in range(channels):
        col = carve[:, c : c + 1]
        if not _exact(codes, alpha[c : c + 1], beta[c : c + 1], col, out):
            continue
        approx = codes * float(alpha[c]) + beta[c]
        near = np.flatnonzero(_near_edge(approx, out) | _near_edge(col[:, 0], out))
        a, b = Fraction(float(alpha[c])), Fraction(float(beta[c]))
        low, low_in, high, high_in = None, False, None, False
        for k in near.tolist():
            exact = Fraction(float(codes[k])) * a + b
            cl, cl_in, ch, ch_in = _cell(int(targets[k, c]), out)
            if cl is not None and (
                low is None or cl - exact > low or (cl - exact == low and not cl_in)
            ):
                low, low_in = cl - exact, cl_in
            if ch is not None and (
                high is None or ch - exact < high or (ch - exact == high and not ch_in)
            ):
                high, high_in = ch - exact, ch_in
        # every other code is far from an edge: keep delta well inside its distance
        far = np.ones(len(codes), dtype=bool)
        far[near] = False
        if far.any():
            bound = Fraction(float(_edge_distance(approx[far], out).min()) / 2)
            if low is None or low < -bound:
                low, low_in = -bound, True
            if high is None or high > bound:
                high, high_in = bound, True
        delta = _simplest_between(low, low_in, high, high_in)
        if delta is None or delta == 0:
            continue
        shifted = b + delta
        if Fraction(float(shifted)) != shifted:  # not a float64: keep beta
            continue
        candidate = np.array([float(shifted)])
        if not _exact(codes, alpha[c : c + 1], candidate, col, out):
            fitted[c] = float(shifted)
    left = _exact(codes, alpha, fitted, carve, out)
    return fitted, left
