"""A logic-depth timing estimate on a yosys-mapped Xilinx netlist (not Vivado timing).

yosys has no timing model for ``synth_xilinx`` output, so carve walks the mapped
netlist (``write_json`` after ``flatten``) itself: every register-to-register,
input-to-register and register-to-output path is a chain of combinational
primitives, and the estimate is the longest chain under a fixed delay per
primitive class. The delays below are round figures for an UltraScale+ -2
device taken as *cell delay plus typical local routing* (a LUT level costs
about 0.1 ns of logic and 0.3-0.5 ns of net in Vivado timing reports; a carry
cell chained to the next one costs about 0.1 ns). They are a documented
assumption, not a characterization: the figure ranks designs and gives the
order of the clock a design can meet; Vivado's placed-and-routed timing will
differ.

Sequential primitives (flip-flops, SRL shift registers, DSP slices whose output
register ``PREG`` is on) start and end paths; module input ports start them and
output ports end them. Each path also pays :data:`REGISTER_OVERHEAD_NS` (clock
to out, setup, skew).

>>> net = {"ports": {"a": {"direction": "input", "bits": [2]},
...                  "y": {"direction": "output", "bits": [4]}},
...        "cells": {"l1": {"type": "LUT2", "port_directions": {"I0": "input", "O": "output"},
...                         "connections": {"I0": [2], "O": [3]}},
...                  "l2": {"type": "LUT1", "port_directions": {"I0": "input", "O": "output"},
...                         "connections": {"I0": [3], "O": [4]}}}}
>>> path = longest_path(net)
>>> path.levels, round(path.delay_ns, 3)
(2, 1.4)
"""

from __future__ import annotations

from dataclasses import dataclass

#: Clock-to-out + setup + skew paid once per register-to-register path.
REGISTER_OVERHEAD_NS = 0.4
#: Delay of one combinational primitive class, cell plus typical routing (ns).
CELL_DELAY_NS: dict[str, float] = {
    "lut": 0.5,
    "carry": 0.1,
    "mux": 0.15,
    "dsp": 2.5,
    "other": 0.5,
}

_SEQUENTIAL_PREFIXES = ("FD", "LD", "SRL", "RAM", "FIFO")


def cell_class(cell_type: str) -> str:
    """The resource class of a Xilinx primitive: lut, srl, ff, dsp, carry, mux or other.

    >>> [cell_class(t) for t in ("LUT6", "SRLC32E", "FDRE", "DSP48E2", "CARRY8", "MUXF7", "INV")]
    ['lut', 'srl', 'ff', 'dsp', 'carry', 'mux', 'lut']
    >>> cell_class("layer_0")
    'other'
    """
    name = cell_type.lstrip("\\")
    if name.startswith(("LUT", "$__ABC9_LUT")) or name == "INV":  # Vivado: INV is a LUT1
        return "lut"
    if name.startswith("SRL"):
        return "srl"
    if name.startswith(("FD", "LD")):
        return "ff"
    if name.startswith("DSP48"):
        return "dsp"
    if name.startswith(("CARRY", "MUXCY", "XORCY")):
        return "carry"
    if name.startswith("MUXF"):
        return "mux"
    return "other"


def _is_sequential(cell: dict) -> bool:
    name = cell["type"].lstrip("\\")
    if name.startswith(_SEQUENTIAL_PREFIXES):
        return True
    if name.startswith("DSP48"):
        return str(cell.get("parameters", {}).get("PREG", "1")).strip("0") != ""
    return False


@dataclass(frozen=True)
class CriticalPath:
    """The longest combinational path of a netlist under the delay table."""

    delay_ns: float  # including REGISTER_OVERHEAD_NS
    levels: int  # combinational primitives on that path (Vivado's "logic levels")
    lut_levels: int  # LUTs among them


def longest_path(module: dict, submodules: frozenset[str] = frozenset()) -> CriticalPath:
    """Longest register/port-bounded path of one yosys JSON module.

    Instances of ``submodules`` (the design's own modules, in a netlist that keeps
    hierarchy) are boundaries like registers: each module is timed on its own.
    """
    drivers: dict[int, tuple[str, list[int]]] = {}  # output bit -> (cell name, its input bits)
    cells = module.get("cells", {})
    for name, cell in cells.items():
        if _is_sequential(cell) or cell["type"] in submodules:
            continue
        directions = cell.get("port_directions", {})
        inputs = [
            b
            for port, bits in cell["connections"].items()
            if directions.get(port) == "input"
            for b in bits
            if isinstance(b, int)
        ]
        for port, bits in cell["connections"].items():
            if directions.get(port) == "output":
                for b in bits:
                    if isinstance(b, int):
                        drivers[b] = (name, inputs)
    memo: dict[int, tuple[float, int, int]] = {}
    visiting: set[int] = set()  # a combinational loop is cut where it closes

    def arrival(bit: int) -> tuple[float, int, int]:
        stack = [bit]
        while stack:
            top = stack[-1]
            if top in memo:
                stack.pop()
                continue
            driver = drivers.get(top)
            if driver is None:  # port, register output or constant: a path start
                memo[top] = (0.0, 0, 0)
                stack.pop()
                continue
            pending = [b for b in driver[1] if b not in memo and b not in visiting]
            if pending and top not in visiting:
                visiting.add(top)
                stack.extend(pending)
                continue
            visiting.discard(top)
            kind = cell_class(cells[driver[0]]["type"])
            start = (0.0, 0, 0)
            best = max((memo.get(b, start) for b in driver[1]), default=start)
            memo[top] = (
                best[0] + CELL_DELAY_NS[kind],
                best[1] + 1,
                best[2] + (kind == "lut"),
            )
            stack.pop()
        return memo[bit]

    worst = (0.0, 0, 0)
    for bit in drivers:
        worst = max(worst, arrival(bit))
    return CriticalPath(round(worst[0] + REGISTER_OVERHEAD_NS, 4), worst[1], worst[2])
