"""Verilog-2001 text for integer datapaths: code types, literals, requantization, adder trees.

Every signal inside an emitted module is ``signed`` and exactly as wide as the
range of integer codes it can carry (:class:`Codes` tracks that range, so
widths are derived, never guessed). Port fields hold a format's codes as they
are (``width`` bits, two's complement or unsigned); :func:`unpack` turns a
field into a signed internal wire.

:func:`requantize` is carve's fixed-point quantizer on integer codes (the
integer reference's ``requantize``): a right shift with round-half-to-even
(or floor), or a left shift, then saturation to the target format - written
as Verilog, with the saturation comparators only where the range needs them.

>>> bits_for(-8, 7), bits_for(0, 255), bits_for(-1, 0)
(4, 9, 1)
>>> literal(-5, 6)
"-6'sd5"
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol


class FixedFormat(Protocol):
    """What a target format must tell (``carve.export.graph_view.FixedPoint`` does)."""

    width: int
    frac_width: int
    signed: bool
    rounding: str

    @property
    def int_range(self) -> tuple[int, int]: ...


def bits_for(lo: int, hi: int) -> int:
    """Width of the smallest two's-complement signal holding every integer in ``[lo, hi]``."""
    width = 1
    while not (-(1 << (width - 1)) <= lo and hi <= (1 << (width - 1)) - 1):
        width += 1
    return width


def literal(value: int, width: int) -> str:
    """A signed sized literal (width grown to hold ``value``)."""
    width = max(width, bits_for(value, value) + 1)
    return f"-{width}'sd{-value}" if value < 0 else f"{width}'sd{value}"


@dataclass(frozen=True)
class Codes:
    """Integer codes on one signal: value = code * 2**exponent, code in ``[lo, hi]``.

    ``width``/``signed`` describe the port field (a format's codes keep their
    format's width); ``internal`` is the signed wire width inside a module.
    """

    width: int
    signed: bool
    exponent: int
    lo: int
    hi: int

    @classmethod
    def of_format(cls, fmt: FixedFormat) -> Codes:
        lo, hi = fmt.int_range
        return cls(fmt.width, fmt.signed, -fmt.frac_width, lo, hi)

    @classmethod
    def of_range(cls, lo: int, hi: int, exponent: int) -> Codes:
        """An accumulator: signed, as wide as its range."""
        return cls(bits_for(lo, hi), True, exponent, lo, hi)

    @property
    def internal(self) -> int:
        return self.width + (not self.signed)


def unpack(lines: list[str], name: str, port: str, index: int, codes: Codes) -> str:
    """Declare ``name`` = field ``index`` of the packed ``port`` as a signed wire."""
    field = f"{port}[{index * codes.width} +: {codes.width}]"
    value = field if codes.signed else f"{{1'b0, {field}}}"
    lines.append(f"  wire signed [{codes.internal - 1}:0] {name} = $signed({value});")
    return name


def requantized(src: Codes, fmt: FixedFormat) -> Codes:
    """The codes ``src`` becomes on ``fmt``'s grid (round, saturate): its range, exactly."""
    dmin, dmax = fmt.int_range
    shift = -fmt.frac_width - src.exponent
    if shift > 0:
        floor = fmt.rounding == "floor"
        lo, hi = round_shift(src.lo, shift, floor), round_shift(src.hi, shift, floor)
    else:
        lo, hi = src.lo << -shift, src.hi << -shift
    return Codes(fmt.width, fmt.signed, -fmt.frac_width, max(lo, dmin), min(hi, dmax))


def requantize(lines: list[str], name: str, x: str, src: Codes, fmt: FixedFormat) -> Codes:
    """Declare ``name`` = ``x`` (codes ``src``) on ``fmt``'s grid, rounded and saturated.

    Returns the codes ``name`` carries (``fmt``'s width, its range clipped to
    what ``src`` can reach). The wire is signed, ``internal`` bits wide.
    """
    dmin, dmax = fmt.int_range
    shift = -fmt.frac_width - src.exponent  # > 0: drop bits (round); < 0: append zeros
    width = src.internal
    if shift <= 0:
        lo, hi = src.lo << -shift, src.hi << -shift
        value = f"{x}" if shift == 0 else f"$signed({{{x}, {-shift}'d0}})"
        rwidth = width - shift
    else:
        floor_rounding = fmt.rounding == "floor"
        lo, hi = (round_shift(src.lo, shift, floor_rounding),
                  round_shift(src.hi, shift, floor_rounding))  # fmt: skip
        if width < shift + 2:  # sign-extend so the kept part has at least a sign bit
            lines.append(
                f"  wire signed [{shift + 1}:0] {name}_x = {x};"
            )  # assignment sign-extends
            x, width = f"{name}_x", shift + 2
        lines.append(f"  wire signed [{width - shift - 1}:0] {name}_fl = {x}[{width - 1}:{shift}];")
        rwidth = width - shift + 1
        if floor_rounding:
            value = f"{name}_fl"
        else:
            below = f" | (|{x}[{shift - 2}:0])" if shift >= 2 else ""
            lines.append(f"  wire {name}_up = {x}[{shift - 1}] & ({x}[{shift}]{below});")
            value = f"{name}_fl + $signed({{1'b0, {name}_up}})"
    out = requantized(src, fmt)
    lines.append(f"  wire signed [{rwidth - 1}:0] {name}_r = {value};")
    value = f"{name}_r"
    if hi > dmax:
        value = f"({value} > {literal(dmax, rwidth)}) ? {literal(dmax, rwidth)} : {value}"
    if lo < dmin:
        value = f"({name}_r < {literal(dmin, rwidth)}) ? {literal(dmin, rwidth)} : {value}"
    lines.append(f"  wire signed [{out.internal - 1}:0] {name} = {value};")
    return out


