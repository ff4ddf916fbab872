"""Constant dot products in Verilog-2001: signed-digit rows summed by an exact-width adder tree.

A linear layer's output is ``sum_i x_i * K_i + bias`` with constant ``K_i``.
Written as ``x * K`` at the accumulator's width, yosys builds a partial-product
row for every set bit of ``K``'s two's complement at that width (a negative
``K`` sets nearly every bit) and sign-extends every row; this module writes
what a LUT fabric needs instead:

- each ``K`` as its signed digits (non-adjacent form: fewest nonzero digits,
  :func:`signed_digits`), so ``x * K`` is a few shifted copies of ``x``
  added or subtracted, and a zero ``K`` or a power of two costs no adder;
- every copy an *unsigned* row, as wide as ``x``'s reachable codes: a code
  ``x >= 0`` is its own low bits; a signed code is its offset-binary form
  ``u = x + 2**(k-1)`` (the sign bit inverted: no logic), and a subtracted
  row is the bitwise inverse ``~u = 2**k - 1 - u``; what these forms shift
  the value by is a constant, gathered with the bias into one constant;
- the rows summed in a tree whose every node is as wide as its bound (sum of
  its rows' maxima), with low bits that only one operand has passed through
  as wires, and nothing kept above the accumulator's top bit (the result is
  exact modulo ``2**width``, and the true sum fits ``width`` signed bits);
- the constant added once, at the root, above the tree's lowest row.

>>> signed_digits(7), signed_digits(-6), signed_digits(0)
([(-1, 0), (1, 3)], [(1, 1), (-1, 3)], [])
>>> lines = []
>>> DotProducts(lines).declare("acc", [Operand("x", 0, 3)], [-2], 1, 4)
SumCost(adders=1, adder_bits=3, gates=0, constant_low_bits=1)
>>> print("\\n".join(lines))
  wire [1:0] x_n = ~x[1:0];
  wire [2:0] acc_h = x_n[1:0] + 3'd5;
  wire signed [3:0] acc = $signed({acc_h, 1'd1});
"""

from __future__ import annotations

import functools
from dataclasses import dataclass


def signed_digits(value: int) -> list[tuple[int, int]]:
    """``value`` as ``sum(sign * 2**position)``, the non-adjacent form: (sign, position)."""
    return list(_digits(value))


@functools.lru_cache(maxsize=65536)
def _digits(value: int) -> tuple[tuple[int, int], ...]:
    digits, position = [], 0
    while value:
        if value & 1:
            digit = 2 - (value & 3)  # +1 when value = 1 (mod 4), -1 when 3 (mod 4)
            digits.append((digit, position))
            value -= digit
        value >>= 1
        position += 1
    return tuple(digits)


@dataclass(frozen=True)
class Operand:
    """A signal ``name`` (a signed wire) whose codes lie in ``[lo, hi]``."""

    name: str
    lo: int
    hi: int

    @property
    def bits(self) -> int:
        """Bits of the unsigned form: the code itself when ``lo >= 0``, else offset binary."""
        if self.lo >= 0:
            return max(self.hi.bit_length(), 1)
        return max((-self.lo - 1).bit_length(), self.hi.bit_length()) + 1

    @property
    def offset(self) -> int:
        """What the unsigned form adds to the code."""
        return 0 if self.lo >= 0 else 1 << (self.bits - 1)


@dataclass(frozen=True, slots=True)
class _Row:
    """``signal[width-1:0] << shift``; those bits are unsigned in ``[0, hi]``.

    ``sums``: the bits of ``signal`` where the output of an adder of this tree
    begins (see :func:`_port`).
    """

    signal: str  # a wire (its low ``width`` bits are the row)
    shift: int
    hi: int
    width: int
    sums: frozenset[int] = frozenset()


def _row(signal: str, shift: int, hi: int, top: int, sums: frozenset[int] = frozenset()) -> _Row:
    """A row of ``signal`` at ``shift``, no bit kept at or above bit ``top`` of the sum."""
    width = min(hi.bit_length() or 1, top - shift)
    if hi >> width:
        hi = (1 << width) - 1
    if sums and max(sums) >= width:
        sums = frozenset(b for b in sums if b < width)
    return _Row(signal, shift, hi, width, sums)


