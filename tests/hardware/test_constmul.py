"""Constant dot products in Verilog against Python's integers, in Icarus Verilog.

Every case feeds codes to ``sum(x_i * K_i) + c`` written by
:class:`carve.hardware.constmul.DotProducts` and compares the Verilog result with
the same sum in Python integers (unbounded, so no width can hide an error).
The cases stress what a wrong width or sign would break: extreme constants
(the most negative and most positive weight codes, powers of two, -1, 0),
extreme codes (the most negative / largest input code, every code at small
widths), signed and unsigned inputs of widths 1-16, ranges that are not a
whole format (a ReLU output ``[0, 5]``, an all-negative range), and sums whose
accumulator is exactly as wide as their range.
"""

from __future__ import annotations

import itertools
import random
import subprocess

import pytest

from carve.hardware.constmul import DotProducts, Operand, signed_digits
from carve.hardware.rtl import bits_for


def test_signed_digits_are_the_value_with_no_two_adjacent():
    for value in [*range(-300, 301), 2**15, -(2**15), 2**31 - 1, -(2**40) + 3]:
        digits = signed_digits(value)
        assert sum(sign << position for sign, position in digits) == value
        positions = [position for _, position in digits]
        assert all(b - a >= 2 for a, b in itertools.pairwise(positions))
    assert signed_digits(0) == [] and signed_digits(-1) == [(-1, 0)]
    assert signed_digits(0b0111_0111) == [(-1, 0), (-1, 3), (1, 7)]  # 128 - 8 - 1: six ones
    assert all(len(signed_digits(v)) <= bin(v).count("1") for v in range(1, 4096))


def _code_range(width: int, signed: bool) -> tuple[int, int]:
    return (-(1 << (width - 1)), (1 << (width - 1)) - 1) if signed else (0, (1 << width) - 1)


def _cases(rng: random.Random) -> list[dict]:
    """(operand ranges, weights, constant, test vectors) for each dot product."""
    cases = []
    for width in range(1, 17):
        for signed in (True, False):
            lo, hi = _code_range(width, signed)
            for w_width in sorted({1, 2, width, 16}):
                wlo, whi = _code_range(w_width, True)
                weights = [wlo, whi, -1, 1, 0, 1 << (w_width - 1) if w_width > 1 else 0,
                           rng.randint(wlo, whi), rng.randint(wlo, whi)]  # fmt: skip
                cases.append({"ranges": [(lo, hi)] * len(weights), "weights": weights,
                              "constant": rng.randint(-(1 << 20), 1 << 20)})  # fmt: skip
    for _ in range(40):  # partial ranges, mixed signedness, sparse rows
        n = rng.randint(1, 12)
        ranges = []
        for _ in range(n):
            width = rng.randint(1, 16)
            lo, hi = _code_range(width, rng.random() < 0.5)
            a, b = sorted(rng.randint(lo, hi) for _ in range(2))
            ranges.append(rng.choice([(lo, hi), (a, b), (max(lo, 0), hi), (lo, min(hi, -1))]))
        ranges = [(lo, hi) if lo <= hi else (hi, hi) for lo, hi in ranges]
        w_width = rng.randint(1, 16)
        wlo, whi = _code_range(w_width, True)
        weights = [rng.choice([0, wlo, whi, rng.randint(wlo, whi)]) for _ in range(n)]
        cases.append({"ranges": ranges, "weights": weights, "constant": rng.randint(-999, 999)})
    for case in cases:
        terms = [sorted((w * lo, w * hi)) for (lo, hi), w in zip(case["ranges"], case["weights"],
                                                                 strict=True)]  # fmt: skip
        low = sum(t[0] for t in terms) + case["constant"]
        high = sum(t[1] for t in terms) + case["constant"]
        case["width"] = bits_for(low, high)  # exactly the range: no slack bit
        corners = [[lo for lo, _ in case["ranges"]], [hi for _, hi in case["ranges"]],
                   [lo if w >= 0 else hi for (lo, hi), w in zip(case["ranges"], case["weights"],
                                                               strict=True)],
                   [hi if w >= 0 else lo for (lo, hi), w in zip(case["ranges"], case["weights"],
                                                               strict=True)]]  # fmt: skip
        randoms = [[rng.randint(lo, hi) for lo, hi in case["ranges"]] for _ in range(12)]
        case["vectors"] = corners + randoms
    return cases


def _testbench(cases: list[dict]) -> str:
    body, checks = [], []
    for k, case in enumerate(cases):
        operands = []
        for i, (lo, hi) in enumerate(case["ranges"]):
            width = bits_for(lo, hi)
            body.append(f"  reg signed [{width - 1}:0] x{k}_{i};")
            operands.append(Operand(f"x{k}_{i}", lo, hi))
        DotProducts(body).declare(f"y{k}", operands, case["weights"], case["constant"],
                                  case["width"])  # fmt: skip
        for vector in case["vectors"]:
            sets = " ".join(f"x{k}_{i} = {v};" for i, v in enumerate(vector))
            checks.append(f'    {sets} #1 $display("{k} %0d", y{k});')
    return "\n".join(["module tb;", *body, "  initial begin", *checks, "  end", "endmodule", ""])


@pytest.mark.parametrize("seed", [0, 1])
def test_dot_products_equal_python_integers(seed, tmp_path):
    cases = _cases(random.Random(seed))
    (tmp_path / "tb.v").write_text(_testbench(cases))
    subprocess.run(["iverilog", "-g2001", "-o", "tb.vvp", "tb.v"], cwd=tmp_path, check=True)
    run = subprocess.run(["vvp", "-n", "tb.vvp"], cwd=tmp_path, check=True, capture_output=True,
                         text=True)  # fmt: skip
    got = [tuple(int(v) for v in line.split()) for line in run.stdout.split("\n") if line]
    expected = [(k, sum(x * w for x, w in zip(vector, case["weights"], strict=True))
                 + case["constant"])
                for k, case in enumerate(cases) for vector in case["vectors"]]  # fmt: skip
    assert len(got) == len(expected) > 2000
    wrong = [(g, e) for g, e in zip(got, expected, strict=True) if g != e]
    assert not wrong, f"{len(wrong)} of {len(expected)} differ, first {wrong[:5]}"


def test_every_code_at_small_widths(tmp_path):
    """Widths 1-4, signed and unsigned, each extreme weight: every input code pair."""
    cases = []
    for width in range(1, 5):
        for signed in (True, False):
            lo, hi = _code_range(width, signed)
            for weights in ([-8, 7], [-1, -8], [7, 4], [-5, 3]):
                codes = range(lo, hi + 1)
                terms = [sorted((w * lo, w * hi)) for w in weights]
                width_out = bits_for(sum(t[0] for t in terms) - 3, sum(t[1] for t in terms) - 3)
                cases.append({"ranges": [(lo, hi)] * 2, "weights": weights, "constant": -3,
                              "width": width_out,
                              "vectors": [[a, b] for a in codes for b in codes]})  # fmt: skip
    (tmp_path / "tb.v").write_text(_testbench(cases))
    subprocess.run(["iverilog", "-g2001", "-o", "tb.vvp", "tb.v"], cwd=tmp_path, check=True)
    run = subprocess.run(["vvp", "-n", "tb.vvp"], cwd=tmp_path, check=True, capture_output=True,
                         text=True)  # fmt: skip
    got = [int(line.split()[1]) for line in run.stdout.split("\n") if line]
    expected = [a * c["weights"][0] + b * c["weights"][1] - 3 for c in cases
                for a, b in c["vectors"]]  # fmt: skip
    assert got == expected
