"""The Verilog requantizer against carve's fixed-point quantizer, every input code, in Icarus."""

from __future__ import annotations

import itertools
import subprocess

import numpy as np
import torch

from carve.export.graph_view import FixedPoint
from carve.hardware.rtl import (
    Codes,
    adder_tree,
    bits_for,
    float32_round,
    literal,
    relu,
    requantize,
)
from carve.quant.formats.integer import INTEGER, IntegerSpec

# (source codes: width, signed, exponent) x (target: width, frac, signed, rounding)
SOURCES = [(7, True, -4), (6, False, -2), (9, True, -6), (3, True, 0)]
OPEN = "{1'b0, "
TARGETS = [(4, 2, True, "nearest_even"), (3, 1, False, "nearest_even"), (5, 4, True, "floor"),
           (1, 0, True, "nearest_even"), (8, 7, True, "nearest_even")]  # fmt: skip


def test_bits_and_literals():
    assert [bits_for(lo, hi) for lo, hi in [(0, 0), (-1, 0), (0, 1), (-128, 127), (-129, 0)]] == [
        1, 1, 2, 8, 9]  # fmt: skip
    assert literal(-128, 8) == "-9'sd128" and literal(5, 8) == "8'sd5"
    assert adder_tree([]) == "0" and adder_tree(["a"]) == "a"
    assert adder_tree(["a", "b", "c"]).replace("\n    ", " ") == "((a + b) + c)"


def test_requantize_and_relu_match_carve_quantizer_on_every_code(tmp_path):
    lines, cases = [], []
    for k, ((sw, ss, se), (tw, tf, ts, rounding)) in enumerate(itertools.product(SOURCES, TARGETS)):
        src = Codes(
            sw, ss, se, -(1 << (sw - 1)) if ss else 0, (1 << (sw - 1)) - 1 if ss else (1 << sw) - 1
        )
        fmt = FixedPoint(tw, tf, ts, rounding)
        body: list[str] = []
        x = f"x{k}"
        body.append(
            f"  wire signed [{src.internal - 1}:0] {x} = $signed({'' if ss else OPEN}"
            f"in{k}{'' if ss else '}'});"
        )
        out = requantize(body, f"q{k}", x, src, fmt)
        rect = relu(body, f"r{k}", f"q{k}", out)
        lines += [f"  reg [{sw - 1}:0] in{k};", *body]
        cases.append((k, src, fmt, out, rect))
    tb = ["module tb;", "  integer i;", *lines, "  initial begin"]
    for k, src, _, _, _ in cases:
        show = f'$display("{k} %0d %0d %0d", i, q{k}, r{k});'
        tb += [f"    for (i = {src.lo}; i <= {src.hi}; i = i + 1) begin",
               f"      in{k} = i; #1 {show}", "    end"]  # fmt: skip
    tb += ["  end", "endmodule", ""]
    (tmp_path / "tb.v").write_text("\n".join(tb))
    subprocess.run(["iverilog", "-g2001", "-o", "tb.vvp", "tb.v"], cwd=tmp_path, check=True)
    run = subprocess.run(
        ["vvp", "-n", "tb.vvp"], cwd=tmp_path, check=True, capture_output=True, text=True
    )
    got: dict[int, list] = {}
    for line in run.stdout.splitlines():
        k, code, q, r = (int(v) for v in line.split())
        got.setdefault(k, []).append((code, q, r))
    assert sorted(got) == [c[0] for c in cases]
    for k, src, fmt, out, rect in cases:
        codes, q, r = (np.array(v) for v in zip(*got[k], strict=True))
        spec = IntegerSpec(fmt.width, fmt.frac_width, fmt.signed, fmt.rounding)
        values = torch.from_numpy(np.ldexp(codes.astype(np.float64), src.exponent))
        expected = INTEGER.to_int(values, spec).ints.numpy().astype(np.int64)
        np.testing.assert_array_equal(q, expected, err_msg=f"{src} -> {fmt}")
        np.testing.assert_array_equal(r, np.maximum(expected, 0))
        assert out.lo == expected.min() and out.hi == expected.max()  # the range is exact
        assert rect.lo == max(expected.min(), 0)


def test_float32_rounding_of_wide_accumulators_matches_numpy(tmp_path):
    """carve's reference holds a wide accumulator in float32 before re-quantizing it: the
    Verilog rounding (24 significant bits, half to even) equals numpy's float32 cast,
    on random 40-bit values and on exact ties."""
    rng = np.random.default_rng(0)
    width = 40
    values = rng.integers(-(1 << 39), 1 << 39, size=600, dtype=np.int64)
    ties = [m << 15 | 1 << 14 for m in range(1 << 23, (1 << 23) + 40)]  # exactly half an ulp
    values = np.concatenate([values, ties, [-t for t in ties], [1 << 39 - 1, -(1 << 39)]])
    src = Codes(width, True, 0, -(1 << 39), (1 << 39) - 1)
    body: list[str] = []
    out = float32_round(body, "r", "x", src)
    lines = [f"  reg signed [{width - 1}:0] x;", *body, "  initial begin"]
    lines += [f'    x = {literal(int(v), width + 1)}; #1 $display("%0d", r);' for v in values]
    (tmp_path / "tb.v").write_text("\n".join(["module tb;", *lines, "  end", "endmodule", ""]))
    subprocess.run(["iverilog", "-g2001", "-o", "tb.vvp", "tb.v"], cwd=tmp_path, check=True)
    run = subprocess.run(["vvp", "-n", "tb.vvp"], cwd=tmp_path, check=True, capture_output=True,
                         text=True)  # fmt: skip
    got = np.array([int(v) for v in run.stdout.split()], dtype=np.int64)
    expected = values.astype(np.float64).astype(np.float32).astype(np.int64)
    np.testing.assert_array_equal(got, expected)
    assert out.lo <= expected.min() and expected.max() <= out.hi