def round_shift(code: int, shift: int, floor: bool) -> int:
    """``code / 2**shift`` rounded half to even (or floor): the integer reference's rule."""
    q, rest = code >> shift, code & ((1 << shift) - 1)
    if floor:
        return q
    half = 1 << (shift - 1)
    return q + (rest > half or (rest == half and q % 2 == 1))


FLOAT32_BITS = 24  # significand bits: integers up to 2**24 are exact in float32


def held_in_float32(src: Codes) -> bool:
    """Whether carve's reference rounds these codes to float32 before re-quantizing them
    (an accumulator beyond ``2**24``; the rounding is then part of the computation)."""
    return max(abs(src.lo), abs(src.hi)) > 1 << FLOAT32_BITS


def float32_value(code: int) -> int:
    """``code`` rounded to float32's 24 significant bits, half to even (as numpy/torch)."""
    magnitude = abs(code)
    drop = max(magnitude.bit_length() - FLOAT32_BITS, 0)
    rounded = round_shift(magnitude, drop, False) << drop if drop else magnitude
    return -rounded if code < 0 else rounded


def float32_round(lines: list[str], name: str, x: str, src: Codes) -> Codes:
    """Declare ``name`` = ``x`` rounded to float32's 24 significant bits (half to even).

    Sign and magnitude; for each position of the leading one above bit 23 the
    magnitude is rounded at ``p - 23`` bits (constant shifts, a priority chain).
    """
    width = src.internal
    lines.append(f"  wire [{width - 1}:0] {name}_m = ({x} < 0) ? -{x} : {x};")
    value = f"{name}_m"
    for p in range(FLOAT32_BITS, width):  # leading one at bit p: keep bits p..p-23
        drop = p - (FLOAT32_BITS - 1)
        below = f" | (|{name}_m[{drop - 2}:0])" if drop >= 2 else ""
        up = f"{name}_m[{drop - 1}] & ({name}_m[{drop}]{below})"
        rounded = f"(({{1'b0, {name}_m[{width - 1}:{drop}]}} + ({up})) << {drop})"
        value = f"{name}_m[{p}] ? {rounded} :\n    {value}"
    lines.append(f"  wire [{width}:0] {name}_a = {value};")
    lines.append(f"  wire signed [{width + 1}:0] {name} = ({x} < 0) ? -$signed({{1'b0, {name}_a}})"
                 f" : $signed({{1'b0, {name}_a}});")  # fmt: skip
    lo, hi = float32_value(src.lo), float32_value(src.hi)
    return Codes.of_range(lo, hi, src.exponent)


def relu(lines: list[str], name: str, x: str, src: Codes) -> Codes:
    """Declare ``name`` = max(``x``, 0) (an identity when ``src`` is never negative)."""
    out = replace(src, lo=max(src.lo, 0), hi=max(src.hi, 0))
    value = x if src.lo >= 0 else f"({x} < 0) ? {literal(0, src.internal)} : {x}"
    lines.append(f"  wire signed [{src.internal - 1}:0] {name} = {value};")
    return out


def adder_tree(terms: list[str]) -> str:
    """A balanced sum of ``terms`` (depth log2 n), ``0`` when there are none."""
    if not terms:
        return "0"
    depth = 0
    while len(terms) > 1:
        depth += 1
        join = " + " if depth > 1 else "\n    + "  # one leaf pair per line: no huge lines
        paired = [f"({terms[i]}{join}{terms[i + 1]})" for i in range(0, len(terms) - 1, 2)]
        terms = paired + ([terms[-1]] if len(terms) % 2 else [])
    return terms[0]


def pack(names: list[str], widths: int) -> str:
    """``{names[n-1][w-1:0], ..., names[0][w-1:0]}``: channel 0 in the low bits."""
    return "{" + ", ".join(f"{n}[{widths - 1}:0]" for n in reversed(names)) + "}"