class _Wires:
    """The unsigned forms of the operands, declared once each when first used."""

    def __init__(self, lines: list[str] | None) -> None:
        self.lines = lines
        self.declared: set[str] = set()
        self.forms: dict[tuple[Operand, bool], tuple[str, int, int, int]] = {}

    def form(self, x: Operand, subtract: bool) -> tuple[str, int, int, int]:
        """(wire, low, high, moved) of ``x``'s unsigned form ``u`` (``~u`` to subtract): the
        wire's codes lie in ``[low, high]`` and ``x = u + moved`` (``-x = ~u + moved``):
        ``x = u - offset``, ``-x = ~u - (2**k - 1) + offset``."""
        key = (x, subtract)
        if key not in self.forms:
            self.forms[key] = self._form(x, subtract)
        return self.forms[key]

    def _form(self, x: Operand, subtract: bool) -> tuple[str, int, int, int]:
        k, offset = x.bits, x.offset
        lo, hi = x.lo + offset, x.hi + offset
        name = x.name
        if offset:  # offset binary: the sign bit inverted
            name = f"{x.name}_u"
            low = f", {x.name}[{k - 2}:0]" if k > 1 else ""
            self._declare(name, k, f"{{~{x.name}[{k - 1}]{low}}}")
        if not subtract:
            return name, lo, hi, -offset
        inverse = f"{x.name}_n"
        self._declare(inverse, k, f"~{name}[{k - 1}:0]")
        top = (1 << k) - 1
        return inverse, top - hi, top - lo, offset - top

    def _declare(self, name: str, width: int, value: str) -> None:
        if self.lines is not None and name not in self.declared:
            self.declared.add(name)
            self.lines.append(f"  wire [{width - 1}:0] {name} = {value};")


def _rows(wires: _Wires, operands, weights, top: int) -> tuple[list[_Row], int]:
    """The unsigned rows of ``sum(x * K)`` and the constant their forms moved it by."""
    rows, constant = [], 0
    for x, weight in zip(operands, weights, strict=True):
        if not weight:
            continue
        for sign, position in _digits(int(weight)):
            signal, lo, hi, moved = wires.form(x, sign < 0)
            constant += moved << position
            if lo == hi:  # one reachable code: a constant, not a row
                constant += lo << position
            elif position < top:  # bits at or above top never reach the result
                rows.append(_row(signal, position, hi, top))
    return rows, constant


def _bits(row: _Row, low: int, count: int) -> str:
    """Bits ``[low, low + count)`` of ``row`` (those it has)."""
    return f"{row.signal}[{min(low + count, row.width) - 1}:{low}]"


def _port(row: _Row, low: int, count: int) -> tuple[str, str | None]:
    """Bits ``[low, low + count)`` of ``row`` as an adder operand: (operand, carry-in bit).

    yosys (``alumacc``) merges an adder whose whole output feeds another adder
    into one multi-operand sum, which it builds from full adders: about twice
    the LUTs of a chain of two-operand carry-chain adders. An operand that
    starts where an adder's output starts is therefore given without its
    lowest bit, which enters as the carry-in instead (same sum).
    """
    if not _starts_sum(row, low, count):
        return _bits(row, low, count), None
    return f"{{{_bits(row, low + 1, count - 1)}, 1'b0}}", f"{row.signal}[{low}]"


def _starts_sum(row: _Row, low: int, count: int) -> bool:
    """Whether bits ``[low, low + count)`` of ``row`` start at an adder's output (2+ bits)."""
    return low in row.sums and min(low + count, row.width) - low >= 2


@dataclass
class SumCost:
    """What one dot product costs as emitted: its adders and its constant low bits."""

    adders: int = 0  # two-operand adders (carry chains)
    adder_bits: int = 0  # their widths, summed: about one LUT per bit
    gates: int = 0  # single-bit gates beside the adders (the lowest bits added by hand)
    constant_low_bits: int = 0  # low result bits that no row reaches (constants)


def _add(lines: list[str] | None, cost: SumCost, name: str, a: _Row, b: _Row, top: int) -> _Row:
    """``name`` = ``a + b`` (``a.shift <= b.shift``), no bit at or above ``top``: declared
    into ``lines`` (unless None), counted into ``cost``."""
    gap = b.shift - a.shift
    hi = a.hi + (b.hi << gap)
    if a.width <= gap:  # no overlap: the two rows side by side
        row = _row(name, a.shift, hi, top, a.sums | {gap + s for s in b.sums})
        if lines is not None:
            pad = f"{gap - a.width}'d0, " if gap > a.width else ""
            both = f"{{{_bits(b, 0, row.width)}, {pad}{_bits(a, 0, a.width)}}}"
            lines.append(f"  wire [{row.width - 1}:0] {name} = {both};")
        return row
    width = min(hi.bit_length(), top - a.shift)
    low = gap  # the sum's bits below ``low`` are a's
    upper = width - low
    both = _starts_sum(a, low, upper) and _starts_sum(b, 0, upper)
    if both:  # one carry-in only: add the lowest bits by hand
        low, upper = low + 1, upper - 1
        cost.gates += 2
    cost.adders += 1
    cost.adder_bits += upper
    if lines is not None:
        _declare_add(lines, name, a, b, gap, width, both)
    return _row(name, a.shift, hi, top, frozenset((low,)))


def _declare_add(lines: list[str], name: str, a: _Row, b: _Row, gap: int, width: int,
                 both: bool) -> None:  # fmt: skip
    upper = width - gap
    if both:
        low_a, low_b = f"{a.signal}[{gap}]", f"{b.signal}[0]"
        lines.append(f"  wire {name}_c = {low_a} & {low_b};")
        lines.append(f"  wire {name}_s = {low_a} ^ {low_b};")
        total = f"{_bits(a, gap + 1, upper - 1)} + {_bits(b, 1, upper - 1)} + {name}_c"
        below, upper = [f"{name}_s"], upper - 1
    else:
        left, carry_a = _port(a, gap, upper)
        right, carry_b = _port(b, 0, upper)
        carry = carry_a or carry_b
        total = f"{left} + {right}" + (f" + {carry}" if carry else "")
        below = []
    below += [_bits(a, 0, gap)] if gap else []
    if not below:
        lines.append(f"  wire [{width - 1}:0] {name} = {total};")
    else:  # the lowest bits pass through (or were added above)
        lines.append(f"  wire [{upper - 1}:0] {name}_h = {total};")
        lines.append(f"  wire [{width - 1}:0] {name} = {{{name}_h, {', '.join(below)}}};")


def _tree(lines: list[str] | None, cost: SumCost, name: str, rows: list[_Row], top: int) -> _Row:
    """Sum ``rows`` pairwise, level by level, neighbours by shift (depth log2 n)."""
    level = 0
    while len(rows) > 1:
        rows = sorted(rows, key=lambda r: (r.shift, r.hi))
        paired = [_add(lines, cost, f"{name}_{level}_{i // 2}", rows[i], rows[i + 1], top)
                  for i in range(0, len(rows) - 1, 2)]  # fmt: skip
        rows = paired + ([rows[-1]] if len(rows) % 2 else [])
        level += 1
    return rows[0]


class DotProducts:
    """Writes constant dot products into ``lines`` (or, with ``lines=None``, only counts
    what they cost); operand forms are shared between them."""

    def __init__(self, lines: list[str] | None) -> None:
        self.lines = lines
        self.wires = _Wires(lines)

    def declare(
        self, name: str, operands: list[Operand], weights, constant: int, width: int
    ) -> SumCost:
        """Declare ``name`` (signed, ``width`` bits) = ``sum(x * K) + constant``.

        ``width`` must hold every value the sum reaches (the caller's exact range).
        """
        lines, cost = self.lines, SumCost()
        rows, moved = _rows(self.wires, operands, weights, width)
        constant += moved
        if not rows:
            cost.constant_low_bits = width
            if lines is not None:
                pattern = constant & ((1 << width) - 1)
                lines.append(f"  wire signed [{width - 1}:0] {name} = $signed({width}'d{pattern});")
            return cost
        total = _tree(lines, cost, name, rows, width)
        shift, upper = total.shift, width - total.shift
        high = (constant >> shift) & ((1 << upper) - 1)
        cost.constant_low_bits = shift
        if high:
            cost.adders += 1
            cost.adder_bits += upper
        if lines is not None:
            value, carry = _port(total, 0, upper) if high else (_bits(total, 0, upper), None)
            value += (f" + {upper}'d{high}" if high else "") + (f" + {carry}" if carry else "")
            lines.append(f"  wire [{upper - 1}:0] {name}_h = {value};")
            low = f", {shift}'d{constant & ((1 << shift) - 1)}" if shift else ""
            lines.append(f"  wire signed [{width - 1}:0] {name} = $signed({{{name}_h{low}}});")
        return cost


def layer_sums(
    lines: list[str] | None, inputs: list[Operand], weight, bias, widths: list[int]
) -> list[SumCost]:
    """A linear layer's outputs ``acc_j = sum_i inputs[i] * weight[j][i] + bias[j]``, each
    ``widths[j]`` bits: declared into ``lines`` (None: only counted), their costs."""
    sums = DotProducts(lines)
    return [
        sums.declare(f"acc_{j}", inputs, weight[j], 0 if bias is None else int(bias[j]), width)
        for j, width in enumerate(widths)
    ]
